"""In-process httpx transport (sync and async): no sockets, same answers as the server."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ._emulator import Emulator
    from ._handler import Response

__all__ = ["EmulatorTransport"]

_DROPPED = "Server disconnected without sending a response."


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _wait(response: Response, request: httpx.Request) -> float:
    """How long to sleep; raises ReadTimeout (after sleeping) if the delay outlasts it."""
    limit = _read_timeout(request)
    if limit is not None and response.delay > limit:
        return limit
    return response.delay


def _finish(response: Response, request: httpx.Request) -> httpx.Response:
    limit = _read_timeout(request)
    if limit is not None and response.delay > limit:
        raise httpx.ReadTimeout(
            "timed out waiting for the emulator (injected delay)", request=request
        )
    if response.drop:
        raise httpx.RemoteProtocolError(_DROPPED, request=request)
    return httpx.Response(
        response.status,
        headers=list(response.headers.items()),
        content=response.body,
        request=request,
    )


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Pass to ``httpx.Client(transport=...)`` or ``httpx.AsyncClient(transport=...)``.

    Injected delays really sleep (``time.sleep`` / ``asyncio.sleep``) and honour the
    client's read timeout by raising ``httpx.ReadTimeout``; dropped connections raise
    ``httpx.RemoteProtocolError`` like a real server closing the socket.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def _answer(self, request: httpx.Request, body: bytes) -> Response:
        return self.emulator.handle(
            request.method,
            request.url.path,
            dict(request.url.params),
            dict(request.headers),
            body,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer synchronously."""
        response = self._answer(request, request.read())
        wait = _wait(response, request)
        if wait > 0:
            time.sleep(wait)
        return _finish(response, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer from a coroutine."""
        response = self._answer(request, await request.aread())
        wait = _wait(response, request)
        if wait > 0:
            await asyncio.sleep(wait)
        return _finish(response, request)
