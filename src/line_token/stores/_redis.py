"""``RedisStore``: one Redis shared by a fleet of hosts (needs the ``redis`` extra).

The refresh lock is ``SET lock <uuid> NX PX <ttl>`` released by compare-and-delete
(an efficiency lock, as in redis-py's ``Lock``: one Redis, no Redlock). Waiters
poll the value, first after about 5 ms and then at doubling, jittered intervals
up to 250 ms (a refresh usually settles in a few milliseconds; a slow one is not
polled hard), until a newer token appears, the lock frees up, or the TTL passes,
and then issue themselves (liveness before strict single issue). The value is
written by a Lua compare-and-set: the lock owner writes, anyone else only writes
a token that expires later, so a paused former holder never overwrites a newer
token.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ._base import StoreError
from ._record import Codec, EncryptionKey, StoreKey, TokenRecord

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore"]

T = TypeVar("T")

POLL_FIRST = 0.005
"""A lock waiter's first pause before re-reading (seconds); it doubles up to :data:`POLL_MAX`."""

POLL_MAX = 0.25
"""The longest pause between a lock waiter's reads (seconds)."""


def poll_delays(rng: Callable[[], float] = random.random) -> Iterator[float]:
    """A lock waiter's pauses: ~5 ms, doubling to 250 ms, each drawn from ``[d/2, d)``.

    The jitter keeps a stampede of waiters from polling in lockstep.

    Example:
        >>> delays = poll_delays(lambda: 0.999)
        >>> [round(next(delays), 3) for _ in range(8)]
        [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.25, 0.25]
    """
    delay = POLL_FIRST
    while True:
        yield delay / 2 + (delay / 2) * rng()
        delay = min(delay * 2, POLL_MAX)


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
            lock_key = self._store._lock_key(self._key)
            self._store._call(self._store._unlock, keys=[lock_key], args=[token])


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

    When Redis cannot be reached, every method raises :class:`StoreError` saying
    where it looked and what to check. A manager then keeps serving the token it
    holds while it lasts and retries the store after its backoff; with no usable
    token, a stateless manager issues without the store, and a v2.1 or
    short-lived manager raises :class:`~line_token.TokenUnavailableError`
    rather than issue tokens it could not record (each holds one of the
    channel's 30 slots; a fleet issuing blind could exhaust them). It recovers
    by itself once Redis answers again. Give Redis persistence (AOF): a Redis
    that restarts empty forgets the superseded tokens its ledger listed, and
    those are then left to expire instead of being revoked.

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
        self._where = _describe(url_or_client)
        self._prefix = prefix
        self._codec = Codec(encryption_key)
        self._ttl = float(lock_ttl)
        self._write_script = self._redis.register_script(_WRITE)
        self._unlock = self._redis.register_script(_UNLOCK)

    def _value_key(self, key: StoreKey) -> str:
        return f"{self._prefix}:{key.name}"

    def _lock_key(self, key: StoreKey) -> str:
        return f"{self._prefix}:lock:{key.name}"

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one Redis command; a Redis error becomes a :class:`StoreError` that says why."""
        try:
            return fn(*args, **kwargs)
        except _import_redis().RedisError as exc:
            raise _store_error(exc, self._where) from exc

    def keys(self) -> list[StoreKey]:
        """The keys of the records stored under this prefix, sorted (locks left out)."""
        start = len(self._prefix) + 1

        def scan() -> list[str]:
            found = self._redis.scan_iter(match=f"{self._prefix}:*", count=500)
            return sorted(k.decode() if isinstance(k, bytes) else str(k) for k in found)

        names = [n[start:] for n in self._call(scan) if not n.startswith(f"{self._prefix}:lock:")]
        return [k for k in map(StoreKey.parse, names) if k is not None]

    def load(self, key: StoreKey) -> TokenRecord | None:
        """The stored record (``None``: none, or unreadable)."""
        blob = self._call(self._redis.hget, self._value_key(key), "blob")
        return self._codec.decode(key, blob)

    def _try_lock(self, key: StoreKey) -> str | None:
        token = uuid.uuid4().hex
        px = int(self._ttl * 1000)
        ok = self._call(self._redis.set, self._lock_key(key), token, nx=True, px=px)
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
        for pause in poll_delays():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(pause, left))
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
        args = [owner, repr(record.expires_at), blob, expire_ms]
        return bool(self._call(self._write_script, keys=keys, args=args))

    def close(self) -> None:
        """Close the connection pool if this store created the client."""
        if self._owns:
            self._redis.close()

    def __repr__(self) -> str:
        return (
            f"RedisStore({self._where}, prefix={self._prefix!r}, encrypted={self._codec.encrypted})"
        )


def _describe(url_or_client: Any) -> str:
    """Where the store's Redis is, without a password: ``redis://host:port/db``."""
    if isinstance(url_or_client, str):
        parts = urlsplit(url_or_client)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    kwargs = getattr(getattr(url_or_client, "connection_pool", None), "connection_kwargs", {})
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


def _store_error(exc: Exception, where: str) -> StoreError:
    module = _import_redis()
    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, module.AuthenticationError):
        why = f"Redis at {where} refused the credentials ({what}); check the user and password"
    elif isinstance(exc, module.ConnectionError | module.TimeoutError):
        why = (
            f"Redis at {where} is unreachable ({what}); check that redis-server is running "
            "and reachable from this host, and the URL, port and TLS settings"
        )
    else:
        why = f"Redis at {where} refused a command ({what}); check the user's ACL permissions"
    return StoreError(why)
