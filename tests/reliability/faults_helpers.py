"""Helpers for the fault and clock-jump tests: a restartable redis-server, clients with short
timeouts, and a watch that checks every token handed out against the emulator."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis

from conftest_manager import API, Rig
from line_token import AsyncClient, Client

SAFETY = 30.0
"""A manager never hands out a token with this many seconds or fewer left."""

REVOKE_V21 = "POST /oauth2/v2.1/revoke"

# What each injected fault does to one request. "hang" answers after 2 s, far past the 0.1 s
# timeout of the clients below; "drop" closes the connection without an answer.
FAULTS: dict[str, dict[str, Any]] = {
    "500": {"status": 500},
    "503": {"status": 503},
    "429": {"status": 429},
    "hang": {"delay": 2.0},
    "drop": {"drop": True},
}
TIMEOUT = 0.1
"""Read timeout of the clients the fault tests use (a "hang" outlasts it)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def client(rig: Rig, transport: str = "inproc", retries: int = 0) -> Client:
    """A client of the emulator: in-process (``inproc``) or over real loopback HTTP."""
    if transport == "inproc":
        http = httpx.Client(transport=rig.emu.transport(), timeout=TIMEOUT)
        base = API
    else:
        http = httpx.Client(timeout=TIMEOUT)
        base = rig.emu.base_url
    rig._closers.append(http)
    return Client(base_url=base, http_client=http, clock=rig.clock, max_retries=retries)


def async_client(rig: Rig, transport: str = "inproc", retries: int = 0) -> AsyncClient:
    """The async twin of :func:`client` (closed with the event loop's end of test)."""
    if transport == "inproc":
        http = httpx.AsyncClient(transport=rig.emu.transport(), timeout=TIMEOUT)
        base = API
    else:
        http = httpx.AsyncClient(timeout=TIMEOUT)
        base = rig.emu.base_url
    return AsyncClient(base_url=base, http_client=http, clock=rig.clock, max_retries=retries)


def faulted(rig: Rig, endpoint: str | None = None) -> int:
    """How many requests (to ``endpoint``, "METHOD /path") the emulator answered with a fault."""
    return sum(
        1
        for r in rig.emu.emulator.requests
        if r.fault is not None and (endpoint is None or r.endpoint == endpoint)
    )


def attempts(rig: Rig, endpoint: str) -> list[tuple[float, bool]]:
    """``(virtual time, faulted)`` of every request to ``endpoint``, in order."""
    return [
        (r.time, r.fault is not None) for r in rig.emu.emulator.requests if r.endpoint == endpoint
    ]


class Watch:
    """Counts calls, and checks each token handed out against the emulator (LINE's truth).

    ``expired``: a token handed out that LINE no longer accepts, or with ``SAFETY`` seconds or
    fewer left. ``failures``: a call that raised although a token handed out earlier still had
    more than ``SAFETY`` seconds left (the manager gave up on a token it could have served).
    ``unavailable``: a call that raised when no such token existed (allowed).
    """

    def __init__(self, rig: Rig, now: Any = None) -> None:
        self.rig = rig
        self.now = now if now is not None else rig.clock  # LINE's time
        self.calls = self.expired = self.failures = self.unavailable = 0
        self.best = 0.0  # the latest expiry of any token handed out
        self.tokens: list[str] = []

    def served(self, token: str) -> None:
        self.calls += 1
        record = self.rig.emu.emulator.token(token)
        now = self.now()
        if (
            record is None
            or not record.active(now)
            or record.expires_at is None
            or record.expires_at - now <= SAFETY
        ):
            self.expired += 1
            return
        self.best = max(self.best, record.expires_at)
        if not self.tokens or self.tokens[-1] != token:
            self.tokens.append(token)

    def raised(self, exc: BaseException) -> None:
        self.calls += 1
        if self.best - self.now() > SAFETY:
            self.failures += 1
        else:
            self.unavailable += 1


# --- a redis-server we can stop, restart and pause --------------------------------------


class RedisServer:
    """A private ``redis-server`` on a free loopback port, restartable on the same port.

    With ``persist`` it keeps an append-only file (fsync on every write) in ``workdir``, so a
    restart keeps the data, as a production Redis with AOF does; without, a restart loses it.
    """

    def __init__(self, workdir: Path, *, persist: bool) -> None:
        exe = shutil.which("redis-server")
        assert exe is not None, "redis-server is needed (scripts/check installs it)"
        self.exe = exe
        self.workdir = workdir
        self.persist = persist
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.exe, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        args += ["--dir", str(self.workdir), "--protected-mode", "yes"]
        if self.persist:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.starts += 1
        probe = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            for _ in range(1000):  # bounded: ~10 s
                with contextlib.suppress(redis.ConnectionError):
                    if probe.ping():
                        return
                assert self.proc.poll() is None, "redis-server exited at start"
                time.sleep(0.01)
            raise AssertionError("redis-server did not answer")
        finally:
            probe.close()

    def stop(self) -> None:
        """SIGKILL: the server vanishes mid-run like a crashed host (AOF keeps fsynced data)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def pause(self) -> None:
        """SIGSTOP: the port stays open but nothing answers (a hung server or a partition)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def redis_server(workdir: Path, *, persist: bool) -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, killed at the end."""
    server = RedisServer(workdir, persist=persist)
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.resume()
        server.stop()


# --- worker processes (started with the 'spawn' method) --------------------------------


def sqlite_worker(
    base_url: str,
    channel_id: str,
    secret: str,
    path: str,
    busy_timeout: float,
    lock_timeout: float,
    ready: Any,
    queue: Any,
) -> None:
    """A cold stateless manager on the SQLite file at ``path``: signal ``ready``, then report
    its token (or the error) on ``queue``."""
    from line_token._issuers import StatelessIssuer
    from line_token._manager import TokenManager
    from line_token.stores import SQLiteStore

    store = SQLiteStore(path, busy_timeout=busy_timeout)
    manager = TokenManager(
        StatelessIssuer(channel_id, secret),
        store=store,
        base_url=base_url,
        lock_timeout=lock_timeout,
    )
    ready.set()
    try:
        queue.put(manager.token())
    except Exception as exc:
        queue.put(f"error: {type(exc).__name__}: {exc}")
    finally:
        manager.close()
