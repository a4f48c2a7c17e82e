"""The Emulator: LINE's rules, console emulation, faults, and the two ways to reach it."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._clock import VirtualClock
from ._faults import Fault
from ._handler import Handler, Response
from ._ids import IdSource
from ._models import Channel, PushedMessage, RequestRecord, Token, TokenKind
from ._state import LineState

if TYPE_CHECKING:
    from ._server import EmulatorServer
    from ._transport import EmulatorTransport

__all__ = ["CONSOLE_PREFIX", "Emulator"]

CONSOLE_PREFIX = "/__emulator__/"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


class Emulator:
    """A local LINE channel-access-token API with a console, a clock and fault injection.

    Args:
        clock: wall-clock seconds. Default: a :class:`VirtualClock` starting at the
            real time that moves only by :meth:`advance`.
        seed: make every id, secret and token repeatable (default: unguessable).

    Example:
        >>> import httpx
        >>> emulator = Emulator()
        >>> channel = emulator.create_channel()
        >>> with httpx.Client(transport=emulator.transport(), base_url="https://api.line.me") as c:
        ...     r = c.post("/v2/oauth/accessToken", data={"grant_type": "client_credentials",
        ...         "client_id": channel.channel_id, "client_secret": channel.channel_secret})
        >>> r.status_code, r.json()["expires_in"]
        (200, 2592000)
    """

    def __init__(
        self, *, clock: Callable[[], float] | None = None, seed: int | None = None
    ) -> None:
        from .._http import install_log_redaction

        # Tests talk to the emulator with their own httpx clients, and httpx logs each URL
        # at INFO: mask the tokens and assertions that LINE's GET endpoints carry in it.
        install_log_redaction()
        self._seed = seed
        self._lock = threading.RLock()
        self.clock: Callable[[], float] = clock if clock is not None else VirtualClock()
        self._state = LineState(self.clock, IdSource(seed))
        self._handler = Handler(self._state, self._lock)

    # --- time ----------------------------------------------------------------

    def now(self) -> float:
        """The emulator's current time (UNIX seconds)."""
        return self.clock()

    def advance(self, seconds: float) -> float:
        """Move the virtual clock forward; return the new time."""
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("advance() needs the default VirtualClock; move your own clock instead")
        return self.clock.advance(seconds)

    # --- console -------------------------------------------------------------

    def create_channel(
        self,
        *,
        display_name: str = "Emulated bot",
        channel_id: str | None = None,
        channel_secret: str | None = None,
        picture_url: str | None = None,
    ) -> Channel:
        """Create a Messaging API channel; its id and secret are generated unless given."""
        with self._lock:
            return self._state.create_channel(
                display_name=display_name,
                channel_id=channel_id,
                channel_secret=channel_secret,
                picture_url=picture_url,
            )

    def channel(self, channel_id: str) -> Channel:
        """A channel by id (KeyError if none)."""
        with self._lock:
            return self._state.channel(channel_id)

    @property
    def channels(self) -> list[Channel]:
        """Every channel, in creation order."""
        with self._lock:
            return list(self._state.channels.values())

    def register_public_key(
        self, channel_id: str, jwk: Mapping[str, Any] | str, *, kid: str | None = None
    ) -> str:
        """Register a public JWK like the Console does and return the kid it assigns.

        Raises:
            InvalidKeyError: (a ValueError) the Console would refuse the key; says why.
        """
        with self._lock:
            return self._state.register_key(channel_id, jwk, kid=kid)

    def issue_long_lived_token(self, channel_id: str) -> str:
        """Issue the channel's long-lived token (Console only); the previous one is revoked."""
        with self._lock:
            return self._state.issue_long_lived(channel_id)

    def tokens(
        self, channel_id: str | None = None, kind: TokenKind | str | None = None
    ) -> list[Token]:
        """Issued tokens (full values: this is a test tool), oldest first."""
        want = TokenKind(kind) if kind is not None else None
        with self._lock:
            return [
                t
                for t in self._state.tokens.values()
                if (channel_id is None or t.channel_id == channel_id)
                and (want is None or t.kind is want)
            ]

    def token(self, access_token: str) -> Token | None:
        """The record of one token, if the emulator issued it."""
        with self._lock:
            return self._state.tokens.get(access_token)

    # --- faults and limits -----------------------------------------------------------

    def inject_fault(
        self,
        path: str = "*",
        *,
        status: int | None = None,
        body: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        count: int = 1,
        retry_after: int | float | str | None = None,
        process: bool = False,
    ) -> None:
        """Make the next ``count`` requests to ``path`` fail.

        ``path`` is ``"*"``, a path (``"/oauth2/v2.1/token"``) or ``"METHOD /path"``.
        With ``status``: answer it (``body``: dict for JSON, str/bytes raw; default a
        ``{"message": ...}``), ``retry_after`` adds a ``Retry-After`` header. With
        ``drop``: close the connection without answering (httpx raises
        ``RemoteProtocolError``). ``delay`` (real seconds) waits first; with neither
        status nor drop the request is then answered normally. Faulted requests do
        not touch the state, unless ``process=True``: then the request takes effect
        (a token is issued, a message pushed) and only its answer is lost or replaced,
        like a response lost on the way back.
        """
        if status is not None and (isinstance(status, bool) or not 100 <= status <= 599):
            raise ValueError(f"status must be an HTTP status 100..599; got {status!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an integer >= 1; got {count!r}")
        if not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"delay must be seconds >= 0; got {delay!r}")
        if status is None and not drop and not delay:
            raise ValueError("a fault needs status=, drop=True or delay=")
        with self._lock:
            self._handler.faults.add(
                Fault(path, status, body, float(delay), drop, count, retry_after, process)
            )

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._handler.faults.clear()

    def set_rate_limit(self, path: str, limit: int, per: float = 1.0) -> None:
        """Answer 429 past ``limit`` requests per ``per`` seconds of emulator time."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be an integer >= 0; got {limit!r}")
        if not isinstance(per, int | float) or per <= 0:
            raise ValueError(f"per must be seconds > 0; got {per!r}")
        with self._lock:
            self._handler.limits.set(path, limit, float(per))

    def clear_rate_limits(self) -> None:
        """Remove every rate limit."""
        with self._lock:
            self._handler.limits.clear()

    # --- observation ------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request that reached the emulator, in order (console calls excluded)."""
        with self._lock:
            return list(self._handler.log)

    def count(self, endpoint: str | None = None) -> int:
        """How many requests reached ``endpoint``.

        ``endpoint``: ``"POST /oauth2/v2.1/token"``, a bare path (any method), or
        None for all requests.
        """
        records = self.requests
        if endpoint is None:
            return len(records)
        if " " in endpoint:
            method, _, path = endpoint.partition(" ")
            return sum(1 for r in records if r.method == method.upper() and r.path == path)
        return sum(1 for r in records if r.path == endpoint)

    def counts(self) -> dict[str, int]:
        """Requests per ``"METHOD /path"``."""
        out: dict[str, int] = {}
        for record in self.requests:
            out[record.endpoint] = out.get(record.endpoint, 0) + 1
        return out

    @property
    def pushed_messages(self) -> list[PushedMessage]:
        """Every accepted push request, in order."""
        with self._lock:
            return list(self._state.pushed)

    def reset(self) -> None:
        """Forget everything: channels, keys, tokens, faults, limits, logs, messages.

        The default virtual clock jumps back to the real time; a seeded emulator
        starts its sequence of ids again.
        """
        with self._lock:
            if isinstance(self.clock, VirtualClock):
                self.clock.set()
            self._state = LineState(self.clock, IdSource(self._seed))
            self._handler.state = self._state
            self._handler.faults.clear()
            self._handler.limits.clear()
            self._handler.log.clear()

    # --- serving ---------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        client_host: str | None = None,
    ) -> Response:
        """Answer one HTTP request (both shells call this).

        ``client_host``: the peer address for real connections; console paths
        (``/__emulator__/...``) answer 404 to anyone but loopback.
        """
        query = query or {}
        headers = headers or {}
        if path.startswith(CONSOLE_PREFIX):
            from ._console import handle_console

            if client_host is not None and not _is_loopback(client_host):
                response = Response(
                    404, {"content-type": "application/json"}, b'{"message":"Not found"}'
                )
            else:
                response = handle_console(self, method, path, query, body)
            with self._lock:
                response.headers["x-line-request-id"] = self._state.ids.request_id()
            return response
        return self._handler.handle(method, path, query, headers, body)

    def transport(self) -> EmulatorTransport:
        """An httpx transport (sync and async) that answers in-process, without sockets."""
        from ._transport import EmulatorTransport

        return EmulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """Start a real HTTP server in a background thread (needs the ``emulator`` extra).

        Use as a context manager; ``server.base_url`` is e.g. ``http://127.0.0.1:54321``.
        """
        from ._server import EmulatorServer

        server = EmulatorServer(self, host, port)
        server.start()
        return server

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"Emulator(channels={len(self._state.channels)}, "
                f"tokens={len(self._state.tokens)}, requests={len(self._handler.log)})"
            )
