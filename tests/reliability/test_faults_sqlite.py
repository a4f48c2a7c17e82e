"""A SQLiteStore whose lock holder dies (SIGKILL) or hangs (SIGSTOP) in the middle of an issue,
with other processes already waiting on its lock. Real processes, a real file, loopback HTTP."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from faults_helpers import sqlite_worker

from conftest_manager import STATELESS_ISSUE, write_locked
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import SQLiteStore, StoreKey

WAITERS = 3


def start_holder_and_waiters(
    emu: LineEmulator, path: Path, busy_timeout: float, lock_timeout: float
) -> tuple[Any, list[Any], Any]:
    """A holder inside its refresh transaction (its issue answer delayed 10 s), and WAITERS
    processes started after it, each about to wait on the holder's lock."""
    SQLiteStore(path)
    emu.inject_fault(STATELESS_ISSUE, delay=10.0)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    args = (emu.base_url, emu.channel_id, emu.channel_secret, str(path), busy_timeout)

    def spawn() -> Any:
        ready = ctx.Event()
        proc = ctx.Process(target=sqlite_worker, args=(*args, lock_timeout, ready, queue))
        proc.start()
        return proc, ready

    holder, holder_ready = spawn()
    assert holder_ready.wait(timeout=60)  # (keeps the event alive until the child has it)
    for _ in range(6000):  # bounded: until the holder is inside its transaction
        if write_locked(path):
            break
        time.sleep(0.01)
    assert write_locked(path)
    for _ in range(6000):  # and until its issue request has reached LINE
        if emu.count(STATELESS_ISSUE):
            break
        time.sleep(0.01)
    assert emu.count(STATELESS_ISSUE) == 1
    waiters = [spawn() for _ in range(WAITERS)]
    for _, ready in waiters:
        assert ready.wait(timeout=60)
    time.sleep(0.3)  # let them reach the lock (if one is late it simply finds the new token)
    return holder, [p for p, _ in waiters], queue


@pytest.mark.guarantee(
    "A process killed with SIGKILL while it holds the SQLite store's refresh lock, with three "
    "other processes waiting on it: the lock dies with it, one waiter issues, all three get "
    "that same valid token, and the file stays intact."
)
def test_killed_lock_holder_releases_the_waiters(
    line_emulator: LineEmulator, tmp_path: Path, figures: Any
) -> None:
    path = tmp_path / "tokens.db"
    holder, waiters, queue = start_holder_and_waiters(line_emulator, path, 30.0, 30.0)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=10)
    results = [queue.get(timeout=60) for _ in waiters]
    for p in waiters:
        p.join(timeout=30)
    assert not any(r.startswith("error") for r in results), results
    assert len(set(results)) == 1
    token = line_emulator.emulator.token(results[0])
    assert token is not None
    assert token.active(line_emulator.emulator.now())
    # The dead holder's request reached LINE (a stateless token nobody will use) + one successor.
    assert line_emulator.count(STATELESS_ISSUE) == 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    record = SQLiteStore(path).load(StoreKey(line_emulator.channel_id, "stateless", "default"))
    assert record is not None
    assert record.current is not None
    assert record.current.token == results[0]
    assert not write_locked(path)
    figures.add(calls=WAITERS, faults=1, failures=0, expired=0, killed=1)


@pytest.mark.guarantee(
    "A process frozen (SIGSTOP) while it holds the SQLite store's refresh lock: the waiting "
    "processes are not blocked forever; after their lock timeout each goes ahead and is "
    "served a valid token (liveness before single issue)."
)
def test_frozen_lock_holder_does_not_block_forever(
    line_emulator: LineEmulator, tmp_path: Path, figures: Any
) -> None:
    path = tmp_path / "tokens.db"
    holder, waiters, queue = start_holder_and_waiters(line_emulator, path, 1.0, 1.0)
    try:
        os.kill(holder.pid, signal.SIGSTOP)
        results = [queue.get(timeout=60) for _ in waiters]
        for p in waiters:
            p.join(timeout=30)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(timeout=10)
    assert not any(r.startswith("error") for r in results), results
    now = line_emulator.emulator.now()
    for value in results:
        token = line_emulator.emulator.token(value)
        assert token is not None
        assert token.active(now)
    issued = line_emulator.count(STATELESS_ISSUE)
    assert 2 <= issued <= 1 + WAITERS  # each waiter issued at most once
    figures.add(calls=WAITERS, faults=1, failures=0, expired=0, frozen=1)
