"""The store protocol: a shared record per (channel, kind, group), and a lock around refreshes."""

from __future__ import annotations

import os
import socket
from typing import Protocol, runtime_checkable

from .._errors import LineTokenError
from ._record import StoreKey, TokenRecord

__all__ = ["Lease", "StoreError", "TokenStore", "writer_id"]


class StoreError(LineTokenError):
    """Raised when a token store cannot be read or written (the store's error is chained).

    Managers of stateless tokens then carry on without the store (each process
    issues its own); managers of counted tokens (v2.1, short-lived) do not issue
    without their ledger, and keep serving the current token while it lasts.
    """


def writer_id() -> str:
    """``host:pid`` of this process, recorded with each write."""
    return f"{socket.gethostname()}:{os.getpid()}"


@runtime_checkable
class Lease(Protocol):
    """The right to refresh one record, taken with :meth:`TokenStore.acquire`.

    Attributes:
        record: the record as read after the lock was taken.
        held: whether the lock is really held; ``False`` when waiting timed out
            and the caller goes ahead anyway (liveness before strict single issue).
    """

    record: TokenRecord | None
    held: bool

    def save(self, record: TokenRecord) -> bool:
        """Write ``record`` and end the lease's transaction; ``False`` if a newer one won."""

    def release(self) -> None:
        """Give the lock back (idempotent; after :meth:`save` it does nothing more)."""


@runtime_checkable
class TokenStore(Protocol):
    """Where managers keep tokens, and how they agree on who refreshes.

    Implementations: :class:`MemoryStore` (one process), :class:`SQLiteStore`
    (processes on one host), :class:`RedisStore` (a fleet). All methods block;
    :class:`AsyncTokenManager` calls them in a worker thread, and only when the
    in-memory token is not fresh.

    Attributes:
        persistent: whether records outlive the process (so a restart reuses them).
    """

    persistent: bool

    def load(self, key: StoreKey) -> TokenRecord | None:
        """The stored record, without locking (``None``: none, or unreadable)."""

    def acquire(
        self, key: StoreKey, *, wait: bool, timeout: float, seen_expires_at: float
    ) -> Lease | None:
        """Take the refresh lock for ``key``.

        With ``wait=False``, return ``None`` at once if another holder has it.
        With ``wait=True``, wait up to ``timeout`` seconds; a store may end the
        wait early with an unheld lease once a record expiring after
        ``seen_expires_at`` appears. After ``timeout`` it returns an unheld lease.
        """

    def close(self) -> None:
        """Release connections."""
