"""The line_emulator fixture: what it provides, and isolation between tests."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import jwt
from emulator_helpers import issue_short

from line_token import load_private_key
from line_token.emulator import Emulator
from line_token.emulator.pytest_plugin import LineEmulator


def test_fixture_attributes(line_emulator: LineEmulator) -> None:
    """Channel, key material, signer and key file are ready; the key file is 0600."""
    assert isinstance(line_emulator.emulator, Emulator)
    assert line_emulator.channel_id == line_emulator.channel.channel_id
    assert len(line_emulator.channel_secret) == 32
    assert line_emulator.kid in line_emulator.emulator.channel(line_emulator.channel_id).keys
    assert line_emulator.private_key_path.read_bytes() == line_emulator.private_key_pem
    assert stat.S_IMODE(line_emulator.private_key_path.stat().st_mode) == 0o600
    assert load_private_key(line_emulator.private_key_path).key_size == 2048
    assert line_emulator.base_url.startswith("http://127.0.0.1:")


def test_signer_follows_virtual_clock(line_emulator: LineEmulator) -> None:
    """Advancing the emulator moves the signer's exp too, so assertions stay valid."""
    before = jwt.decode(line_emulator.signer.sign(), options={"verify_signature": False})
    line_emulator.advance(86400)
    after = jwt.decode(line_emulator.signer.sign(), options={"verify_signature": False})
    assert after["exp"] - before["exp"] == 86400


def test_isolation_part_one(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Leave state behind: a token, a fault, a pushed message count."""
    issue_short(api, line_emulator)
    line_emulator.inject_fault("*", status=500, count=10)
    line_emulator.advance(10**6)


def test_isolation_part_two(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """The next test starts clean: no tokens, no faults, no requests, clock near real time."""
    assert line_emulator.emulator.tokens() == []
    assert line_emulator.count() == 0
    assert issue_short(api, line_emulator).status_code == 200


def test_plugin_loads_in_another_project(tmp_path: Path) -> None:
    """A fresh pytest run elsewhere gets line_emulator through the entry point."""
    (tmp_path / "test_it.py").write_text(
        textwrap.dedent("""
        import httpx

        def test_it(line_emulator):
            with httpx.Client(transport=line_emulator.transport(),
                              base_url="https://api.line.me") as http:
                r = http.post("/v2/oauth/accessToken", data={
                    "grant_type": "client_credentials",
                    "client_id": line_emulator.channel_id,
                    "client_secret": line_emulator.channel_secret})
            assert r.status_code == 200
            assert line_emulator.count("POST /v2/oauth/accessToken") == 1
    """)
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_stay_light() -> None:
    """import line_token never loads the emulator; the emulator never loads uvicorn eagerly."""
    code = (
        "import sys, line_token; assert 'line_token.emulator' not in sys.modules; "
        "import line_token.emulator; "
        "assert 'uvicorn' not in sys.modules and 'starlette' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
