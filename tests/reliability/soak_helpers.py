"""The soak's emulator, in a process of its own (so its request log does not count against the
memory of the process under test), and a small client of its console."""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from typing import Any

import httpx

from line_token.emulator import VirtualClock

CHANNEL_ID = "1656000123"
CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"


def serve_emulator(jwk: dict[str, str], conn: Any) -> None:
    """Spawn target: an emulator with one channel and key, served on loopback until told to
    stop; sends ``(base_url, now, kid)`` first."""
    from line_token.emulator import Emulator

    emulator = Emulator()
    emulator.create_channel(channel_id=CHANNEL_ID, channel_secret=CHANNEL_SECRET)
    kid = emulator.register_public_key(CHANNEL_ID, jwk)
    with emulator.serve() as server:
        conn.send((server.base_url, emulator.now(), kid))
        conn.recv()  # until the test is done


class Console:
    """The emulator's console over loopback HTTP, and a local mirror of its virtual clock."""

    def __init__(self, base_url: str, now: float) -> None:
        self.http = httpx.Client(base_url=base_url + "/__emulator__", timeout=30)
        self.clock = VirtualClock(start=now)

    def advance(self, seconds: float) -> None:
        """Move LINE's clock, then ours to the same instant (ours lags by one step at most)."""
        response = self.http.post("/clock/advance", json={"seconds": seconds})
        response.raise_for_status()
        self.clock.set(response.json()["now"])

    def fault(self, **fault: Any) -> None:
        self.http.post("/faults", json=fault).raise_for_status()

    def tokens(self) -> list[dict[str, Any]]:
        response = self.http.get("/tokens", params={"channel_id": CHANNEL_ID})
        response.raise_for_status()
        return response.json()["tokens"]  # type: ignore[no-any-return]

    def requests(self) -> list[dict[str, Any]]:
        response = self.http.get("/requests")
        response.raise_for_status()
        return response.json()["requests"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()


@contextlib.contextmanager
def emulator_process(jwk: dict[str, str]) -> Iterator[tuple[Console, str, str]]:
    """An emulator in a spawned process: yields its console, base URL and the key's kid."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve_emulator, args=(jwk, child), daemon=True)
    proc.start()
    try:
        assert parent.poll(60), "the emulator process did not start"
        base_url, now, kid = parent.recv()
        console = Console(base_url, now)
        try:
            yield console, base_url, kid
        finally:
            console.close()
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=10)
