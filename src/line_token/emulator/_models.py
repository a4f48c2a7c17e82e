"""The emulator's records: channels, registered keys, tokens, pushed messages, requests."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = [
    "Channel",
    "PushedMessage",
    "RegisteredKey",
    "RequestRecord",
    "Token",
    "TokenKind",
]


class TokenKind(str, enum.Enum):
    """LINE's four kinds of channel access token."""

    SHORT_LIVED = "short-lived"
    LONG_LIVED = "long-lived"
    V21 = "v2.1"
    STATELESS = "stateless"


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    """A public key registered in the (emulated) Console; ``kid`` is Console-assigned."""

    kid: str
    channel_id: str
    jwk: dict[str, Any]
    public_key: RSAPublicKey = field(repr=False, compare=False)


@dataclass(slots=True)
class Channel:
    """A Messaging API channel and its bot."""

    channel_id: str
    channel_secret: str = field(repr=False)
    display_name: str
    user_id: str
    basic_id: str
    picture_url: str | None = None
    keys: dict[str, RegisteredKey] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class Token:
    """An issued token. ``expires_at`` is None for long-lived tokens."""

    value: str = field(repr=False)
    kind: TokenKind
    channel_id: str
    issued_at: float
    expires_at: float | None
    key_id: str | None = None
    revoked: bool = False

    def active(self, now: float) -> bool:
        """Not revoked and not expired at ``now``."""
        return not self.revoked and (self.expires_at is None or now < self.expires_at)

    def expired(self, now: float) -> bool:
        """Past its expiry at ``now``."""
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class PushedMessage:
    """A push request the emulator accepted (one record per request)."""

    channel_id: str
    to: str
    messages: list[dict[str, Any]]
    sent_messages: list[dict[str, str]]
    request_id: str
    retry_key: str | None
    token_kind: TokenKind
    time: float
    notification_disabled: bool = False


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request that reached the emulator (console requests are not recorded).

    ``status`` is None when the connection was dropped by an injected fault;
    ``fault`` says which fault, if any, answered it.
    """

    method: str
    path: str
    status: int | None
    time: float
    request_id: str
    fault: str | None = None

    @property
    def endpoint(self) -> str:
        """``"METHOD /path"``, the key :meth:`Emulator.count` matches."""
        return f"{self.method} {self.path}"
