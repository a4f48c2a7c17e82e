"""Soak: about a minute of threads and asyncio tasks calling ``token()`` and the emulator's bot
info over loopback HTTP, while virtual time runs many times faster than real time, a v2.1 token
is rotated every two virtual minutes, and random faults hit LINE's token endpoints.

Virtual time moves in steps, only between calls (:class:`Gate`): compressed 50-fold, one slow
loopback request could otherwise take a virtual minute and expire a token on its way, which
says nothing about the library. Within a call, time stands still, so a token handed out is
judged exactly at the moment it was asked for.

The emulator runs in a process of its own, so the memory measured (tracemalloc and RSS of this
process, first quarter of the run against the last) is the library's and the test's alone.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from soak_helpers import CHANNEL_ID, CHANNEL_SECRET, Console, emulator_process

from line_token import (
    AssertionSigner,
    AsyncClient,
    Client,
    InvalidTokenError,
    KeyPair,
)
from line_token._async_manager import AsyncTokenManager
from line_token._issuers import StatelessIssuer, V21Issuer
from line_token._manager import TokenManager
from line_token.stores import MemoryStore, SQLiteStore

SOAK_SECONDS = 60.0
TICK = 0.02  # real seconds between clock steps (plus the wait for calls in flight)
STEP = 5.0  # virtual seconds per clock step (~50x real time)
ROTATE_EVERY = 24  # steps: a rotation every 2 virtual minutes
FAULT_CHANCE = 0.2  # per step
# Steps between two faults on one endpoint. A fault waits for the next request to its endpoint,
# and a stateless token renews only every ~10 virtual minutes: one fault per 5 minutes there
# (more would be a storm, which test_faults_http covers); v2.1 ones come with each rotation,
# and a rotation that meets one raises it (counted as refused, not as a failed call).
FAULT_SPACING = {"/oauth2/v3/token": 60, "/oauth2/v2.1/token": 36, "/oauth2/v2.1/revoke": 36}
THREADS = 8
TASKS = 48
SAFETY = 30.0
TOKEN_PATHS = ["/oauth2/v3/token", "/oauth2/v2.1/token", "/oauth2/v2.1/revoke"]
FAULT_KINDS: list[dict[str, Any]] = [
    {"status": 500},
    {"status": 503},
    {"status": 429},
    {"drop": True},
    {"delay": 1.5},  # past the token clients' 1 s timeout
]
TOKEN_TIMEOUT = 1.0  # the managers' clients
APP_TIMEOUT = 10.0  # the bot-info client (the application's own)


class Gate:
    """Virtual time moves only between calls: a call enters and leaves; the clock driver closes
    the gate, waits until no call is in flight, moves the clock, and opens it again."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.inflight = 0
        self.closed = False

    def enter(self) -> None:
        with self.cond:
            while self.closed:
                self.cond.wait()
            self.inflight += 1

    def try_enter(self) -> bool:
        """For tasks: never block the event loop."""
        with self.cond:
            if self.closed:
                return False
            self.inflight += 1
            return True

    def leave(self) -> None:
        with self.cond:
            self.inflight -= 1
            if not self.inflight:
                self.cond.notify_all()

    def advance(self, move: Callable[[], None]) -> None:
        with self.cond:
            self.closed = True
            assert self.cond.wait_for(lambda: not self.inflight, timeout=60), "a call hung"
        try:
            move()
        finally:
            with self.cond:
                self.closed = False
                self.cond.notify_all()


class Tally:
    """What the soak saw, shared by threads (a lock) and tasks (one loop thread)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.calls = self.bot_calls = self.failures = self.reauth = 0
        self.last_handed: dict[str, float] = {}  # token -> the latest time a call asked for it
        self.errors: list[str] = []

    def handed(self, token: str, asked_at: float) -> None:
        with self.lock:
            self.calls += 1
            if asked_at > self.last_handed.get(token, -1.0):
                self.last_handed[token] = asked_at

    def failed(self, what: str, exc: BaseException) -> None:
        with self.lock:
            self.failures += 1
            if len(self.errors) < 10:
                self.errors.append(f"{what}: {type(exc).__name__}: {exc}")

    def bot(self, reauth: bool) -> None:
        with self.lock:
            self.bot_calls += 1
            self.reauth += reauth


def thread_worker(
    managers: list[TokenManager],
    client: Client,
    tally: Tally,
    gate: Gate,
    stop: threading.Event,
    seed: int,
) -> None:
    """Ask a manager for a token, call bot info with it; on a 401, invalidate and re-send once
    (what BearerAuth does)."""
    pick = random.Random(seed)
    while not stop.is_set():
        gate.enter()
        try:
            thread_call(pick.choice(managers), client, tally)
        finally:
            gate.leave()


def thread_call(m: TokenManager, client: Client, tally: Tally) -> None:
    if True:
        try:
            asked = tally.clock()
            token = m.token()
            tally.handed(token, asked)
        except Exception as exc:
            tally.failed("token()", exc)
            return
        try:
            try:
                client.get_bot_info(token)
                tally.bot(False)
            except InvalidTokenError:
                m.invalidate(token)
                asked = tally.clock()
                token = m.token()
                tally.handed(token, asked)
                client.get_bot_info(token)
                tally.bot(True)
        except Exception as exc:
            tally.failed("bot info", exc)


async def task_worker(
    managers: list[AsyncTokenManager],
    client: AsyncClient,
    tally: Tally,
    gate: Gate,
    stop: threading.Event,
    seed: int,
) -> None:
    pick = random.Random(seed)
    while not stop.is_set():
        if not gate.try_enter():
            await asyncio.sleep(0.001)
            continue
        try:
            await task_call(pick.choice(managers), client, tally)
        finally:
            gate.leave()
        await asyncio.sleep(0)


async def task_call(m: AsyncTokenManager, client: AsyncClient, tally: Tally) -> None:
    if True:
        try:
            asked = tally.clock()
            token = await m.token()
            tally.handed(token, asked)
        except Exception as exc:
            tally.failed("await token()", exc)
            return
        try:
            try:
                await client.get_bot_info(token)
                tally.bot(False)
            except InvalidTokenError:
                await m.invalidate(token)
                asked = tally.clock()
                token = await m.token()
                tally.handed(token, asked)
                await client.get_bot_info(token)
                tally.bot(True)
        except Exception as exc:
            tally.failed("await bot info", exc)


def rss_bytes() -> int:
    """This process's resident memory (Linux ``/proc``; 0 where there is none)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def live_bytes(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes held by blocks allocated since tracing began, leaving out single blocks of 256 KiB
    or more: those are the interpreter's own tables growing once (the interned-strings dict
    doubling, say), where a leak is many small objects."""
    return sum(t.size for t in snapshot.traces if t.size < 256 * 1024)


def run_tasks(
    make: Callable[[], tuple[list[AsyncTokenManager], AsyncClient]],
    tally: Tally,
    gate: Gate,
    stop: threading.Event,
    started: threading.Event,
) -> None:
    async def main() -> None:
        managers, client = make()
        app = AsyncClient(
            base_url=client.base_url,
            http_client=httpx.AsyncClient(timeout=APP_TIMEOUT),
            max_retries=2,
        )
        started.set()
        try:
            await asyncio.gather(
                *(task_worker(managers, app, tally, gate, stop, 1000 + i) for i in range(TASKS))
            )
        finally:
            for m in managers:
                await m.aclose()
            await client.aclose()
            await app.aclose()

    asyncio.run(main())


@pytest.mark.slow
@pytest.mark.guarantee(
    "A one-minute soak: 8 threads and 48 asyncio tasks call token() and LINE's bot info "
    "over loopback HTTP through about an hour of virtual time with a v2.1 rotation every 2 "
    "virtual minutes and random 500/503/429/drop/hang faults on the token endpoints: zero failed "
    "calls, zero expired tokens handed out, memory flat from the first quarter to the last."
)
def test_soak(
    key_pair: KeyPair, tmp_path: Path, figures: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # pytest keeps every captured log record of a test: per-request INFO lines, and the WARNING
    # logged for each 401 after a rotation, would grow this process's memory, not the library's.
    caplog.set_level(logging.ERROR)
    for name in ("httpx", "httpcore", "line_token", "asyncio"):
        caplog.set_level(logging.ERROR, logger=name)
    with emulator_process(dict(key_pair.public_jwk)) as (console, base_url, kid):
        soak(console, base_url, kid, key_pair, tmp_path, figures)


def soak(
    console: Console, base_url: str, kid: str, key_pair: KeyPair, tmp_path: Path, figures: Any
) -> None:
    clock = console.clock
    signer = AssertionSigner(CHANNEL_ID, kid, key_pair.private_pem, clock=clock)
    tally = Tally(clock)
    options: dict[str, Any] = {"clock": clock, "wall_clock": clock}
    db = tmp_path / "tokens.db"
    rng = random.Random(2026)

    def client(timeout: float = TOKEN_TIMEOUT) -> Client:
        http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=THREADS + 4))
        return Client(base_url=base_url, http_client=http, clock=clock, max_retries=2)

    def v21() -> V21Issuer:
        return V21Issuer(signer, CHANNEL_SECRET, token_exp=3600)

    http_client = client()
    stateless = TokenManager(
        StatelessIssuer(CHANNEL_ID, CHANNEL_SECRET),
        store=MemoryStore(),
        client=http_client,
        rng=random.Random(1).random,
        **options,
    )
    rotated = TokenManager(
        v21(), store=SQLiteStore(db), client=client(), rng=random.Random(2).random, **options
    )

    def make_async() -> tuple[list[AsyncTokenManager], AsyncClient]:
        http = httpx.AsyncClient(timeout=TOKEN_TIMEOUT)
        aclient = AsyncClient(base_url=base_url, http_client=http, clock=clock, max_retries=2)
        managers = [
            AsyncTokenManager(
                StatelessIssuer(CHANNEL_ID, signer=signer),
                store=MemoryStore(),
                client=aclient,
                rng=random.Random(3).random,
                **options,
            ),
            AsyncTokenManager(  # shares the rotated token through the SQLite file
                v21(), store=SQLiteStore(db), client=aclient, rng=random.Random(4).random, **options
            ),
        ]
        return managers, aclient

    app = client(APP_TIMEOUT)
    gate = Gate()
    stop, started = threading.Event(), threading.Event()
    threads = [
        threading.Thread(
            target=thread_worker, args=([stateless, rotated], app, tally, gate, stop, i)
        )
        for i in range(THREADS)
    ]
    loop_thread = threading.Thread(target=run_tasks, args=(make_async, tally, gate, stop, started))
    expiry: dict[str, float] = {}
    tracemalloc_samples: list[int] = []
    rss_samples: list[int] = []
    steps = rotations = rotate_errors = injected = 0
    snapshots: list[tracemalloc.Snapshot] = []
    last_fault: dict[str, int] = {}

    def sample() -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        tracemalloc_samples.append(live_bytes(snapshot))
        rss_samples.append(rss_bytes())
        if len(tracemalloc_samples) == 5:
            snapshots.append(snapshot)

    try:
        for t in threads:
            t.start()
        loop_thread.start()
        assert started.wait(60)
        time.sleep(1.0)  # warm-up: pools, first tokens, caches
        tracemalloc.start()
        begin = time.monotonic()
        while time.monotonic() - begin < SOAK_SECONDS:
            time.sleep(TICK)
            steps += 1
            gate.advance(lambda: console.advance(STEP))
            if steps % ROTATE_EVERY == 0:
                try:
                    rotated.rotate()
                    rotations += 1
                except Exception:  # rotate() raises what it meets; a fault may be next in line
                    rotate_errors += 1
            path = rng.choice(TOKEN_PATHS)
            spacing = FAULT_SPACING[path]
            if rng.random() < FAULT_CHANCE and steps - last_fault.get(path, -spacing) >= spacing:
                console.fault(path=path, count=1, **rng.choice(FAULT_KINDS))
                last_fault[path] = steps
                injected += 1
            if steps % 10 == 0:  # about once a real second
                for entry in console.tokens():
                    expiry[entry["access_token"]] = entry["expires_at"]
                # Measured with the gate closed: no call in flight, so only what stays counts.
                gate.advance(sample)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        loop_thread.join(timeout=60)
        late = tracemalloc.take_snapshot()
        tracemalloc.stop()
        stateless.close()
        rotated.close()
        http_client.close()
        app.close()
    print("soak traced KiB:", [n // 1024 for n in tracemalloc_samples])
    if snapshots:
        for stat in late.compare_to(snapshots[0], "lineno")[:5]:
            print("soak memory:", stat)
    assert not any(t.is_alive() for t in threads)
    assert not loop_thread.is_alive()

    for entry in console.tokens():
        expiry[entry["access_token"]] = entry["expires_at"]
    faults = sum(1 for r in console.requests() if r["fault"] is not None)
    expired = sum(
        1
        for token, asked in tally.last_handed.items()
        if token not in expiry or expiry[token] - asked <= SAFETY
    )
    quarter = max(1, len(tracemalloc_samples) // 4)
    first = statistics.mean(tracemalloc_samples[:quarter])
    last = statistics.mean(tracemalloc_samples[-quarter:])
    rss_first = statistics.mean(rss_samples[:quarter])
    rss_last = statistics.mean(rss_samples[-quarter:])
    print(
        f"soak: {steps} steps, {tally.calls} token() calls, {tally.bot_calls} bot info, "
        f"{faults} faults met of {injected}, {rotations} rotations ({rotate_errors} refused), "
        f"{tally.reauth} re-sent after a 401, "
        f"tracemalloc {first / 1024:.0f} -> {last / 1024:.0f} KiB, "
        f"RSS {rss_first / 2**20:.1f} -> {rss_last / 2**20:.1f} MiB"
    )
    figures.add(
        calls=tally.calls,
        faults=faults,
        failures=tally.failures,
        expired=expired,
        bot_info_calls=tally.bot_calls,
        rotations=rotations,
        rotations_refused=rotate_errors,
        resent_after_401=tally.reauth,
        threads=THREADS,
        tasks=TASKS,
        traced_kib_first_quarter=int(first / 1024),
        traced_kib_last_quarter=int(last / 1024),
        rss_mib_first_quarter=int(rss_first / 2**20),
        rss_mib_last_quarter=int(rss_last / 2**20),
    )
    assert tally.failures == 0, tally.errors
    assert expired == 0
    # The soak really ran (the counts scale with the machine's speed, not with a clock):
    assert steps >= 100
    assert tally.calls >= 5 * steps
    assert rotations + rotate_errors == steps // ROTATE_EVERY
    assert rotations >= (steps // ROTATE_EVERY) // 3
    assert injected >= 5
    assert faults >= injected - len(TOKEN_PATHS)  # at most one left waiting per endpoint
    assert len(tracemalloc_samples) == steps // 10
    # Flat: the last quarter holds at most 1 MiB (or 10 %) more than the first.
    assert last - first <= max(2**20, 0.1 * first), (first, last)
