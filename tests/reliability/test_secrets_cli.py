"""Secrets: what ``line-token`` prints holds no secret but the one the user asked for.

Every command runs against the emulator with a full setup, plain, with ``--json`` and with
``--debug`` (which shows the library's DEBUG logs on stderr), on success and on failure
paths (a wrong secret, a wrong key password, a revoked token). Its stdout and stderr are
scanned with the session sentinel's scanner for every secret the run created and for
secret shapes; the only exemptions are the token an ``issue`` command was asked to print
and the assertion ``line-token assertion`` was asked to print. Values given to the command
(a wrong secret, a password) must not be echoed either.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

import line_token as lt
from line_token.cli._app import cli
from line_token.emulator.pytest_plugin import LineEmulator
from secrets_sentinel import SENTINEL, find_leaks

WRONG_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PASSWORD = "pässwörd-1234-never-shown"
REDIS_PASSWORD = "redis-pw-4f3a9c2b71e0"


def _env(emu: LineEmulator, tmp_path: Path) -> dict[str, str | None]:
    return {
        "LINE_API_BASE_URL": emu.base_url,
        "LINE_CHANNEL_ID": emu.channel_id,
        "LINE_CHANNEL_SECRET": emu.channel_secret,
        "LINE_ASSERTION_KID": emu.kid,
        "LINE_ASSERTION_KEY": str(emu.private_key_path),
        "LINE_ASSERTION_KEY_PASSWORD": None,
        "LINE_TOKEN_STORE": f"sqlite:///{tmp_path / 'tokens.db'}",
        "LINE_TOKEN_ENCRYPTION_KEY": None,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def _asked_for(args: list[str], result: Result, minted: set[str]) -> set[str]:
    """The values the command was asked to print: the token it issued, the assertion."""
    if "issue" in args:
        return minted
    if "assertion" in args:
        text = result.stdout.strip()
        if "--json" in args:
            return {json.loads(text)["assertion"]}
        return {text.splitlines()[0]} if text else set()
    return set()


@pytest.mark.guarantee(
    "No line-token command prints a channel secret, a private key, a password or a token — "
    "with --json, with --debug logs, or on failure — except the token (or assertion) it was "
    "asked to print."
)
def test_command_outputs(line_emulator: LineEmulator, tmp_path: Path, figures: Any) -> None:
    emu = line_emulator
    env = _env(emu, tmp_path)
    with lt.Client(base_url=emu.base_url) as client:
        v21 = client.issue_v21_token(emu.signer.sign(token_exp=600)).access_token
        short = client.issue_short_lived_token(emu.channel_id, emu.channel_secret).access_token
        revoked = client.issue_short_lived_token(emu.channel_id, emu.channel_secret).access_token
        client.revoke_token(revoked)
    key = lt.load_private_key(emu.private_key_pem)
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    encrypted.chmod(0o600)
    wrong_secret = {"LINE_CHANNEL_SECRET": WRONG_SECRET}
    wrong_password = {"LINE_ASSERTION_KEY": str(encrypted), "LINE_ASSERTION_KEY_PASSWORD": "nope"}
    good_password = {"LINE_ASSERTION_KEY": str(encrypted), "LINE_ASSERTION_KEY_PASSWORD": PASSWORD}
    runs: list[tuple[list[str], dict[str, str | None]]] = [
        (["keygen", "--out", str(tmp_path / "keys")], {}),
        (["keygen", "--out", str(tmp_path / "keys2"), "--json"], {}),
        (["jwk", str(emu.private_key_path)], {}),
        (["jwk", str(encrypted), "--password", PASSWORD, "--thumbprint"], {}),
        (["jwk", str(encrypted), "--password", "wrong"], {}),
        (["assertion"], {}),
        (["assertion", "--json"], good_password),
        (["assertion"], wrong_password),
        (["issue", "stateless"], {}),
        (["issue", "stateless", "--by", "jwt", "--json"], {}),
        (["issue", "short-lived", "--quiet"], {}),
        (["issue", "short-lived"], wrong_secret),
        (["issue", "v2.1", "--token-exp", "600"], {}),
        (["issue", "v2.1", "--json"], wrong_password),
        (["verify", v21], {}),
        (["verify", short, "--json"], {}),
        (["verify", revoked], {}),
        (["revoke", short], {}),
        (["revoke", v21], wrong_secret),
        (["kids"], {}),
        (["kids", "--json"], {}),
        (["check"], {}),
        (["check", "--json"], wrong_secret),
        (["check"], wrong_password),
        (["tokens", "rotate", "--kind", "v2.1"], {}),
        (["tokens", "list"], {}),
        (["tokens", "list", "--json"], {}),
        (["tokens", "prune"], {}),
        (["tokens", "list"], {"LINE_TOKEN_STORE": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0"}),
        (["tokens", "prune", "--store", f"redis://u:{REDIS_PASSWORD}@127.0.0.1:99999/0"], {}),
        (["demo"], {}),
    ]
    leaks: list[str] = []
    calls = 0
    for args, changes in runs:
        for debug in ([], ["--debug"]):
            argv = debug + args
            before = {t.value for t in emu.emulator.tokens()}
            result = CliRunner().invoke(cli, argv, env={**env, **changes}, prog_name="line-token")
            calls += 1
            minted = {t.value for t in emu.emulator.tokens()} - before
            output = result.stdout + "\n" + result.stderr
            if result.exc_info is not None and not isinstance(result.exception, SystemExit):
                # --debug lets the error out: a terminal would show this traceback
                output += "".join(traceback.format_exception(*result.exc_info))
            for allowed in _asked_for(args, result, minted):
                output = output.replace(allowed, "<asked for>")
            found = find_leaks(output, SENTINEL.book)
            given = (
                ("wrong secret", WRONG_SECRET),
                ("password", PASSWORD),
                ("Redis password", REDIS_PASSWORD),
            )
            found += [name for name, value in given if value in output]
            if "verify" in args:  # the token to verify was given, not asked to be printed
                found += ["the verified token"] * (args[1] in output)
            if found:
                leaks.append(f"line-token {' '.join(argv)[:120]}: {', '.join(found)}")
            if "keygen" in args and not debug:
                assert result.exit_code == 0, result.output
    figures.add(calls=calls, failures=len(leaks))
    assert not leaks, "\n".join(leaks)
