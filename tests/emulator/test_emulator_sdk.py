"""LINE's official Python SDK (line-bot-sdk v3) talks to the emulator's real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from line_token.emulator.pytest_plugin import LineEmulator

oauth = pytest.importorskip("linebot.v3.oauth")
messaging = pytest.importorskip("linebot.v3.messaging")

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def token_api(line_emulator: LineEmulator) -> Iterator[object]:
    config = oauth.Configuration(host=line_emulator.base_url)
    with oauth.ApiClient(config) as client:
        yield oauth.ChannelAccessToken(client)


def push_and_info(line_emulator: LineEmulator, token: str) -> None:
    """Push one text message and read bot info with ``token`` through MessagingApi."""
    config = messaging.Configuration(host=line_emulator.base_url, access_token=token)
    with messaging.ApiClient(config) as client:
        api = messaging.MessagingApi(client)
        info = api.get_bot_info()
        assert info.display_name == "line-token test bot"
        sent = api.push_message(
            messaging.PushMessageRequest(
                to="U" + "1" * 32, messages=[messaging.TextMessage(text="hi")]
            ),
            x_line_retry_key=str(uuid.uuid4()),
        )
        assert len(sent.sent_messages) == 1
        assert sent.sent_messages[0].quote_token


def test_sdk_short_lived(token_api: object, line_emulator: LineEmulator) -> None:
    """issue_channel_token / verify_channel_token / revoke_channel_token, and push."""
    issued = token_api.issue_channel_token(  # type: ignore[attr-defined]
        "client_credentials", line_emulator.channel_id, line_emulator.channel_secret
    )
    assert issued.expires_in == 2592000
    verified = token_api.verify_channel_token(issued.access_token)  # type: ignore[attr-defined]
    assert verified.client_id == line_emulator.channel_id
    assert verified.scope == "P CM"
    push_and_info(line_emulator, issued.access_token)
    token_api.revoke_channel_token(issued.access_token)  # type: ignore[attr-defined]
    with pytest.raises(oauth.ApiException) as info:
        token_api.verify_channel_token(issued.access_token)  # type: ignore[attr-defined]
    assert info.value.status == 400


def test_sdk_v21(token_api: object, line_emulator: LineEmulator) -> None:
    """issue_channel_token_by_jwt, verify, list kids, revoke, and push with the token."""
    issued = token_api.issue_channel_token_by_jwt(  # type: ignore[attr-defined]
        "client_credentials", ASSERTION_TYPE, line_emulator.signer.sign(token_exp=3600)
    )
    assert issued.expires_in == 3600
    verified = token_api.verify_channel_token_by_jwt(issued.access_token)  # type: ignore[attr-defined]
    assert verified.client_id == line_emulator.channel_id
    kids = token_api.gets_all_valid_channel_access_token_key_ids(  # type: ignore[attr-defined]
        ASSERTION_TYPE, line_emulator.signer.sign()
    )
    assert kids.kids == [issued.key_id]
    push_and_info(line_emulator, issued.access_token)
    token_api.revoke_channel_token_by_jwt(  # type: ignore[attr-defined]
        line_emulator.channel_id, line_emulator.channel_secret, issued.access_token
    )
    kids = token_api.gets_all_valid_channel_access_token_key_ids(  # type: ignore[attr-defined]
        ASSERTION_TYPE, line_emulator.signer.sign()
    )
    assert kids.kids == []


def test_sdk_stateless(token_api: object, line_emulator: LineEmulator) -> None:
    """issue_stateless_channel_token by secret and by JWT (both SDK helpers), and push."""
    by_secret = token_api.issue_stateless_channel_token(  # type: ignore[attr-defined]
        grant_type="client_credentials",
        client_id=line_emulator.channel_id,
        client_secret=line_emulator.channel_secret,
    )
    assert by_secret.expires_in == 900
    helper = token_api.issue_stateless_channel_token_by_client_secret(  # type: ignore[attr-defined]
        line_emulator.channel_id, line_emulator.channel_secret
    )
    by_jwt = token_api.issue_stateless_channel_token_by_jwt_assertion(  # type: ignore[attr-defined]
        line_emulator.signer.sign()
    )
    assert helper.expires_in == by_jwt.expires_in == 900
    push_and_info(line_emulator, by_secret.access_token)
    push_and_info(line_emulator, by_jwt.access_token)


def test_sdk_long_lived_push(line_emulator: LineEmulator) -> None:
    """A Console long-lived token pushes through MessagingApi; messages are recorded."""
    push_and_info(line_emulator, line_emulator.issue_long_lived_token())
    (pushed,) = line_emulator.pushed_messages
    assert pushed.messages[0]["type"] == "text"
    assert pushed.messages[0]["text"] == "hi"


def test_sdk_sees_line_errors(token_api: object, line_emulator: LineEmulator) -> None:
    """The SDK gets LINE's status and body for a bad secret."""
    with pytest.raises(oauth.ApiException) as info:
        token_api.issue_channel_token(  # type: ignore[attr-defined]
            "client_credentials", line_emulator.channel_id, "0" * 32
        )
    assert info.value.status == 400
    assert "invalid client_secret" in info.value.body
