"""``tokens list|prune|rotate`` over a SQLite store that a TokenManager uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import Run, single_error_line
from cryptography.fernet import Fernet

from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import RedisStore, SQLiteStore, StoredToken, StoreKey, TokenRecord


def _issue(run: Run) -> StoredToken:
    doc = json.loads(run("issue", "v2.1", "--json", "--token-exp", "86400").stdout)
    return StoredToken(doc["access_token"], 1.0e9, 1.0e9 + 86400, doc["key_id"])


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """An empty SQLite store file, as a --store URL."""
    SQLiteStore(tmp_path / "tokens.db")
    return f"sqlite://{tmp_path / 'tokens.db'}"


def _put(path: str, key: StoreKey, record: TokenRecord) -> None:
    store = SQLiteStore(path.removeprefix("sqlite://"))
    lease = store.acquire(key, wait=True, timeout=5, seen_expires_at=0)
    assert lease is not None
    assert lease.save(record)
    lease.release()


def _with_two_tokens(run: Run, store_url: str, channel_id: str) -> tuple[StoredToken, ...]:
    """A v2.1 record holding an older superseded token and the current one (both live)."""
    import time

    old, new = _issue(run), _issue(run)
    now = time.time()
    old = StoredToken(old.token, now - 100, now + 86300, old.key_id)
    new = StoredToken(new.token, now, now + 86400, new.key_id)
    _put(store_url, StoreKey(channel_id, "v2.1", "default"), TokenRecord(new, (old, new), 1, "t"))
    return old, new


def test_list_shows_each_group_with_masked_tokens(
    run: Run, line_emulator: LineEmulator, store_url: str
) -> None:
    """list shows the channel, kind, group, the current and superseded tokens, masked."""
    old, new = _with_two_tokens(run, store_url, line_emulator.channel_id)
    result = run("tokens", "list", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert f"channel {line_emulator.channel_id}  v2.1  group 'default'" in result.stdout
    assert "current" in result.stdout
    assert "superseded" in result.stdout
    assert old.key_id is not None
    assert old.key_id in result.stdout
    assert old.token not in result.output
    assert new.token not in result.output


def test_list_json_parses(run: Run, line_emulator: LineEmulator, store_url: str) -> None:
    """--json: records with tokens masked, expiries and which one is current."""
    old, new = _with_two_tokens(run, store_url, line_emulator.channel_id)
    doc = json.loads(run("tokens", "list", "--store", store_url, "--json").stdout)
    [record] = doc["records"]
    assert record["kind"] == "v2.1"
    assert [t["current"] for t in record["tokens"]] == [False, True]
    assert [t["key_id"] for t in record["tokens"]] == [old.key_id, new.key_id]
    assert all(t["token"].startswith("sha256:") for t in record["tokens"])


def test_list_missing_store(run: Run, tmp_path: Path) -> None:
    """A store file that does not exist: exit 2, naming --store and LINE_TOKEN_STORE."""
    result = run("tokens", "list", "--store", f"sqlite://{tmp_path / 'nope.db'}")
    assert result.exit_code == 2
    line = single_error_line(result)
    assert "LINE_TOKEN_STORE" in line
    assert not (tmp_path / "nope.db").exists()


def test_unsupported_store_url(run: Run) -> None:
    """An unknown scheme: exit 2 with the supported forms."""
    result = run("tokens", "list", "--store", "mysql://x")
    assert result.exit_code == 2
    assert "sqlite:///" in single_error_line(result)


def test_prune_revokes_the_superseded_token_only(
    run: Run, line_emulator: LineEmulator, store_url: str
) -> None:
    """prune revokes the group's older token at LINE and keeps the current one."""
    old, new = _with_two_tokens(run, store_url, line_emulator.channel_id)
    result = run("tokens", "prune", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert "revoked 1 superseded token(s)" in result.stdout
    assert line_emulator.emulator.token(old.token).revoked  # type: ignore[union-attr]
    assert not line_emulator.emulator.token(new.token).revoked  # type: ignore[union-attr]
    listed = json.loads(run("tokens", "list", "--store", store_url, "--json").stdout)
    assert [t["key_id"] for t in listed["records"][0]["tokens"]] == [new.key_id]


def test_prune_json_reports_tokens_issued_elsewhere(
    run: Run, line_emulator: LineEmulator, store_url: str
) -> None:
    """A live v2.1 token the group did not issue is reported, never revoked."""
    _with_two_tokens(run, store_url, line_emulator.channel_id)
    stranger = _issue(run)
    doc = json.loads(run("tokens", "prune", "--store", store_url, "--json").stdout)
    [pruned] = doc["pruned"]
    assert pruned["issued_elsewhere"] == [stranger.key_id]
    assert not line_emulator.emulator.token(stranger.token).revoked  # type: ignore[union-attr]


def test_prune_needs_the_secret(run: Run, line_emulator: LineEmulator, store_url: str) -> None:
    """v2.1 prune without the secret: exit 2 naming LINE_CHANNEL_SECRET."""
    _with_two_tokens(run, store_url, line_emulator.channel_id)
    result = run("tokens", "prune", "--store", store_url, env={"LINE_CHANNEL_SECRET": None})
    assert result.exit_code == 2
    assert "LINE_CHANNEL_SECRET" in single_error_line(result)


def test_rotate_issues_a_new_token_and_revokes_the_old(
    run: Run, line_emulator: LineEmulator, store_url: str
) -> None:
    """rotate replaces the group's current token and revokes the one it replaced."""
    _old, new = _with_two_tokens(run, store_url, line_emulator.channel_id)
    result = run("tokens", "rotate", "--store", store_url, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["replaced"].startswith("sha256:")
    assert line_emulator.emulator.token(new.token).revoked  # type: ignore[union-attr]
    listed = json.loads(run("tokens", "list", "--store", store_url, "--json").stdout)
    current = [t for t in listed["records"][0]["tokens"] if t["current"]]
    assert current[0]["token"] == doc["token"]


def test_rotate_into_an_empty_store(run: Run, line_emulator: LineEmulator, tmp_path: Path) -> None:
    """rotate on a new store file creates the record (human output)."""
    url = f"sqlite://{tmp_path / 'fresh.db'}"
    result = run("tokens", "rotate", "--store", url, "--kind", "short-lived")
    assert result.exit_code == 0, result.output
    assert "rotated short-lived group 'default'" in result.stdout
    assert line_emulator.emulator.tokens(kind="short-lived")


# --- Redis ----------------------------------------------------------------------------


def _put_redis(url: str, key: StoreKey, record: TokenRecord, encryption_key: str | None) -> None:
    store = RedisStore(url, encryption_key=encryption_key)
    lease = store.acquire(key, wait=True, timeout=5, seen_expires_at=0)
    assert lease is not None
    assert lease.save(record)
    lease.release()
    store.close()


def test_list_and_prune_over_redis(run: Run, line_emulator: LineEmulator, redis_url: str) -> None:
    """The same commands work on a fleet's Redis store (lock keys are not records)."""
    import time

    old, new = _issue(run), _issue(run)
    now = time.time()
    old = StoredToken(old.token, now - 100, now + 86300, old.key_id)
    new = StoredToken(new.token, now, now + 86400, new.key_id)
    key = StoreKey(line_emulator.channel_id, "v2.1", "web")
    _put_redis(redis_url, key, TokenRecord(new, (old, new), 1, "t"), None)
    doc = json.loads(run("tokens", "list", "--store", redis_url, "--json").stdout)
    [record] = doc["records"]
    assert record["group"] == "web"
    assert len(record["tokens"]) == 2
    result = run("tokens", "prune", "--store", redis_url)
    assert result.exit_code == 0, result.output
    assert line_emulator.emulator.token(old.token).revoked  # type: ignore[union-attr]


def test_encrypted_records_need_the_key(
    run: Run, line_emulator: LineEmulator, redis_url: str
) -> None:
    """Without the Fernet key a record is shown unreadable, with the option to pass."""
    fernet_key = Fernet.generate_key().decode()
    token = _issue(run)
    key = StoreKey(line_emulator.channel_id, "v2.1", "default")
    _put_redis(redis_url, key, TokenRecord(token, (token,), 1, "t"), fernet_key)
    blind = run("tokens", "list", "--store", redis_url)
    assert blind.exit_code == 0, blind.output
    assert "unreadable" in blind.stdout
    assert "LINE_TOKEN_ENCRYPTION_KEY" in blind.stdout
    seen = run(
        "tokens", "list", "--store", redis_url, env={"LINE_TOKEN_ENCRYPTION_KEY": fernet_key}
    )
    assert token.key_id is not None
    assert token.key_id in seen.stdout


def test_unreachable_redis(run: Run, closed_port_url: str) -> None:
    """A Redis store nobody answers for: exit 4."""
    url = closed_port_url.replace("http://", "redis://")
    result = run("tokens", "list", "--store", url)
    assert result.exit_code == 4
    assert "cannot read the Redis store" in single_error_line(result)
