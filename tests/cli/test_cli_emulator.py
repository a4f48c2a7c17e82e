"""``emulator`` and ``demo``: the emulator's real HTTP server, in-process."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cli_helpers import Run

from line_token import Client
from line_token.cli import _commands_emulator
from line_token.cli._commands_emulator import SeededChannel


def test_demo_exits_0_and_shows_every_step(bare_run: Run) -> None:
    """demo walks the lifecycle with no setup at all; tokens are shown masked."""
    result = bare_run("demo")
    assert result.exit_code == 0, result.output
    for text in (
        "kid ",
        "v2.1 token sha256:",
        "valid for channel",
        "by secret: sha256:",
        "by JWT:    sha256:",
        "short-lived token sha256:",
        "message id(s)",
        "The access token revoked",
        "Demo complete",
    ):
        assert text in result.stdout
    assert "✗" not in result.stdout
    assert "eyJ" not in result.stdout  # no token or JWT in clear


def test_emulator_serves_a_ready_channel(bare_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """While it runs, the printed settings issue a token; Ctrl-C stops it and cleans up."""
    real_start = _commands_emulator.start_emulator
    started: list[SeededChannel] = []
    seen: dict[str, object] = {}

    @contextmanager
    def recording_start(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with real_start(*args, **kwargs) as running:
            started.append(running[2])
            yield running

    def interrupt() -> None:
        seeded = started[0]
        seen["mode"] = stat.S_IMODE(seeded.key_path.stat().st_mode)
        with Client(base_url=seeded.base_url, max_retries=0) as client:
            token = client.issue_stateless_token(
                channel_id=seeded.channel_id, channel_secret=seeded.channel_secret
            )
            seen["bot"] = client.get_bot_info(token.access_token).display_name
        raise KeyboardInterrupt

    monkeypatch.setattr(_commands_emulator, "start_emulator", recording_start)
    monkeypatch.setattr(_commands_emulator, "wait_for_interrupt", interrupt)
    result = bare_run("emulator", "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    seeded = started[0]
    assert doc["base_url"] == seeded.base_url
    assert doc["channel_id"] == seeded.channel_id
    assert doc["kid"] == seeded.kid
    assert doc["private_key"] == str(seeded.key_path)
    assert seen["mode"] == 0o600
    assert seen["bot"] == "line-token emulator bot"
    assert not seeded.key_path.exists()  # the temp dir is removed on exit


def test_emulator_human_output_has_export_lines(
    bare_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The human output lists the URL, ids and ready-to-paste export lines."""

    def interrupt() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_commands_emulator, "wait_for_interrupt", interrupt)
    result = bare_run("emulator", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "LINE emulator listening on http://127.0.0.1:" in result.stdout
    for name in (
        "LINE_API_BASE_URL",
        "LINE_CHANNEL_ID",
        "LINE_CHANNEL_SECRET",
        "LINE_ASSERTION_KID",
        "LINE_ASSERTION_KEY",
    ):
        assert f"export {name}=" in result.stdout
    assert "emulator stopped" in result.stderr


def test_emulator_seed_repeats_ids(bare_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """--seed makes the channel id, secret and kid repeatable."""
    monkeypatch.setattr(_commands_emulator, "wait_for_interrupt", lambda: None)
    first = json.loads(bare_run("emulator", "--seed", "3", "--json").stdout)
    second = json.loads(bare_run("emulator", "--seed", "3", "--json").stdout)
    for field in ("channel_id", "channel_secret", "kid"):
        assert first[field] == second[field]


def test_emulator_port_in_use(bare_run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A port already taken: exit 2 suggesting another --port."""
    import socket

    monkeypatch.setattr(_commands_emulator, "wait_for_interrupt", lambda: None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        result = bare_run("emulator", "--port", str(port))
    assert result.exit_code == 2
    assert "--port" in result.stderr
