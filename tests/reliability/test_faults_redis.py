"""A real redis-server that is killed, restarted (with and without its data), paused, or down
for hours of virtual time while managers keep serving. Tokens are judged by the emulator."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from faults_helpers import RedisServer, Watch, attempts, faulted

from conftest_manager import STATELESS_ISSUE, V21_ISSUE, Rig
from line_token import TokenUnavailableError
from line_token._async_manager import AsyncTokenManager
from line_token._manager import TokenManager
from line_token.stores import RedisStore, StoreError, StoreKey
from line_token.stores._redis import POLL_FIRST, POLL_MAX, poll_delays

DAY = 86400


def store(server: RedisServer, **kwargs: Any) -> RedisStore:
    return RedisStore(server.url, lock_ttl=5.0, **kwargs)


def v21_key(rig: Rig) -> StoreKey:
    return StoreKey(rig.emu.channel_id, "v2.1", "default")


async def token_of(m: Any) -> str:
    if isinstance(m, AsyncTokenManager):
        try:
            return await m.token()
        finally:
            await m._settle()  # let a background refresh finish before virtual time moves on
    return m.token()  # type: ignore[no-any-return]


def store_errors(caplog: pytest.LogCaptureFixture) -> int:
    return sum(1 for r in caplog.records if "Redis at" in r.getMessage())


@pytest.mark.guarantee(
    "Redis killed and restarted mid-run (twice), and down for 10 virtual hours across the "
    "refresh window: four managers on it (sync and async) serve every call a valid token, "
    "issue nothing while it is down, recover when it returns, and never hold more than 2 "
    "live v2.1 tokens."
)
async def test_redis_restarts_and_outage(
    rig: Rig, durable_redis: RedisServer, figures: Any, caplog: pytest.LogCaptureFixture
) -> None:
    managers: list[Any] = [
        rig.manager(rig.v21(), store=store(durable_redis), seed=i) for i in range(3)
    ]
    managers.append(rig.async_manager(rig.v21(), store=store(durable_redis), seed=3))
    watch = Watch(rig)
    start = rig.clock()
    peak = 0
    issued_while_down = 0
    # (virtual hour: what happens) — restarts in FRESH time, the outage across the refresh window
    plan = {3: "restart", 9: "stop", 19: "start", 30: "restart", 47: "restart"}
    for hour in range(72):
        event = plan.get(hour)
        if event in ("restart", "stop"):
            durable_redis.stop()
        if event in ("restart", "start"):
            durable_redis.start()
        down = durable_redis.proc is None
        for _ in range(6):  # every 10 minutes
            before = rig.emu.count(V21_ISSUE)
            for m in managers:
                watch.served(await token_of(m))
            if down:
                issued_while_down += rig.emu.count(V21_ISSUE) - before
            peak = max(peak, rig.active())
            rig.emu.advance(600)
    for m in managers:
        if isinstance(m, AsyncTokenManager):
            await m.aclose()
        else:
            m.close()

    record = store(durable_redis).load(v21_key(rig))
    assert record is not None
    assert record.current is not None
    assert record.current.token == watch.tokens[-1]  # the store caught up after the outage
    assert watch.failures == watch.expired == 0
    assert issued_while_down == 0
    refreshed_at = [t for t, _ in attempts(rig, V21_ISSUE)][1]
    assert refreshed_at >= start + 19 * 3600  # the refresh waited for Redis to come back
    assert peak <= 2
    assert durable_redis.starts == 5
    assert store_errors(caplog) > 0  # the outage was felt (and logged), not skipped
    kills = durable_redis.starts - 1  # every restart, and the outage, began with a SIGKILL
    figures.add(calls=watch.calls, faults=kills, failures=0, expired=0)
    figures.add(store_errors=store_errors(caplog), issued=rig.emu.count(V21_ISSUE), peak_live=peak)


@pytest.mark.guarantee(
    "Redis down and no usable token held: a v2.1 manager raises TokenUnavailableError "
    "saying Redis is unreachable and that no token is issued without the store (the "
    "30-token cap), issues nothing, and serves a token once Redis returns; a stateless "
    "manager issues without the store."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_redis_down_with_no_token(
    rig: Rig, volatile_redis: RedisServer, figures: Any, flavour: str
) -> None:
    volatile_redis.stop()
    make = rig.manager if flavour == "sync" else rig.async_manager
    counted = make(rig.v21(), store=store(volatile_redis))
    stateless = make(rig.stateless(), store=store(volatile_redis), seed=1)
    refusals = 0
    for _ in range(3):
        with pytest.raises(TokenUnavailableError) as info:
            await token_of(counted)
        refusals += 1
        rig.emu.advance(10)
    message = str(info.value)
    assert f"Redis at {volatile_redis.url} is unreachable" in message
    assert "check that redis-server is running" in message
    assert "not issued while their store is unavailable" in message
    assert "recovers by itself" in message
    assert isinstance(info.value.__cause__, StoreError)
    assert rig.emu.count(V21_ISSUE) == 0
    watch = Watch(rig)
    watch.served(await token_of(stateless))
    assert rig.emu.count(STATELESS_ISSUE) == 1

    volatile_redis.start()
    rig.emu.advance(600)  # past the backoff gate
    watch.served(await token_of(counted))
    assert rig.emu.count(V21_ISSUE) == 1
    assert store(volatile_redis).load(v21_key(rig)) is not None
    assert watch.expired == 0
    figures.add(calls=watch.calls + refusals, faults=1, failures=0, expired=0)
    figures.add(unavailable=refusals)


@pytest.mark.guarantee(
    "A Redis that hangs (SIGSTOP: the port open, nothing answers) while a token is held: "
    "every call is served the valid token, nothing is issued, and the refresh goes through "
    "once Redis answers again."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_redis_hangs(
    rig: Rig,
    volatile_redis: RedisServer,
    figures: Any,
    flavour: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = volatile_redis.url + "?socket_timeout=0.05&socket_connect_timeout=0.05"
    make = rig.manager if flavour == "sync" else rig.async_manager
    m = make(rig.v21(), store=RedisStore(url, lock_ttl=5.0))
    watch = Watch(rig)
    watch.served(await token_of(m))
    rig.emu.advance(16 * 3600)  # into the advisory window of the 1-day token
    volatile_redis.pause()
    for _ in range(3 * 3):  # three hours, every 20 minutes
        watch.served(await token_of(m))
        rig.emu.advance(1200)
    assert rig.emu.count(V21_ISSUE) == 1
    hung = store_errors(caplog)
    assert hung > 0  # the refresh was attempted, and met the hung server
    volatile_redis.resume()
    for _ in range(3):
        watch.served(await token_of(m))
        rig.emu.advance(1200)
    assert rig.emu.count(V21_ISSUE) == 2
    assert len(watch.tokens) == 2
    assert watch.failures == watch.expired == 0
    figures.add(calls=watch.calls, faults=1, failures=0, expired=0, store_errors=hung)


@pytest.mark.guarantee(
    "A Redis that restarts empty (no persistence) while a manager holds a v2.1 token: the "
    "token goes back into the rewritten ledger and is revoked when rotated out, not "
    "forgotten while it holds one of LINE's 30 slots."
)
def test_redis_restarted_empty_keeps_our_token_in_the_ledger(
    rig: Rig, volatile_redis: RedisServer, figures: Any
) -> None:
    m = rig.manager(rig.v21(), store=store(volatile_redis))
    watch = Watch(rig)
    first = m.token()
    watch.served(first)
    volatile_redis.stop()
    volatile_redis.start()  # every key is gone
    assert store(volatile_redis).load(v21_key(rig)) is None
    watch.served(m.token())  # still served from memory
    second = m.rotate()
    watch.served(second)
    record = rig.emu.emulator.token(first)
    assert record is not None
    assert record.revoked  # rotated out and revoked, not left holding a slot
    assert rig.active() == 1
    saved = store(volatile_redis).load(v21_key(rig))
    assert saved is not None
    assert saved.current is not None
    assert saved.current.token == second
    assert watch.failures == watch.expired == 0
    figures.add(calls=watch.calls, restarts=1, failures=0, expired=0)


@pytest.mark.guarantee(
    "Eight processes stampede an empty Redis store while the winner's issue is slowed: "
    "one issue request, one token for all (waiters poll from ~5 ms, backing off to 250 ms)."
)
def test_stampede_waiters_share_one_issue(
    rig: Rig, volatile_redis: RedisServer, figures: Any
) -> None:
    import threading

    rig.emu.inject_fault(STATELESS_ISSUE, delay=0.3)  # the winner takes a while
    managers = [rig.manager(rig.stateless(), store=store(volatile_redis), seed=i) for i in range(8)]
    barrier = threading.Barrier(8)
    results: list[str] = []

    def work(m: TokenManager) -> None:
        barrier.wait()
        results.append(m.token())

    threads = [threading.Thread(target=work, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 8
    assert len(set(results)) == 1
    assert rig.emu.count(STATELESS_ISSUE) == 1
    figures.add(calls=8, faults=faulted(rig), failures=0, expired=0)


def test_poll_schedule_doubles_from_5ms_to_250ms_with_jitter() -> None:
    """Lock waiters' pauses: within [d/2, d) for d = 5 ms doubling to a 250 ms cap."""
    low = poll_delays(lambda: 0.0)
    high = poll_delays(lambda: 0.999999)
    expected = POLL_FIRST
    for _ in range(12):
        lo, hi = next(low), next(high)
        assert lo == pytest.approx(expected / 2)
        assert expected / 2 <= hi < expected
        expected = min(expected * 2, POLL_MAX)
    assert expected == POLL_MAX
    assert pytest.approx(0.005) == POLL_FIRST
    assert pytest.approx(0.25) == POLL_MAX


def test_redis_errors_never_show_the_password(volatile_redis: RedisServer) -> None:
    """A store on a URL with a password names the server in errors, never the password."""
    volatile_redis.stop()
    url = volatile_redis.url.replace("redis://", "redis://user:hunter2-secret@")
    s = RedisStore(url)
    with pytest.raises(StoreError) as info:
        s.load(StoreKey("1", "v2.1", "default"))
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(s)
    assert f"127.0.0.1:{volatile_redis.port}" in str(info.value)
    assert isinstance(info.value.__cause__, redis.ConnectionError)
