"""SQLiteStore: file modes, encryption at rest, restarts, processes, a killed lock holder."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from workers import get_token, open_store

from conftest_manager import STATELESS_ISSUE, V21_ISSUE, Rig, write_locked
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import SQLiteStore, StoredToken, StoreKey, TokenRecord

KEY = StoreKey("1234567890", "v2.1", "default")
REVOKE = "POST /oauth2/v2.1/revoke"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_and_directory_modes(tmp_path: Path) -> None:
    """The database (and its WAL side files) are 0600; a directory it creates is 0700."""
    path = tmp_path / "new" / "tokens.db"
    store = SQLiteStore(path)
    lease = store.acquire(KEY, wait=True, timeout=1, seen_expires_at=0)
    assert lease is not None
    lease.save(TokenRecord(StoredToken("tok", 0, 100)))
    lease.release()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    for side in path.parent.glob("tokens.db-*"):
        assert mode(side) == 0o600


def test_round_trip_and_keys_do_not_collide(tmp_path: Path) -> None:
    """Records are keyed by channel, kind and group."""
    store = SQLiteStore(tmp_path / "t.db")
    keys = [KEY, StoreKey("1234567890", "v2.1", "other"), StoreKey("99", "v2.1", "default")]
    for i, key in enumerate(keys):
        lease = store.acquire(key, wait=True, timeout=1, seen_expires_at=0)
        assert lease is not None
        assert lease.record is None
        lease.save(TokenRecord(StoredToken(f"tok{i}", 0, 100 + i, "kid"), generation=1))
        lease.release()
    loaded = [store.load(key) for key in keys]
    assert [r.current.token for r in loaded if r and r.current] == ["tok0", "tok1", "tok2"]


def test_non_blocking_acquire_returns_none_while_held(tmp_path: Path) -> None:
    """ADVISORY losers do not wait; readers keep reading during a write."""
    store = SQLiteStore(tmp_path / "t.db")
    held = store.acquire(KEY, wait=True, timeout=1, seen_expires_at=0)
    assert held is not None
    assert held.held
    assert store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0) is None
    assert store.load(KEY) is None
    held.release()
    again = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)
    assert again is not None
    again.release()


def test_encrypted_store_hides_token_and_rejects_swaps(tmp_path: Path) -> None:
    """With encryption the token text is not in the file; wrong key or moved blob = miss."""
    path = tmp_path / "t.db"
    key1, key2 = Fernet.generate_key(), Fernet.generate_key()
    store = SQLiteStore(path, encryption_key=key1)
    secret_token = "a-very-recognisable-token-value"
    lease = store.acquire(KEY, wait=True, timeout=1, seen_expires_at=0)
    assert lease is not None
    lease.save(TokenRecord(StoredToken(secret_token, 0, 100)))
    lease.release()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("t.db*"))
    assert secret_token.encode() not in raw
    assert store.load(KEY).current.token == secret_token  # type: ignore[union-attr]
    assert SQLiteStore(path, encryption_key=[key2, key1]).load(KEY) is not None  # rotation
    assert SQLiteStore(path, encryption_key=key2).load(KEY) is None  # wrong key: a miss
    assert SQLiteStore(path).load(KEY) is None  # plaintext reader: a miss
    with sqlite3.connect(path) as conn:  # a blob moved under another key: a miss
        conn.execute("UPDATE tokens SET key = ?", ("99:v2.1:default",))
    assert store.load(StoreKey("99", "v2.1", "default")) is None


def test_encrypted_manager_store_file(rig: Rig, tmp_path: Path) -> None:
    """A manager on an encrypted SQLiteStore writes no token text to disk."""
    path = tmp_path / "enc.db"
    m = rig.manager(rig.v21(), store=SQLiteStore(path, encryption_key=Fernet.generate_key()))
    token = m.token()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("enc.db*"))
    assert token.encode() not in raw
    assert rig.emu.channel_secret.encode() not in raw


def test_restart_reuses_the_stored_token(rig: Rig, tmp_path: Path) -> None:
    """A new manager on the same file serves the stored token without issuing."""
    path = tmp_path / "t.db"
    first = rig.manager(rig.v21(), store=SQLiteStore(path)).token()
    second = rig.manager(rig.v21(), store=SQLiteStore(path), seed=1).token()
    assert first == second
    assert rig.emu.count(V21_ISSUE) == 1


@pytest.mark.parametrize("where", ["explicit", "default"])
def test_thousand_restarts_stay_within_the_bound(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """1,000 restarts (one a minute... and an hour): never more than 2 live v2.1 tokens."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from line_token._manager import TokenManager

    for i in range(1000):
        store = SQLiteStore(tmp_path / "t.db") if where == "explicit" else None
        m = TokenManager(
            rig.v21(),
            store=store,
            client=rig.client(),
            clock=rig.clock,
            wall_clock=rig.clock,
            rng=__import__("random").Random(i).random,
        )
        m.token()
        m.close()
        assert rig.active() <= 2
        rig.emu.advance(60 if i < 500 else 3600)
    issued = rig.emu.count(V21_ISSUE)
    print(f"1000 restarts ({where} store): {issued} v2.1 issued")
    assert 10 < issued < 100  # about one per 16 h of the 500 h simulated
    if where == "default":
        assert mode(tmp_path / "cache" / "line-token" / "tokens.db") == 0o600


def test_eight_processes_one_issue(line_emulator: LineEmulator, tmp_path: Path) -> None:
    """8 processes, each with a cold manager on one SQLite file: exactly one issue request."""
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(8), ctx.Queue()
    spec = ("sqlite", str(tmp_path / "t.db"))
    args = (line_emulator.base_url, line_emulator.channel_id, line_emulator.channel_secret, spec)
    procs = [ctx.Process(target=get_token, args=(*args, barrier, queue)) for _ in range(8)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert len(set(results)) == 1, results
    assert not results[0].startswith("error")
    assert line_emulator.count(STATELESS_ISSUE) == 1


def test_killed_lock_holder_leaves_no_stale_lock(
    line_emulator: LineEmulator, rig: Rig, tmp_path: Path
) -> None:
    """SIGKILL the process holding BEGIN IMMEDIATE mid-issue: another issues; the file is intact."""
    path = tmp_path / "t.db"
    SQLiteStore(path)
    line_emulator.inject_fault(STATELESS_ISSUE, delay=10)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    args = (line_emulator.base_url, line_emulator.channel_id, line_emulator.channel_secret)
    holder = ctx.Process(target=get_token, args=(*args, ("sqlite", str(path)), None, queue))
    holder.start()
    for _ in range(6000):  # until the holder is inside its transaction
        if write_locked(path):
            break
        time.sleep(0.01)
    assert write_locked(path)
    os.kill(holder.pid, signal.SIGKILL)  # type: ignore[arg-type]
    holder.join()
    line_emulator.emulator.clear_faults()
    m = rig.manager(rig.stateless(), store=SQLiteStore(path), lock_timeout=5)
    assert m.token()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert SQLiteStore(path).load(StoreKey(line_emulator.channel_id, "stateless", "default"))


def test_cap_soak_twenty_workers_ninety_days(rig: Rig, tmp_path: Path) -> None:
    """20 workers on one file, restarting now and then for 90 days, plus some 401s:
    never more than 2 live v2.1 tokens of ours; a foreign token is never touched."""
    import random

    from line_token._manager import TokenManager

    foreign = rig.client().issue_v21_token(rig.emu.signer.sign(token_exp=30 * 86400))
    path = tmp_path / "t.db"
    chance = random.Random(9)

    def start(i: int) -> TokenManager:
        return rig.manager(rig.v21(), store=SQLiteStore(path), seed=chance.randrange(10**6))

    workers = [start(i) for i in range(20)]
    for hour in range(90 * 24):
        for i, worker in enumerate(workers):
            token = worker.token()
            if chance.random() < 0.01:
                worker.close()
                workers[i] = start(i)
            if chance.random() < 0.002:
                worker.invalidate(token)
        assert rig.active() - (1 if hour < 30 * 24 else 0) <= 2
        rig.emu.advance(3600)
    assert not rig.emu.emulator.token(foreign.access_token).revoked  # type: ignore[union-attr]
    issued = rig.emu.count(V21_ISSUE)
    print(f"90 days, 20 workers: {issued} v2.1 issued, {rig.emu.count(REVOKE)} revoked")
    assert issued < 200


def test_plain_store_file_holds_no_secret_key_or_assertion(rig: Rig, tmp_path: Path) -> None:
    """Unencrypted, the file holds tokens (0600) but never the secret, key or an assertion."""
    path = tmp_path / "plain.db"
    m = rig.manager(rig.v21(), store=SQLiteStore(path))
    m.token()
    token = m.rotate()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("plain.db*"))
    assert token.encode() in raw  # expected: the store's job
    assert rig.emu.channel_secret.encode() not in raw
    assert b"PRIVATE KEY" not in raw
    assert b"client_assertion" not in raw
    assert rig.emu.signer.sign()[:40].encode() not in raw  # the assertion header+claims prefix
    assert mode(path) == 0o600


def test_a_file_that_is_not_a_store_is_a_store_error(tmp_path: Path) -> None:
    """Pointing the store at some other file fails at once, naming it and what to do."""
    from line_token.stores import StoreError

    other = tmp_path / "notes.txt"
    other.write_bytes(b"not a database, just some text " * 100)
    with pytest.raises(StoreError, match=r"notes\.txt.*cannot be used.*another path"):
        SQLiteStore(other)


ROUNDS = 8


def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    """Eight processes opening a store that does not exist yet, at the same instant, all get
    it: switching a new file to WAL fails with 'database is locked' for all but one unless
    retried (it did, in about half of such rounds)."""
    ctx = multiprocessing.get_context("forkserver")
    outcomes: list[str] = []
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"round{round_}" / "tokens.db")
        barrier, queue = ctx.Barrier(8), ctx.Queue()
        procs = [ctx.Process(target=open_store, args=(path, barrier, queue)) for _ in range(8)]
        for proc in procs:
            proc.start()
        outcomes += [queue.get(timeout=120) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
    assert outcomes == ["ok"] * (8 * ROUNDS)


def test_keys_and_opening_without_create(tmp_path: Path) -> None:
    """keys() lists records; create=False opens an existing store and leaves anything else
    untouched, refusing it with a StoreError."""
    from line_token.stores import StoredToken, StoreError, StoreKey, TokenRecord

    path = tmp_path / "tokens.db"
    store = SQLiteStore(path)
    assert store.keys() == []
    key = StoreKey("1234567890", "v2.1", "default")
    lease = store.acquire(key, wait=True, timeout=1, seen_expires_at=0)
    assert lease is not None
    lease.save(TokenRecord(StoredToken("t" * 20, time.time(), time.time() + 600)))
    lease.release()
    assert SQLiteStore(path, create=False).keys() == [key]

    with pytest.raises(StoreError, match="no token store"):
        SQLiteStore(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    before = other.read_bytes()
    with pytest.raises(StoreError, match="not a line-token store"):
        SQLiteStore(other, create=False)
    assert other.read_bytes() == before
