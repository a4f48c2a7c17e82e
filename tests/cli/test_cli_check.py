"""``check``: the checklist, each failure with its fix, and the exit code."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Run

from line_token import generate_key_pair
from line_token.emulator.pytest_plugin import LineEmulator


def _failed(result_stdout: str) -> list[str]:
    return [line for line in result_stdout.splitlines() if line.startswith("✗")]


def test_check_all_good(run: Run, line_emulator: LineEmulator) -> None:
    """A correct setup: every line ✓, exit 0, and the test token is revoked again."""
    result = run("check")
    assert result.exit_code == 0, result.output
    assert not _failed(result.stdout)
    for text in (
        "LINE accepts the assertion",
        "issued a test v2.1 token",
        "LINE verifies it",
        "GET /v2/bot/info works",
        "LINE accepts the channel secret",
        "revoked the test v2.1 token again",
        "All good.",
    ):
        assert text in result.stdout
    assert line_emulator.emulator.tokens(kind="v2.1")[0].revoked


def test_check_json_parses(run: Run) -> None:
    """--json: {"ok": true, "checks": [...]}, each with name, status, detail, fix."""
    result = run("check", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is True
    assert {c["status"] for c in doc["checks"]} == {"ok"}
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in doc["checks"])


def test_check_wrong_kid(run: Run) -> None:
    """An unregistered kid: ✗ with the fix (register the key), exit 1."""
    result = run("check", env={"LINE_ASSERTION_KID": "11111111-1111-4111-8111-111111111111"})
    assert result.exit_code == 1
    [failed] = _failed(result.stdout)
    assert "404" in failed
    assert "Register a public key" in result.stdout
    assert "LINE_ASSERTION_KID" in result.stdout


def test_check_key_does_not_match_kid(run: Run, tmp_path: Path) -> None:
    """A different private key: the fix says it is not the key registered under the kid."""
    other = tmp_path / "other.pem"
    other.write_bytes(generate_key_pair().private_pem)
    result = run("check", env={"LINE_ASSERTION_KEY": str(other)})
    assert result.exit_code == 1
    assert "Invalid signature" in result.stdout
    assert "is not the private key of the public key registered" in result.stdout


def test_check_wrong_secret(run: Run) -> None:
    """A wrong secret: ✗ naming LINE_CHANNEL_SECRET, never showing the secret."""
    wrong = "f" * 32
    result = run("check", env={"LINE_CHANNEL_SECRET": wrong})
    assert result.exit_code == 1
    [failed] = _failed(result.stdout)
    assert "client_credentials" in failed
    assert "LINE_CHANNEL_SECRET" in result.stdout
    assert wrong not in result.output


def test_check_bad_key_file(run: Run, tmp_path: Path) -> None:
    """An unreadable key: ✗ at the key line with how to make one; LINE is not asked with it."""
    bad = tmp_path / "key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    result = run("check", env={"LINE_ASSERTION_KEY": str(bad)})
    assert result.exit_code == 1
    [failed] = _failed(result.stdout)
    assert "does not load" in failed
    assert "keygen" in result.stdout


def test_check_missing_variables(bare_run: Run) -> None:
    """Nothing set: ✗ for the channel id and the secret, with export lines to fix them."""
    result = bare_run("check")
    assert result.exit_code == 1
    failed = _failed(result.stdout)
    assert any("LINE_CHANNEL_ID is not set" in line for line in failed)
    assert any("LINE_CHANNEL_SECRET is not set" in line for line in failed)
    assert "export LINE_CHANNEL_ID=" in result.stdout


def test_check_kid_without_key(run: Run) -> None:
    """Half an assertion setup (kid, no key) is a failure naming the missing variable."""
    result = run("check", env={"LINE_ASSERTION_KEY": None})
    assert result.exit_code == 1
    [failed] = _failed(result.stdout)
    assert "LINE_ASSERTION_KEY is not set" in failed


def test_check_secret_only_setup_passes(run: Run) -> None:
    """Only id + secret is a valid setup (JWT lines skipped, not failed)."""
    result = run("check", env={"LINE_ASSERTION_KID": None, "LINE_ASSERTION_KEY": None})
    assert result.exit_code == 0, result.output
    assert "GET /v2/bot/info works with the stateless token" in result.stdout


def test_check_jwt_only_setup_passes(run: Run, line_emulator: LineEmulator) -> None:
    """Only id + kid + key is valid too; the test token is left to expire (said so)."""
    result = run("check", env={"LINE_CHANNEL_SECRET": None})
    assert result.exit_code == 0, result.output
    assert "stays until it expires in 5 minutes" in result.stdout


def test_check_unreachable(run: Run, closed_port_url: str) -> None:
    """Nothing listening: one ✗ naming the variable to fix; later network checks skipped."""
    result = run("check", "--retries", "0", "--base-url", closed_port_url)
    assert result.exit_code == 1
    [failed] = _failed(result.stdout)
    assert "cannot reach" in failed
    assert "LINE_API_BASE_URL" in result.stdout
    assert "not tried" in result.stdout


def test_check_prints_a_variable_holding_bytes_that_are_not_utf8(
    run: Run, line_emulator: LineEmulator, tmp_path: Path
) -> None:
    """Such bytes reach Python as lone surrogates, which a strict UTF-8 stream cannot write:
    the line shows them escaped instead of the command crashing."""
    odd = tmp_path / "key\udcff.pem"
    odd.write_bytes(line_emulator.private_key_path.read_bytes())
    result = run("check", env={"LINE_ASSERTION_KEY": str(odd)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "key\\udcff.pem" in result.stdout
