"""Pure refresh decisions: windows, jitter, backoff, and the state x gate matrix."""

from __future__ import annotations

import random

import pytest

from line_token import (
    InvalidAssertionError,
    InvalidCredentialsError,
    RateLimitError,
    ServerError,
    TransportError,
    UnknownKeyError,
)
from line_token._policy import (
    BACKOFF_MAX,
    NEGATIVE_CACHE,
    RETRY_AFTER_MAX,
    SAFETY_MARGIN,
    Action,
    State,
    backoff_delay,
    classify,
    deadlines,
    decide,
    failure_gate,
    is_config_error,
    jitter,
    peeks_store,
    windows_for,
)

DAY = 86400.0

# lifetime -> (mandatory M, advisory A)
TABLE = {
    899.0: (89.9, 899 / 3),
    DAY: (600.0, DAY / 3),
    30 * DAY: (600.0, DAY),
}


@pytest.mark.parametrize(("lifetime", "expected"), TABLE.items())
def test_default_windows(lifetime: float, expected: tuple[float, float]) -> None:
    """M = clamp(L/10, 60 s, 10 min), A = min(L/3, 24 h), S = 30 s."""
    w = windows_for(lifetime)
    assert (w.mandatory, w.advisory) == pytest.approx(expected)
    assert w.safety == SAFETY_MARGIN
    assert w.min_lifetime == pytest.approx(SAFETY_MARGIN + expected[0])


@pytest.mark.parametrize("lifetime", TABLE)
def test_states_at_window_edges(lifetime: float) -> None:
    """At S, M and A +/- 1 s the state flips exactly at the boundary."""
    w = windows_for(lifetime)
    d = deadlines(lifetime, 0.0, w)

    def state_with(left: float) -> State:
        return classify(d, lifetime - left)

    assert state_with(w.advisory + 1) is State.FRESH
    assert state_with(w.advisory - 1) is State.ADVISORY
    assert state_with(w.mandatory + 1) is State.ADVISORY
    assert state_with(w.mandatory - 1) is State.MANDATORY
    assert state_with(w.safety + 1) is State.MANDATORY
    assert state_with(w.safety) is State.UNUSABLE
    assert state_with(w.safety - 1) is State.UNUSABLE
    assert classify(None, 0.0) is State.UNUSABLE


def test_stateless_renews_in_last_five_minutes_and_month_token_in_last_day() -> None:
    """The headline numbers of the design."""
    assert windows_for(899).advisory == pytest.approx(299.67, abs=0.01)
    assert windows_for(30 * DAY).advisory == DAY


def test_overrides_and_ordering() -> None:
    """Overrides win, but S <= M <= A <= L/2 always holds."""
    w = windows_for(DAY, advisory=3600, mandatory=120)
    assert (w.mandatory, w.advisory) == (120.0, 3600.0)
    w = windows_for(900, advisory=10_000, mandatory=10)
    assert w.safety <= w.mandatory <= w.advisory <= 450
    w = windows_for(900, advisory=1, mandatory=1)
    assert w.safety == w.mandatory == w.advisory == SAFETY_MARGIN


@pytest.mark.parametrize("lifetime", TABLE)
def test_jitter_bounds_with_seeded_rng(lifetime: float) -> None:
    """Jitter lies in [0, 10 % of A) and moves only the advisory start, earlier."""
    rng = random.Random(42)
    w = windows_for(lifetime)
    draws = [jitter(w, rng.random) for _ in range(10_000)]
    assert all(0 <= j < 0.1 * w.advisory for j in draws)
    assert max(draws) > 0.09 * w.advisory  # the whole span is used
    d0, d1 = deadlines(lifetime, 0.0, w), deadlines(lifetime, 0.0, w, early=max(draws))
    assert d1.fresh_until < d0.fresh_until
    assert (d1.mandatory_at, d1.unusable_at) == (d0.mandatory_at, d0.unusable_at)


MATRIX = {
    (State.FRESH, True): Action.SERVE,
    (State.FRESH, False): Action.SERVE,
    (State.ADVISORY, True): Action.TRY_REFRESH,
    (State.ADVISORY, False): Action.SERVE,
    (State.MANDATORY, True): Action.JOIN_REFRESH,
    (State.MANDATORY, False): Action.SERVE,
    (State.UNUSABLE, True): Action.JOIN_REFRESH,
    (State.UNUSABLE, False): Action.FAIL,
}


@pytest.mark.parametrize(("case", "action"), MATRIX.items())
def test_state_by_gate_matrix(case: tuple[State, bool], action: Action) -> None:
    """Every state x gate cell; a closed gate never triggers a request."""
    state, gate_open = case
    assert decide(state, gate_open) is action


def test_backoff_doubles_to_ten_minutes_with_a_jitter_floor() -> None:
    """Caps 30, 60, 120 ... 600 s; each draw lies in [cap/2, cap)."""
    rng = random.Random(7)
    for failures in range(1, 12):
        cap = min(30 * 2 ** (failures - 1), BACKOFF_MAX)
        draws = [backoff_delay(failures, rng.random) for _ in range(500)]
        assert all(cap / 2 <= d < cap for d in draws)


def test_retry_after_is_a_floor_up_to_one_hour() -> None:
    """Retry-After wins over a shorter backoff; more than 1 h is capped."""
    assert backoff_delay(1, lambda: 0.0, retry_after=120) == 120
    assert backoff_delay(1, lambda: 0.0, retry_after=10 * 3600) == RETRY_AFTER_MAX
    assert backoff_delay(5, lambda: 0.0, retry_after=1) == 240


@pytest.mark.parametrize(
    ("error", "config"),
    [
        (InvalidCredentialsError(400), True),
        (UnknownKeyError(404), True),
        (InvalidAssertionError(400), True),
        (ServerError(500), False),
        (RateLimitError(429, retry_after=90), False),
        (TransportError("down"), False),
    ],
)
def test_failure_gate(error: Exception, config: bool) -> None:
    """Configuration errors are negative-cached 60 s; others back off (Retry-After honoured)."""
    assert is_config_error(error) is config
    gate = failure_gate(error, 1, now=1000.0, rng=lambda: 0.0)
    if config:
        assert gate == 1000.0 + NEGATIVE_CACHE
    elif isinstance(error, RateLimitError):
        assert gate == 1090.0
    else:
        assert gate == 1015.0


def test_backoff_cap_follows_the_mandatory_window() -> None:
    """Managers cap the backoff at M: a 15-minute token retries at least every 90 s."""
    rng = random.Random(3)
    assert all(45 <= backoff_delay(9, rng.random, max_delay=90) < 90 for _ in range(200))
    assert backoff_delay(9, lambda: 0.0, max_delay=1) == 15  # never below the 30 s cap
    gate = failure_gate(ServerError(500), 9, now=0.0, rng=lambda: 0.0, max_delay=90)
    assert gate == 45


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("gate_open", [True, False])
def test_store_is_reread_only_during_backoff_near_expiry(state: State, gate_open: bool) -> None:
    """The cheap store read happens only when a closed gate would otherwise serve a dying token."""
    expected = not gate_open and state in (State.MANDATORY, State.UNUSABLE)
    assert peeks_store(state, gate_open) is expected
