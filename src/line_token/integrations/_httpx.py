"""``BearerAuth``: an ``httpx.Auth`` that takes its token from a manager and recovers from 401."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING

import anyio.to_thread
import httpx

from ._flow import Invalidate, NeedToken, bearer_flow

if TYPE_CHECKING:
    from .._async_manager import AsyncTokenManager
    from .._manager import TokenManager

__all__ = ["BearerAuth"]


class BearerAuth(httpx.Auth):
    """Authorize every request of an httpx client with a managed channel access token.

    Sets ``Authorization: Bearer <token>``. When LINE answers 401, tells the
    manager (which refreshes only if that token is still its current one, so
    twenty concurrent 401s cause one refresh) and re-sends the request once with
    a fresh token — headers such as ``X-Line-Retry-Key`` unchanged, so LINE does
    not deliver a message twice. A second 401 reaches the caller.

    Works with ``httpx.Client`` and ``httpx.AsyncClient``. With an
    :class:`~line_token.AsyncTokenManager` use it from an ``AsyncClient``; a
    :class:`~line_token.TokenManager` serves both (its slow path runs in a worker
    thread under an ``AsyncClient``).

    Example:
        >>> tokens = TokenManager(StatelessIssuer(cid, channel_secret=secret))  # doctest: +SKIP
        >>> http = httpx.Client(base_url="https://api.line.me", auth=BearerAuth(tokens))
        >>> http.post("/v2/bot/message/push", json=message)  # doctest: +SKIP
    """

    def __init__(self, manager: TokenManager | AsyncTokenManager) -> None:
        self._manager = manager
        self._is_async = inspect.iscoroutinefunction(manager.token)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Drive the bearer flow with blocking calls (``httpx.Client``)."""
        manager = self._manager
        if self._is_async:
            raise TypeError(
                "BearerAuth over an AsyncTokenManager needs httpx.AsyncClient; "
                "use a TokenManager with httpx.Client"
            )
        flow = bearer_flow()
        step = next(flow)
        try:
            while True:
                if isinstance(step, NeedToken):
                    value: object = manager.token()
                elif isinstance(step, Invalidate):
                    value = manager.invalidate(step.token)
                else:
                    request.headers["Authorization"] = f"Bearer {step.token}"
                    value = (yield request).status_code
                step = flow.send(value)
        except StopIteration:
            return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Drive the bearer flow with awaits (``httpx.AsyncClient``)."""
        flow = bearer_flow()
        step = next(flow)
        try:
            while True:
                if isinstance(step, NeedToken):
                    value: object = await self._token()
                elif isinstance(step, Invalidate):
                    value = await self._invalidate(step.token)
                else:
                    request.headers["Authorization"] = f"Bearer {step.token}"
                    value = (yield request).status_code
                step = flow.send(value)
        except StopIteration:
            return

    async def _token(self) -> str:
        manager = self._manager
        current = manager.current()  # in memory: no I/O while the token is fresh
        if current is not None:
            return current
        if self._is_async:
            return await manager.token()  # type: ignore[no-any-return, misc]
        return await anyio.to_thread.run_sync(manager.token)  # type: ignore[arg-type]

    async def _invalidate(self, token: str) -> bool:
        manager = self._manager
        if self._is_async:
            return await manager.invalidate(token)  # type: ignore[no-any-return, misc]
        return await anyio.to_thread.run_sync(manager.invalidate, token)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"BearerAuth({self._manager!r})"
