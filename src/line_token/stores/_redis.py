"""``RedisStore``: one Redis shared by a fleet of hosts (needs the ``redis`` extra).

The refresh lock is ``SET lock <uuid> NX PX <ttl>`` released by compare-and-delete
(an efficiency lock, as in redis-py's ``Lock``: one Redis, no Redlock). Waiters
poll the value every 100-250 ms until a newer token appears, the lock frees up,
or the TTL passes, and then issue themselves (liveness before strict single
issue). The value is written by a Lua compare-and-set: the lock owner writes,
anyone else only writes a token that expires later, so a paused former holder
never overwrites a newer token.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import TYPE_CHECKING, Any

from ._record import Codec, EncryptionKey, StoreKey, TokenRecord

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore"]

_WRITE = """
local owner = redis.call('GET', KEYS[2])
if not (ARGV[1] ~= '' and owner == ARGV[1]) then
  local cur = redis.call('HGET', KEYS[1], 'expires_at')
  if cur and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], 'expires_at', ARGV[2], 'blob', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "RedisStore needs the redis package: pip install 'line-token[redis]'"
        ) from exc
    return redis


class _RedisLease:
    __slots__ = ("_key", "_store", "_token", "held", "record")

    def __init__(self, store: RedisStore, key: StoreKey, token: str | None) -> None:
        self._store = store
        self._key = key
        self._token = token
        self.held = token is not None
        self.record = store.load(key)

    def save(self, record: TokenRecord) -> bool:
        return self._store._write(self._key, record, self._token or "")

    def release(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            self._store._unlock(keys=[self._store._lock_key(self._key)], args=[token])


class RedisStore:
    """Records in Redis, shared by every host of a fleet.

    Args:
        url_or_client: a ``redis://`` / ``rediss://`` URL, or a ``redis.Redis`` client
            (with ``decode_responses=False``, the default).
        prefix: key prefix (records are ``<prefix>:<channel>:<kind>:<group>``).
        encryption_key: a Fernet key (or a list, for rotation) to encrypt records.
        lock_ttl: seconds the refresh lock lives if its holder dies (longer than
            one issue request, retries included).

    Use TLS (``rediss://``) and an ACL user in production; with
    ``encryption_key`` Redis never sees a token in clear.

    Example:
        >>> store = RedisStore("redis://localhost:6379/0")        # doctest: +SKIP
        >>> TokenManager(issuer, store=store).token()             # doctest: +SKIP
    """

    persistent = True

    def __init__(
        self,
        url_or_client: str | redis.Redis,
        *,
        prefix: str = "line-token",
        encryption_key: EncryptionKey | None = None,
        lock_ttl: float = 30.0,
    ) -> None:
        module = _import_redis()
        self._owns = isinstance(url_or_client, str)
        self._redis = (
            module.Redis.from_url(url_or_client)
            if isinstance(url_or_client, str)
            else url_or_client
        )
        self._prefix = prefix
        self._codec = Codec(encryption_key)
        self._ttl = float(lock_ttl)
        self._write_script = self._redis.register_script(_WRITE)
        self._unlock = self._redis.register_script(_UNLOCK)

    def _value_key(self, key: StoreKey) -> str:
        return f"{self._prefix}:{key.name}"

    def _lock_key(self, key: StoreKey) -> str:
        return f"{self._prefix}:lock:{key.name}"

    def load(self, key: StoreKey) -> TokenRecord | None:
        """The stored record (``None``: none, or unreadable)."""
        return self._codec.decode(key, self._redis.hget(self._value_key(key), "blob"))

    def _try_lock(self, key: StoreKey) -> str | None:
        token = uuid.uuid4().hex
        ok = self._redis.set(self._lock_key(key), token, nx=True, px=int(self._ttl * 1000))
        return token if ok else None

    def acquire(
        self, key: StoreKey, *, wait: bool, timeout: float, seen_expires_at: float
    ) -> _RedisLease | None:
        """Take the lock, or wait for a newer token (see :meth:`TokenStore.acquire`)."""
        token = self._try_lock(key)
        if token is not None:
            return _RedisLease(self, key, token)
        if not wait:
            return None
        deadline = time.monotonic() + min(timeout, self._ttl)
        while time.monotonic() < deadline:
            time.sleep(random.uniform(0.1, 0.25))  # noqa: S311 - jitter, not security
            record = self.load(key)
            if record is not None and record.expires_at > seen_expires_at:
                return _RedisLease(self, key, None)  # a newer token: adopt it
            token = self._try_lock(key)
            if token is not None:
                return _RedisLease(self, key, token)
        return _RedisLease(self, key, None)  # holder too slow: go ahead (liveness)

    def _write(self, key: StoreKey, record: TokenRecord, owner: str) -> bool:
        blob = self._codec.encode(key, record)
        until = max([record.expires_at, *(t.expires_at for t in record.ledger)])
        expire_ms = int(max(until, time.time() + 60) * 1000)
        keys = [self._value_key(key), self._lock_key(key)]
        return bool(
            self._write_script(keys=keys, args=[owner, repr(record.expires_at), blob, expire_ms])
        )

    def close(self) -> None:
        """Close the connection pool if this store created the client."""
        if self._owns:
            self._redis.close()

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r}, encrypted={self._codec.encrypted})"
