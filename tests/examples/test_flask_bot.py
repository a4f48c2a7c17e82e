"""The Flask example bot against the emulator: signed webhook in, push out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_bot import close_app, create_app
from webhook_helpers import USER_ID, sign, webhook_body

from line_token.emulator.pytest_plugin import LineEmulator


@pytest.fixture
def app(line_emulator: LineEmulator) -> Iterator[Flask]:
    flask_app = create_app(
        line_emulator.channel_id, line_emulator.channel_secret, line_emulator.base_url
    )
    yield flask_app
    close_app(flask_app)


def test_signed_message_is_answered_by_push(app: Flask, line_emulator: LineEmulator) -> None:
    body = webhook_body("hello")
    response = app.test_client().post(
        "/callback",
        data=body,
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
    app: Flask, line_emulator: LineEmulator
) -> None:
    body = webhook_body("hello")
    response = app.test_client().post(
        "/callback", data=body, headers={"X-Line-Signature": sign("not-the-secret", body)}
    )
    assert response.status_code == 400
    assert line_emulator.pushed_messages == []
