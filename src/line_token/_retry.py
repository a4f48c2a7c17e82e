"""Pure retry policy, and the one request flow that both clients drive.

The flow is a generator: it yields :class:`Send` (send this request, give me the
response or the exception) and :class:`Sleep` (wait this long), and returns the
parsed result. ``Client`` drives it with blocking I/O, ``AsyncClient`` with
``await``; the decisions exist once, here, and are tested without sleeping.

What is retried:

* network failures where the request never reached LINE (connect errors,
  connect/pool timeouts) — always;
* 429 — always (LINE refused before doing anything), honouring ``Retry-After``;
* 5xx and failures after the request may have reached LINE (read timeouts,
  dropped connections) — only for endpoints that do not mint a token. An issue
  call retried after LINE may have acted could mint a second token: for v2.1 one
  the caller never sees, holding one of the channel's 30 slots.
* 4xx other than 429 — never.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

import httpx

from ._errors import LineApiError, RateLimitError, ServerError, TransportError
from ._sansio import Call, Request, Response, api_error

__all__ = ["RetryPolicy", "Send", "Sleep", "call_flow", "reached_server"]

T = TypeVar("T")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def reached_server(exc: BaseException) -> bool:
    """Whether a failed request may have reached the server (so LINE may have acted)."""
    return not isinstance(exc, _NOT_SENT)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry. Full-jitter exponential backoff.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        base_delay: the backoff cap of the first retry, in seconds; doubles each retry.
        max_delay: the largest backoff cap.
        max_retry_after: the longest ``Retry-After`` honoured; a longer one ends retrying.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def should_retry(
        self,
        attempt: int,
        request: Request,
        *,
        status: int | None = None,
        error: BaseException | None = None,
        retry_after: float | None = None,
    ) -> bool:
        """Whether attempt number ``attempt`` (0-based) may be followed by another."""
        if attempt >= self.max_retries:
            return False
        if retry_after is not None and retry_after > self.max_retry_after:
            return False
        if error is not None:
            return not (request.mints and reached_server(error))
        if status == 429:
            return True
        if status is not None and status >= 500:
            return not request.mints
        return False

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``attempt + 1``.

        ``rng`` returns a float in [0, 1); ``Retry-After``, when given, is a floor.
        """
        cap = min(self.max_delay, self.base_delay * (2**attempt))
        jittered = cap * rng()
        return max(jittered, float(retry_after)) if retry_after is not None else float(jittered)


@dataclass(frozen=True, slots=True)
class Send:
    """Flow step: send ``request``; resume with a :class:`Response` or the exception."""

    request: Request


@dataclass(frozen=True, slots=True)
class Sleep:
    """Flow step: wait ``seconds``; resume with ``None``."""

    seconds: float


Step = Send | Sleep
Outcome = Response | BaseException | None


def call_flow(
    call: Call[T],
    policy: RetryPolicy,
    *,
    wall_clock: Callable[[], float],
    rng: Callable[[], float] = random.random,
) -> Generator[Step, Outcome, T]:
    """Run ``call`` with retries. Drive it with :class:`Send`/:class:`Sleep` handling."""
    request = call.request
    attempt = 0
    while True:
        sent_at = wall_clock()
        outcome = yield Send(request)
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, httpx.TransportError):
                raise outcome
            if policy.should_retry(attempt, request, error=outcome):
                yield Sleep(policy.delay(attempt, None, rng))
                attempt += 1
                continue
            raise _transport_error(request, outcome, attempt) from outcome
        assert isinstance(outcome, Response)
        if outcome.status == 429 or outcome.status >= 500:
            error = api_error(outcome, request)
            if policy.should_retry(
                attempt, request, status=outcome.status, retry_after=error.retry_after
            ):
                yield Sleep(policy.delay(attempt, error.retry_after, rng))
                attempt += 1
                continue
            raise _annotate(error, attempt)
        return call.parse(outcome, sent_at)


def _annotate(error: LineApiError, attempt: int) -> LineApiError:
    if attempt and isinstance(error, RateLimitError | ServerError):
        error.args = (f"{error.args[0]} [after {attempt + 1} attempts]",)
    return error


def _transport_error(request: Request, exc: BaseException, attempt: int) -> TransportError:
    kind = type(exc).__name__
    tries = f" after {attempt + 1} attempts" if attempt else ""
    if isinstance(exc, httpx.TimeoutException):
        what = "timed out"
    elif isinstance(exc, httpx.ConnectError):
        what = "could not connect"
    else:
        what = "failed"
    note = ""
    if request.mints and reached_server(exc):
        note = (
            "; not retried because LINE may already have issued a token for it "
            "(it expires on its own)"
        )
    return TransportError(f"{request.endpoint} {what} ({kind}){tries}{note}")
