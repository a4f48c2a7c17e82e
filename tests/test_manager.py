"""TokenManager (threads) against the emulator: windows, failures, 401s, rotation, slots."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest_manager import SHORT_ISSUE, STATELESS_ISSUE, V21_ISSUE, Rig, rig
from line_token import (
    InvalidCredentialsError,
    InvalidInputError,
    TokenLimitError,
    TokenUnavailableError,
    mask_token,
)
from line_token._issuers import StatelessIssuer, StaticToken
from line_token._manager import TokenManager
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import MemoryStore, SQLiteStore, StoreKey

__all__ = ["rig"]

REVOKE_V21 = "POST /oauth2/v2.1/revoke"


def run_threads(n: int, target: Callable[[], object]) -> list[object]:
    """Run ``target`` in ``n`` threads released together; return results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_cold_token_then_hot_path_does_no_io(rig: Rig) -> None:
    """The first call issues; later calls on a fresh token reach neither LINE nor the store."""

    class CountingStore(MemoryStore):
        calls = 0

        def load(self, key):  # type: ignore[no-untyped-def]
            CountingStore.calls += 1
            return super().load(key)

    m = rig.manager(rig.stateless(), store=CountingStore())
    token = m.token()
    before = (rig.emu.count(), CountingStore.calls)
    assert all(m.token() == token for _ in range(1000))
    assert (rig.emu.count(), CountingStore.calls) == before
    assert m.current() == token


def test_refreshes_in_advisory_window_only(rig: Rig) -> None:
    """A stateless token (900 s) is reused until its last ~5 minutes (+ jitter)."""
    m = rig.manager(rig.stateless())
    first = m.token()
    rig.emu.advance(900 - 300 - 31)  # before A + max jitter (30 s)
    assert m.token() == first
    assert rig.emu.count(STATELESS_ISSUE) == 1
    rig.emu.advance(60)  # now inside A
    second = m.token()
    assert second != first
    assert rig.emu.count(STATELESS_ISSUE) == 2


def test_advisory_failure_keeps_token_and_backs_off(rig: Rig) -> None:
    """ADVISORY + LINE down: the old token, one attempt, none until the backoff ends."""
    m = rig.manager(rig.stateless())
    first = m.token()
    rig.emu.advance(700)  # advisory
    rig.emu.inject_fault(STATELESS_ISSUE, status=500, count=100)
    assert [m.token() for _ in range(50)] == [first] * 50
    assert rig.emu.count(STATELESS_ISSUE) == 2
    rig.emu.advance(14)  # backoff is at least 15 s after the first failure
    assert m.token() == first
    assert rig.emu.count(STATELESS_ISSUE) == 2
    rig.emu.advance(16)  # and less than 30 s
    m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 3


def test_retry_after_is_honoured(rig: Rig) -> None:
    """A 429's Retry-After postpones the next attempt past the normal backoff."""
    m = rig.manager(rig.stateless())
    first = m.token()
    rig.emu.advance(650)
    rig.emu.inject_fault(STATELESS_ISSUE, status=429, retry_after=120, count=1)
    assert m.token() == first
    rig.emu.advance(100)
    assert m.token() == first
    assert rig.emu.count(STATELESS_ISSUE) == 2
    rig.emu.advance(21)
    assert m.token() != first
    assert rig.emu.count(STATELESS_ISSUE) == 3


def test_mandatory_failure_serves_valid_token_with_error_log(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """MANDATORY + down: the still-valid token and an ERROR line (masked)."""
    m = rig.manager(rig.stateless())
    first = m.token()
    rig.emu.advance(900 - 60)
    rig.emu.inject_fault(STATELESS_ISSUE, status=503, count=10)
    with caplog.at_level(logging.INFO, logger="line_token"):
        assert m.token() == first
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert mask_token(first) in caplog.text
    assert first not in caplog.text


def test_unusable_failure_raises_never_expired_token(rig: Rig) -> None:
    """UNUSABLE + down: TokenUnavailableError with the cause chained; never an old token."""
    m = rig.manager(rig.stateless())
    m.token()
    rig.emu.advance(900 - 30)
    rig.emu.inject_fault(STATELESS_ISSUE, status=500, count=10)
    with pytest.raises(TokenUnavailableError) as info:
        m.token()
    assert info.value.__cause__ is not None
    assert m.current() is None
    with pytest.raises(TokenUnavailableError):  # gated: no new request
        m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 2


def test_short_lived_response_is_rejected(rig: Rig) -> None:
    """A token living no longer than S + M is not accepted."""
    m = rig.manager(rig.v21(token_exp=600), mandatory=600)
    with pytest.raises(TokenUnavailableError, match="lives only"):
        m.token()


def test_bad_secret_raised_at_once_and_negative_cached(rig: Rig) -> None:
    """Configuration errors are raised as themselves and not retried for 60 s."""
    issuer = StatelessIssuer(rig.emu.channel_id, "wrong-secret")
    m = rig.manager(issuer)
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 1
    rig.emu.advance(61)
    with pytest.raises(InvalidCredentialsError):
        m.token()
    assert rig.emu.count(STATELESS_ISSUE) == 2


def test_thousand_threads_cold_one_issue(rig: Rig) -> None:
    """1,000 threads on a cold manager: exactly one issue request; all get the same token."""
    m = rig.manager(rig.v21())
    rig.emu.inject_fault(V21_ISSUE, delay=0.2)  # hold the flight open while threads pile up
    results = run_threads(1000, m.token)
    assert rig.emu.count(V21_ISSUE) == 1
    assert len(set(results)) == 1
    assert isinstance(results[0], str)


def test_advisory_losers_are_served_while_the_flight_is_open(rig: Rig) -> None:
    """In ADVISORY one thread refreshes; the others get the current token without waiting."""
    m = rig.manager(rig.stateless())
    first = m.token()
    rig.emu.advance(700)
    rig.emu.inject_fault(STATELESS_ISSUE, delay=0.5)
    results = run_threads(50, m.token)
    assert rig.emu.count(STATELESS_ISSUE) == 2
    assert results.count(first) >= 49
    assert m.token() != first


def test_twenty_concurrent_401s_one_refresh(rig: Rig) -> None:
    """invalidate(T) from 20 threads: one refresh; a stale token's 401 triggers nothing."""
    m = rig.manager(rig.v21())
    bad = m.token()
    outcomes = run_threads(20, lambda: m.invalidate(bad))
    assert outcomes.count(True) == 1
    assert rig.emu.count(V21_ISSUE) == 2
    assert m.token() != bad
    assert m.invalidate(bad) is False
    assert rig.emu.count(V21_ISSUE) == 2


def test_rotate_issues_and_revokes_the_old_token(rig: Rig) -> None:
    """rotate(): a new token now; the one it replaces is revoked at LINE."""
    m = rig.manager(rig.v21())
    old = m.token()
    new = m.rotate()
    assert new != old
    assert m.token() == new
    assert rig.emu.emulator.token(old).revoked  # type: ignore[union-attr]
    assert rig.active() == 1


def test_group_never_holds_more_than_max_active(rig: Rig) -> None:
    """Replaced early again and again (401s), a group keeps at most 2 live v2.1 tokens."""
    m = rig.manager(rig.v21(), store=SQLiteStore(rig.emu.private_key_path.parent / "t.db"))
    for i in range(40):
        assert m.invalidate(m.token())
        assert rig.active() <= 2
        rig.emu.advance(3600 * (i % 3))
    assert rig.emu.count(V21_ISSUE) == 41
    assert rig.emu.count(REVOKE_V21) >= 41 - 2


def test_token_limit_error_says_whose_tokens(rig: Rig) -> None:
    """The 31st v2.1 token refused: the message counts this group's share and says what to do."""
    client = rig.client()
    for _ in range(30):
        client.issue_v21_token(rig.emu.signer.sign(token_exp=86400))
    m = rig.manager(rig.v21())
    with pytest.raises(TokenUnavailableError) as info:
        m.token()
    cause = info.value.__cause__
    assert isinstance(cause, TokenLimitError)
    assert "0 of the 30 are this manager's group 'default'" in str(cause)
    assert "reconcile()" in str(cause)


def test_reconcile_revokes_ours_only(rig: Rig) -> None:
    """reconcile(): superseded tokens of the group revoked; foreign key ids reported, untouched."""
    foreign = rig.client().issue_v21_token(rig.emu.signer.sign(token_exp=86400))
    m = rig.manager(rig.v21())
    m.token()
    rig.emu.advance(17 * 3600)  # advisory: a second token, the first kept
    current = m.token()
    assert rig.active() == 3
    report = m.reconcile()
    assert report.unknown == (foreign.key_id,)
    assert len(report.revoked) == 1
    assert rig.active() == 2
    assert not rig.emu.emulator.token(foreign.access_token).revoked  # type: ignore[union-attr]
    assert m.token() == current


def test_short_lived_manager(rig: Rig) -> None:
    """Short-lived tokens work the same way (30 days; oldest of ours revoked)."""
    m = rig.manager(rig.short_lived())
    t = m.token()
    assert m.token() == t
    assert rig.emu.count(SHORT_ISSUE) == 1
    assert m.reconcile().live_key_ids is None


def test_static_token_is_never_refreshed(rig: Rig) -> None:
    """A StaticToken is served forever; rotate refuses; invalidate is a no-op."""
    long_lived = rig.emu.issue_long_lived_token()
    m = rig.manager(StaticToken(long_lived))
    assert m.token() == long_lived
    rig.emu.advance(10 * 365 * 86400)
    assert m.token() == long_lived
    assert m.invalidate(long_lived) is False
    with pytest.raises(InvalidInputError):
        m.rotate()
    assert rig.emu.count() == 0


def test_no_secret_in_reprs_logs_or_errors(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """Tokens, secrets and keys never appear in reprs, logs or error messages."""
    issuer = rig.v21()
    secrets = [rig.emu.channel_secret, rig.emu.private_key_pem.decode()]
    with caplog.at_level(logging.DEBUG):
        m = rig.manager(issuer)
        token = m.token()
        m.rotate()
        rig.emu.inject_fault(V21_ISSUE, status=500, count=5)
        rig.emu.advance(86400)
        with pytest.raises(TokenUnavailableError) as info:
            m.token()
    texts = [repr(issuer), repr(m), caplog.text, str(info.value), repr(m.store)]
    for text in texts:
        assert token not in text
        assert all(s not in text for s in secrets)


def test_context_manager_and_bad_options(rig: Rig) -> None:
    """Bad options are refused before any request; the manager is a context manager."""
    with pytest.raises(InvalidInputError):
        TokenManager(rig.stateless(), max_active=1, store=MemoryStore())
    with pytest.raises(InvalidInputError):
        TokenManager(rig.stateless(), group="a:b", store=MemoryStore())
    with pytest.raises(InvalidInputError):
        TokenManager(object(), store=MemoryStore())  # type: ignore[arg-type]
    with rig.manager(rig.stateless()) as m:
        assert m.token()


def test_base_url_convenience_over_real_http(line_emulator: LineEmulator) -> None:
    """TokenManager(issuer, base_url=...) builds (and closes) its own client."""
    issuer = StatelessIssuer(line_emulator.channel_id, line_emulator.channel_secret)
    with TokenManager(issuer, base_url=line_emulator.base_url) as m:
        assert isinstance(m.store, MemoryStore)
        assert m.token()
    assert line_emulator.count(STATELESS_ISSUE) == 1


def test_backed_off_manager_adopts_a_token_another_process_stored(rig: Rig, tmp_path: Path) -> None:
    """During backoff with no usable token, a token stored by another manager is picked up."""
    path = tmp_path / "t.db"
    a = rig.manager(rig.stateless(), store=SQLiteStore(path))
    rig.emu.inject_fault(STATELESS_ISSUE, status=500, count=1)
    with pytest.raises(TokenUnavailableError):
        a.token()
    b = rig.manager(rig.stateless(), store=SQLiteStore(path), seed=1)
    token = b.token()
    rig.emu.advance(1)
    assert a.token() == token
    assert rig.emu.count(STATELESS_ISSUE) == 2


def test_advisory_loser_of_the_store_lock_pauses(rig: Rig, tmp_path: Path) -> None:
    """Another process holds the refresh lock: serve the current token, retry after a pause."""
    path = tmp_path / "t.db"
    attempts: list[bool] = []

    class Counting(SQLiteStore):
        def acquire(self, key: StoreKey, **kwargs: Any) -> Any:
            attempts.append(kwargs["wait"])
            return super().acquire(key, **kwargs)

    m = rig.manager(rig.stateless(), store=Counting(path))
    first = m.token()
    rig.emu.advance(700)  # advisory
    other = SQLiteStore(path).acquire(m._core.key, wait=True, timeout=1, seen_expires_at=0)
    assert other is not None
    attempts.clear()
    assert [m.token() for _ in range(100)] == [first] * 100
    assert attempts == [False]  # one try, then a pause
    other.release()
    rig.emu.advance(1)
    assert m.token() != first
    assert rig.emu.count(STATELESS_ISSUE) == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_fork_while_refreshing_does_not_inherit_the_lock(rig: Rig) -> None:
    """A child forked while a parent thread holds the manager's lock gets a free lock."""
    m = rig.manager(rig.stateless())
    with m._lock:
        pid = os.fork()
        if pid == 0:  # child
            os._exit(0 if m._lock.acquire(blocking=False) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
