"""How a token manager gets a token: one issuer per kind of channel access token.

An issuer is a pure description. It holds the credentials and returns sans-I/O
:class:`~line_token._sansio.Call` objects, so :class:`TokenManager` and
:class:`AsyncTokenManager` execute the very same requests. Reprs never show a
secret or key.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from . import _sansio
from ._assertion import MAX_TOKEN_EXP, AssertionSigner, validate_channel_id
from ._errors import InvalidInputError
from ._models import IssuedToken, mask_token

__all__ = [
    "DEFAULT_V21_TOKEN_EXP",
    "Issuer",
    "ShortLivedIssuer",
    "StatelessIssuer",
    "StaticToken",
    "V21Issuer",
]

ASSERTION_LIFETIME = 900
"""Seconds each assertion lives. LINE accepts up to 30 minutes ahead of its clock;
15 minutes tolerates this host's clock being up to 15 minutes fast or slow."""

DEFAULT_V21_TOKEN_EXP = 86400
"""Default lifetime of a managed v2.1 token: 1 day.

Short enough that a token leaked by a crash between issue and store (which no
one can revoke) frees its slot within a day; long enough that a manager issues
about 1.5 tokens a day.
"""


@runtime_checkable
class Issuer(Protocol):
    """What a token manager needs from an issuer.

    Attributes:
        kind: ``"stateless"``, ``"short-lived"``, ``"v2.1"`` or ``"static"``;
            part of the store key.
        channel_id: the channel's numeric id; part of the store key.
        counted: whether LINE caps how many of these tokens a channel holds (30),
            so the manager must keep a ledger and revoke what it supersedes.
    """

    kind: str
    channel_id: str
    counted: bool

    def issue_call(self) -> _sansio.Call[IssuedToken] | None:
        """The request that issues a token (``None``: this issuer never issues)."""

    def revoke_call(self, token: str) -> _sansio.Call[None] | None:
        """The request that revokes ``token`` (``None``: not revocable)."""

    def key_ids_call(self) -> _sansio.Call[list[str]] | None:
        """The request listing the channel's live key ids (v2.1 only)."""


class StatelessIssuer:
    """Stateless tokens (15 minutes, uncounted, not revocable): by secret or by assertion.

    Args:
        channel_id: the channel's numeric id.
        channel_secret: the channel secret (or pass ``signer``).
        signer: an :class:`AssertionSigner` for the channel, instead of the secret.

    Example:
        >>> StatelessIssuer("1234567890", channel_secret="s3cret")
        StatelessIssuer(channel_id='1234567890', by='secret')
    """

    kind = "stateless"
    counted = False

    def __init__(
        self,
        channel_id: str | int,
        channel_secret: str | None = None,
        *,
        signer: AssertionSigner | None = None,
    ) -> None:
        self.channel_id = validate_channel_id(channel_id)
        if (channel_secret is None) == (signer is None):
            raise InvalidInputError("StatelessIssuer needs channel_secret or signer (exactly one)")
        if signer is not None and signer.channel_id != self.channel_id:
            raise InvalidInputError("the signer belongs to another channel than channel_id")
        self._secret = channel_secret
        self._signer = signer
        if channel_secret is not None:
            _sansio.issue_stateless_token(channel_id=self.channel_id, channel_secret=channel_secret)

    def issue_call(self) -> _sansio.Call[IssuedToken]:
        """``POST /oauth2/v3/token``."""
        if self._signer is not None:
            return _sansio.issue_stateless_token(
                assertion=self._signer.sign(token_exp=900, lifetime=ASSERTION_LIFETIME)
            )
        return _sansio.issue_stateless_token(
            channel_id=self.channel_id, channel_secret=self._secret
        )

    def revoke_call(self, token: str) -> _sansio.Call[None] | None:
        """Stateless tokens cannot be revoked."""
        return None

    def key_ids_call(self) -> _sansio.Call[list[str]] | None:
        """Stateless tokens have no key ids."""
        return None

    def __repr__(self) -> str:
        by = "assertion" if self._signer is not None else "secret"
        return f"StatelessIssuer(channel_id={self.channel_id!r}, by={by!r})"


class ShortLivedIssuer:
    """Short-lived tokens (30 days; a channel holds 30, the 31st revokes the oldest).

    Example:
        >>> ShortLivedIssuer("1234567890", "s3cret")
        ShortLivedIssuer(channel_id='1234567890')
    """

    kind = "short-lived"
    counted = True

    def __init__(self, channel_id: str | int, channel_secret: str) -> None:
        self.channel_id = validate_channel_id(channel_id)
        self._call = _sansio.issue_short_lived_token(self.channel_id, channel_secret)

    def issue_call(self) -> _sansio.Call[IssuedToken]:
        """``POST /v2/oauth/accessToken``."""
        return self._call

    def revoke_call(self, token: str) -> _sansio.Call[None]:
        """``POST /v2/oauth/revoke``."""
        return _sansio.revoke_token(token)

    def key_ids_call(self) -> _sansio.Call[list[str]] | None:
        """LINE lists no key ids for short-lived tokens."""
        return None

    def __repr__(self) -> str:
        return f"ShortLivedIssuer(channel_id={self.channel_id!r})"


class V21Issuer:
    """v2.1 tokens from a JWT assertion (a channel holds at most 30; the 31st is refused).

    Args:
        signer: signs the assertions (it names the channel and the key).
        channel_secret: the channel secret; LINE needs it to revoke v2.1 tokens.
        token_exp: lifetime of each token in seconds (default 1 day, at most 30 days).

    Example:
        >>> signer = AssertionSigner("1234567890", "kid", generate_key_pair().private_pem)
        >>> V21Issuer(signer, "s3cret")
        V21Issuer(channel_id='1234567890', kid='kid', token_exp=86400)
    """

    kind = "v2.1"
    counted = True

    def __init__(
        self,
        signer: AssertionSigner,
        channel_secret: str,
        *,
        token_exp: int = DEFAULT_V21_TOKEN_EXP,
    ) -> None:
        if not isinstance(signer, AssertionSigner):
            raise InvalidInputError("signer must be an AssertionSigner")
        if isinstance(token_exp, bool) or not isinstance(token_exp, int):
            raise InvalidInputError("token_exp must be a whole number of seconds")
        if not 600 <= token_exp <= MAX_TOKEN_EXP:
            raise InvalidInputError(
                f"token_exp must be between 600 and {MAX_TOKEN_EXP} seconds; got {token_exp}"
            )
        self.channel_id = signer.channel_id
        self.token_exp = token_exp
        self._signer = signer
        self._secret = channel_secret
        _sansio.revoke_v21_token(self.channel_id, channel_secret, "probe")  # validates the secret

    def issue_call(self) -> _sansio.Call[IssuedToken]:
        """``POST /oauth2/v2.1/token`` with a freshly signed assertion."""
        return _sansio.issue_v21_token(
            self._signer.sign(token_exp=self.token_exp, lifetime=ASSERTION_LIFETIME)
        )

    def revoke_call(self, token: str) -> _sansio.Call[None]:
        """``POST /oauth2/v2.1/revoke``."""
        return _sansio.revoke_v21_token(self.channel_id, self._secret, token)

    def key_ids_call(self) -> _sansio.Call[list[str]]:
        """``GET /oauth2/v2.1/tokens/kid``."""
        return _sansio.get_v21_key_ids(self._signer.sign(lifetime=ASSERTION_LIFETIME))

    def __repr__(self) -> str:
        return (
            f"V21Issuer(channel_id={self.channel_id!r}, kid={self._signer.kid!r}, "
            f"token_exp={self.token_exp})"
        )


class StaticToken:
    """A token you already have (e.g. the Console's long-lived one): never refreshed or revoked.

    Args:
        token: the channel access token.
        channel_id: the channel's id, if known (only used in logs and store keys).

    Example:
        >>> StaticToken("abc")
        StaticToken(token='sha256:ba7816bf')
    """

    kind = "static"
    counted = False

    def __init__(self, token: str, channel_id: str | int | None = None) -> None:
        _sansio.verify_token(token)  # validates the token's shape
        self.token = token
        self.channel_id = validate_channel_id(channel_id) if channel_id is not None else "0"

    def issue_call(self) -> _sansio.Call[IssuedToken] | None:
        """A static token is never issued by the manager."""
        return None

    def revoke_call(self, token: str) -> _sansio.Call[None] | None:
        """A static token is never revoked by the manager."""
        return None

    def key_ids_call(self) -> _sansio.Call[list[str]] | None:
        """No key ids."""
        return None

    def __repr__(self) -> str:
        return f"StaticToken(token={mask_token(self.token)!r})"
