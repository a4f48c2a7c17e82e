"""Long virtual-clock runs: half of all issue requests fail; what does the manager hand out?"""

from __future__ import annotations

import itertools
import random

import httpx
import pytest

from conftest_manager import API, Rig, rig
from line_token import Client, TokenUnavailableError
from line_token._manager import TokenManager
from line_token.stores import MemoryStore

__all__ = ["rig"]

SAFETY = 30.0


class HalfDown(httpx.BaseTransport):
    """Forwards to the emulator, but answers 500 to a seeded half of the issue requests."""

    def __init__(self, inner: httpx.BaseTransport, clock: object, seed: int, path: str) -> None:
        self.inner = inner
        self.clock = clock
        self.rng = random.Random(seed)
        self.path = path
        self.log: list[tuple[float, bool]] = []  # (time, failed)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path:
            failed = self.rng.random() < 0.5
            self.log.append((self.clock(), failed))  # type: ignore[operator]
            if failed:
                return httpx.Response(500, json={"message": "injected outage"})
        return self.inner.handle_request(request)


@pytest.mark.parametrize(("kind", "days", "seed"), [("stateless", 3, 1), ("v2.1", 90, 2)])
def test_half_failing_issuer(rig: Rig, kind: str, days: int, seed: int) -> None:
    """Only tokens with > 30 s left are served; errors only when none exists; backoff obeyed."""
    issuer = rig.stateless() if kind == "stateless" else rig.v21()
    path = "/oauth2/v3/token" if kind == "stateless" else "/oauth2/v2.1/token"
    transport = HalfDown(rig.emu.transport(), rig.clock, seed, path)
    http = httpx.Client(transport=transport)
    client = Client(base_url=API, http_client=http, clock=rig.clock, max_retries=0)
    m = TokenManager(
        issuer,
        store=MemoryStore(),
        client=client,
        clock=rig.clock,
        wall_clock=rig.clock,
        rng=random.Random(seed).random,
    )
    steps = random.Random(seed)
    lifetime = 900.0 if kind == "stateless" else 86400.0
    step_max = 20.0 if kind == "stateless" else 600.0
    end = rig.clock() + days * 86400
    obtained: list[str] = []
    expiry: dict[str, float] = {}
    served = raised = 0
    while rig.clock() < end:
        try:
            token = m.token()
        except TokenUnavailableError:
            raised += 1
            now = rig.clock()
            assert all(expiry[t] - now <= SAFETY for t in obtained)  # no usable token existed
        else:
            served += 1
            record = rig.emu.emulator.token(token)
            assert record is not None
            assert record.active(rig.clock())
            assert record.expires_at is not None
            assert record.expires_at - rig.clock() > SAFETY
            expiry[token] = record.expires_at
            if not obtained or obtained[-1] != token:
                obtained.append(token)
        rig.emu.advance(steps.uniform(1.0, step_max))
    http.close()

    # Backoff: after k consecutive failures, the next attempt waits >= min(30 * 2^(k-1), 600)/2.
    # After a success, nothing is sent until the new token leaves its FRESH state.
    log = transport.log
    cap = max(30.0, min(max(lifetime / 10, 60), 600))  # the mandatory window caps the backoff
    streak = 0
    for (t0, failed), (t1, _) in itertools.pairwise(log):
        if failed:
            streak += 1
            assert t1 - t0 >= min(30 * 2 ** (streak - 1), cap) / 2
        else:
            streak = 0
            assert t1 - t0 >= lifetime - 1.1 * min(lifetime / 3, 86400)
    failures = sum(1 for _, f in log if f)
    assert failures > 5
    assert len(log) - failures == len(obtained)
    assert served > 100
    print(f"{kind}: {len(log)} issue requests, {failures} failed, {served} served, {raised} raised")
