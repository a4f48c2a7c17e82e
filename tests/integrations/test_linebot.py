"""Tests for line_token.integrations.linebot against the installed official SDK."""

from __future__ import annotations

import linebot.v3.messaging as sdk
import pytest
from linebot.v3.messaging import PushMessageRequest, TextMessage

from line_token._async_manager import AsyncTokenManager
from line_token._manager import TokenManager
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.integrations.linebot import async_messaging_api, messaging_api

USER = "U" + "0" * 32


def _revoke(line_emulator: LineEmulator, token: str) -> None:
    line_emulator.emulator.handle(
        "POST",
        "/oauth2/v2.1/revoke",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=(
            f"client_id={line_emulator.channel_id}&client_secret="
            f"{line_emulator.channel_secret}&access_token={token}"
        ).encode(),
    )


def test_sdk_version_is_v3() -> None:
    """The integration is written for line-bot-sdk v3."""
    import linebot

    assert linebot.__version__.startswith("3.")


def test_sync_push_across_rotation_and_revocation(
    line_emulator: LineEmulator, manager: TokenManager
) -> None:
    """MessagingApi pushes never fail across renewals and a token revoked behind our back."""
    api = messaging_api(manager, host=line_emulator.base_url)
    failures = 0
    for i in range(40):
        if i == 20:
            _revoke(line_emulator, manager.token())
        try:
            api.push_message(PushMessageRequest(to=USER, messages=[TextMessage(text=f"#{i}")]))
        except sdk.ApiException:
            failures += 1
        line_emulator.advance(600)
    assert failures == 0
    assert [m.messages[0]["text"] for m in line_emulator.pushed_messages] == [
        f"#{i}" for i in range(40)
    ]
    assert api.get_bot_info().display_name == "line-token test bot"
    api.api_client.close()


async def test_async_push_across_rotation_and_revocation(
    line_emulator: LineEmulator, async_manager: AsyncTokenManager
) -> None:
    """AsyncMessagingApi: the token is awaited before each call; the getter does no I/O."""
    api = async_messaging_api(async_manager, host=line_emulator.base_url)
    failures = 0
    for i in range(40):
        if i == 20:
            _revoke(line_emulator, await async_manager.token())
        try:
            await api.push_message(
                PushMessageRequest(to=USER, messages=[TextMessage(text=f"#{i}")])
            )
        except sdk.ApiException:
            failures += 1
        line_emulator.advance(600)
    assert failures == 0
    assert len(line_emulator.pushed_messages) == 40
    await api.api_client.close()


def test_second_401_reaches_the_caller(line_emulator: LineEmulator, manager: TokenManager) -> None:
    """A persistent 401 surfaces as the SDK's exception after one re-send."""
    api = messaging_api(manager, host=line_emulator.base_url)
    line_emulator.inject_fault("/v2/bot/info", status=401, count=2)
    with pytest.raises(sdk.ApiException) as exc:
        api.get_bot_info()
    assert exc.value.status == 401
    assert line_emulator.count("GET /v2/bot/info") == 2
    api.api_client.close()


def test_configuration_ignores_assignment(manager: TokenManager) -> None:
    """The token is the manager's: assigning access_token changes nothing."""
    api = messaging_api(manager, host="http://127.0.0.1:9")
    config = api.api_client.configuration
    config.access_token = "something-else"
    assert config.access_token == (manager.current() or "")
    api.api_client.close()
