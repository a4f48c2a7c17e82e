"""``issue``, ``verify``, ``revoke`` and ``kids`` against the emulator over real HTTP."""

from __future__ import annotations

import json

import pytest
from cli_helpers import Run, single_error_line

from line_token import Client, generate_key_pair
from line_token.emulator.pytest_plugin import LineEmulator

# --- issue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["issue", "stateless"], "stateless"),
        (["issue", "stateless", "--by", "jwt"], "stateless"),
        (["issue", "short-lived"], "short-lived"),
        (["issue", "v2.1", "--token-exp", "3600"], "v2.1"),
    ],
)
def test_issue_quiet_prints_only_a_working_token(
    run: Run, line_emulator: LineEmulator, args: list[str], kind: str
) -> None:
    """--quiet prints the token and nothing else; the token works at bot info."""
    result = run(*args, "--quiet")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert result.stderr == ""
    assert line_emulator.emulator.token(token).kind.value == kind  # type: ignore[union-attr]
    with Client(base_url=line_emulator.base_url) as client:
        assert client.get_bot_info(token).display_name


def test_issue_human_output_says_when_it_expires(run: Run) -> None:
    """The human output names the kind, the channel and the expiry in words."""
    result = run("issue", "v2.1", "--token-exp", "86400")
    assert result.exit_code == 0, result.output
    assert "v2.1 token for channel" in result.stdout
    assert "in 1 day (" in result.stdout
    assert "UTC)" in result.stdout
    assert "key id" in result.stdout


def test_issue_json_parses(run: Run, line_emulator: LineEmulator) -> None:
    """--json prints one JSON document with the token, its expiry and key id."""
    result = run("issue", "v2.1", "--json", "--token-exp", "600")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["kind"] == "v2.1"
    assert doc["channel_id"] == line_emulator.channel_id
    assert doc["expires_in"] == 600
    assert doc["expires_at"].endswith("Z")
    assert doc["key_id"]
    assert line_emulator.emulator.token(doc["access_token"]) is not None


def test_stateless_defaults_to_the_secret_and_falls_back_to_jwt(
    run: Run, line_emulator: LineEmulator
) -> None:
    """By secret when LINE_CHANNEL_SECRET is set, by JWT when only the key is."""
    assert "(by secret)" in run("issue", "stateless").stdout
    result = run("issue", "stateless", env={"LINE_CHANNEL_SECRET": None})
    assert result.exit_code == 0, result.output
    assert "(by jwt)" in result.stdout
    assert line_emulator.count("POST /oauth2/v3/token") == 2


def test_stateless_with_no_credentials_says_what_to_set(run: Run) -> None:
    """Neither secret nor key: exit 2 naming both ways."""
    result = run(
        "issue",
        "stateless",
        env={"LINE_CHANNEL_SECRET": None, "LINE_ASSERTION_KID": None, "LINE_ASSERTION_KEY": None},
    )
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "LINE_CHANNEL_SECRET" in line
    assert "LINE_ASSERTION_KID" in line


# --- failures each user meets once -------------------------------------------------


def test_missing_channel_id_names_the_option_and_the_variable(run: Run) -> None:
    """Exit 2; the message names --channel-id, LINE_CHANNEL_ID and where to find it."""
    result = run("issue", "short-lived", env={"LINE_CHANNEL_ID": None})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "--channel-id" in line
    assert "LINE_CHANNEL_ID" in line
    assert "Basic settings" in line


def test_malformed_channel_id_names_the_option_and_the_variable(run: Run) -> None:
    """A channel id that is not all digits: exit 2, before any request."""
    result = run("issue", "stateless", env={"LINE_CHANNEL_ID": "my-bot"})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "LINE_CHANNEL_ID" in line
    assert "all digits" in line


def test_missing_secret_names_the_option_and_the_variable(run: Run) -> None:
    """Exit 2 for short-lived without a secret."""
    result = run("issue", "short-lived", env={"LINE_CHANNEL_SECRET": None})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "--channel-secret" in line
    assert "LINE_CHANNEL_SECRET" in line


def test_missing_kid_names_the_option_and_the_variable(run: Run) -> None:
    """Exit 2 for v2.1 without a kid."""
    result = run("issue", "v2.1", env={"LINE_ASSERTION_KID": None})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "--kid" in line
    assert "LINE_ASSERTION_KID" in line


def test_bad_key_file_is_bad_input(run: Run, tmp_path: object) -> None:
    """A key file that is not a key: exit 2, naming the variable and the file."""
    from pathlib import Path

    bad = Path(str(tmp_path)) / "not-a-key.pem"
    bad.write_text("hello\n")
    result = run("issue", "v2.1", env={"LINE_ASSERTION_KEY": str(bad)})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "LINE_ASSERTION_KEY" in line
    assert "not-a-key.pem" in line
    assert "neither a PEM key" in line


def test_missing_key_file(run: Run) -> None:
    """A key path that does not exist: exit 2, saying so."""
    result = run("kids", env={"LINE_ASSERTION_KEY": "/nonexistent/private.pem"})
    assert result.exit_code == 2
    assert "does not exist" in single_error_line(result)


def test_short_key_is_refused_before_any_request(
    run: Run, line_emulator: LineEmulator, tmp_path: object
) -> None:
    """A 1024-bit key: exit 2, says LINE needs 2048 bits; nothing is sent."""
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = Path(str(tmp_path)) / "short.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    result = run("issue", "v2.1", env={"LINE_ASSERTION_KEY": str(path)})
    assert result.exit_code == 2
    assert "2048" in single_error_line(result)
    assert line_emulator.count() == 0


def test_wrong_kid_is_rejected_by_line(run: Run) -> None:
    """An unregistered kid: exit 3, with LINE's answer and where to check the kid."""
    result = run(
        "issue", "v2.1", env={"LINE_ASSERTION_KID": "00000000-0000-4000-8000-000000000000"}
    )
    assert result.exit_code == 3
    line = single_error_line(result)
    assert "404" in line
    assert "kid is not registered" in line
    assert "Assertion Signing Key" in line


def test_key_that_does_not_match_the_kid(run: Run, tmp_path: object) -> None:
    """Another private key than the registered one: exit 3, signature rejected."""
    from pathlib import Path

    other = Path(str(tmp_path)) / "other.pem"
    other.write_bytes(generate_key_pair().private_pem)
    result = run("issue", "v2.1", env={"LINE_ASSERTION_KEY": str(other)})
    assert result.exit_code == 3
    assert "Invalid signature" in single_error_line(result)


@pytest.mark.parametrize("kind", ["short-lived", "stateless"])
def test_wrong_secret_is_rejected_by_line(run: Run, kind: str) -> None:
    """A wrong secret: exit 3, pointing at the Basic settings tab."""
    result = run("issue", kind, env={"LINE_CHANNEL_SECRET": "0" * 32})
    assert result.exit_code == 3
    line = single_error_line(result)
    assert "channel secret" in line
    assert "Basic settings" in line
    assert "0" * 32 not in result.output


def test_unreachable_base_url_is_a_network_error(run: Run, closed_port_url: str) -> None:
    """Nothing listens: exit 4, naming the URL and how to change it."""
    result = run("issue", "stateless", "--retries", "0", "--base-url", closed_port_url)
    assert result.exit_code == 4
    line = single_error_line(result)
    assert closed_port_url in line
    assert "could not connect" in line
    assert "LINE_API_BASE_URL" in line


def test_bad_base_url_is_bad_input(run: Run) -> None:
    """A base URL that is not http(s): exit 2 naming the option."""
    result = run("issue", "stateless", "--base-url", "ftp://example")
    assert result.exit_code == 2
    assert "--base-url" in single_error_line(result)


def test_token_limit_is_explained(run: Run, line_emulator: LineEmulator) -> None:
    """The 31st v2.1 token: exit 3, saying how to free slots."""
    for _ in range(30):
        assert run("issue", "v2.1", "-q", "--token-exp", "60").exit_code == 0
    result = run("issue", "v2.1", "-q", "--token-exp", "60")
    assert result.exit_code == 3
    assert "30 valid v2.1 tokens" in single_error_line(result)


# --- verify ------------------------------------------------------------------------


def _issue(run: Run, *args: str) -> str:
    result = run("issue", *args, "--quiet")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("args", "kind", "channel"),
    [
        (["v2.1", "--token-exp", "7200"], "v2.1", True),
        (["short-lived"], "short-lived", True),
        (["stateless"], "stateless", False),
    ],
)
def test_verify_tells_the_kind_channel_and_time_left(
    run: Run, line_emulator: LineEmulator, args: list[str], kind: str, channel: bool
) -> None:
    """verify names the kind, the channel (when LINE says) and the life left."""
    token = _issue(run, *args)
    result = run("verify", token)
    assert result.exit_code == 0, result.output
    assert f"valid {kind} token" in result.stdout
    assert token not in result.stdout  # shown masked
    if channel:
        assert line_emulator.channel_id in result.stdout
    if kind == "v2.1":
        assert "in 2 hours" in result.stdout
    if kind == "stateless":
        assert "no verify endpoint" in result.stdout


def test_verify_long_lived(run: Run, line_emulator: LineEmulator) -> None:
    """A Console-issued long-lived token is recognised by its decades of life."""
    token = line_emulator.issue_long_lived_token()
    result = run("verify", "--json", token)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "long-lived"


def test_verify_json_parses(run: Run, line_emulator: LineEmulator) -> None:
    """--json gives valid, kind, channel, expiry; the token masked."""
    token = _issue(run, "v2.1", "--token-exp", "600")
    result = run("verify", "--json", token)
    doc = json.loads(result.stdout)
    assert doc["valid"] is True
    assert doc["kind"] == "v2.1"
    assert doc["channel_id"] == line_emulator.channel_id
    assert 0 < doc["expires_in"] <= 600
    assert doc["token"].startswith("sha256:")


def test_verify_reads_stdin(run: Run) -> None:
    """TOKEN may be - to read it from stdin."""
    token = _issue(run, "short-lived")
    result = run("verify", "-", input=token + "\n")
    assert result.exit_code == 0, result.output
    assert "valid short-lived token" in result.stdout


def test_verify_expired_token(run: Run, line_emulator: LineEmulator) -> None:
    """An expired v2.1 token: exit 3, saying it expired and how to get a new one."""
    token = _issue(run, "v2.1", "--token-exp", "60")
    line_emulator.advance(120)
    result = run("verify", token)
    assert result.exit_code == 3
    line = single_error_line(result)
    assert "expired" in line
    assert "line-token issue" in line
    assert token not in line


def test_verify_expired_token_json(run: Run, line_emulator: LineEmulator) -> None:
    """With --json an invalid token still prints a parseable verdict (and exits 3)."""
    token = _issue(run, "v2.1", "--token-exp", "60")
    line_emulator.advance(61)
    result = run("verify", "--json", token)
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert "expired" in doc["reason"]


def test_verify_expired_stateless_token(run: Run, line_emulator: LineEmulator) -> None:
    """An expired stateless token: exit 3, explaining stateless tokens live 15 minutes."""
    token = _issue(run, "stateless")
    line_emulator.advance(16 * 60)
    result = run("verify", token)
    assert result.exit_code == 3
    assert "15 minutes" in single_error_line(result)


def test_verify_garbage(run: Run) -> None:
    """A token LINE never issued: exit 3."""
    result = run("verify", "W1TeHCgfH2Liwa/notatoken+xyz=")
    assert result.exit_code == 3
    assert "not valid" in single_error_line(result)


def test_verify_unreachable(run: Run, closed_port_url: str) -> None:
    """Network failure while verifying: exit 4."""
    result = run("verify", "--retries", "0", "--base-url", closed_port_url, "abc")
    assert result.exit_code == 4


# --- revoke ------------------------------------------------------------------------


def test_revoke_v21_then_it_fails_verify(run: Run) -> None:
    """revoke finds the channel by verifying, revokes with the secret; verify then exits 3."""
    token = _issue(run, "v2.1", "--token-exp", "600")
    result = run("revoke", token)
    assert result.exit_code == 0, result.output
    assert "revoked v2.1 token" in result.stdout
    after = run("verify", token)
    assert after.exit_code == 3
    assert "revoked" in after.stderr


def test_revoke_v21_needs_the_secret(run: Run) -> None:
    """v2.1 revoke without a secret: exit 2 naming LINE_CHANNEL_SECRET and why."""
    token = _issue(run, "v2.1", "--token-exp", "600")
    result = run("revoke", token, env={"LINE_CHANNEL_SECRET": None})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "LINE_CHANNEL_SECRET" in line
    assert "revoke a v2.1 token" in line


def test_revoke_short_lived(run: Run) -> None:
    """Short-lived tokens revoke without credentials."""
    token = _issue(run, "short-lived")
    result = run(
        "revoke", "--json", token, env={"LINE_CHANNEL_ID": None, "LINE_CHANNEL_SECRET": None}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revoked"] is True
    assert run("verify", token).exit_code == 3


def test_revoke_stateless_is_explained(run: Run) -> None:
    """Stateless tokens cannot be revoked: exit 2 saying they expire on their own."""
    token = _issue(run, "stateless")
    result = run("revoke", token)
    assert result.exit_code == 2
    assert "cannot revoke" in single_error_line(result)


def test_revoke_already_revoked_is_not_an_error(run: Run) -> None:
    """Revoking a dead v2.1 token says there is nothing to do, exit 0."""
    token = _issue(run, "v2.1", "--token-exp", "600")
    assert run("revoke", token).exit_code == 0
    result = run("revoke", token)
    assert result.exit_code == 0
    assert "nothing to revoke" in result.stdout


# --- kids --------------------------------------------------------------------------


def test_kids_lists_key_ids_of_valid_v21_tokens(run: Run) -> None:
    """kids --json lists the key ids of the v2.1 tokens issued, revoked ones gone."""
    first = json.loads(run("issue", "v2.1", "--json", "--token-exp", "600").stdout)
    second = json.loads(run("issue", "v2.1", "--json", "--token-exp", "600").stdout)
    result = run("kids", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kids"] == [first["key_id"], second["key_id"]]
    assert run("revoke", first["access_token"]).exit_code == 0
    human = run("kids")
    assert "1 valid v2.1 token(s)" in human.stdout
    assert second["key_id"] in human.stdout
    assert first["key_id"] not in human.stdout
