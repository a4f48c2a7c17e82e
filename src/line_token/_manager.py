"""``TokenManager``: a valid channel access token always at hand, from one process to a fleet.

The manager keeps the current token in memory and refreshes it before it
expires (windows and backoff: :mod:`line_token._policy`). Refreshes are
single-flight at every scope: one per manager (a lock), one per host
(:class:`~line_token.stores.SQLiteStore`), one per fleet
(:class:`~line_token.stores.RedisStore`).

The refresh itself is written once, as a generator of I/O steps
(:class:`Load`, :class:`Acquire`, :class:`Run`, :class:`Save`) that
:class:`TokenManager` drives with blocking calls and :class:`AsyncTokenManager`
with ``await``.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from . import _policy
from ._client import Client
from ._closing import Closing
from ._errors import (
    InvalidInputError,
    TokenLimitError,
    TokenUnavailableError,
    UnexpectedResponseError,
)
from ._issuers import Issuer, StaticToken
from ._models import IssuedToken, mask_token
from ._policy import Action, Deadlines, State
from ._sansio import Call
from .stores import (
    Lease,
    StoredToken,
    StoreError,
    StoreKey,
    TokenRecord,
    TokenStore,
    default_store,
    writer_id,
)

__all__ = ["ReconcileReport", "TokenManager"]

T = TypeVar("T")

logger = logging.getLogger("line_token")

LINE_CAP = 30

monotonic_clock: Callable[[], float] = (
    functools.partial(time.clock_gettime, time.CLOCK_BOOTTIME)
    if hasattr(time, "CLOCK_BOOTTIME")
    else time.monotonic
)
"""The managers' default decision clock: monotonic, and counting time the host was asleep.

On Linux ``time.monotonic`` (``CLOCK_MONOTONIC``) stops while the machine is suspended, so a
laptop or VM resumed after a day would believe the token it held is as fresh as when it went
to sleep; ``CLOCK_BOOTTIME`` is just as immune to wall-clock jumps and keeps counting.
"""


# --- I/O steps the refresh flow asks its driver to perform ------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    """Read the stored record (no lock). Resume with ``TokenRecord | None``."""


@dataclass(frozen=True, slots=True)
class Acquire:
    """Take the store's refresh lock. Resume with ``Lease | None``."""

    wait: bool
    seen_expires_at: float


@dataclass(frozen=True, slots=True)
class Run:
    """Send a request to LINE. Resume with its result (or its exception thrown in)."""

    call: Call[Any]


@dataclass(frozen=True, slots=True)
class Save:
    """Write a record through a lease. Resume with ``bool`` (``False``: a newer one won)."""

    lease: Lease
    record: TokenRecord


Op = Load | Acquire | Run | Save


class _NoStoreLease:
    """Stands in for a lease when the store is down and the kind needs no ledger."""

    held = False
    record: TokenRecord | None = None

    def save(self, record: TokenRecord) -> bool:
        return True

    def release(self) -> None:
        pass


Flow = Generator[Op, Any, T]


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What :meth:`TokenManager.reconcile` found and did.

    Attributes:
        live_key_ids: key ids LINE lists as live for the channel (``None`` for
            kinds LINE cannot list, such as short-lived tokens).
        ours: live key ids this group issued and still holds.
        revoked: labels (key id, or ``mask_token``) of superseded tokens revoked now.
        unknown: live key ids this group did not issue; never touched.
        forgotten: ledger entries dropped because they expired or were revoked elsewhere.
    """

    live_key_ids: tuple[str, ...] | None
    ours: tuple[str, ...]
    revoked: tuple[str, ...]
    unknown: tuple[str, ...]
    forgotten: int


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The token in memory, with its monotonic deadlines precomputed. Immutable."""

    token: str
    stored: StoredToken | None
    fresh_until: float
    deadlines: Deadlines

    def __repr__(self) -> str:
        return f"_Snapshot({mask_token(self.token)!r}, {self.deadlines})"


class ManagerCore:
    """State and decisions shared by the sync and async managers (no I/O of its own).

    Holds the snapshot, the failure gate, and writes the refresh and reconcile
    flows as generators of :data:`Op`.
    """

    def __init__(
        self,
        issuer: Issuer,
        *,
        group: str,
        advisory: float | None,
        mandatory: float | None,
        safety_margin: float,
        max_active: int,
        lock_timeout: float,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        rng: Callable[[], float],
    ) -> None:
        if not isinstance(issuer, Issuer):
            raise InvalidInputError(
                "issuer must be a StatelessIssuer, ShortLivedIssuer, V21Issuer or StaticToken"
            )
        if not isinstance(group, str) or not group or ":" in group:
            raise InvalidInputError("group must be a non-empty string without ':'")
        if isinstance(max_active, bool) or not isinstance(max_active, int) or max_active < 2:
            raise InvalidInputError(
                "max_active must be a whole number >= 2 (the token in use plus its successor)"
            )
        if not safety_margin > 0:
            raise InvalidInputError("safety_margin must be a positive number of seconds")
        self.issuer = issuer
        self.key = StoreKey(issuer.channel_id, issuer.kind, group)
        self.label = f"{issuer.kind} token of channel {issuer.channel_id} (group {group!r})"
        self.advisory = advisory
        self.mandatory = mandatory
        self.safety = float(safety_margin)
        self.max_active = max_active
        self.lock_timeout = float(lock_timeout)
        self.clock = clock
        self.wall_clock = wall_clock
        self.rng = rng
        self.early_draw = rng()  # this manager's place in the fleet's jitter
        self.snap: _Snapshot | None = None
        self.gate_until = -math.inf
        self.next_peek = -math.inf
        self.failures = 0
        self.last_error: BaseException | None = None
        if isinstance(issuer, StaticToken):
            inf = math.inf
            self.snap = _Snapshot(issuer.token, None, inf, Deadlines(inf, inf, inf))

    @property
    def static(self) -> bool:
        """Whether the issuer is a :class:`StaticToken` (never refreshed)."""
        return isinstance(self.issuer, StaticToken)

    # --- decisions ---------------------------------------------------------------

    def windows(self, lifetime: float) -> _policy.Windows:
        """The windows for a token living ``lifetime`` seconds, with this manager's overrides."""
        return _policy.windows_for(
            lifetime, advisory=self.advisory, mandatory=self.mandatory, safety=self.safety
        )

    def install(self, stored: StoredToken) -> None:
        """Make ``stored`` the token in memory (precomputes its monotonic deadlines)."""
        w = self.windows(stored.lifetime)
        early = _policy.jitter(w, lambda: self.early_draw)
        # Never more life than it was issued with, whatever the wall clock says now (a clock
        # set back after the token was stored would otherwise stretch it past its expiry).
        remaining = min(stored.expires_at - self.wall_clock(), stored.lifetime)
        d = _policy.deadlines(remaining, self.clock(), w, early)
        self.snap = _Snapshot(stored.token, stored, d.fresh_until, d)

    def action(self) -> tuple[State, Action]:
        """The state of the token in memory, and what a ``token()`` call does now."""
        now = self.clock()
        snap = self.snap
        state = _policy.classify(snap.deadlines if snap else None, now)
        return state, _policy.decide(state, now >= self.gate_until)

    def peek_due(self, state: State) -> bool:
        """Whether to re-read the store now (during backoff, at most once a second)."""
        now = self.clock()
        if not _policy.peeks_store(state, now >= self.gate_until) or now < self.next_peek:
            return False
        self.next_peek = now + _policy.STORE_PEEK_INTERVAL
        return True

    def peek_flow(self) -> Flow[None]:
        """Adopt a better token from the store, if one is there (no lock, no issue)."""
        self._adopt((yield from self._load()), None)

    def _load(self) -> Flow[TokenRecord | None]:
        try:
            record: TokenRecord | None = yield Load()
        except StoreError as exc:
            logger.warning("token store unavailable (%s); going on without it", exc)
            return None
        return record

    def current(self) -> str | None:
        """The token in memory if it has more than the safety margin left."""
        snap = self.snap
        if snap is not None and self.clock() < snap.deadlines.unusable_at:
            return snap.token
        return None

    def serve(self) -> str:
        """The token in memory if usable, else raise (see :meth:`unavailable`)."""
        token = self.current()
        if token is None:
            raise self.unavailable()
        return token

    def unavailable(self) -> BaseException:
        """The error for "no usable token": a configuration error itself, else
        :class:`TokenUnavailableError` with the last failure chained."""
        err = self.last_error
        if err is not None and _policy.is_config_error(err):
            return err.with_traceback(None)
        msg = f"no {self.label} with more than {self.safety:g} s of life"
        if err is not None:
            wait = max(0.0, self.gate_until - self.clock())
            msg += (
                f"; the last refresh failed ({type(err).__name__}: {err}); "
                f"next attempt in {wait:.0f} s"
            )
            if isinstance(err, StoreError) and self.issuer.counted:
                msg += (
                    f". {self.issuer.kind} tokens are not issued while their store is "
                    f"unavailable: each holds one of LINE's {LINE_CAP} slots per channel, and "
                    "one issued without the store's ledger could never be revoked by this "
                    "group. Bring the store back (the manager recovers by itself)"
                )
        exc = TokenUnavailableError(msg)
        exc.__cause__ = err
        return exc

    def succeeded(self) -> None:
        """Open the gate after a successful refresh."""
        self.failures = 0
        self.gate_until = -math.inf
        self.last_error = None

    def failed(self, error: BaseException, state: State, bad: str | None = None) -> None:
        """Record a failed refresh: close the gate (backoff or negative cache), log it."""
        self.failures += 1
        snap = self.snap
        cap = (
            self.windows(snap.stored.lifetime).mandatory
            if snap is not None and snap.stored is not None
            else _policy.BACKOFF_MAX
        )
        self.gate_until = _policy.failure_gate(
            error, self.failures, self.clock(), self.rng, max_delay=cap
        )
        self.last_error = error
        if bad is not None and self.snap is not None and self.snap.token == bad:
            self.snap = None
        wait = self.gate_until - self.clock()
        why = f"{type(error).__name__}: {error}"
        if _policy.is_config_error(error):
            logger.error(
                "refresh of %s failed with a configuration error, not retried for %.0f s: %s",
                self.label,
                wait,
                why,
            )
        elif state in (State.FRESH, State.ADVISORY):
            logger.warning(
                "refresh of %s failed (%s); keeping the current token, next attempt in %.0f s",
                self.label,
                why,
                wait,
            )
        else:
            left = self.current()
            logger.error(
                "refresh of %s failed (%s); %s; next attempt in %.0f s",
                self.label,
                why,
                f"serving {mask_token(left)} while it lasts" if left else "no usable token",
                wait,
            )

    # --- flows -------------------------------------------------------------------

    def _adopt(self, record: TokenRecord | None, bad: str | None) -> bool:
        """Install a stored token better than ours; ``True`` if no refresh is needed now."""
        if record is None or record.current is None or record.current.token == bad:
            return False
        snap = self.snap
        mine = snap.stored if snap is not None else None
        if (
            mine is None
            or _policy.record_is_better(record.current.expires_at, mine.expires_at)
            or (bad is not None and snap is not None and snap.token == bad)
        ):
            self.install(record.current)
        state = _policy.classify(self.snap.deadlines if self.snap else None, self.clock())
        done = state is State.FRESH or (bad is not None and state is not State.UNUSABLE)
        if done:
            self.succeeded()
        return done

    def _live_ledger(self, record: TokenRecord | None) -> list[StoredToken]:
        """Our counted tokens that LINE still counts (a rejected one too: it may still be)."""
        if record is None or not self.issuer.counted:
            return []
        now = self.wall_clock()
        return [t for t in record.ledger if t.expires_at > now]

    def _revoke(self, token: StoredToken) -> Flow[None]:
        call = self.issuer.revoke_call(token.token)
        if call is not None:
            yield Run(call)
            logger.info(
                "revoked superseded %s %s (key id %s)",
                self.label,
                mask_token(token.token),
                token.key_id,
            )

    def _make_room(self, ledger: list[StoredToken], current: str | None) -> Flow[None]:
        """Revoke this group's oldest non-current tokens until one more fits in ``max_active``."""
        while len(ledger) >= self.max_active:
            victims = [t for t in ledger if t.token != current]
            if not victims:
                return
            oldest = min(victims, key=lambda t: t.issued_at)
            yield from self._revoke(oldest)  # a failure fails the refresh: never exceed the bound
            ledger.remove(oldest)

    def _stored(self, issued: IssuedToken, sent_at: float, endpoint: str) -> StoredToken:
        w = self.windows(issued.expires_in)
        if issued.expires_in <= w.min_lifetime:
            raise UnexpectedResponseError(
                200,
                endpoint=endpoint,
                hint=(
                    f"LINE issued a token that lives only {issued.expires_in} s, not more "
                    f"than the {w.min_lifetime:g} s a manager needs; not used"
                ),
            )
        return StoredToken(issued.access_token, sent_at, sent_at + issued.expires_in, issued.key_id)

    def _limit_error(self, exc: TokenLimitError, ours: int) -> TokenLimitError:
        hint = (
            f"LINE refuses a 31st valid {self.issuer.kind} token for channel "
            f"{self.issuer.channel_id}: {ours} of the {LINE_CAP} are this manager's group "
            f"{self.key.group!r} (it keeps at most {self.max_active}); the other "
            f"{LINE_CAP - ours} were issued elsewhere (other groups, stores, hosts or "
            "programs). Run reconcile() or `line-token tokens list` to see them, revoke the "
            "ones no longer in use, or wait for them to expire"
        )
        return TokenLimitError(
            exc.status,
            error=exc.error,
            error_description=exc.error_description,
            message=exc.message,
            request_id=exc.request_id,
            endpoint=exc.endpoint,
            hint=hint,
        )

    def refresh_flow(
        self, *, wait: bool, force: bool = False, bad: str | None = None
    ) -> Flow[None]:
        """Get a fresh token: adopt a stored one if good, else issue under the store's lock.

        Args:
            wait: wait for another holder of the store lock (MANDATORY/UNUSABLE),
                or give up at once (ADVISORY).
            force: issue even if the stored token is fresh (:meth:`rotate`), and
                revoke the one it replaces.
            bad: a token LINE rejected (:meth:`invalidate`); never adopted.
        """
        if not force and self._adopt((yield from self._load()), bad):
            return
        snap = self.snap
        seen = snap.stored.expires_at if snap is not None and snap.stored else 0.0
        try:
            lease = yield Acquire(wait, seen)
        except StoreError as exc:
            if self.issuer.counted:
                raise  # no issuing without the ledger: the 30-token cap is at stake
            logger.warning("token store unavailable (%s); issuing without it", exc)
            lease = _NoStoreLease()
        if lease is None:  # another process is refreshing; keep serving ours for a moment
            self.gate_until = max(self.gate_until, self.clock() + _policy.LOST_RACE_PAUSE)
            return
        record: TokenRecord | None = lease.record
        if not force and self._adopt(record, bad):
            return
        old = record.current if record is not None else None
        old_token = old.token if old is not None and old.token != bad else None
        ledger = self._live_ledger(record)
        mine = snap.stored if snap is not None else None
        if (
            record is None
            and self.issuer.counted
            and mine is not None
            and mine.expires_at > self.wall_clock()
        ):
            # The store lost its record (a Redis restarted without persistence, a deleted
            # file) while we hold a token: it is still ours and still counted by LINE.
            ledger.append(mine)
            if mine.token != bad:
                old_token = mine.token  # the current one: kept now, revoked by rotate()
        if self.issuer.counted:
            yield from self._make_room(ledger, old_token)
        call = self.issuer.issue_call()
        if call is None:
            raise InvalidInputError("this issuer does not issue tokens")
        sent_at = self.wall_clock()
        try:
            issued = yield Run(call)
        except TokenLimitError as exc:
            raise self._limit_error(exc, len(ledger)) from exc
        new = self._stored(issued, sent_at, call.request.endpoint)
        if self.issuer.counted:
            ledger.append(new)
        if force and old_token is not None and self.issuer.counted:
            superseded = next((t for t in ledger if t.token == old_token), None)
            if superseded is not None:
                try:
                    yield from self._revoke(superseded)
                    ledger.remove(superseded)
                except Exception as exc:  # kept in the ledger: revoked at the next refresh
                    logger.warning(
                        "could not revoke the rotated-out %s (%s)", self.label, type(exc).__name__
                    )
        generation = (record.generation if record is not None else 0) + 1
        try:
            saved = yield Save(lease, TokenRecord(new, tuple(ledger), generation, writer_id()))
        except StoreError as exc:
            saved = True  # keep ours; an unrecorded counted token is revoked by no one
            logger.error("could not store the new %s (%s)", self.label, exc)
        self.install(new)
        self.succeeded()
        if not saved:  # a newer token won the store meanwhile: use it, give ours back
            self._adopt((yield from self._load()), bad)
            if self.issuer.counted and self.snap is not None and self.snap.token != new.token:
                try:
                    yield from self._revoke(new)
                except Exception:
                    logger.warning("could not revoke an unneeded new %s", self.label)
        logger.info(
            "issued %s %s (key id %s), expires in %d s",
            self.label,
            mask_token(new.token),
            new.key_id,
            issued.expires_in,
        )

    def reconcile_flow(self) -> Flow[ReconcileReport]:
        """Compare this group's ledger with LINE's list; revoke our superseded tokens."""
        if not self.issuer.counted:
            return ReconcileReport(None, (), (), (), 0)
        lease = yield Acquire(True, 0.0)
        record: TokenRecord | None = lease.record
        ledger = self._live_ledger(record)
        forgotten = (len(record.ledger) if record else 0) - len(ledger)
        current = record.current if record is not None else None
        key_ids_call = self.issuer.key_ids_call()
        live: list[str] | None = (yield Run(key_ids_call)) if key_ids_call else None
        kept: list[StoredToken] = []
        revoked: list[str] = []
        for entry in ledger:
            if live is not None and entry.key_id not in live:
                forgotten += 1  # revoked or expired at LINE
            elif current is not None and entry.token == current.token:
                kept.append(entry)
            else:
                yield from self._revoke(entry)
                revoked.append(entry.key_id or mask_token(entry.token))
        if current is not None and live is not None and current.key_id not in live:
            current = None  # revoked elsewhere: stop handing it out
            if self.snap is not None and self.snap.stored is not None:
                self.snap = None
        generation = (record.generation if record is not None else 0) + 1
        yield Save(lease, TokenRecord(current, tuple(kept), generation, writer_id()))
        issued_here = {t.key_id for t in record.ledger if t.key_id} if record else set()
        if current is not None and current.key_id:
            issued_here.add(current.key_id)
        report = ReconcileReport(
            tuple(live) if live is not None else None,
            tuple(sorted(t.key_id for t in kept if t.key_id)),
            tuple(revoked),
            tuple(k for k in (live or ()) if k not in issued_here),
            forgotten,
        )
        logger.info(
            "reconciled %s: %d ours, %d revoked, %d issued elsewhere (untouched)",
            self.label,
            len(report.ours),
            len(report.revoked),
            len(report.unknown),
        )
        return report


def _check_store(store: TokenStore, issuer: Issuer) -> None:
    if issuer.counted and not store.persistent:
        logger.warning(
            "%s tokens of channel %s are kept in a non-persistent store: each restart issues "
            "a new one the next process cannot revoke (LINE allows 30 live); prefer "
            "SQLiteStore or RedisStore",
            issuer.kind,
            issuer.channel_id,
        )


class TokenManager(Closing):
    """A valid channel access token always at hand, for threads (blocking I/O).

    ``token()`` serves the token from memory while it is fresh, with no lock
    and no I/O. Near expiry one caller refreshes (the others are served the
    current token at once); very near expiry callers wait for that one refresh
    and share its outcome. A token with 30 s or less left is never handed out.
    A failed refresh keeps the current token and backs off (30 s doubling, capped
    at the token's mandatory window, at most 10 min; jittered; ``Retry-After``
    honoured); a configuration error (bad
    secret, key id or assertion) is raised at once and not retried for 60 s.

    Default windows, for a token of lifetime ``L``: refresh in the last
    ``min(L/3, 24 h)`` (minus up to 10 % jitter per manager), wait for a refresh
    in the last ``clamp(L/10, 60 s, 10 min)``, never serve the last 30 s.

    Stores and the 30-token cap: by default v2.1 and short-lived tokens are kept
    in a persistent :class:`~line_token.stores.SQLiteStore` in the user cache
    directory, so restarts reuse the stored token. A group then holds at most
    ``max_active`` (2) of its live tokens, because before issuing past that it
    revokes its oldest superseded one; the only way past the bound is a process
    killed after LINE issued a token but before it was stored (at most one per
    crash, expiring after ``token_exp``, and one per issue request whose answer
    was lost after LINE acted: a timeout or dropped connection). Stateless
    tokens use a :class:`~line_token.stores.MemoryStore` (uncounted, 15 minutes).

    A store that cannot be reached (Redis down, a SQLite file on a full or
    read-only disk) raises :class:`~line_token.stores.StoreError` inside the
    manager, never to ``token()`` callers while a usable token is held: the
    manager keeps serving it and retries after its backoff, re-reading the store
    once a second near expiry. With no usable token, a stateless manager issues
    without the store; a v2.1 or short-lived manager raises
    :class:`TokenUnavailableError` (the ``StoreError`` chained, the message
    saying what to fix) instead of issuing tokens it could not record, because
    each holds one of the channel's 30 slots and a fleet issuing blind could
    exhaust them. It recovers by itself when the store answers again. If the
    store comes back empty, the token the manager holds is put back in its
    ledger (still revoked when superseded).

    Time: decisions (fresh, refresh, wait, never serve) follow the monotonic
    ``clock``; a wall-clock jump does not move them. The wall clock only dates
    what is shared through stores (expiries); a token adopted from a store is
    never believed to have more life left than it was issued with.

    Args:
        issuer: how tokens are obtained (:class:`V21Issuer`, :class:`StatelessIssuer`,
            :class:`ShortLivedIssuer`, :class:`StaticToken`).
        store: where tokens are shared (default: see above).
        client: the :class:`Client` to use (default: a new one, closed by :meth:`close`).
        base_url: the API root for the client created by default (e.g. the emulator).
        group: managers of the same channel and kind share a token per group.
        advisory: override of the advisory window, in seconds (see above).
        mandatory: override of the mandatory window, in seconds (see above).
        safety_margin: a token with this many seconds left is never served (30).
        max_active: live counted tokens a group may hold (>= 2).
        lock_timeout: longest wait for another refresher's store lock, in seconds.
        clock: monotonic clock for decisions (default: ``CLOCK_BOOTTIME`` where there is
            one, which also counts time the host was suspended).
        wall_clock: UNIX time for expiries.
        rng: ``[0, 1)`` random source for jitter.

    Example:
        >>> issuer = V21Issuer(AssertionSigner(cid, kid, key_pem), secret)  # doctest: +SKIP
        >>> with TokenManager(issuer) as tokens:                            # doctest: +SKIP
        ...     headers = {"Authorization": f"Bearer {tokens.token()}"}
    """

    def __init__(
        self,
        issuer: Issuer,
        *,
        store: TokenStore | None = None,
        client: Client | None = None,
        base_url: str | None = None,
        group: str = "default",
        advisory: float | None = None,
        mandatory: float | None = None,
        safety_margin: float = _policy.SAFETY_MARGIN,
        max_active: int = 2,
        lock_timeout: float = 30.0,
        clock: Callable[[], float] = monotonic_clock,
        wall_clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._core = ManagerCore(
            issuer,
            group=group,
            advisory=advisory,
            mandatory=mandatory,
            safety_margin=safety_margin,
            max_active=max_active,
            lock_timeout=lock_timeout,
            clock=clock,
            wall_clock=wall_clock,
            rng=rng,
        )
        self._clock = clock
        self._lock = threading.Lock()
        _LIVE_MANAGERS.add(self)
        self._owns_client = client is None
        self._client = client if client is not None else Client(base_url=base_url, clock=wall_clock)
        self._owns_store = store is None
        self._store = store if store is not None else default_store(issuer.counted)
        _check_store(self._store, issuer)

    @property
    def store(self) -> TokenStore:
        """The store this manager shares tokens through."""
        return self._store

    def token(self) -> str:
        """A channel access token with more than the safety margin of life.

        Raises:
            TokenUnavailableError: no such token, and the refresh failed (chained).
            InvalidCredentialsError, UnknownKeyError, InvalidAssertionError:
                the configuration is wrong (raised at once, retried after 60 s).
        """
        snap = self._core.snap
        if snap is not None and self._clock() < snap.fresh_until:
            return snap.token
        return self._slow()

    def _slow(self) -> str:
        core = self._core
        state, action = core.action()
        if core.peek_due(state):
            try:
                self._drive(core.peek_flow())
            except Exception as exc:
                logger.debug("store read failed (%s)", type(exc).__name__)
            state, action = core.action()
        if action is Action.SERVE:
            return core.serve()
        if action is Action.FAIL:
            raise core.unavailable()
        if action is Action.TRY_REFRESH:
            if self._lock.acquire(blocking=False):
                try:
                    self._refresh(state, wait=False)
                finally:
                    self._lock.release()
            return core.serve()
        with self._lock:
            state, action = core.action()  # the flight we waited for may have settled it
            if action is Action.JOIN_REFRESH:
                self._refresh(state, wait=True)
        return core.serve()

    def _refresh(self, state: State, *, wait: bool, bad: str | None = None) -> None:
        try:
            self._drive(self._core.refresh_flow(wait=wait, bad=bad))
        except Exception as exc:
            self._core.failed(exc, state, bad)

    def current(self) -> str | None:
        """The token in memory if it has more than the safety margin left; no I/O, no lock.

        For synchronous token getters (e.g. line-bot-sdk) inside async code.
        """
        return self._core.current()

    def invalidate(self, token: str) -> bool:
        """Report that LINE answered 401 to ``token``; refresh if it is still the current one.

        A no-op (returns ``False``) if ``token`` is no longer current, so twenty
        concurrent 401s cause one refresh. Returns ``True`` if ``token`` was
        current (it is then never served again).
        """
        core = self._core
        if core.static or core.snap is None or core.snap.token != token:
            return False
        with self._lock:
            if core.snap is None or core.snap.token != token:
                return False
            logger.warning(
                "%s %s was rejected by LINE; replacing it", core.label, mask_token(token)
            )
            if core.clock() < core.gate_until and core.last_error is not None:
                core.snap = None  # no refresh during backoff; just stop serving it
            else:
                self._refresh(State.UNUSABLE, wait=True, bad=token)
            return True

    def rotate(self) -> str:
        """Issue a new token now, revoke the one it replaces, and return the new one.

        Errors are raised (no backoff is involved).
        """
        if self._core.static:
            raise InvalidInputError("a StaticToken cannot be rotated by the manager")
        with self._lock:
            self._drive(self._core.refresh_flow(wait=True, force=True))
        return self._core.serve()

    def reconcile(self) -> ReconcileReport:
        """Compare LINE's live v2.1 key ids with this group's ledger; revoke our superseded ones.

        Key ids LINE lists that this group did not issue are reported in
        ``unknown`` and never touched.
        """
        with self._lock:
            return self._drive(self._core.reconcile_flow())

    def _drive(self, flow: Flow[T]) -> T:
        leases: list[Lease] = []
        try:
            op = next(flow)
            while True:
                try:
                    result = self._execute(op, leases)
                except Exception as exc:
                    op = flow.throw(exc)
                else:
                    op = flow.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            flow.close()
            for lease in leases:
                _release(lease)

    def _execute(self, op: Op, leases: list[Lease]) -> Any:
        if isinstance(op, Run):
            return self._client._run(op.call)
        try:
            return self._store_op(op, leases)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{type(exc).__name__}: {exc}") from exc

    def _store_op(self, op: Load | Acquire | Save, leases: list[Lease]) -> Any:
        key = self._core.key
        if isinstance(op, Load):
            return self._store.load(key)
        if isinstance(op, Acquire):
            lease = self._store.acquire(
                key,
                wait=op.wait,
                timeout=self._core.lock_timeout,
                seen_expires_at=op.seen_expires_at,
            )
            if lease is not None:
                leases.append(lease)
            return lease
        return op.lease.save(op.record)

    def close(self) -> None:
        """Close the client and store this manager created (tokens stay valid and stored)."""
        if self._owns_client:
            self._client.close()
        if self._owns_store:
            self._store.close()

    def __repr__(self) -> str:
        return f"TokenManager({self._core.issuer!r}, store={self._store!r})"


_LIVE_MANAGERS: weakref.WeakSet[TokenManager] = weakref.WeakSet()


def _renew_locks_after_fork() -> None:
    """A child of ``fork()`` must not inherit a lock held by a parent's thread."""
    for manager in list(_LIVE_MANAGERS):
        manager._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_locks_after_fork)


def _release(lease: Lease) -> None:
    try:
        lease.release()
    except Exception as exc:  # the lock expires or dies with the connection anyway
        logger.warning("could not release a store lock (%s)", type(exc).__name__)
