"""The FastAPI example bot against the emulator: signed webhook in, push out."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from fastapi_bot import create_app
from webhook_helpers import USER_ID, sign, webhook_body

from line_token.emulator.pytest_plugin import LineEmulator

with warnings.catch_warnings():
    # Newer Starlette warns (an error under our filterwarnings) that its TestClient
    # prefers ``httpx2``; plain httpx still works, and is what this venv has.
    warnings.filterwarnings("ignore", message=".*httpx2", category=UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(line_emulator: LineEmulator) -> Iterator[TestClient]:
    app = create_app(line_emulator.channel_id, line_emulator.channel_secret, line_emulator.base_url)
    with TestClient(app) as test_client:
        yield test_client


def test_signed_message_is_answered_by_push(
    client: TestClient, line_emulator: LineEmulator
) -> None:
    body = webhook_body("hello")
    response = client.post(
        "/callback",
        content=body,
        headers={
            "X-Line-Signature": sign(line_emulator.channel_secret, body),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200
    pushed = line_emulator.pushed_messages
    assert len(pushed) == 1
    assert pushed[0].to == USER_ID
    assert [m["text"] for m in pushed[0].messages] == ["You said: hello"]


def test_bad_signature_is_400_and_nothing_is_pushed(
    client: TestClient, line_emulator: LineEmulator
) -> None:
    body = webhook_body("hello")
    response = client.post(
        "/callback",
        content=body,
        headers={"X-Line-Signature": sign("not-the-secret", body)},
    )
    assert response.status_code == 400
    assert line_emulator.pushed_messages == []
