"""Wall-clock jumps, forward and back, while managers run: their decisions follow the monotonic
clock. Three clocks: LINE's (the emulator's virtual clock), the manager's monotonic clock (it
follows LINE's elapsed time and never jumps) and the manager's wall clock (which jumps). The
assertion signer stays on LINE's time: these tests are about the manager's decisions."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from faults_helpers import Watch, attempts

from conftest_manager import STATELESS_ISSUE, V21_ISSUE, Rig
from line_token import TokenUnavailableError
from line_token._async_manager import AsyncTokenManager
from line_token._manager import TokenManager, monotonic_clock
from line_token.stores import MemoryStore, SQLiteStore

HOUR, DAY = 3600.0, 86400.0

# kind: (virtual seconds per call, calls, {call index: wall-clock jump in seconds})
PLANS: dict[str, tuple[float, int, dict[int, float]]] = {
    "stateless": (5.0, 540, {50: HOUR, 150: -2 * HOUR, 300: 2 * DAY, 420: -3 * DAY}),
    "v2.1": (60.0, 2880, {100: HOUR, 900: -2 * HOUR, 1500: 2 * DAY, 2200: -3 * DAY}),
}
ISSUE = {"stateless": STATELESS_ISSUE, "v2.1": V21_ISSUE}


class Clocks:
    """The manager's two clocks, driven by LINE's virtual time."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.start = rig.clock()
        self.offset = 0.0  # wall clock minus LINE's time
        self.jumps = 0

    def monotonic(self) -> float:
        return self.rig.clock() - self.start + 1000.0

    def wall(self) -> float:
        return self.rig.clock() + self.offset

    def jump(self, seconds: float) -> None:
        self.offset += seconds
        self.jumps += 1


def make(rig: Rig, kind: str, flavour: str, clocks: Clocks, store: Any = None) -> Any:
    issuer = rig.stateless() if kind == "stateless" else rig.v21(token_exp=int(DAY))
    options: dict[str, Any] = {
        "store": store if store is not None else MemoryStore(),
        "clock": clocks.monotonic,
        "wall_clock": clocks.wall,
        "rng": random.Random(5).random,
    }
    if flavour == "sync":
        return TokenManager(issuer, client=rig.client(), **options)
    return AsyncTokenManager(issuer, client=rig.async_client(), **options)


async def token_of(m: Any) -> str:
    if isinstance(m, AsyncTokenManager):
        try:
            return await m.token()
        finally:
            await m._settle()
    return m.token()  # type: ignore[no-any-return]


async def run(rig: Rig, kind: str, flavour: str, jumps: dict[int, float]) -> tuple[Watch, Any]:
    """One manager through the plan; returns the watch and the issue times relative to start."""
    step, calls, _ = PLANS[kind]
    clocks = Clocks(rig)
    first_request = len(attempts(rig, ISSUE[kind]))
    m = make(rig, kind, flavour, clocks)
    watch = Watch(rig)
    for i in range(calls):
        if i in jumps:
            clocks.jump(jumps[i])
        try:
            watch.served(await token_of(m))
        except TokenUnavailableError as exc:
            watch.raised(exc)
        rig.emu.advance(step)
    if isinstance(m, AsyncTokenManager):
        await m.aclose()
    else:
        m.close()
    times = [round(t - clocks.start, 3) for t, _ in attempts(rig, ISSUE[kind])[first_request:]]
    return watch, (times, clocks.jumps)


@pytest.mark.guarantee(
    "The wall clock jumps forward and back (+1 h, -2 h, +2 days, -3 days) during a run: every "
    "call is served a valid token, and the manager issues at exactly the same moments as "
    "with a steady wall clock (decisions follow the monotonic clock)."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("kind", ["stateless", "v2.1"])
async def test_wall_clock_jumps_do_not_move_decisions(
    rig: Rig, figures: Any, kind: str, flavour: str
) -> None:
    steady, (steady_times, _) = await run(rig, kind, flavour, {})
    jumped, (jumped_times, jumps) = await run(rig, kind, flavour, PLANS[kind][2])
    assert jumps == 4
    assert len(steady_times) >= 3  # the run spans several refreshes
    assert jumped_times == steady_times
    assert jumped.failures == jumped.expired == jumped.unavailable == 0
    assert steady.failures == steady.expired == steady.unavailable == 0
    figures.add(calls=jumped.calls, failures=0, expired=0, clock_jumps=jumps)
    figures.add(issues=len(jumped_times))


@pytest.mark.guarantee(
    "A host clock set back after a token was stored (it had run 10 minutes fast): a manager "
    "that then adopts the token from the store never serves it past its real expiry."
)
@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_clock_set_back_does_not_stretch_a_stored_token(
    rig: Rig, tmp_path: Path, figures: Any, flavour: str
) -> None:
    path = tmp_path / "tokens.db"
    fast = Clocks(rig)
    fast.jump(600)  # the host's clock runs 10 minutes ahead when the token is issued
    writer = make(rig, "stateless", "sync", fast, store=SQLiteStore(path))
    first = writer.token()
    writer.close()
    fixed = Clocks(rig)  # NTP sets the clock right; a restarted process reads the store
    reader = make(rig, "stateless", flavour, fixed, store=SQLiteStore(path))
    watch = Watch(rig)
    for _ in range(3 * 180):  # 45 minutes, every 5 s
        try:
            watch.served(await token_of(reader))
        except TokenUnavailableError as exc:
            watch.raised(exc)
        rig.emu.advance(5)
    if isinstance(reader, AsyncTokenManager):
        await reader.aclose()
    else:
        reader.close()
    assert watch.tokens[0] == first  # adopted, not re-issued
    assert len(watch.tokens) >= 3
    assert watch.expired == watch.failures == watch.unavailable == 0
    figures.add(calls=watch.calls, failures=0, expired=0, clock_jumps=1)


def test_default_clock_counts_suspended_time() -> None:
    """The default decision clock is CLOCK_BOOTTIME where there is one: it never jumps with
    the wall clock, and unlike CLOCK_MONOTONIC it keeps counting while the host sleeps, so a
    laptop or VM resumed after a day does not serve the token it held before as fresh."""
    if not hasattr(time, "CLOCK_BOOTTIME"):
        assert monotonic_clock is time.monotonic
        return
    assert getattr(monotonic_clock, "args", None) == (time.CLOCK_BOOTTIME,)
    first, second = monotonic_clock(), monotonic_clock()
    assert second >= first
    m = TokenManager(_static())
    assert m._clock is monotonic_clock
    am = AsyncTokenManager(_static())
    assert am._clock is monotonic_clock


def _static() -> Any:
    from line_token._issuers import StaticToken

    return StaticToken("a-long-lived-token", "1234567890")
