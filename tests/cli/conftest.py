"""Fixtures for the command-line tests: a runner, and settings pointing at the emulator."""

from __future__ import annotations

import socket

import pytest
from cli_helpers import Run

from line_token.emulator.pytest_plugin import LineEmulator

LINE_VARS = (
    "LINE_API_BASE_URL",
    "LINE_CHANNEL_ID",
    "LINE_CHANNEL_SECRET",
    "LINE_ASSERTION_KID",
    "LINE_ASSERTION_KEY",
    "LINE_ASSERTION_KEY_PASSWORD",
    "LINE_TOKEN_STORE",
    "LINE_TOKEN_ENCRYPTION_KEY",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LINE_* variable of the developer's shell leaks into a test."""
    for name in LINE_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator_env(line_emulator: LineEmulator) -> dict[str, str | None]:
    """The variables of a correct setup for the emulator's channel (over real HTTP)."""
    return {
        "LINE_API_BASE_URL": line_emulator.base_url,
        "LINE_CHANNEL_ID": line_emulator.channel_id,
        "LINE_CHANNEL_SECRET": line_emulator.channel_secret,
        "LINE_ASSERTION_KID": line_emulator.kid,
        "LINE_ASSERTION_KEY": str(line_emulator.private_key_path),
    }


@pytest.fixture
def run(emulator_env: dict[str, str | None]) -> Run:
    """``run("issue", "stateless")`` against the emulator with a correct setup."""
    return Run(dict(emulator_env))


@pytest.fixture
def bare_run() -> Run:
    """``line-token`` with no LINE_* variable set at all."""
    return Run({})


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
