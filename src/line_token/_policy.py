"""Pure refresh decisions shared by :class:`TokenManager` and :class:`AsyncTokenManager`.

Nothing here reads a clock, sleeps or does I/O: every function takes the time
it needs. The managers only move bytes and hold locks; what to do, and when,
is decided here once.

A token of lifetime ``L`` (LINE's ``expires_in``) lives through four states,
measured by the seconds it has left::

    FRESH      left > A + jitter        serve from memory, no I/O, no lock
    ADVISORY   M < left <= A + jitter   one caller refreshes; the rest are served at once
    MANDATORY  S < left <= M            callers wait for the one refresh and share its outcome
    UNUSABLE   left <= S (or no token)  never handed out; refresh or raise

with the safety margin ``S`` = 30 s, the mandatory window
``M = clamp(L / 10, 60 s, 10 min)`` and the advisory window
``A = min(L / 3, 24 h)`` (so a 15-minute stateless token renews in its last
5 minutes, a 1-day v2.1 token in its last 8 hours, a 30-day token in its last
day). Each manager moves its advisory start earlier by a random jitter of up to
10 % of ``A`` so a fleet that started together does not refresh together.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from ._errors import (
    InvalidAssertionError,
    InvalidCredentialsError,
    LineApiError,
    UnknownKeyError,
)

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "CONFIG_ERRORS",
    "NEGATIVE_CACHE",
    "LOST_RACE_PAUSE",
    "RETRY_AFTER_MAX",
    "SAFETY_MARGIN",
    "STORE_PEEK_INTERVAL",
    "Action",
    "Deadlines",
    "State",
    "Windows",
    "backoff_delay",
    "classify",
    "decide",
    "deadlines",
    "failure_gate",
    "is_config_error",
    "jitter",
    "peeks_store",
    "record_is_better",
    "windows_for",
]

SAFETY_MARGIN = 30.0
"""``S``: no token with this many seconds or fewer left is ever handed out."""

BACKOFF_BASE = 30.0
"""Backoff cap after the first failed refresh; doubles per consecutive failure."""

BACKOFF_MAX = 600.0
"""Largest backoff cap (10 minutes)."""

RETRY_AFTER_MAX = 3600.0
"""The longest ``Retry-After`` honoured (1 hour)."""

NEGATIVE_CACHE = 60.0
"""How long a configuration error (bad secret, kid or assertion) is remembered."""

CONFIG_ERRORS: tuple[type[LineApiError], ...] = (
    InvalidCredentialsError,
    UnknownKeyError,
    InvalidAssertionError,
)
"""Errors that retrying cannot fix: raised at once, negative-cached."""


class State(enum.Enum):
    """Where a token stands in its life (see the module docstring)."""

    FRESH = "fresh"
    ADVISORY = "advisory"
    MANDATORY = "mandatory"
    UNUSABLE = "unusable"


class Action(enum.Enum):
    """What a caller of ``token()`` does, given the state and the failure gate.

    * ``SERVE`` — return the current token now.
    * ``TRY_REFRESH`` — refresh if nobody else is (non-blocking); else ``SERVE``.
    * ``JOIN_REFRESH`` — wait for the one refresh (start it if none runs).
    * ``FAIL`` — no usable token and the gate is closed: raise the last error.
    """

    SERVE = "serve"
    TRY_REFRESH = "try-refresh"
    JOIN_REFRESH = "join-refresh"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Windows:
    """The refresh windows of one token, in seconds before its expiry.

    Attributes:
        safety: ``S``; a token with ``S`` seconds or fewer left is never served.
        mandatory: ``M``; with ``M`` or fewer left callers wait for a refresh.
        advisory: ``A``; with ``A`` or fewer left one caller refreshes.

    Example:
        >>> windows_for(899)
        Windows(safety=30.0, mandatory=89.9, advisory=299.6666666666667)
    """

    safety: float
    mandatory: float
    advisory: float

    @property
    def min_lifetime(self) -> float:
        """A newly issued token must live longer than this (``S + M``) to be accepted."""
        return self.safety + self.mandatory


def windows_for(
    lifetime: float,
    *,
    advisory: float | None = None,
    mandatory: float | None = None,
    safety: float = SAFETY_MARGIN,
) -> Windows:
    """The windows for a token that lives ``lifetime`` seconds; overrides win.

    The result always satisfies ``safety <= mandatory <= advisory``.

    Example:
        >>> w = windows_for(30 * 86400)
        >>> (w.mandatory, w.advisory)
        (600.0, 86400.0)
        >>> windows_for(86400, advisory=3600).advisory
        3600.0
    """
    m = float(mandatory) if mandatory is not None else min(max(lifetime / 10, 60.0), 600.0)
    a = float(advisory) if advisory is not None else min(lifetime / 3, 86400.0)
    m = max(m, safety)
    # Keep at least half the life FRESH, or a token would be refreshed at once.
    a = max(min(a, lifetime / 2), m)
    return Windows(float(safety), m, a)


def jitter(windows: Windows, rng: Callable[[], float]) -> float:
    """Seconds (in ``[0, 10 % of A)``) by which this manager starts refreshing early.

    ``rng`` returns a float in ``[0, 1)``; seeded in tests.

    Example:
        >>> jitter(windows_for(899), lambda: 0.5)
        14.983333333333334
    """
    span = 0.1 * windows.advisory
    # Never push the advisory start before the token is issued.
    return min(span * rng(), span)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Monotonic instants at which a token changes state (precomputed on install).

    ``fresh_until`` is what the hot path compares against.
    """

    fresh_until: float
    mandatory_at: float
    unusable_at: float


def deadlines(remaining: float, now: float, windows: Windows, early: float = 0.0) -> Deadlines:
    """The monotonic deadlines of a token with ``remaining`` seconds left at monotonic ``now``.

    Example:
        >>> deadlines(900, 0.0, windows_for(900))
        Deadlines(fresh_until=600.0, mandatory_at=810.0, unusable_at=870.0)
    """
    end = now + remaining
    return Deadlines(
        fresh_until=end - windows.advisory - early,
        mandatory_at=end - windows.mandatory,
        unusable_at=end - windows.safety,
    )


def classify(d: Deadlines | None, now: float) -> State:
    """The state of a token with deadlines ``d`` at monotonic ``now`` (``None``: no token).

    Example:
        >>> d = deadlines(900, 0.0, windows_for(900))
        >>> [classify(d, t).value for t in (0, 600, 810, 870)]
        ['fresh', 'advisory', 'mandatory', 'unusable']
    """
    if d is None or now >= d.unusable_at:
        return State.UNUSABLE
    if now >= d.mandatory_at:
        return State.MANDATORY
    if now >= d.fresh_until:
        return State.ADVISORY
    return State.FRESH


def decide(state: State, gate_open: bool) -> Action:
    """What a ``token()`` call does in ``state``; ``gate_open`` is false during backoff.

    Example:
        >>> decide(State.ADVISORY, gate_open=False).value
        'serve'
        >>> decide(State.UNUSABLE, gate_open=False).value
        'fail'
    """
    if state is State.FRESH:
        return Action.SERVE
    if state is State.ADVISORY:
        return Action.TRY_REFRESH if gate_open else Action.SERVE
    if state is State.MANDATORY:
        return Action.JOIN_REFRESH if gate_open else Action.SERVE
    return Action.JOIN_REFRESH if gate_open else Action.FAIL


LOST_RACE_PAUSE = 1.0
"""After losing the store's refresh lock in ADVISORY, how long to just serve the current token
(another process is refreshing; trying again on every call would be a store round trip each)."""

STORE_PEEK_INTERVAL = 1.0
"""During backoff, how often a manager near or past expiry re-reads the shared store."""


def peeks_store(state: State, gate_open: bool) -> bool:
    """Whether a caller should re-read the shared store (no lock, no issue) first.

    During backoff a token near or past expiry may have been replaced by
    another process or host; reading the store is cheap, issuing is not.

    Example:
        >>> peeks_store(State.UNUSABLE, gate_open=False), peeks_store(State.FRESH, False)
        (True, False)
    """
    return not gate_open and state in (State.MANDATORY, State.UNUSABLE)


def is_config_error(error: BaseException) -> bool:
    """Whether ``error`` is a configuration error that no retry can fix."""
    return isinstance(error, CONFIG_ERRORS)


def backoff_delay(
    failures: int,
    rng: Callable[[], float],
    retry_after: float | None = None,
    max_delay: float = BACKOFF_MAX,
) -> float:
    """Seconds to wait after the ``failures``-th consecutive failed refresh (1-based).

    The cap is 30 s doubling to 10 min. The delay is drawn from ``[cap/2, cap)``
    ("equal jitter") rather than ``[0, cap)`` ("full jitter"): full jitter can
    draw ~0 and let a failing endpoint be hit again at once; the half floor
    bounds the request rate while still spreading a fleet. ``Retry-After`` (up to
    1 hour) is a floor. ``max_delay`` lowers the 10-minute cap (never below 30 s).

    Example:
        >>> backoff_delay(1, lambda: 0.0), backoff_delay(3, lambda: 0.0)
        (15.0, 60.0)
        >>> backoff_delay(9, lambda: 0.999) < 600
        True
        >>> backoff_delay(1, lambda: 0.0, retry_after=120)
        120.0
    """
    cap = min(BACKOFF_BASE * 2.0 ** max(failures - 1, 0), max(max_delay, BACKOFF_BASE))
    delay = cap / 2 + (cap / 2) * rng()
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(float(retry_after), RETRY_AFTER_MAX))
    return delay


def failure_gate(
    error: BaseException,
    failures: int,
    now: float,
    rng: Callable[[], float],
    max_delay: float = BACKOFF_MAX,
) -> float:
    """The monotonic instant before which no refresh is attempted after ``error``.

    Configuration errors are negative-cached for 60 s; other failures back off
    (see :func:`backoff_delay`). Managers pass the token's mandatory window as
    ``max_delay``: a 15-minute token then retries at least every 90 s instead
    of waiting up to 10 minutes past its own expiry.

    Example:
        >>> failure_gate(InvalidCredentialsError(400), 1, now=100.0, rng=lambda: 0.0)
        160.0
    """
    if is_config_error(error):
        return now + NEGATIVE_CACHE
    retry_after = getattr(error, "retry_after", None)
    if not isinstance(retry_after, int | float):
        retry_after = None
    return now + backoff_delay(failures, rng, retry_after, max_delay)


def record_is_better(candidate_expires_at: float, current_expires_at: float | None) -> bool:
    """Whether a stored token (by wall-clock expiry) should replace the one in memory.

    Example:
        >>> record_is_better(2000.0, 1000.0), record_is_better(1000.0, None)
        (True, True)
    """
    return current_expires_at is None or candidate_expires_at > current_expires_at
