"""Tests for line_token._retry: the pure policy and the flow, without sleeping."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import line_token as lt
from line_token import _sansio as s
from line_token._retry import RetryPolicy, Send, Sleep, call_flow, reached_server

JWT = "a.b.c"
OK_ISSUE = s.Response(
    200, {}, json.dumps({"access_token": "t", "expires_in": 900, "token_type": "Bearer"}).encode()
)
OK_VERIFY = s.Response(200, {}, b'{"client_id": "1", "expires_in": 5}')


def status(code: int, **headers: str) -> s.Response:
    return s.Response(code, headers, b"{}")


def drive(
    call: s.Call[Any], outcomes: Iterable[object], policy: RetryPolicy | None = None
) -> tuple[Any, list[object]]:
    """Run the flow, answering each Send from ``outcomes``; return result and the steps."""
    flow = call_flow(call, policy or RetryPolicy(), wall_clock=lambda: 7.0, rng=lambda: 0.5)
    answers = iter(outcomes)
    steps: list[object] = []
    step = next(flow)
    while True:
        steps.append(step)
        outcome = next(answers) if isinstance(step, Send) else None
        try:
            step = flow.send(outcome)  # type: ignore[arg-type]
        except StopIteration as done:
            return done.value, steps


def sleeps(steps: list[object]) -> list[float]:
    return [x.seconds for x in steps if isinstance(x, Sleep)]


def test_success_first_time_records_send_time() -> None:
    """One send, no sleep; issued_at is the wall time at sending."""
    token, steps = drive(s.issue_stateless_token(assertion=JWT), [OK_ISSUE])
    assert token.issued_at == 7.0
    assert len(steps) == 1


def test_5xx_retried_for_reads_with_growing_jittered_backoff() -> None:
    """verify: two 503s, then success; waits are full-jitter halves of 0.5 s, 1 s."""
    info, steps = drive(s.verify_token("t"), [status(503), status(500), OK_VERIFY])
    assert info.expires_in == 5
    assert sleeps(steps) == [0.25, 0.5]


def test_5xx_not_retried_for_issuing() -> None:
    """An issue call that got 500 may have minted: no retry, ServerError."""
    with pytest.raises(lt.ServerError):
        drive(s.issue_v21_token(JWT), [status(500)])


def test_429_retried_for_issuing_and_honours_retry_after() -> None:
    """429 means LINE did nothing: retried even for issue calls; Retry-After is a floor."""
    token, steps = drive(
        s.issue_stateless_token(assertion=JWT), [status(429, **{"retry-after": "2"}), OK_ISSUE]
    )
    assert token.access_token == "t"
    assert sleeps(steps) == [2.0]


def test_retries_are_bounded() -> None:
    """max_retries=2: three attempts, then the last error, saying how many attempts."""
    with pytest.raises(lt.RateLimitError, match="after 3 attempts"):
        drive(s.verify_token("t"), [status(429)] * 3)


def test_long_retry_after_is_not_waited_for() -> None:
    """A Retry-After past the cap ends retrying at once."""
    with pytest.raises(lt.RateLimitError):
        drive(s.verify_token("t"), [status(429, **{"retry-after": "3600"})])


def test_4xx_never_retried() -> None:
    """400 is final."""
    with pytest.raises(lt.InvalidTokenError):
        drive(s.verify_token("t"), [s.Response(400, {}, b'{"error": "invalid_request"}')])


def test_connect_errors_retried_even_for_issuing() -> None:
    """A connection never made cannot have minted: retried."""
    token, steps = drive(
        s.issue_stateless_token(assertion=JWT), [httpx.ConnectError("refused"), OK_ISSUE]
    )
    assert token.access_token == "t"
    assert len(sleeps(steps)) == 1


def test_read_timeout_not_retried_for_issuing_and_explains_why() -> None:
    """A read timeout may follow a mint: TransportError saying it was not retried."""
    with pytest.raises(lt.TransportError, match="not retried because LINE may already") as info:
        drive(s.issue_v21_token(JWT), [httpx.ReadTimeout("slow")])
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


def test_read_errors_retried_for_reads() -> None:
    """verify survives a dropped connection."""
    info, _ = drive(s.verify_token("t"), [httpx.RemoteProtocolError("drop"), OK_VERIFY])
    assert info.client_id == "1"


def test_transport_error_after_retries() -> None:
    """Connect errors until retries are spent: TransportError, cause chained."""
    with pytest.raises(lt.TransportError, match=r"could not connect.*after 3 attempts"):
        drive(s.verify_token("t"), [httpx.ConnectError("x")] * 3)


def test_non_transport_exceptions_propagate() -> None:
    """A programming error is not swallowed as a network error."""
    with pytest.raises(KeyError):
        drive(s.verify_token("t"), [KeyError("x")])


def test_zero_retries() -> None:
    """max_retries=0 sends once."""
    with pytest.raises(lt.ServerError):
        drive(s.verify_token("t"), [status(502)], RetryPolicy(max_retries=0))


def test_reached_server_classification() -> None:
    """Connect failures did not reach the server; read failures may have."""
    assert not reached_server(httpx.ConnectError("x"))
    assert not reached_server(httpx.ConnectTimeout("x"))
    assert reached_server(httpx.ReadTimeout("x"))
    assert reached_server(httpx.RemoteProtocolError("x"))


@given(
    st.integers(min_value=0, max_value=30),
    st.floats(min_value=0, max_value=0.999999),
    st.one_of(st.none(), st.floats(min_value=0, max_value=30)),
)
def test_delay_is_bounded_full_jitter(attempt: int, r: float, retry_after: float | None) -> None:
    """0 <= delay <= cap, and never below Retry-After."""
    policy = RetryPolicy()
    delay = policy.delay(attempt, retry_after, lambda: r)
    cap = min(policy.max_delay, policy.base_delay * 2**attempt)
    assert 0 <= delay <= max(cap, retry_after or 0)
    if retry_after is not None:
        assert delay >= retry_after
