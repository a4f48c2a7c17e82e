"""``SQLiteStore``: one file shared by the processes of a host.

A refresh runs inside ``BEGIN IMMEDIATE`` (SQLite's write lock): re-read, issue
if still needed, write, ``COMMIT``. The lock is a kernel file lock, so it dies
with its process: a killed holder leaves no stale lock behind. Readers (WAL
mode) never wait for a writer.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from .._errors import InvalidInputError
from .._files import make_private_dirs
from ._base import StoreError
from ._record import Codec, EncryptionKey, StoreKey, TokenRecord

__all__ = ["SQLiteStore", "default_cache_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL,
    generation INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    blob BLOB NOT NULL
)
"""


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/line-token/tokens.db``, else ``~/.cache/line-token/tokens.db``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "line-token" / "tokens.db"


class _SQLiteLease:
    __slots__ = ("_conn", "_key", "_store", "held", "record")

    def __init__(self, store: SQLiteStore, key: StoreKey, conn: sqlite3.Connection | None) -> None:
        self._store = store
        self._key = key
        self._conn = conn
        self.held = conn is not None
        self.record = store._read(conn, key) if conn is not None else store.load(key)

    def save(self, record: TokenRecord) -> bool:
        blob = self._store._codec.encode(self._key, record)
        row = (self._key.name, record.expires_at, record.generation, time.time(), blob)
        if self._conn is not None:
            self._conn.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)", row)
            self._conn.execute("COMMIT")
            return True
        # Not holding the lock (the wait timed out): write only a later token.
        with closing(self._store._connect(self._store._busy_timeout)) as conn:
            cur = conn.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "expires_at=excluded.expires_at, generation=excluded.generation, "
                "updated_at=excluded.updated_at, blob=excluded.blob "
                "WHERE excluded.expires_at > tokens.expires_at",
                row,
            )
            return cur.rowcount > 0

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            finally:
                conn.close()


class SQLiteStore:
    """Records in a SQLite file shared by every process on the host.

    The file is created with mode 0600 (its directory 0700 when this creates
    it). It holds tokens, never the channel secret, a private key or an
    assertion; pass ``encryption_key`` to encrypt the tokens too.

    The default store of :class:`TokenManager` for v2.1 and short-lived tokens
    (at :func:`default_cache_path`): a process that restarts reuses the stored
    token instead of issuing a new one. Use a local disk (SQLite locking is not
    reliable on network file systems).

    Args:
        path: the database file.
        encryption_key: a Fernet key (or a list, for rotation) to encrypt records.
        busy_timeout: the longest a waiting refresher blocks on another's lock (s).
        create: make the file (and its table) if missing. With ``False`` an existing
            line-token store is opened as it is and anything else is a
            :class:`StoreError`, leaving the file untouched (for tools that inspect).

    Example:
        >>> store = SQLiteStore(tmp_path / "tokens.db")  # doctest: +SKIP
        >>> manager = TokenManager(issuer, store=store)  # doctest: +SKIP
    """

    persistent = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        encryption_key: EncryptionKey | None = None,
        busy_timeout: float = 30.0,
        create: bool = True,
    ) -> None:
        self.path = Path(path)
        self._codec = Codec(encryption_key)
        self._busy_timeout = float(busy_timeout)
        if create:
            self._create()
        else:
            self.keys()  # refuses, untouched, a missing file or one that is not a store

    def keys(self) -> list[StoreKey]:
        """The keys of the records stored, sorted.

        Raises:
            StoreError: the file is missing or is not a line-token store.
        """
        if not self.path.is_file():
            raise StoreError(f"no token store at {str(self.path)!r}")
        try:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, timeout=self._busy_timeout)) as conn:
                rows = conn.execute("SELECT key FROM tokens ORDER BY key").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{str(self.path)!r} is not a line-token store ({exc})") from exc
        return [k for k in (StoreKey.parse(str(row[0])) for row in rows) if k is not None]

    def _create(self) -> None:
        try:
            make_private_dirs(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise InvalidInputError(
                f"cannot open the token store {str(self.path)!r}: {exc}"
            ) from exc
        os.close(fd)
        # SQLite gives the -wal and -shm files the database file's mode (0600).
        try:
            with closing(self._connect(self._busy_timeout)) as conn:
                self._use_wal(conn)
                conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"the token store {str(self.path)!r} cannot be used: {exc}. If the file is "
                "not a line-token store, pass another path; if it is, check that this "
                "process may write it and its directory"
            ) from exc

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch to WAL once; processes opening a new store at once retry the switch.

        Changing the journal mode takes an exclusive lock, and SQLite does not wait on a
        busy handler for it: a second process doing the same at that moment gets
        ``database is locked`` at once, so we retry (with backoff) up to the busy timeout.
        """
        deadline = time.monotonic() + self._busy_timeout
        delay = 0.002
        while True:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _connect(self, timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _read(self, conn: sqlite3.Connection, key: StoreKey) -> TokenRecord | None:
        row = conn.execute("SELECT blob FROM tokens WHERE key = ?", (key.name,)).fetchone()
        return self._codec.decode(key, row[0]) if row else None

    def load(self, key: StoreKey) -> TokenRecord | None:
        """The stored record, read without taking the write lock."""
        conn = self._connect(self._busy_timeout)
        try:
            return self._read(conn, key)
        finally:
            conn.close()

    def acquire(
        self, key: StoreKey, *, wait: bool, timeout: float, seen_expires_at: float
    ) -> _SQLiteLease | None:
        """``BEGIN IMMEDIATE`` (see :meth:`TokenStore.acquire`)."""
        conn = self._connect(min(timeout, self._busy_timeout) if wait else 0.0)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return _SQLiteLease(self, key, None) if wait else None
        try:
            return _SQLiteLease(self, key, conn)
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise

    def delete(self, key: StoreKey) -> None:
        """Forget ``key``'s record."""
        with closing(self._connect(self._busy_timeout)) as conn:
            conn.execute("DELETE FROM tokens WHERE key = ?", (key.name,))

    def close(self) -> None:
        """Nothing held between calls: each operation opens its own connection."""

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, encrypted={self._codec.encrypted})"
