"""MemoryStore and the record codec (serialisation, encryption, misplaced blobs)."""

from __future__ import annotations

import threading

import pytest
from cryptography.fernet import Fernet

from line_token import InvalidInputError
from line_token.stores import Codec, MemoryStore, StoredToken, StoreKey, TokenRecord

KEY = StoreKey("1234567890", "v2.1", "default")
RECORD = TokenRecord(
    StoredToken("tok-b", 10.0, 110.0, "kid-b"),
    (StoredToken("tok-a", 0.0, 100.0, "kid-a"), StoredToken("tok-b", 10.0, 110.0, "kid-b")),
    generation=3,
    writer="host:1",
)


def test_memory_store_lock_and_save() -> None:
    """One holder at a time; waiting past the timeout yields an unheld lease."""
    store = MemoryStore()
    assert not store.persistent
    lease = store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0)
    assert lease is not None
    assert store.acquire(KEY, wait=False, timeout=1, seen_expires_at=0) is None
    late = store.acquire(KEY, wait=True, timeout=0.01, seen_expires_at=0)
    assert late is not None
    assert not late.held
    assert lease.save(RECORD)
    assert not late.save(TokenRecord(StoredToken("old", 0, 50)))  # unheld: only later tokens
    lease.release()
    lease.release()  # idempotent
    assert store.load(KEY) == RECORD


def test_memory_store_threads_take_turns() -> None:
    """Blocking acquires from many threads are serialised."""
    store = MemoryStore()
    inside, most = [0], [0]

    def work() -> None:
        lease = store.acquire(KEY, wait=True, timeout=10, seen_expires_at=0)
        assert lease is not None
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        inside[0] -= 1
        lease.release()

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


@pytest.mark.parametrize("encrypted", [False, True])
def test_codec_round_trip(encrypted: bool) -> None:
    """encode/decode restore the record; encrypted blobs hide the token."""
    codec = Codec(Fernet.generate_key() if encrypted else None)
    blob = codec.encode(KEY, RECORD)
    assert codec.decode(KEY, blob) == RECORD
    assert (b"tok-b" in blob) is not encrypted


def test_codec_rejects_misplaced_tampered_and_foreign_blobs() -> None:
    """Another key's blob, a tampered blob or a wrong key decode to None (a miss)."""
    key1, key2 = Fernet.generate_key(), Fernet.generate_key()
    codec = Codec(key1)
    blob = codec.encode(KEY, RECORD)
    assert codec.decode(StoreKey("1234567890", "v2.1", "other"), blob) is None
    assert codec.decode(StoreKey("1234567890", "stateless", "default"), blob) is None
    assert codec.decode(KEY, blob[:-4] + b"AAAA") is None
    assert Codec(key2).decode(KEY, blob) is None
    assert Codec([key2, key1]).decode(KEY, blob) == RECORD
    assert Codec().decode(KEY, b"not json") is None
    assert Codec().decode(KEY, None) is None


def test_codec_refuses_bad_keys() -> None:
    """A malformed Fernet key is an InvalidInputError naming how to make one."""
    with pytest.raises(InvalidInputError, match="generate_key"):
        Codec("not-a-key")
    with pytest.raises(InvalidInputError):
        Codec([])


def test_reprs_hide_tokens() -> None:
    """Stored tokens show only their masked label."""
    assert "tok-b" not in repr(RECORD)


def test_store_key_parse_is_the_inverse_of_name() -> None:
    """A key survives name() and parse(); anything that is not three non-empty parts is None."""
    key = StoreKey("1234567890", "v2.1", "blue")
    assert StoreKey.parse(key.name) == key
    for bad in ("", "a:b", "a:b:c:d", "a::c", ":b:c"):
        assert StoreKey.parse(bad) is None


def test_memory_store_lists_its_keys() -> None:
    """keys() lists what was saved, sorted by name."""
    store = MemoryStore()
    assert store.keys() == []
    b, a = StoreKey("2", "v2.1", "default"), StoreKey("1", "stateless", "default")
    for key in (b, a):
        lease = store.acquire(key, wait=True, timeout=1, seen_expires_at=0)
        assert lease is not None
        lease.save(TokenRecord(StoredToken("t" * 20, 1.0, 2.0)))
        lease.release()
    assert store.keys() == [a, b]
