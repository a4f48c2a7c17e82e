"""RedisStore on a private redis-server: locks, compare-and-set, processes, a killed holder."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
import redis
from cryptography.fernet import Fernet
from workers import get_token

from conftest_manager import STATELESS_ISSUE, V21_ISSUE, Rig
from line_token import TokenUnavailableError
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import RedisStore, StoredToken, StoreError, StoreKey, TokenRecord

KEY = StoreKey("1234567890", "v2.1", "default")


def record(token: str, expires_at: float) -> TokenRecord:
    return TokenRecord(StoredToken(token, expires_at - 100, expires_at))


def test_lock_is_exclusive_and_released_by_its_owner_only(redis_url: str) -> None:
    """NX lock; a late release by a former holder cannot delete the successor's lock."""
    store = RedisStore(redis_url, lock_ttl=0.3)
    first = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)
    assert first is not None
    assert first.held
    assert store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0) is None
    time.sleep(0.4)  # the first holder's lock expires (it "paused")
    second = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)
    assert second is not None
    first.release()  # late: must not free the successor's lock
    assert store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0) is None
    second.release()
    assert store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0) is not None


def test_compare_and_set_accepts_only_later_tokens_from_non_owners(redis_url: str) -> None:
    """An owner writes; anyone else writes only a token that expires later."""
    store = RedisStore(redis_url, lock_ttl=5)
    now = time.time()
    owner = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)
    assert owner is not None
    assert owner.save(record("new", now + 1000))
    stale = store.acquire(KEY, wait=True, timeout=0.3, seen_expires_at=now + 5000)
    assert stale is not None
    assert not stale.held
    assert not stale.save(record("old", now + 500))  # a paused holder's older token
    assert store.load(KEY).current.token == "new"  # type: ignore[union-attr]
    assert stale.save(record("newer", now + 2000))
    assert store.load(KEY).current.token == "newer"  # type: ignore[union-attr]
    owner.release()


def test_waiter_adopts_a_newer_token(redis_url: str) -> None:
    """A waiting acquirer returns (unheld) as soon as a newer token is stored."""
    store = RedisStore(redis_url, lock_ttl=10)
    holder = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)
    assert holder is not None
    holder.save(record("fresh", time.time() + 1000))
    waiter = store.acquire(KEY, wait=True, timeout=10, seen_expires_at=0)
    assert waiter is not None
    assert not waiter.held
    assert waiter.record is not None
    holder.release()


def test_two_managers_one_issue_and_restart_reuse(rig: Rig, redis_url: str) -> None:
    """Two managers (separate memory) on one Redis issue once; a restart reuses the token."""
    a = rig.manager(rig.v21(), store=RedisStore(redis_url))
    b = rig.manager(rig.v21(), store=RedisStore(redis_url), seed=1)
    assert a.token() == b.token()
    c = rig.manager(rig.v21(), store=RedisStore(redis_url), seed=2)
    assert c.token() == a.token()
    assert rig.emu.count(V21_ISSUE) == 1


def test_encrypted_redis_holds_no_token_text(rig: Rig, redis_url: str) -> None:
    """With encryption_key, no value in Redis contains the token."""
    store = RedisStore(redis_url, encryption_key=Fernet.generate_key())
    token = rig.manager(rig.v21(), store=store).token()
    client = redis.Redis.from_url(redis_url)
    dump = b""
    for key in client.scan_iter("*"):
        if client.type(key) == b"hash":
            dump += b"".join(bytes(v) for v in client.hgetall(key).values())  # type: ignore[arg-type]
        else:
            dump += bytes(client.get(key) or b"")  # type: ignore[arg-type]
    assert dump
    assert token.encode() not in dump


def test_records_expire_with_their_tokens(rig: Rig, redis_url: str) -> None:
    """The value key carries a PEXPIREAT near the token's expiry."""
    rig.manager(rig.stateless(), store=RedisStore(redis_url)).token()
    client = redis.Redis.from_url(redis_url)
    (key,) = list(client.scan_iter("line-token:*stateless*"))
    assert 0 < client.pttl(key) <= 1000 * 1000


def test_eight_processes_one_issue(line_emulator: LineEmulator, redis_url: str) -> None:
    """8 processes, each with a cold manager on one Redis: exactly one issue request."""
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(8), ctx.Queue()
    args = (line_emulator.base_url, line_emulator.channel_id, line_emulator.channel_secret)
    procs = [
        ctx.Process(target=get_token, args=(*args, ("redis", redis_url), barrier, queue))
        for _ in range(8)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert len(set(results)) == 1, results
    assert not results[0].startswith("error")
    assert line_emulator.count(STATELESS_ISSUE) == 1


def test_killed_lock_holder(line_emulator: LineEmulator, rig: Rig, redis_url: str) -> None:
    """SIGKILL the Redis lock holder mid-issue: a successor issues within the lock's TTL."""
    line_emulator.inject_fault(STATELESS_ISSUE, delay=10)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    args = (line_emulator.base_url, line_emulator.channel_id, line_emulator.channel_secret)
    holder = ctx.Process(target=get_token, args=(*args, ("redis", redis_url), None, queue))
    holder.start()
    client = redis.Redis.from_url(redis_url)
    for _ in range(6000):  # until the holder has the lock
        if list(client.scan_iter("line-token:lock:*")):
            break
        time.sleep(0.01)
    (lock_key,) = list(client.scan_iter("line-token:lock:*"))
    ttl_ms = client.pttl(lock_key)
    os.kill(holder.pid, signal.SIGKILL)  # type: ignore[arg-type]
    holder.join()
    line_emulator.emulator.clear_faults()
    store = RedisStore(redis_url, lock_ttl=5)
    m = rig.manager(rig.stateless(), store=store, lock_timeout=5)
    assert 0 < ttl_ms <= 5000
    assert m.token()  # waits out the dead holder's lock (<= its TTL), then issues
    assert store.load(StoreKey(line_emulator.channel_id, "stateless", "default")) is not None
    assert not list(client.scan_iter("line-token:lock:*"))


def _dead_redis_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_redis_down_stateless_goes_on_without_it(rig: Rig) -> None:
    """Store unreachable: a stateless manager still issues (no cap is at stake)."""
    m = rig.manager(rig.stateless(), store=RedisStore(_dead_redis_url()))
    assert m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 1


def test_redis_down_counted_kind_does_not_issue(rig: Rig) -> None:
    """Store unreachable: a v2.1 manager will not issue without its ledger."""
    m = rig.manager(rig.v21(), store=RedisStore(_dead_redis_url()))
    with pytest.raises(TokenUnavailableError) as info:
        m.token()
    assert isinstance(info.value.__cause__, StoreError)
    assert rig.emu.count(V21_ISSUE) == 0


def test_keys_lists_records_not_locks_nor_other_prefixes(redis_url: str) -> None:
    """keys() lists this prefix's records, sorted, leaving lock keys and other prefixes out."""
    store = RedisStore(redis_url)
    other = RedisStore(redis_url, prefix="elsewhere")
    assert store.keys() == []
    held = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)  # a lock key exists
    assert held is not None
    assert store.keys() == []
    held.save(record("t" * 20, time.time() + 600))
    held.release()
    second = StoreKey("1111111111", "stateless", "default")
    lease = other.acquire(second, wait=False, timeout=1, seen_expires_at=0)
    assert lease is not None
    lease.save(record("u" * 20, time.time() + 600))
    lease.release()
    assert store.keys() == [KEY]
    assert other.keys() == [second]
