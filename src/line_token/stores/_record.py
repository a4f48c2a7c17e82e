"""What a store keeps for one (channel, kind, group), and how it is serialised and encrypted."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import InvalidInputError
from .._models import mask_token

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

__all__ = ["SCHEMA_VERSION", "Codec", "EncryptionKey", "StoreKey", "StoredToken", "TokenRecord"]

SCHEMA_VERSION = 1

logger = logging.getLogger("line_token")

EncryptionKey = str | bytes | Sequence[str | bytes]
"""A Fernet key, or a list of them (the first encrypts; all decrypt: key rotation)."""


@dataclass(frozen=True, slots=True)
class StoreKey:
    """Which record: one per channel, token kind and manager group, so none collide.

    Example:
        >>> StoreKey("1234567890", "v2.1", "default").name
        '1234567890:v2.1:default'
    """

    channel_id: str
    kind: str
    group: str

    @property
    def name(self) -> str:
        """The key as one string (stores prefix it)."""
        return f"{self.channel_id}:{self.kind}:{self.group}"

    @classmethod
    def parse(cls, name: str) -> StoreKey | None:
        """The key whose :attr:`name` is ``name``, or ``None`` if it is not one.

        Example:
            >>> StoreKey.parse("1234567890:v2.1:default")
            StoreKey(channel_id='1234567890', kind='v2.1', group='default')
        """
        parts = name.split(":")
        if len(parts) != 3 or not all(parts):
            return None
        return cls(parts[0], parts[1], parts[2])


@dataclass(frozen=True, slots=True)
class StoredToken:
    """One token a group holds. ``expires_at`` and ``issued_at`` are wall-clock UNIX times."""

    token: str = field(repr=False)
    issued_at: float
    expires_at: float
    key_id: str | None = None

    @property
    def lifetime(self) -> float:
        """Seconds the token was issued for (``L``)."""
        return self.expires_at - self.issued_at

    def __repr__(self) -> str:
        return (
            f"StoredToken({mask_token(self.token)!r}, issued_at={self.issued_at}, "
            f"expires_at={self.expires_at}, key_id={self.key_id!r})"
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "token": self.token,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "key_id": self.key_id,
        }

    @classmethod
    def from_json(cls, data: Any) -> StoredToken:
        """Read :meth:`to_json` output; ``ValueError`` if malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise ValueError("malformed token entry")
        key_id = data.get("key_id")
        return cls(
            data["token"],
            float(data["issued_at"]),
            float(data["expires_at"]),
            key_id if isinstance(key_id, str) else None,
        )


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A group's state: its current token and its ledger.

    Attributes:
        current: the token handed out (``None`` after an invalidation).
        ledger: every counted token (v2.1, short-lived) this group issued and has
            not revoked, the current one included; empty for uncounted kinds.
        generation: bumped at every write.
        writer: ``host:pid`` of the last writer (diagnostics only).
    """

    current: StoredToken | None
    ledger: tuple[StoredToken, ...] = ()
    generation: int = 0
    writer: str = ""

    @property
    def expires_at(self) -> float:
        """Expiry of the current token (0 if none): stores only accept later ones."""
        return self.current.expires_at if self.current is not None else 0.0


class Codec:
    """Serialises records to bytes, optionally encrypted with Fernet/MultiFernet.

    The plaintext carries the key's channel id, kind and group, and is checked
    on decode, so a blob copied under another key is rejected. A blob that
    cannot be decrypted or parsed decodes to ``None`` (a cache miss), never an
    exception.
    """

    __slots__ = ("_fernet",)

    def __init__(self, encryption_key: EncryptionKey | None = None) -> None:
        self._fernet = _fernet(encryption_key) if encryption_key is not None else None

    @property
    def encrypted(self) -> bool:
        """Whether records are encrypted at rest."""
        return self._fernet is not None

    def encode(self, key: StoreKey, record: TokenRecord) -> bytes:
        """The bytes to store for ``record`` under ``key``."""
        data = {
            "v": SCHEMA_VERSION,
            "channel_id": key.channel_id,
            "kind": key.kind,
            "group": key.group,
            "current": record.current.to_json() if record.current else None,
            "ledger": [t.to_json() for t in record.ledger],
            "generation": record.generation,
            "writer": record.writer,
        }
        raw = json.dumps(data, separators=(",", ":")).encode()
        return self._fernet.encrypt(raw) if self._fernet is not None else raw

    def decode(self, key: StoreKey, blob: bytes | str | None) -> TokenRecord | None:
        """The record in ``blob``, or ``None`` if absent, undecryptable, malformed or misplaced."""
        if blob is None:
            return None
        raw = blob.encode() if isinstance(blob, str) else blob
        try:
            if self._fernet is not None:
                raw = self._fernet.decrypt(raw)
            data = json.loads(raw)
            if (
                data.get("v") != SCHEMA_VERSION
                or data.get("channel_id") != key.channel_id
                or data.get("kind") != key.kind
                or data.get("group") != key.group
            ):
                raise ValueError("record belongs to another key or schema")
            current = data.get("current")
            return TokenRecord(
                StoredToken.from_json(current) if current is not None else None,
                tuple(StoredToken.from_json(t) for t in data.get("ledger", [])),
                int(data.get("generation", 0)),
                str(data.get("writer", "")),
            )
        except Exception as exc:  # any failure is a cache miss
            logger.warning(
                "line_token store: ignoring unreadable record %s (%s); treating as a miss",
                key.name,
                type(exc).__name__,
            )
            return None

    def __repr__(self) -> str:
        return f"Codec(encrypted={self.encrypted})"


def _fernet(key: EncryptionKey) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    keys = [key] if isinstance(key, str | bytes) else list(key)
    if not keys:
        raise InvalidInputError("encryption_key must be a Fernet key or a non-empty list of them")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            "encryption_key must be a Fernet key (32 url-safe base64-encoded bytes; make one "
            "with cryptography.fernet.Fernet.generate_key()) or a list of them"
        ) from exc
