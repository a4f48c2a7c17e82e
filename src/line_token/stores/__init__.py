"""Token stores: where managers share tokens, and how they agree on who refreshes.

* :class:`MemoryStore` — one process.
* :class:`SQLiteStore` — the processes of one host (a file; the kernel lock dies
  with its holder).
* :class:`RedisStore` — a fleet (needs the ``redis`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Lease, StoreError, TokenStore, writer_id
from ._memory import MemoryStore
from ._record import Codec, EncryptionKey, StoredToken, StoreKey, TokenRecord
from ._sqlite import SQLiteStore, default_cache_path

if TYPE_CHECKING:
    from ._redis import RedisStore

__all__ = [
    "Codec",
    "EncryptionKey",
    "Lease",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "StoreError",
    "StoreKey",
    "StoredToken",
    "TokenRecord",
    "TokenStore",
    "default_cache_path",
    "default_store",
    "writer_id",
]


def default_store(counted: bool) -> TokenStore:
    """The store a manager uses when given none.

    Counted kinds (v2.1, short-lived) get a persistent :class:`SQLiteStore` at
    :func:`default_cache_path`, so a restarting process reuses its token instead
    of spending one of the channel's 30; stateless tokens get a
    :class:`MemoryStore`.
    """
    return SQLiteStore(default_cache_path()) if counted else MemoryStore()


def __getattr__(name: str) -> Any:
    if name == "RedisStore":  # imported lazily: redis is an optional extra
        from ._redis import RedisStore

        return RedisStore
    raise AttributeError(name)
