"""Random identifiers and token strings, unguessable by default or repeatable with a seed."""

from __future__ import annotations

import base64
import json
import random
import secrets
import uuid

__all__ = ["IdSource"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_V21_HEADER = _b64url(json.dumps({"alg": "HS256"}, separators=(",", ":")).encode())
_STATELESS_HEADER = _b64url(
    json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode()
)


class IdSource:
    """Makes every id and token of the emulator.

    Without a seed it draws from :mod:`secrets`; with one, from ``random.Random(seed)``
    so a run can be repeated exactly. Not thread-safe: callers hold the emulator lock.
    """

    __slots__ = ("_rng",)

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else None  # noqa: S311 - test ids

    def bytes(self, n: int) -> bytes:
        """``n`` random bytes."""
        return self._rng.randbytes(n) if self._rng is not None else secrets.token_bytes(n)

    def _below(self, n: int) -> int:
        return self._rng.randrange(n) if self._rng is not None else secrets.randbelow(n)

    def channel_id(self) -> str:
        """A 10-digit channel id, like LINE's (e.g. ``1656012345``)."""
        return str(1_500_000_000 + self._below(600_000_000))

    def channel_secret(self) -> str:
        """32 lowercase hex digits."""
        return self.bytes(16).hex()

    def kid(self) -> str:
        """A UUID4, as the Console assigns to a registered public key."""
        return str(uuid.UUID(bytes=self.bytes(16), version=4))

    def request_id(self) -> str:
        """A fresh ``x-line-request-id`` value (32 hex digits)."""
        return self.bytes(16).hex()

    def opaque_token(self) -> str:
        """A short-lived/long-lived token: 172 base64 chars, always with ``/`` and ``+``."""
        chars = list(base64.b64encode(self.bytes(128)).decode("ascii"))
        chars[17], chars[61] = "/", "+"
        return "".join(chars) + "="

    def v21_token(self) -> str:
        """A v2.1 token: compact-JWS-looking, header ``{"alg":"HS256"}``, opaque payload."""
        return f"{_V21_HEADER}.{_b64url(self.bytes(96))}.{_b64url(self.bytes(32))}"

    def stateless_token(self) -> str:
        """A stateless token: ``eyJ...``, JWS-looking, opaque."""
        return f"{_STATELESS_HEADER}.{_b64url(self.bytes(120))}.{_b64url(self.bytes(32))}"

    def key_id(self) -> str:
        """A v2.1 token's ``key_id``: 22 base64url chars."""
        return _b64url(self.bytes(16))

    def user_id(self) -> str:
        """A bot user id: ``U`` + 32 hex digits."""
        return "U" + self.bytes(16).hex()

    def basic_id(self) -> str:
        """A bot basic id such as ``@123abcde``."""
        letters = "".join(chr(ord("a") + self._below(26)) for _ in range(5))
        return f"@{self._below(1000):03d}{letters}"

    def message_id(self) -> str:
        """An 18-digit message id."""
        return str(100_000_000_000_000_000 + self._below(900_000_000_000_000_000))

    def quote_token(self) -> str:
        """A quote token for a sent message."""
        return _b64url(self.bytes(96))
