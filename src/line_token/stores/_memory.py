"""``MemoryStore``: records in a dict, for one process."""

from __future__ import annotations

import threading

from ._record import StoreKey, TokenRecord

__all__ = ["MemoryStore"]


class _MemoryLease:
    __slots__ = ("_key", "_lock", "_store", "held", "record")

    def __init__(self, store: MemoryStore, key: StoreKey, lock: threading.Lock | None) -> None:
        self._store = store
        self._key = key
        self._lock = lock
        self.held = lock is not None
        self.record = store.load(key)

    def save(self, record: TokenRecord) -> bool:
        with self._store._guard:
            old = self._store._records.get(self._key)
            if not self.held and old is not None and old.expires_at > record.expires_at:
                return False
            self._store._records[self._key] = record
        return True

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()


class MemoryStore:
    """Keeps records in this process's memory; lost on exit.

    The default for stateless tokens (uncounted, 15 minutes: nothing to keep).
    For v2.1 and short-lived tokens prefer a persistent store: with this one,
    every restart issues a new token and cannot revoke the previous one.

    Example:
        >>> store = MemoryStore()
        >>> store.load(StoreKey("1234567890", "stateless", "default")) is None
        True
    """

    persistent = False

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._records: dict[StoreKey, TokenRecord] = {}
        self._locks: dict[StoreKey, threading.Lock] = {}

    def keys(self) -> list[StoreKey]:
        """The keys of the records held, sorted."""
        with self._guard:
            return sorted(self._records, key=lambda k: k.name)

    def load(self, key: StoreKey) -> TokenRecord | None:
        """The record for ``key``, if any."""
        with self._guard:
            return self._records.get(key)

    def acquire(
        self, key: StoreKey, *, wait: bool, timeout: float, seen_expires_at: float
    ) -> _MemoryLease | None:
        """Take ``key``'s lock (see :meth:`TokenStore.acquire`)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        got = lock.acquire(timeout=timeout) if wait else lock.acquire(blocking=False)
        if not got and not wait:
            return None
        return _MemoryLease(self, key, lock if got else None)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"MemoryStore(records={len(self._records)})"
