"""Frozen result types. Their reprs never show a token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = ["BotInfo", "IssuedToken", "TokenInfo", "mask_token"]


def mask_token(token: str) -> str:
    """A short, stable, non-reversible label for a token, safe to log.

    Example:
        >>> mask_token("abc")
        'sha256:ba7816bf'
    """
    # surrogatepass: a str from undecodable bytes (an odd variable) still gets its label
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A channel access token as LINE issued it.

    Attributes:
        access_token: the Bearer token. Never shown by ``repr``.
        token_type: always ``"Bearer"``.
        expires_in: lifetime in seconds, as LINE reported it.
        issued_at: wall-clock UNIX time at which the issue request was sent
            (so :attr:`expires_at` errs early, never late).
        key_id: the v2.1 token's key id (``None`` for other kinds); needed to
            match it against :meth:`Client.get_v21_key_ids`.

    Example:
        >>> t = IssuedToken("secret-token", "Bearer", 900, issued_at=1000.0)
        >>> t.expires_at
        1900.0
        >>> "secret-token" in repr(t)
        False
    """

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int
    issued_at: float
    key_id: str | None = None

    @property
    def expires_at(self) -> float:
        """Wall-clock UNIX time at which the token expires."""
        return self.issued_at + self.expires_in

    def __repr__(self) -> str:
        return (
            f"IssuedToken(access_token={mask_token(self.access_token)!r}, "
            f"token_type={self.token_type!r}, expires_in={self.expires_in}, "
            f"issued_at={self.issued_at}, key_id={self.key_id!r})"
        )


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a verify endpoint says about a token.

    Attributes:
        client_id: the channel id the token belongs to.
        expires_in: seconds of life left.
        scope: space-separated scopes, when LINE includes them.
    """

    client_id: str
    expires_in: int
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class BotInfo:
    """The bot's profile from ``GET /v2/bot/info`` (LINE's fields in snake_case)."""

    user_id: str
    basic_id: str
    display_name: str
    chat_mode: str
    mark_as_read_mode: str
    premium_id: str | None = None
    picture_url: str | None = None
