"""AsyncTokenManager against the emulator: one shared task per refresh, shielded waiters."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest_manager import STATELESS_ISSUE, V21_ISSUE, Rig, rig
from line_token import (
    AsyncTokenManager,
    InvalidCredentialsError,
    ShortLivedIssuer,
    StatelessIssuer,
    TokenUnavailableError,
)
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import MemoryStore, SQLiteStore, StoreKey, TokenRecord

__all__ = ["rig"]


async def test_ten_thousand_tasks_cold_one_issue(rig: Rig) -> None:
    """10,000 tasks on a cold manager: exactly one issue request, one token for all."""
    m = rig.async_manager(rig.v21())
    rig.emu.inject_fault(V21_ISSUE, delay=0.1)
    results = await asyncio.gather(*(m.token() for _ in range(10_000)))
    assert rig.emu.count(V21_ISSUE) == 1
    assert len(set(results)) == 1
    await m.aclose()


async def test_hot_path_creates_no_task(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """await m.token() on a fresh token creates no task and sends nothing."""
    m = rig.async_manager(rig.stateless())
    token = await m.token()
    loop = asyncio.get_running_loop()
    created: list[Any] = []
    original = loop.create_task

    def counting(*args: Any, **kwargs: Any) -> Any:
        created.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(loop, "create_task", counting)
    before = rig.emu.count()
    for _ in range(1000):
        assert await m.token() == token
    assert created == []
    assert rig.emu.count() == before
    assert m.current() == token
    await m.aclose()


async def test_advisory_refresh_runs_in_background(rig: Rig) -> None:
    """In ADVISORY callers are served the current token at once; one background refresh runs."""
    m = rig.async_manager(rig.stateless())
    first = await m.token()
    rig.emu.advance(700)
    rig.emu.inject_fault(STATELESS_ISSUE, delay=0.2)
    served = await asyncio.gather(*(m.token() for _ in range(100)))
    assert served == [first] * 100
    await m._settle()
    assert rig.emu.count(STATELESS_ISSUE) == 2
    assert await m.token() != first
    await m.aclose()


async def test_cancelled_waiter_leaves_the_others_intact(rig: Rig) -> None:
    """Cancelling one waiter does not cancel the shared refresh."""
    m = rig.async_manager(rig.stateless())
    rig.emu.inject_fault(STATELESS_ISSUE, delay=0.3)
    first = asyncio.ensure_future(m.token())
    others = [asyncio.ensure_future(m.token()) for _ in range(10)]
    await asyncio.sleep(0.05)
    first.cancel()
    results = await asyncio.gather(*others)
    assert len(set(results)) == 1
    assert first.cancelled()
    assert rig.emu.count(STATELESS_ISSUE) == 1
    await m.aclose()


async def test_error_reaches_every_waiter_then_backoff(rig: Rig) -> None:
    """One failed refresh: every waiter gets the error; the next attempt waits for the gate."""
    m = rig.async_manager(rig.stateless())
    rig.emu.inject_fault(STATELESS_ISSUE, status=500, count=1)
    results = await asyncio.gather(*(m.token() for _ in range(100)), return_exceptions=True)
    assert all(isinstance(r, TokenUnavailableError) for r in results)
    assert rig.emu.count(STATELESS_ISSUE) == 1
    rig.emu.advance(30)
    assert await m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 2
    await m.aclose()


async def test_config_error_raised_as_itself(rig: Rig) -> None:
    """A wrong secret is raised at once to every waiter and negative-cached."""
    m = rig.async_manager(StatelessIssuer(rig.emu.channel_id, "wrong"))
    results = await asyncio.gather(*(m.token() for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, InvalidCredentialsError) for r in results)
    with pytest.raises(InvalidCredentialsError):
        await m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 1
    await m.aclose()


async def test_concurrent_401s_one_refresh(rig: Rig) -> None:
    """20 concurrent invalidate(T): one refresh."""
    m = rig.async_manager(rig.v21())
    bad = await m.token()
    outcomes = await asyncio.gather(*(m.invalidate(bad) for _ in range(20)))
    assert outcomes.count(True) == 1
    assert rig.emu.count(V21_ISSUE) == 2
    assert await m.token() != bad
    await m.aclose()


async def test_rotate_and_reconcile(rig: Rig) -> None:
    """rotate() revokes the old token; reconcile() reports ours."""
    store = SQLiteStore(rig.emu.private_key_path.parent / "a.db")
    async with rig.async_manager(rig.v21(), store=store) as m:
        old = await m.token()
        new = await m.rotate()
        assert new != old
        assert rig.emu.emulator.token(old).revoked  # type: ignore[union-attr]
        report = await m.reconcile()
        assert report.unknown == ()
        assert len(report.ours) == 1


async def test_two_loops_in_two_threads(rig: Rig) -> None:
    """One manager used from two event loops in two threads: both get tokens."""
    m = rig.async_manager(rig.stateless())

    def other_loop() -> str:
        return asyncio.run(m.token())

    results = await asyncio.gather(asyncio.to_thread(other_loop), m.token())
    assert all(results)
    await m.aclose()


async def test_store_io_runs_off_the_event_loop(rig: Rig) -> None:
    """Every store call on the refresh path runs in a worker thread, not on the loop."""
    loop_thread = threading.get_ident()
    threads: list[int] = []

    class Recording(MemoryStore):
        def load(self, key: StoreKey) -> TokenRecord | None:
            threads.append(threading.get_ident())
            return super().load(key)

        def acquire(self, key: StoreKey, **kwargs: Any) -> Any:
            threads.append(threading.get_ident())
            return super().acquire(key, **kwargs)

    m = rig.async_manager(rig.stateless(), store=Recording())
    await m.token()
    assert threads
    assert loop_thread not in threads
    await m.aclose()


async def test_ten_thousand_tasks_on_sqlite(rig: Rig, tmp_path: Path) -> None:
    """10,000 tasks, cold, on a SQLiteStore: one issue request."""
    m = rig.async_manager(rig.v21(), store=SQLiteStore(tmp_path / "t.db"))
    results = await asyncio.gather(*(m.token() for _ in range(10_000)))
    assert len(set(results)) == 1
    assert rig.emu.count(V21_ISSUE) == 1
    await m.aclose()


async def test_base_url_convenience_and_default_store(
    line_emulator: LineEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With only base_url the manager builds its own client (closed on exit); real HTTP."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    issuer = StatelessIssuer(line_emulator.channel_id, line_emulator.channel_secret)
    async with AsyncTokenManager(issuer, base_url=line_emulator.base_url) as m:
        assert isinstance(m.store, MemoryStore)
        assert await m.token()
    short = ShortLivedIssuer(line_emulator.channel_id, line_emulator.channel_secret)
    async with AsyncTokenManager(short, base_url=line_emulator.base_url) as m:
        assert isinstance(m.store, SQLiteStore)
        assert await m.token()
    assert (tmp_path / "line-token" / "tokens.db").exists()
