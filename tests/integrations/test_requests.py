"""Tests for RequestsBearerAuth: the requests twin of BearerAuth."""

from __future__ import annotations

import requests

from line_token._manager import TokenManager
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.integrations import RequestsBearerAuth

PUSH = {"to": "U" + "0" * 32, "messages": [{"type": "text", "text": "hello"}]}


def test_push_across_rotation_and_revocation(
    line_emulator: LineEmulator, manager: TokenManager
) -> None:
    """Zero failed pushes across renewals and a revoked token; the retry key is kept."""
    session = requests.Session()
    session.auth = RequestsBearerAuth(manager)
    base = line_emulator.base_url
    failures = 0
    for i in range(30):
        if i == 15:
            line_emulator.emulator.handle(
                "POST",
                "/oauth2/v2.1/revoke",
                body=(
                    f"client_id={line_emulator.channel_id}&client_secret="
                    f"{line_emulator.channel_secret}&access_token={manager.token()}"
                ).encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        headers = {"X-Line-Retry-Key": f"123e4567-e89b-42d3-a456-4266141740{i:02d}"}
        response = session.post(f"{base}/v2/bot/message/push", json=PUSH, headers=headers)
        failures += response.status_code != 200
        line_emulator.advance(600)
    session.close()
    assert failures == 0
    assert len(line_emulator.pushed_messages) == 30
    assert line_emulator.count("POST /v2/bot/message/push") == 31  # one re-send after the 401


def test_second_401_reaches_the_caller(line_emulator: LineEmulator, manager: TokenManager) -> None:
    """A persistent 401 is returned after exactly one re-send."""
    line_emulator.inject_fault("/v2/bot/info", status=401, count=2)
    response = requests.get(
        f"{line_emulator.base_url}/v2/bot/info", auth=RequestsBearerAuth(manager), timeout=5
    )
    assert response.status_code == 401
    assert len(response.history) == 1
    assert line_emulator.count("GET /v2/bot/info") == 2
