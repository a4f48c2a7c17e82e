"""The command as a whole: help, version, completion, errors, secrets, import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from cli_helpers import Run, single_error_line
from click.testing import CliRunner

from line_token import __version__
from line_token.cli import _commands_keys
from line_token.cli._app import cli
from line_token.cli._output import format_expiry, human_duration, mask_secret
from line_token.emulator.pytest_plugin import LineEmulator


def _all_commands() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            paths.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(cli, [])
    return paths


def test_version(bare_run: Run) -> None:
    """--version prints the package version."""
    result = bare_run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize("path", _all_commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(bare_run: Run, path: list[str]) -> None:
    """Every command and group answers --help with an Examples block."""
    result = bare_run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout


def test_commands_that_print_data_have_json(bare_run: Run) -> None:
    """--json exists wherever data is printed."""
    for path in (
        ["keygen"],
        ["assertion"],
        ["issue", "stateless"],
        ["issue", "short-lived"],
        ["issue", "v2.1"],
        ["verify"],
        ["revoke"],
        ["kids"],
        ["check"],
        ["emulator"],
    ):
        assert "--json" in bare_run(*path, "--help").stdout, path


def test_base_url_everywhere_it_talks_to_line(bare_run: Run) -> None:
    """Every command that sends requests takes --base-url (env LINE_API_BASE_URL)."""
    for path in (["issue", "stateless"], ["verify"], ["revoke"], ["kids"], ["check"]):
        text = bare_run(*path, "--help").stdout
        assert "--base-url" in text, path
        assert "LINE_API_BASE_URL" in text, path


def test_help_documents_exit_codes_and_completion(bare_run: Run) -> None:
    """The top-level help lists the exit codes and the completion recipe."""
    text = bare_run("--help").stdout
    assert "Exit codes" in text
    assert "_LINE_TOKEN_COMPLETE=bash_source line-token" in text


def test_bash_completion_script() -> None:
    """click's completion is wired to the command name."""
    result = CliRunner().invoke(
        cli, [], prog_name="line-token", env={"_LINE_TOKEN_COMPLETE": "bash_source"}
    )
    assert result.exit_code == 0
    assert "_line_token_completion" in result.stdout


def test_usage_error_exits_2(bare_run: Run) -> None:
    """An unknown option is a usage error: exit 2."""
    assert bare_run("issue", "v2.1", "--token-exp", "abc").exit_code == 2
    assert bare_run("nope").exit_code == 2


def test_unexpected_error_is_one_line_without_debug(
    bare_run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A bug shows as one line (exit 1) pointing at --debug; --debug lets it through."""

    def boom(bits: int) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_commands_keys, "generate_key_pair", boom)
    result = bare_run("keygen", "--out", str(tmp_path))
    assert result.exit_code == 1
    line = single_error_line(result)
    assert "unexpected RuntimeError: boom" in line
    assert "--debug" in line
    debug = bare_run("--debug", "keygen", "--out", str(tmp_path))
    assert isinstance(debug.exception, RuntimeError)


def test_no_secret_in_human_output(run: Run, line_emulator: LineEmulator, tmp_path: object) -> None:
    """Neither the channel secret nor the private key appears in any human output."""
    pem = line_emulator.private_key_pem.decode()
    env = {"LINE_ASSERTION_KEY": pem}  # the key given as text, the riskiest way
    secret = line_emulator.channel_secret
    key_lines = [line for line in pem.splitlines() if line and "-----" not in line]
    v21 = json.loads(run("issue", "v2.1", "--json", "--token-exp", "600", env=env).stdout)
    token = v21["access_token"]
    outputs = [
        run("check", env=env),
        run("check", env={**env, "LINE_ASSERTION_KID": "wrong"}),
        run("check", env={**env, "LINE_CHANNEL_SECRET": secret + "x"}),
        run("issue", "stateless", env=env),
        run("issue", "stateless", "--by", "jwt", env=env),
        run("issue", "short-lived", env=env),
        run("issue", "short-lived", env={"LINE_CHANNEL_SECRET": secret + "x"}),
        run("issue", "v2.1", env=env),
        run("verify", token, env=env),
        run("kids", env=env),
        run("revoke", token, env=env),
        run("assertion", env=env),
        run("keygen", "--out", str(tmp_path)),
        run("demo"),
    ]
    for result in outputs:
        text = result.output
        assert secret not in text, result
        assert not any(line in text for line in key_lines), result
        assert "PRIVATE KEY" not in text


def test_verify_shows_the_token_masked(run: Run) -> None:
    """verify never echoes the token it was given."""
    token = run("issue", "short-lived", "-q").stdout.strip()
    assert token not in run("verify", token).output


def test_importing_line_token_does_not_import_the_cli() -> None:
    """`import line_token` never loads the CLI (httpx itself may load click/rich)."""
    code = (
        "import sys, line_token; "
        "bad = [m for m in sys.modules if m.startswith('line_token.cli')]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_cli_startup_does_not_import_the_emulator_or_redis() -> None:
    """Loading the command leaves the emulator, uvicorn and redis unimported."""
    code = (
        "import sys; from line_token.cli._app import cli; "
        "bad = [m for m in sys.modules if m.startswith("
        "('line_token.emulator', 'uvicorn', 'starlette', 'redis', 'line_token.stores._redis'))]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (899, "15 minutes"),
        (3600, "1 hour"),
        (5400, "1 hour 30 minutes"),
        (86400, "1 day"),
        (90061, "1 day 1 hour"),
        (2592000, "30 days"),
        (2591990, "30 days"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    """Durations read the way people say them."""
    assert human_duration(seconds) == text


def test_format_expiry() -> None:
    """Future and past expiries, with the UTC time."""
    assert format_expiry(2592000, 0) == "expires in 30 days (1970-01-31 00:00 UTC)"
    assert format_expiry(0, 300) == "expired 5 minutes ago (1970-01-01 00:00 UTC)"


def test_mask_secret_hides_the_characters() -> None:
    """A masked secret shows its length and a hash only."""
    masked = mask_secret("0123456789abcdef")
    assert "0123" not in masked
    assert masked.startswith("16 characters, sha256:")
