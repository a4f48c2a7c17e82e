"""Entry points for the multi-process store tests (run under the 'spawn' start method)."""

from __future__ import annotations

from typing import Any

from line_token._issuers import StatelessIssuer
from line_token._manager import TokenManager
from line_token.stores import RedisStore, SQLiteStore, TokenStore


def make_store(spec: tuple[str, str]) -> TokenStore:
    """``("sqlite", path)`` or ``("redis", url)``."""
    kind, where = spec
    if kind == "sqlite":
        return SQLiteStore(where)
    return RedisStore(where, lock_ttl=5.0)


def get_token(
    base_url: str, channel_id: str, secret: str, spec: tuple[str, str], barrier: Any, queue: Any
) -> None:
    """Wait at the barrier, then ask a cold manager for a token; report it (or the error)."""
    try:
        store = make_store(spec)
    except Exception as exc:  # report it, and free the others instead of leaving them waiting
        queue.put(f"error: {type(exc).__name__}: {exc}")
        if barrier is not None:
            barrier.abort()
        return
    manager = TokenManager(
        StatelessIssuer(channel_id, secret), store=store, base_url=base_url, lock_timeout=5.0
    )
    if barrier is not None:
        barrier.wait(timeout=60)
    try:
        queue.put(manager.token())
    except Exception as exc:
        queue.put(f"error: {type(exc).__name__}: {exc}")
    finally:
        manager.close()
        store.close()


def open_store(path: str, barrier: Any, queue: Any) -> None:
    """Wait at the barrier, then open (and so create) the SQLite store; report the outcome."""
    from line_token.stores import SQLiteStore

    try:
        barrier.wait(timeout=60)
        SQLiteStore(path).close()
        queue.put("ok")
    except Exception as exc:
        queue.put(f"error: {type(exc).__name__}: {exc}")
