"""Real HTTP on 127.0.0.1: a raw ASGI app served by uvicorn in a background thread.

uvicorn is imported lazily (the ``emulator`` extra). A dropped connection is made
by closing the socket from inside the app without sending a response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["EmulatorServer", "asgi_app", "run_server"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_BODY = 1 << 20
_STARTUP_TIMEOUT = 10.0


def _import_uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the emulator's HTTP server needs uvicorn: pip install 'line-token[emulator]'"
        ) from None
    return uvicorn


def _drop(send: Send) -> bool:
    """Close the client's socket without answering (uvicorn's h11 protocol)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        return False
    cycle.disconnected = True  # type: ignore[union-attr]
    transport.abort()
    return True


def asgi_app(emulator: Emulator) -> ASGIApp:
    """An ASGI application answering from ``emulator``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # pragma: no cover - lifespan is off
            return
        if scope["type"] != "http":  # pragma: no cover
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= _MAX_BODY:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        query = _query(scope.get("query_string", b""))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        response = emulator.handle(
            scope["method"],
            scope["path"],
            query,
            headers,
            b"".join(chunks),
            client_host=client[0] if client else "",
        )
        if response.delay > 0:
            await asyncio.sleep(response.delay)
        if response.drop and _drop(send):
            return
        headers = dict(response.headers)
        headers["content-length"] = str(len(response.body))
        await send(
            {
                "type": "http.response.start",
                "status": response.status if not response.drop else 502,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    return app


def _query(raw: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    out: dict[str, str] = {}
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, max_num_fields=64)
    except ValueError:
        return out
    for name, value in pairs:
        out.setdefault(name, value)
    return out


def _config(app: ASGIApp, log_level: str, **kwargs: Any) -> Any:
    uvicorn = _import_uvicorn()
    return uvicorn.Config(
        app,
        http="h11",
        ws="none",
        lifespan="off",
        loop="asyncio",
        access_log=False,
        log_config=None,
        log_level=log_level,
        timeout_graceful_shutdown=1,
        server_header=False,
        **kwargs,
    )


class EmulatorServer:
    """The emulator on a real socket, served from a background thread.

    Use as a context manager (``with emulator.serve() as server:``) or call
    :meth:`stop`. ``base_url`` is known as soon as the constructor's caller
    gets it back from :meth:`Emulator.serve`, and the socket accepts by then.
    """

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self._requested_port = port
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind, start serving in a thread, and wait until it accepts connections."""
        uvicorn = _import_uvicorn()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
        try:
            if self._requested_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(_config(asgi_app(self.emulator), "warning"))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"line-token-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator server did not start on {self.base_url}")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and wait for the thread (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorServer({self.base_url})"


def run_server(
    host: str = "127.0.0.1",
    port: int = 8080,
    seed: int | None = None,
    *,
    emulator: Emulator | None = None,
    log_level: str = "warning",
) -> None:
    """Serve an emulator in the foreground until interrupted (for the CLI).

    Pass ``emulator`` to serve one you prepared (channels, keys); otherwise a new
    one is made with ``seed``.
    """
    uvicorn = _import_uvicorn()
    if emulator is None:
        from ._emulator import Emulator

        emulator = Emulator(seed=seed)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(_config(asgi_app(emulator), log_level, host=host, port=port)).run()


logging.getLogger("line_token.emulator").addHandler(logging.NullHandler())
