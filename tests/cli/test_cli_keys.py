"""``keygen``, ``jwk`` and ``assertion``."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jwt as pyjwt
import pytest
from cli_helpers import Run, single_error_line

from line_token import KeyPair, load_private_key, public_jwk
from line_token.emulator.pytest_plugin import LineEmulator


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keygen_writes_the_three_files_private_one_0600(bare_run: Run, tmp_path: Path) -> None:
    """private.pem is 0600; the JWK file matches the private key; the JWK is printed."""
    out = tmp_path / "keys"
    result = bare_run("keygen", "--out", str(out))
    assert result.exit_code == 0, result.output
    private, public, jwk_file = out / "private.pem", out / "public.pem", out / "public.jwk.json"
    assert _mode(private) == 0o600
    assert load_private_key(private).key_size == 2048
    jwk = json.loads(jwk_file.read_text())
    assert jwk == public_jwk(private) == public_jwk(public)
    assert "kid" not in jwk
    assert jwk["n"] in result.stdout  # printed whole, unwrapped, for pasting
    assert "Assertion Signing Key > Register a public key" in result.stdout
    assert "LINE_ASSERTION_KID" in result.stdout
    assert "PRIVATE KEY" not in result.output


def test_keygen_refuses_to_overwrite(bare_run: Run, tmp_path: Path) -> None:
    """A second keygen into the same place: exit 2, files unchanged, --force suggested."""
    assert bare_run("keygen", "--out", str(tmp_path)).exit_code == 0
    before = (tmp_path / "private.pem").read_bytes()
    result = bare_run("keygen", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "--force" in single_error_line(result)
    assert (tmp_path / "private.pem").read_bytes() == before


def test_keygen_force_replaces_and_keeps_0600(bare_run: Run, tmp_path: Path) -> None:
    """--force writes a new key; a widened mode is narrowed back to 0600."""
    assert bare_run("keygen", "--out", str(tmp_path)).exit_code == 0
    before = (tmp_path / "private.pem").read_bytes()
    (tmp_path / "private.pem").chmod(0o644)
    result = bare_run("keygen", "--out", str(tmp_path), "--force", "--json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "private.pem").read_bytes() != before
    assert _mode(tmp_path / "private.pem") == 0o600


def test_keygen_json_parses(bare_run: Run, tmp_path: Path) -> None:
    """--json gives the paths, the JWK and its thumbprint."""
    result = bare_run("keygen", "--out", str(tmp_path), "--json", "--bits", "3072")
    doc = json.loads(result.stdout)
    assert doc["bits"] == 3072
    assert Path(doc["private_key"]) == (tmp_path / "private.pem").resolve()
    assert doc["jwk"]["kty"] == "RSA"
    assert doc["thumbprint"]


def test_keygen_refuses_short_keys(bare_run: Run, tmp_path: Path) -> None:
    """--bits below 2048 is a usage error (exit 2)."""
    result = bare_run("keygen", "--out", str(tmp_path), "--bits", "1024")
    assert result.exit_code == 2
    assert not (tmp_path / "private.pem").exists()


@pytest.mark.parametrize("which", ["private", "public"])
def test_jwk_of_private_or_public_key(
    bare_run: Run, tmp_path: Path, key_pair: KeyPair, which: str
) -> None:
    """jwk prints the Console-ready JWK of either key file."""
    path = tmp_path / f"{which}.pem"
    path.write_bytes(key_pair.private_pem if which == "private" else key_pair.public_pem)
    result = bare_run("jwk", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == key_pair.public_jwk


def test_jwk_of_a_bad_file(bare_run: Run, tmp_path: Path) -> None:
    """Not a key: exit 2, naming the file."""
    path = tmp_path / "notes.txt"
    path.write_text("not a key")
    result = bare_run("jwk", str(path))
    assert result.exit_code == 2
    assert "notes.txt" in single_error_line(result)


def test_assertion_is_a_jwt_line_accepts(run: Run, line_emulator: LineEmulator) -> None:
    """The printed JWT has LINE's claims and is signed by the registered key."""
    result = run("assertion", "--token-exp", "3600")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    header = pyjwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": line_emulator.kid}
    claims = pyjwt.decode(
        token,
        key=load_private_key(line_emulator.private_key_pem).public_key(),
        algorithms=["RS256"],
        audience="https://api.line.me/",
    )
    assert claims["iss"] == claims["sub"] == line_emulator.channel_id
    assert claims["token_exp"] == 3600


def test_assertion_json(run: Run, line_emulator: LineEmulator) -> None:
    """--json gives the JWT with its kid and expiry."""
    doc = json.loads(run("assertion", "--json").stdout)
    assert doc["kid"] == line_emulator.kid
    assert doc["assertion"].count(".") == 2


def test_assertion_accepts_the_key_as_pem_text(run: Run, line_emulator: LineEmulator) -> None:
    """LINE_ASSERTION_KEY may hold the PEM itself, even on one line with \\n escapes."""
    one_line = line_emulator.private_key_pem.decode().replace("\n", "\\n")
    result = run("assertion", env={"LINE_ASSERTION_KEY": one_line})
    assert result.exit_code == 0, result.output


def test_assertion_without_key(run: Run) -> None:
    """No key: exit 2 naming --key and LINE_ASSERTION_KEY."""
    result = run("assertion", env={"LINE_ASSERTION_KEY": None})
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "--key" in line
    assert "LINE_ASSERTION_KEY" in line
    assert "line-token keygen" in line
