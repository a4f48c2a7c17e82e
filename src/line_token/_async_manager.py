"""``AsyncTokenManager``: the twin of :class:`TokenManager` for asyncio.

Same decisions and the same refresh flow (:class:`~line_token._manager.ManagerCore`);
only the driver differs: requests are awaited on an :class:`AsyncClient`, store
calls run in a worker thread (``anyio.to_thread``), and concurrent callers share
one ``asyncio.Task`` per refresh, each awaiting it through ``asyncio.shield`` so
that a cancelled caller never cancels the others' refresh.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from . import _policy
from ._async_client import AsyncClient
from ._closing import AsyncClosing
from ._errors import InvalidInputError
from ._issuers import Issuer
from ._manager import (
    Acquire,
    Flow,
    Load,
    ManagerCore,
    Op,
    ReconcileReport,
    Run,
    Save,
    _check_store,
    _release,
    logger,
    monotonic_clock,
)
from ._models import mask_token
from ._policy import Action, State
from .stores import Lease, StoreError, TokenStore, default_store

__all__ = ["AsyncTokenManager"]

T = TypeVar("T")


class AsyncTokenManager(AsyncClosing):
    """A valid channel access token always at hand, for asyncio.

    Behaves like :class:`TokenManager` (same windows, backoff, stores and cap
    bound; see its docstring). ``await m.token()`` on a fresh token reads memory
    and the clock only: no task, no lock, no I/O. In the advisory window the
    refresh runs in a background task and callers are served at once; nearer
    expiry they await the one shared refresh.

    Example:
        >>> async with AsyncTokenManager(issuer) as tokens:   # doctest: +SKIP
        ...     headers = {"Authorization": f"Bearer {await tokens.token()}"}
    """

    def __init__(
        self,
        issuer: Issuer,
        *,
        store: TokenStore | None = None,
        client: AsyncClient | None = None,
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
        self._task: asyncio.Task[BaseException | None] | None = None
        self._owns_client = client is None
        self._client = (
            client if client is not None else AsyncClient(base_url=base_url, clock=wall_clock)
        )
        self._owns_store = store is None
        self._store = store if store is not None else default_store(issuer.counted)
        _check_store(self._store, issuer)

    @property
    def store(self) -> TokenStore:
        """The store this manager shares tokens through."""
        return self._store

    async def token(self) -> str:
        """A channel access token with more than the safety margin of life.

        Raises:
            TokenUnavailableError: no such token, and the refresh failed (chained).
            InvalidCredentialsError, UnknownKeyError, InvalidAssertionError:
                the configuration is wrong (raised at once, retried after 60 s).
        """
        snap = self._core.snap
        if snap is not None and self._clock() < snap.fresh_until:
            return snap.token
        return await self._slow()

    async def _slow(self) -> str:
        core = self._core
        for _ in range(3):  # a waited-for refresh settles the state; bounded for safety
            state, action = core.action()
            if core.peek_due(state):
                try:
                    await self._drive(core.peek_flow())
                except Exception as exc:
                    logger.debug("store read failed (%s)", type(exc).__name__)
                state, action = core.action()
            if action is Action.SERVE:
                return core.serve()
            if action is Action.FAIL:
                raise core.unavailable()
            task = self._running()
            if action is Action.TRY_REFRESH:
                if task is None:
                    self._start(state, wait=False)
                return core.serve()
            if task is None:
                task = self._start(state, wait=True)
            await asyncio.shield(task)
        return core.serve()

    def _running(self) -> asyncio.Task[BaseException | None] | None:
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return None
        return task

    def _start(
        self, state: State, *, wait: bool, force: bool = False, bad: str | None = None
    ) -> asyncio.Task[BaseException | None]:
        coro = self._refresh(state, wait=wait, force=force, bad=bad)
        self._task = asyncio.get_running_loop().create_task(coro)
        return self._task

    async def _refresh(
        self, state: State, *, wait: bool, force: bool, bad: str | None
    ) -> BaseException | None:
        """Run one refresh; the outcome is recorded in the core and returned, never raised."""
        try:
            await self._drive(self._core.refresh_flow(wait=wait, force=force, bad=bad))
        except Exception as exc:
            if not force:
                self._core.failed(exc, state, bad)
            return exc
        return None

    async def _settle(self) -> None:
        while (task := self._running()) is not None:
            await asyncio.shield(task)

    def current(self) -> str | None:
        """The token in memory if it has more than the safety margin left; no I/O, no await.

        For synchronous token getters (e.g. line-bot-sdk) inside async code.
        """
        return self._core.current()

    async def invalidate(self, token: str) -> bool:
        """Report that LINE answered 401 to ``token``; refresh if it is still the current one.

        A no-op (returns ``False``) if ``token`` is no longer current, so twenty
        concurrent 401s cause one refresh.
        """
        core = self._core
        if core.static or core.snap is None or core.snap.token != token:
            return False
        await self._settle()
        if core.snap is None or core.snap.token != token:
            return False
        logger.warning("%s %s was rejected by LINE; replacing it", core.label, mask_token(token))
        if core.clock() < core.gate_until and core.last_error is not None:
            core.snap = None
        else:
            await asyncio.shield(self._start(State.UNUSABLE, wait=True, bad=token))
        return True

    async def rotate(self) -> str:
        """Issue a new token now, revoke the one it replaces, and return the new one."""
        if self._core.static:
            raise InvalidInputError("a StaticToken cannot be rotated by the manager")
        await self._settle()
        error = await asyncio.shield(self._start(State.FRESH, wait=True, force=True))
        if error is not None:
            raise error
        return self._core.serve()

    async def reconcile(self) -> ReconcileReport:
        """Compare LINE's live v2.1 key ids with this group's ledger (see TokenManager)."""
        await self._settle()
        return await self._drive(self._core.reconcile_flow())

    async def _drive(self, flow: Flow[T]) -> T:
        leases: list[Lease] = []
        try:
            op = next(flow)
            while True:
                try:
                    result = await self._execute(op, leases)
                except Exception as exc:
                    op = flow.throw(exc)
                else:
                    op = flow.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        finally:
            flow.close()
            for lease in leases:  # quick (rollback / compare-and-delete): not worth a thread
                _release(lease)

    async def _execute(self, op: Op, leases: list[Lease]) -> Any:
        if isinstance(op, Run):
            return await self._client._run(op.call)
        try:
            return await self._store_op(op, leases)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{type(exc).__name__}: {exc}") from exc

    async def _store_op(self, op: Load | Acquire | Save, leases: list[Lease]) -> Any:
        key = self._core.key
        if isinstance(op, Load):
            return await anyio.to_thread.run_sync(self._store.load, key)
        if isinstance(op, Acquire):

            def acquire() -> Lease | None:
                return self._store.acquire(
                    key,
                    wait=op.wait,
                    timeout=self._core.lock_timeout,
                    seen_expires_at=op.seen_expires_at,
                )

            lease = await anyio.to_thread.run_sync(acquire)
            if lease is not None:
                leases.append(lease)
            return lease
        return await anyio.to_thread.run_sync(op.lease.save, op.record)

    async def aclose(self) -> None:
        """Cancel a running refresh; close the client and store this manager created."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._owns_client:
            await self._client.aclose()
        if self._owns_store:
            self._store.close()

    async def close(self) -> None:
        """The same as :meth:`aclose`."""
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncTokenManager({self._core.issuer!r}, store={self._store!r})"
