"""Faults on LINE's token endpoints, injected in the emulator: 500/503/429 storms, answers that
hang past the client's timeout, and dropped connections, during the first issue, during a
refresh and during a revoke. Time is the emulator's virtual clock; only a "hang" really waits
(the client's 0.1 s timeout)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from faults_helpers import (
    FAULTS,
    REVOKE_V21,
    SAFETY,
    Watch,
    async_client,
    attempts,
    client,
    faulted,
)

from conftest_manager import STATELESS_ISSUE, V21_ISSUE, Rig
from line_token import (
    LineTokenError,
    RateLimitError,
    ServerError,
    TokenUnavailableError,
    TransportError,
)
from line_token._async_manager import AsyncTokenManager
from line_token._manager import TokenManager
from line_token.stores import MemoryStore

# (kind, virtual seconds per call, virtual seconds to run, faults in the refresh storm)
KINDS: dict[str, tuple[float, float, int]] = {
    # 15 minutes: the advisory window (~5 min) fits three backed-off attempts and a success.
    "stateless": (5.0, 3 * 900.0, 3),
    # 1 day: eight hours of advisory window; backoff is capped at the 10-minute mandatory window.
    "v2.1": (60.0, 2 * 86400.0, 12),
}
ISSUE = {"stateless": STATELESS_ISSUE, "v2.1": V21_ISSUE}
CAUSES = (ServerError, RateLimitError, TransportError)


def issuer(rig: Rig, kind: str) -> Any:
    return rig.stateless() if kind == "stateless" else rig.v21(token_exp=86400)


def manager(rig: Rig, kind: str, flavour: str, transport: str = "inproc") -> Any:
    if flavour == "sync":
        return TokenManager(
            issuer(rig, kind),
            store=MemoryStore(),
            client=client(rig, transport),
            **rig.options(7, {}),
        )
    return AsyncTokenManager(
        issuer(rig, kind),
        store=MemoryStore(),
        client=async_client(rig, transport),
        **rig.options(7, {}),
    )


async def call(m: Any) -> str:
    """``token()`` of either manager. For the async one, also let a background refresh it
    started finish before virtual time moves on (in a real program it takes milliseconds of a
    loop that keeps running; here the clock would otherwise jump past it)."""
    if isinstance(m, AsyncTokenManager):
        try:
            return await m.token()
        finally:
            await m._settle()
    return m.token()  # type: ignore[no-any-return]


async def ride(rig: Rig, m: Any, watch: Watch, step: float, seconds: float) -> None:
    """Call ``token()`` every ``step`` virtual seconds for ``seconds``; the watch judges each."""
    end = rig.clock() + seconds
    causes: list[BaseException | None] = []
    while rig.clock() < end:
        try:
            token = await call(m)
        except TokenUnavailableError as exc:
            watch.raised(exc)
            causes.append(exc.__cause__)
        else:
            watch.served(token)
        rig.emu.advance(step)
    assert all(isinstance(cause, CAUSES) for cause in causes), causes


def check_backoff(rig: Rig, endpoint: str, cap: float) -> None:
    """After k consecutive failures the next attempt waits at least min(30 * 2^(k-1), cap) / 2."""
    streak = 0
    for (t0, failed), (t1, _) in itertools.pairwise(attempts(rig, endpoint)):
        if not failed:
            streak = 0
            continue
        streak += 1
        assert t1 - t0 >= min(30 * 2 ** (streak - 1), cap) / 2, (streak, t1 - t0)


def orphans(rig: Rig, kind: str, watch: Watch) -> int:
    """Live v2.1 tokens LINE minted that the manager never saw (0 for other kinds)."""
    if kind != "v2.1":
        return 0
    now = rig.clock()
    seen = set(watch.tokens)
    return sum(
        1
        for t in rig.emu.emulator.tokens(rig.emu.channel_id, "v2.1")
        if t.active(now) and t.value not in seen
    )


async def close(m: Any) -> None:
    """Close the manager and the httpx client it was given (its sockets, over loopback)."""
    if isinstance(m, AsyncTokenManager):
        await m.aclose()
        await m._client._http.aclose()
    else:
        m.close()


@pytest.mark.guarantee(
    "A storm of 500s, 503s, 429s, hangs past the timeout or dropped connections on the very "
    "first issue: token() raises TokenUnavailableError (cause chained) and never anything "
    "else, backs off between attempts, and serves a valid token as soon as the storm ends."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("kind", ["stateless", "v2.1"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_storm_during_first_issue(
    rig: Rig, figures: Any, fault: str, kind: str, flavour: str
) -> None:
    storm = 5
    rig.emu.inject_fault(ISSUE[kind], count=storm, **FAULTS[fault])
    m = manager(rig, kind, flavour)
    watch = Watch(rig)
    with pytest.raises(TokenUnavailableError) as first:
        await call(m)
    assert isinstance(first.value.__cause__, CAUSES)
    await ride(rig, m, watch, 5.0, 3600.0)
    await close(m)

    sent = attempts(rig, ISSUE[kind])
    assert faulted(rig) == storm  # every fault was met: the manager kept trying
    assert [f for _, f in sent[: storm + 1]] == [True] * storm + [False]
    assert all(not f for _, f in sent[storm:])  # then one issue, and later refreshes all work
    check_backoff(rig, ISSUE[kind], 600.0)
    assert watch.expired == 0
    assert watch.failures == 0
    assert watch.unavailable >= storm - 1  # the storm was felt by callers, as it should be
    assert watch.tokens
    # A hang is an answer that came too late: LINE minted a v2.1 token the manager never saw
    # (it holds one of the channel's 30 until it expires); every other fault mints nothing.
    assert orphans(rig, kind, watch) == (storm if fault == "hang" and kind == "v2.1" else 0)
    figures.add(calls=watch.calls + 1, faults=faulted(rig), failures=0, expired=watch.expired)
    figures.add(unavailable=watch.unavailable + 1, orphans=orphans(rig, kind, watch))


@pytest.mark.guarantee(
    "A storm of 500s, 503s, 429s, hangs past the timeout or dropped connections during a "
    "refresh: every call is still served the current, valid token (zero failures, zero "
    "expired), attempts back off, and the refresh succeeds once the storm ends."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("kind", ["stateless", "v2.1"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_storm_during_refresh(
    rig: Rig, figures: Any, fault: str, kind: str, flavour: str
) -> None:
    step, seconds, storm = KINDS[kind]
    m = manager(rig, kind, flavour)
    watch = Watch(rig)
    watch.served(await call(m))
    rig.emu.inject_fault(ISSUE[kind], count=storm, **FAULTS[fault])
    await ride(rig, m, watch, step, seconds)
    await close(m)

    sent = attempts(rig, ISSUE[kind])
    assert faulted(rig) == storm
    assert sent[1 : storm + 1] == [(t, True) for t, _ in sent[1 : storm + 1]]
    assert all(not f for _, f in sent[storm + 1 :])
    lifetime = 900.0 if kind == "stateless" else 86400.0
    check_backoff(rig, ISSUE[kind], max(60.0, min(lifetime / 10, 600.0)))
    assert watch.failures == 0
    assert watch.expired == 0
    assert watch.unavailable == 0
    assert len(watch.tokens) >= 3  # the storm's refresh, and later ones, all succeeded
    hung = storm if fault == "hang" and kind == "v2.1" else 0
    assert orphans(rig, kind, watch) <= hung  # (some may have expired by the end)
    figures.add(calls=watch.calls, faults=faulted(rig), failures=watch.failures)
    figures.add(expired=watch.expired, refreshes=len(watch.tokens) - 1)


@pytest.mark.guarantee(
    "Hangs, dropped connections and 503s over real loopback HTTP, during the first issue and "
    "during a refresh: the same outcome as in-process (typed error with no token, the valid "
    "token served otherwise, nothing expired)."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("fault", ["hang", "drop", "503"])
async def test_faults_over_loopback_http(rig: Rig, figures: Any, fault: str, flavour: str) -> None:
    m = manager(rig, "v2.1", flavour, transport="loopback")
    rig.emu.inject_fault(V21_ISSUE, count=2, **FAULTS[fault])
    watch = Watch(rig)
    for _ in range(2):
        with pytest.raises(TokenUnavailableError) as info:
            await call(m)
        assert isinstance(info.value.__cause__, CAUSES)
        watch.raised(info.value)
        rig.emu.advance(61)  # past the first backoff gate (at most 30 s, then 60 s)
        rig.emu.advance(61)
    watch.served(await call(m))
    rig.emu.inject_fault(V21_ISSUE, count=4, **FAULTS[fault])
    await ride(rig, m, watch, 120.0, 86400.0)
    await close(m)
    assert faulted(rig, V21_ISSUE) == 6
    assert watch.failures == 0
    assert watch.expired == 0
    assert watch.unavailable == 2
    assert len(watch.tokens) >= 2
    figures.add(calls=watch.calls, faults=faulted(rig), failures=0, expired=0)


@pytest.mark.guarantee(
    "A 429 with Retry-After during a refresh: no new attempt before Retry-After has passed, "
    "and the current token is served meanwhile."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_retry_after_is_honoured(rig: Rig, figures: Any, flavour: str) -> None:
    m = manager(rig, "v2.1", flavour)
    watch = Watch(rig)
    watch.served(await call(m))
    rig.emu.inject_fault(V21_ISSUE, status=429, retry_after=1800, count=2)
    await ride(rig, m, watch, 60.0, 86400.0)
    await close(m)
    sent = attempts(rig, V21_ISSUE)
    assert [f for _, f in sent[:4]] == [False, True, True, False]
    assert sent[2][0] - sent[1][0] >= 1800
    assert sent[3][0] - sent[2][0] >= 1800
    assert watch.failures == watch.expired == watch.unavailable == 0
    figures.add(calls=watch.calls, faults=faulted(rig), failures=0, expired=0)


@pytest.mark.guarantee(
    "Revoke calls that fail (500, 503, 429, hang, drop) during rotate() and during the "
    "refresh that must make room: the group never holds more than max_active (2) live v2.1 "
    "tokens, callers are always served a valid token, and the superseded token is revoked "
    "once LINE answers again."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_revoke_faults(rig: Rig, figures: Any, fault: str, flavour: str) -> None:
    m = manager(rig, "v2.1", flavour)
    watch = Watch(rig)
    first = await call(m)
    watch.served(first)
    rig.emu.inject_fault(REVOKE_V21, count=4, **FAULTS[fault])
    rotated = m.rotate()
    second = await rotated if asyncio.iscoroutine(rotated) else rotated
    watch.served(second)
    assert second != first
    # The revoke failed: the first token is still live, and still ours. (A "hang" is an answer
    # that comes too late: LINE did revoke, the client gave up waiting.)
    assert rig.active() == (1 if fault == "hang" else 2)
    peak = 2
    end = rig.clock() + 3 * 86400
    while rig.clock() < end:
        try:
            watch.served(await call(m))
        except LineTokenError as exc:
            watch.raised(exc)
        peak = max(peak, rig.active())
        rig.emu.advance(60)
    await close(m)
    record = rig.emu.emulator.token(first)
    assert record is not None
    assert record.revoked
    assert faulted(rig, REVOKE_V21) == 4
    assert peak <= 2
    assert watch.failures == watch.expired == watch.unavailable == 0
    figures.add(calls=watch.calls, faults=faulted(rig), failures=0, expired=0)
    figures.add(peak_live=peak)


@pytest.mark.guarantee(
    "A revoke whose answer is lost after LINE acted (so the manager keeps the token in its "
    "ledger and revokes it again later) never wedges rotation or refresh: tokens keep "
    "coming, every call is served, never more than 2 live."
)
@pytest.mark.parametrize("fault", ["drop", "500"])
def test_revoke_answer_lost_after_line_acted(rig: Rig, figures: Any, fault: str) -> None:
    m = manager(rig, "v2.1", "sync")
    watch = Watch(rig)
    watch.served(m.token())
    rig.emu.inject_fault(REVOKE_V21, count=3, process=True, **FAULTS[fault])
    peak = rotations = refused = 0
    for minute in range(4 * 24 * 60):
        if minute % 360 == 0:  # a rotation every six hours; rotate() raises what it meets
            try:
                watch.served(m.rotate())
                rotations += 1
            except LineTokenError:
                refused += 1
        try:
            watch.served(m.token())
        except LineTokenError as exc:
            watch.raised(exc)
        peak = max(peak, rig.active())
        rig.emu.advance(60)
    m.close()
    assert faulted(rig, REVOKE_V21) == 3
    assert peak <= 2
    assert rotations >= 14  # of 16: only rotations that met a fault were refused
    assert len(watch.tokens) >= rotations
    assert watch.failures == watch.expired == watch.unavailable == 0
    figures.add(calls=watch.calls, faults=faulted(rig), failures=0, expired=0)
    figures.add(rotations=rotations, rotations_refused=refused)


def test_safety_margin_is_what_the_watch_checks() -> None:
    """The watch's margin is the managers' (a change to one must reach the other)."""
    from line_token import _policy

    assert _policy.SAFETY_MARGIN == SAFETY
