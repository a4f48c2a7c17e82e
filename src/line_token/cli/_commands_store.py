"""``tokens list|prune|rotate``: what a token manager's store holds, and its upkeep.

The store, manager and issuers are imported inside the commands: the rest of
the command line never loads them (nor redis).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import click

from .._models import mask_token
from ._config import ENV_CHANNEL_SECRET, Settings, json_option, settings_options
from ._exit import EXIT_NETWORK, EXIT_USAGE, CliError
from ._output import Output, format_expiry, iso_utc

if TYPE_CHECKING:
    from .._issuers import Issuer
    from ..stores import StoredToken, StoreKey, TokenRecord, TokenStore

__all__ = ["StoreSpec", "open_store", "parse_store_url", "tokens"]

ENV_STORE = "LINE_TOKEN_STORE"
ENV_ENCRYPTION_KEY = "LINE_TOKEN_ENCRYPTION_KEY"
KINDS = ("v2.1", "short-lived", "stateless")


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``--store``: ``sqlite`` with a path, or ``redis`` with its URL."""

    scheme: str
    location: str

    def __repr__(self) -> str:  # a Redis URL may hold a password
        shown = self.location if self.scheme == "sqlite" else self.shown
        return f"StoreSpec(scheme={self.scheme!r}, location={shown!r})"

    @property
    def shown(self) -> str:
        """The store as shown to the user (a Redis password hidden)."""
        if self.scheme == "sqlite":
            return f"sqlite://{self.location}" if self.location.startswith("/") else self.location
        parsed = urlparse(self.location)
        if parsed.password:
            netloc = f"{parsed.username or ''}:***@{parsed.hostname}"
            if parsed.port:
                netloc += f":{parsed.port}"
            return parsed._replace(netloc=netloc).geturl()
        return self.location


def parse_store_url(value: str | None) -> StoreSpec:
    """``sqlite:///abs/path.db``, ``sqlite:rel.db``, a bare file path, ``redis://``/``rediss://``.

    ``None`` or ``default`` is the managers' default SQLite file.

    Example:
        >>> parse_store_url("sqlite:///var/lib/bot/tokens.db")
        StoreSpec(scheme='sqlite', location='/var/lib/bot/tokens.db')
    """
    if value is None or value.strip() in ("", "default"):
        from ..stores import default_cache_path

        return StoreSpec("sqlite", str(default_cache_path()))
    value = value.strip()
    if value.startswith(("redis://", "rediss://", "unix://")):
        try:
            urlparse(value).port  # noqa: B018 - raises on a port out of range or a bad IPv6
        except ValueError as exc:
            shown = value.split("://", 1)[0] + "://..."  # the URL may hold a password
            raise CliError(
                f"--store / {ENV_STORE}: {shown} is not a usable Redis URL ({exc}); use "
                "redis://[:password@]host:6379/0",
                EXIT_USAGE,
            ) from None
        return StoreSpec("redis", value)
    if value.startswith("sqlite:"):
        rest = value[len("sqlite:") :]
        if rest.startswith("//"):
            rest = rest[2:]  # sqlite:///abs -> /abs ; sqlite:////abs -> //abs
            while rest.startswith("//"):
                rest = rest[1:]
        if not rest:
            raise CliError(
                "--store sqlite: URL has no path; use sqlite:///absolute/path/tokens.db",
                EXIT_USAGE,
            )
        return StoreSpec("sqlite", rest)
    if "://" in value:
        raise CliError(
            f"--store / {ENV_STORE}: unsupported store {value.split('://')[0]!r}; use "
            "sqlite:///path/tokens.db or redis://host:6379/0",
            EXIT_USAGE,
        )
    return StoreSpec("sqlite", value)


@contextmanager
def open_store(
    spec: StoreSpec, *, encryption_key: str | None, prefix: str, must_exist: bool = True
) -> Iterator[tuple[TokenStore, list[StoreKey]]]:
    """Open the store and list its record keys; close it after."""
    from .._errors import InvalidInputError

    try:
        if spec.scheme == "sqlite":
            with _sqlite(spec, encryption_key, must_exist) as opened:
                yield opened
        else:
            with _redis(spec, encryption_key, prefix) as opened:
                yield opened
    except InvalidInputError as exc:
        raise CliError(f"--store {spec.shown}: {exc}", EXIT_USAGE) from None


def _shown_path(path: Path) -> str:
    text = str(path)
    return repr(text if len(text) <= 200 else text[:200] + "...")


@contextmanager
def _sqlite(
    spec: StoreSpec, encryption_key: str | None, must_exist: bool
) -> Iterator[tuple[TokenStore, list[StoreKey]]]:
    from ..stores import SQLiteStore

    path = Path(spec.location).expanduser()
    try:
        exists = path.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise CliError(
            f"--store {_shown_path(path)}: {exc.strerror or exc}; pass a usable path",
            EXIT_USAGE,
        ) from None
    if must_exist and not exists:
        raise CliError(
            f"no token store at {str(path)!r}: pass --store (or set {ENV_STORE}) to the "
            "sqlite:///path or redis:// URL your TokenManager uses",
            EXIT_USAGE,
        )
    from ..stores import StoreError

    try:
        store = SQLiteStore(path, encryption_key=encryption_key, create=not exists)
        keys = store.keys()
    except StoreError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except (OSError, sqlite3.Error) as exc:
        raise CliError(f"--store {_shown_path(path)}: cannot open it ({exc})", EXIT_USAGE) from None
    try:
        yield store, keys
    finally:
        store.close()


@contextmanager
def _redis(
    spec: StoreSpec, encryption_key: str | None, prefix: str
) -> Iterator[tuple[TokenStore, list[StoreKey]]]:
    try:
        import redis
    except ImportError:
        raise CliError(
            "a redis:// store needs the redis package: pip install 'line-token[redis]'",
            EXIT_USAGE,
        ) from None
    from ..stores import RedisStore, StoreError

    client = redis.Redis.from_url(spec.location)
    try:
        store = RedisStore(client, prefix=prefix, encryption_key=encryption_key)
        try:
            keys = store.keys()
        except StoreError as exc:
            raise CliError(
                f"cannot read the Redis store {spec.shown}: {exc}", EXIT_NETWORK
            ) from None
        yield store, keys
    finally:
        client.close()


# --- list ---------------------------------------------------------------------------


def _token_json(token: StoredToken, current: bool, now: float) -> dict[str, Any]:
    return {
        "token": mask_token(token.token),
        "key_id": token.key_id,
        "issued_at": iso_utc(token.issued_at),
        "expires_at": iso_utc(token.expires_at),
        "expires_in": int(token.expires_at - now),
        "expired": token.expires_at <= now,
        "current": current,
    }


def _held(record: TokenRecord) -> list[tuple[StoredToken, bool]]:
    """The record's tokens, oldest first, each with whether it is the current one."""
    current = record.current
    held = list(record.ledger)
    if current is not None and all(t.token != current.token for t in held):
        held.insert(0, current)
    return [
        (t, current is not None and t.token == current.token)
        for t in sorted(held, key=lambda t: t.issued_at)
    ]


def _record_json(key: StoreKey, record: TokenRecord | None, now: float) -> dict[str, Any]:
    doc: dict[str, Any] = {"channel_id": key.channel_id, "kind": key.kind, "group": key.group}
    if record is None:
        doc.update(readable=False, tokens=[])
        return doc
    doc.update(
        readable=True,
        generation=record.generation,
        writer=record.writer,
        tokens=[_token_json(t, is_current, now) for t, is_current in _held(record)],
    )
    return doc


def _store_options(f: Any) -> Any:
    f = click.option(
        "--prefix",
        default="line-token",
        show_default=True,
        help="Key prefix of a Redis store (RedisStore(prefix=...)).",
    )(f)
    f = click.option(
        "--encryption-key",
        envvar=ENV_ENCRYPTION_KEY,
        show_envvar=True,
        metavar="FERNET_KEY",
        help="The Fernet key the store's records are encrypted with, if any.",
    )(f)
    return click.option(
        "--store",
        "store_url",
        envvar=ENV_STORE,
        show_envvar=True,
        metavar="URL",
        help="sqlite:///path/tokens.db or redis://host:6379/0 "
        "[default: the managers' default SQLite file].",
    )(f)


def _selected(
    keys: list[StoreKey], channel_id: str | None, group: str | None, kinds: tuple[str, ...]
) -> list[StoreKey]:
    return [
        k
        for k in keys
        if (channel_id is None or k.channel_id == channel_id.strip())
        and (group is None or k.group == group)
        and k.kind in kinds
    ]


@click.group()
def tokens() -> None:
    """Inspect and maintain the tokens a TokenManager keeps in its store.

    The store is the one your managers share: sqlite:///path/tokens.db (one
    host) or redis://host:6379/0 (a fleet); by default the managers' default
    SQLite file in the user cache directory. Tokens are always shown masked.

    \b
    Examples:
      line-token tokens list
      line-token tokens prune --store redis://cache:6379/0
      line-token tokens rotate --kind v2.1 --group default
    """


@tokens.command("list")
@click.option("--channel-id", envvar=None, metavar="ID", help="Only this channel.")
@click.option("--group", metavar="NAME", help="Only this manager group.")
@json_option
@_store_options
def tokens_list(
    store_url: str | None,
    encryption_key: str | None,
    prefix: str,
    channel_id: str | None,
    group: str | None,
    json_mode: bool,
) -> None:
    """Show what the store holds per channel, kind and group, with expiries.

    The current token is the one managers hand out; the others are counted
    tokens the group issued and has not revoked yet (prune revokes them).

    \b
    Examples:
      line-token tokens list --store sqlite:///var/lib/bot/tokens.db
      line-token tokens list --json | jq '.records[].tokens[] | select(.expired)'
    """
    out = Output(json_mode=json_mode)
    spec = parse_store_url(store_url)
    now = time.time()
    with open_store(spec, encryption_key=encryption_key, prefix=prefix) as (store, keys):
        chosen = _selected(keys, channel_id, group, tuple({k.kind for k in keys}))
        records = [(k, store.load(k)) for k in chosen]
    if json_mode:
        docs = [_record_json(k, record, now) for k, record in records]
        out.json({"store": spec.shown, "records": docs})
        return
    out.title(f"{spec.shown}: {len(records)} record(s)")
    for key, record in records:
        out.line()
        out.line(f"channel {key.channel_id}  {key.kind}  group {key.group!r}", "bold")
        if record is None:
            out.line(
                f"  unreadable: encrypted with another key? pass --encryption-key "
                f"(or {ENV_ENCRYPTION_KEY})",
                "yellow",
            )
            continue
        held = _held(record)
        if not held:
            out.line("  no token held")
        for token, is_current in held:
            role = "current   " if is_current else "superseded"
            key_id = f"  key id {token.key_id}" if token.key_id else ""
            when = format_expiry(token.expires_at, now)
            out.line(f"  {role}  {mask_token(token.token)}{key_id}  {when}")
        out.line(f"  written by {record.writer or '?'} (generation {record.generation})", "dim")


# --- prune and rotate -------------------------------------------------------------------


def _issuer(settings: Settings, key: StoreKey, token_exp: int | None) -> Issuer:
    """The issuer a manager of ``key`` would use, from the command's credentials."""
    from .._issuers import ShortLivedIssuer, StatelessIssuer, V21Issuer

    why = f"to manage {key.kind} tokens of channel {key.channel_id}"
    if key.kind == "v2.1":
        signer = settings.signer(why)
        secret = settings.require_secret(why + " (LINE needs it to revoke)")
        if token_exp is not None:
            return V21Issuer(signer, secret, token_exp=token_exp)
        return V21Issuer(signer, secret)
    if key.kind == "short-lived":
        return ShortLivedIssuer(key.channel_id, settings.require_secret(why))
    if key.kind == "stateless":
        if settings.has_secret:
            return StatelessIssuer(key.channel_id, channel_secret=settings.require_secret())
        return StatelessIssuer(key.channel_id, signer=settings.signer(why))
    raise CliError(f"record {key.name} has a kind line-token does not manage", EXIT_USAGE)


@tokens.command("prune")
@click.option("--group", metavar="NAME", help="Only this manager group.")
@json_option
@_store_options
@settings_options()
def tokens_prune(
    store_url: str | None,
    encryption_key: str | None,
    prefix: str,
    group: str | None,
    json_mode: bool,
    settings: Settings,
) -> None:
    """Revoke the superseded tokens the channel's manager groups still hold.

    For each v2.1 and short-lived record of the channel (LINE_CHANNEL_ID):
    compares the group's ledger with LINE's live key ids, revokes the group's
    tokens other than the current one, and forgets those already gone. Tokens
    issued elsewhere are listed, never touched. Needs the channel's
    credentials (the assertion key and secret for v2.1).

    \b
    Examples:
      line-token tokens prune --store sqlite:///var/lib/bot/tokens.db
      line-token tokens prune --group workers --json
    """
    from .._manager import TokenManager

    out = Output(json_mode=json_mode)
    channel_id = settings.require_channel_id()
    spec = parse_store_url(store_url)
    results: list[dict[str, Any]] = []
    with open_store(spec, encryption_key=encryption_key, prefix=prefix) as (store, keys):
        chosen = _selected(keys, channel_id, group, ("v2.1", "short-lived"))
        with settings.client() as client:
            for key in chosen:
                issuer = _issuer(settings, key, None)
                manager = TokenManager(issuer, store=store, client=client, group=key.group)
                with manager:
                    report = manager.reconcile()
                results.append(
                    {
                        "channel_id": key.channel_id,
                        "kind": key.kind,
                        "group": key.group,
                        "revoked": list(report.revoked),
                        "kept": list(report.ours),
                        "forgotten": report.forgotten,
                        "issued_elsewhere": list(report.unknown),
                        "live_key_ids": None
                        if report.live_key_ids is None
                        else list(report.live_key_ids),
                    }
                )
    if json_mode:
        out.json({"store": spec.shown, "pruned": results})
        return
    if not results:
        out.check("skip", f"no v2.1 or short-lived record of channel {channel_id} in {spec.shown}")
        return
    for r in results:
        label = f"{r['kind']} group {r['group']!r}"
        revoked = ", ".join(r["revoked"]) or "none"
        out.check("ok", f"{label}: revoked {len(r['revoked'])} superseded token(s) ({revoked})")
        if r["kept"]:
            out.field("kept", ", ".join(r["kept"]) + " (current)")
        if r["forgotten"]:
            out.field("forgotten", f"{r['forgotten']} already expired or revoked at LINE")
        if r["issued_elsewhere"]:
            out.field(
                "elsewhere",
                f"{len(r['issued_elsewhere'])} live v2.1 token(s) this group did not issue "
                f"(other groups, stores or programs; untouched): "
                + ", ".join(r["issued_elsewhere"]),
            )


@tokens.command("rotate")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="v2.1",
    show_default=True,
    help="Which record of the channel to rotate.",
)
@click.option("--group", default="default", show_default=True, help="The manager group.")
@click.option(
    "--token-exp",
    type=click.IntRange(600, 30 * 24 * 3600),
    default=None,
    help="v2.1 lifetime in seconds [default: the manager's, 1 day].",
)
@json_option
@_store_options
@settings_options()
def tokens_rotate(
    store_url: str | None,
    encryption_key: str | None,
    prefix: str,
    kind: str,
    group: str,
    token_exp: int | None,
    json_mode: bool,
    settings: Settings,
) -> None:
    """Issue a new token for a manager group now and revoke the one it replaces.

    Every manager sharing the store picks the new token up at its next
    refresh check; use after a leak, or to test rotation. Needs the channel's
    credentials (for v2.1 the assertion key and the secret).

    \b
    Examples:
      line-token tokens rotate --store sqlite:///var/lib/bot/tokens.db
      line-token tokens rotate --kind short-lived --group workers --json
    """
    from .._manager import TokenManager
    from ..stores import StoreKey

    out = Output(json_mode=json_mode)
    channel_id = settings.require_channel_id()
    spec = parse_store_url(store_url)
    key = StoreKey(channel_id, kind, group)
    with open_store(spec, encryption_key=encryption_key, prefix=prefix, must_exist=False) as (
        store,
        _keys,
    ):
        before = store.load(key)
        issuer = _issuer(settings, key, token_exp)
        with settings.client() as client:
            with TokenManager(issuer, store=store, client=client, group=group) as manager:
                new_token = manager.rotate()
            after = store.load(key)
    old = before.current if before is not None else None
    current = after.current if after is not None else None
    expires_at = current.expires_at if current is not None else time.time()
    doc = {
        "store": spec.shown,
        "channel_id": channel_id,
        "kind": kind,
        "group": group,
        "token": mask_token(new_token),
        "key_id": current.key_id if current is not None else None,
        "expires_at": iso_utc(expires_at),
        "replaced": mask_token(old.token) if old is not None else None,
    }
    if json_mode:
        out.json(doc)
        return
    out.check(
        "ok",
        f"rotated {kind} group {group!r} of channel {channel_id}: new token {doc['token']}, "
        f"{format_expiry(expires_at, time.time())}",
    )
    if old is not None:
        revoked = "revoked" if kind != "stateless" else "left to expire (stateless)"
        out.field("replaced", f"{doc['replaced']} ({revoked})")
    if kind == "v2.1" and not settings.has_secret:
        out.note(f"{ENV_CHANNEL_SECRET} is needed to revoke v2.1 tokens")
