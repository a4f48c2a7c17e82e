"""Tests for BearerAuth: managed tokens on httpx requests, 401 recovery, sync and async."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from line_token._async_manager import AsyncTokenManager
from line_token._manager import TokenManager
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.integrations import BearerAuth

PUSH = {"to": "U" + "0" * 32, "messages": [{"type": "text", "text": "hello"}]}


def _revoke_behind_the_back(line_emulator: LineEmulator, token: str) -> None:
    with httpx.Client(base_url=line_emulator.base_url) as http:
        http.post(
            "/oauth2/v2.1/revoke",
            data={
                "client_id": line_emulator.channel_id,
                "client_secret": line_emulator.channel_secret,
                "access_token": token,
            },
        ).raise_for_status()


def test_sync_push_across_rotation_and_revocation(
    line_emulator: LineEmulator, manager: TokenManager
) -> None:
    """Pushes keep succeeding across scheduled renewals and a token revoked behind our back."""
    failures = 0
    with httpx.Client(base_url=line_emulator.base_url, auth=BearerAuth(manager)) as http:
        for i in range(40):
            if i == 20:
                _revoke_behind_the_back(line_emulator, manager.token())
            response = http.post("/v2/bot/message/push", json=PUSH)
            failures += response.status_code != 200
            line_emulator.advance(600)  # 40 x 10 min: several renewals of 1-hour tokens
    assert failures == 0
    assert len(line_emulator.pushed_messages) == 40
    assert line_emulator.count("POST /oauth2/v2.1/token") >= 5


async def test_async_push_across_rotation_and_revocation(
    line_emulator: LineEmulator, async_manager: AsyncTokenManager
) -> None:
    """The same with httpx.AsyncClient and an AsyncTokenManager."""
    failures = 0
    auth = BearerAuth(async_manager)
    async with httpx.AsyncClient(base_url=line_emulator.base_url, auth=auth) as http:
        for i in range(40):
            if i == 20:
                _revoke_behind_the_back(line_emulator, await async_manager.token())
            response = await http.post("/v2/bot/message/push", json=PUSH)
            failures += response.status_code != 200
            line_emulator.advance(600)
    assert failures == 0
    assert len(line_emulator.pushed_messages) == 40


async def test_sync_manager_under_async_client(
    line_emulator: LineEmulator, manager: TokenManager
) -> None:
    """A TokenManager also serves httpx.AsyncClient (its slow path in a worker thread)."""
    async with httpx.AsyncClient(base_url=line_emulator.base_url, auth=BearerAuth(manager)) as h:
        assert (await h.get("/v2/bot/info")).status_code == 200


async def test_twenty_concurrent_401s_cause_one_refresh(
    line_emulator: LineEmulator, async_manager: AsyncTokenManager
) -> None:
    """Twenty requests rejected with the same token: one new token, each request re-sent once."""
    token = await async_manager.token()
    _revoke_behind_the_back(line_emulator, token)
    before = line_emulator.count("POST /oauth2/v2.1/token")
    auth = BearerAuth(async_manager)
    async with httpx.AsyncClient(base_url=line_emulator.base_url, auth=auth) as http:
        responses = await asyncio.gather(*(http.get("/v2/bot/info") for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert line_emulator.count("POST /oauth2/v2.1/token") - before == 1
    assert line_emulator.count("GET /v2/bot/info") == 40


def test_retry_key_is_kept_and_a_second_401_reaches_the_caller(
    line_emulator: LineEmulator, manager: TokenManager
) -> None:
    """The re-sent push carries the same X-Line-Retry-Key; a persistent 401 is returned."""
    token = manager.token()
    _revoke_behind_the_back(line_emulator, token)
    headers = {"X-Line-Retry-Key": "123e4567-e89b-42d3-a456-426614174000"}
    with httpx.Client(base_url=line_emulator.base_url, auth=BearerAuth(manager)) as http:
        assert http.post("/v2/bot/message/push", json=PUSH, headers=headers).status_code == 200
        pushes = line_emulator.count("POST /v2/bot/message/push")
        assert pushes == 2
        line_emulator.inject_fault("/v2/bot/info", status=401, count=2)
        assert http.get("/v2/bot/info").status_code == 401
    assert len(line_emulator.pushed_messages) == 1


def test_async_manager_refuses_sync_client(async_manager: AsyncTokenManager) -> None:
    """An AsyncTokenManager cannot serve a blocking httpx.Client: a clear TypeError."""
    with (
        httpx.Client(auth=BearerAuth(async_manager), base_url="http://127.0.0.1:9") as http,
        pytest.raises(TypeError, match="AsyncClient"),
    ):
        http.get("/")


def test_threads_share_one_token(line_emulator: LineEmulator, manager: TokenManager) -> None:
    """Many threads through one BearerAuth: one issue request."""
    auth = BearerAuth(manager)
    errors: list[int] = []

    def work() -> None:
        with httpx.Client(base_url=line_emulator.base_url, auth=auth) as http:
            for _ in range(3):
                status = http.get("/v2/bot/info").status_code
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert line_emulator.count("POST /oauth2/v2.1/token") == 1
