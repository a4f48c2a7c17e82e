"""JWT client assertions for LINE: claims (pure) and RS256 signing.

LINE's rules: header ``alg RS256``, ``typ JWT``, ``kid`` (the id the Console gave
the registered public key); claims ``iss`` = ``sub`` = channel id, ``aud`` =
``https://api.line.me/``, ``exp`` at most 30 minutes ahead, and ``token_exp`` (the
wanted lifetime of a v2.1 token, in seconds, at most 30 days).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._errors import InvalidInputError
from ._keys import KeySource, load_private_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = [
    "AUDIENCE",
    "MAX_ASSERTION_LIFETIME",
    "MAX_TOKEN_EXP",
    "AssertionSigner",
    "assertion_claims",
    "sign_assertion",
    "validate_channel_id",
]

AUDIENCE = "https://api.line.me/"
MAX_ASSERTION_LIFETIME = 30 * 60
MAX_TOKEN_EXP = 30 * 24 * 60 * 60


def validate_channel_id(channel_id: object) -> str:
    """Return the channel id as a string of digits, or raise :class:`InvalidInputError`.

    Example:
        >>> validate_channel_id(1234567890)
        '1234567890'
    """
    if isinstance(channel_id, int) and not isinstance(channel_id, bool) and channel_id > 0:
        return str(channel_id)
    if isinstance(channel_id, str) and channel_id.isascii() and channel_id.isdigit():
        return channel_id
    shown = "empty" if channel_id in ("", None) else f"a {type(channel_id).__name__}"
    if isinstance(channel_id, str) and channel_id:
        shown = "not all digits"
    raise InvalidInputError(
        f"channel_id must be the channel's numeric id (all digits, e.g. '1234567890'), "
        f"as shown on the Basic settings tab of the LINE Developers Console; it was {shown}"
    )


def _positive_int(name: str, value: object, maximum: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        shown = value if isinstance(value, int | float) else type(value).__name__
        raise InvalidInputError(
            f"{name} must be a whole number of seconds, 0 < {name} <= {maximum} ({unit}); "
            f"got {shown!r}"
        )
    return value


def _kid(kid: object) -> str:
    if not isinstance(kid, str) or not kid.strip():
        raise InvalidInputError(
            "kid must be the non-empty key id that the LINE Console showed when you "
            "registered the public key (Basic settings > Assertion Signing Key)"
        )
    return kid


def assertion_claims(
    channel_id: str,
    *,
    now: float,
    lifetime: int = MAX_ASSERTION_LIFETIME,
    token_exp: int | None = None,
) -> dict[str, Any]:
    """The payload of a LINE assertion issued at ``now`` (pure; validates its inputs).

    Example:
        >>> assertion_claims("1234567890", now=1000.5, lifetime=60)
        {'iss': '1234567890', 'sub': '1234567890', 'aud': 'https://api.line.me/', 'exp': 1060}
    """
    cid = validate_channel_id(channel_id)
    life = _positive_int("lifetime", lifetime, MAX_ASSERTION_LIFETIME, "30 minutes at most")
    claims: dict[str, Any] = {"iss": cid, "sub": cid, "aud": AUDIENCE, "exp": int(now) + life}
    if token_exp is not None:
        claims["token_exp"] = _positive_int("token_exp", token_exp, MAX_TOKEN_EXP, "30 days")
    return claims


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class AssertionSigner:
    """Signs LINE JWT assertions for one channel and key; loads the key once.

    Args:
        channel_id: the channel's numeric id.
        kid: the key id the LINE Console assigned to the registered public key.
        private_key: the RSA private key, in any form
            :func:`~line_token.load_private_key` accepts.
        password: the PEM's password, if encrypted.
        clock: wall-clock source (UNIX seconds); injectable for tests.

    Example:
        >>> pair = generate_key_pair()
        >>> signer = AssertionSigner("1234567890", "my-kid", pair.private_pem)
        >>> jwt = signer.sign(token_exp=86400)
        >>> jwt.count(".")
        2
    """

    __slots__ = ("_channel_id", "_clock", "_header", "_key", "_kid")

    def __init__(
        self,
        channel_id: str | int,
        kid: str,
        private_key: KeySource,
        *,
        password: str | bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._channel_id = validate_channel_id(channel_id)
        self._kid = _kid(kid)
        self._key: RSAPrivateKey = load_private_key(private_key, password)
        self._clock = clock
        self._header = _b64(_json({"alg": "RS256", "typ": "JWT", "kid": self._kid}))

    @property
    def channel_id(self) -> str:
        """The channel id that goes into ``iss`` and ``sub``."""
        return self._channel_id

    @property
    def kid(self) -> str:
        """The key id that goes into the JWT header."""
        return self._kid

    def sign(self, token_exp: int | None = None, lifetime: int = MAX_ASSERTION_LIFETIME) -> str:
        """Return a signed assertion.

        Args:
            token_exp: lifetime in seconds of the v2.1 token to issue (at most
                2,592,000 = 30 days). Required by LINE for ``issue_v21_token``;
                omit it for other endpoints if you like.
            lifetime: seconds until the assertion itself expires (at most 1800).
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        claims = assertion_claims(
            self._channel_id, now=self._clock(), lifetime=lifetime, token_exp=token_exp
        )
        signing_input = self._header + b"." + _b64(_json(claims))
        signature = self._key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return (signing_input + b"." + _b64(signature)).decode("ascii")

    def __repr__(self) -> str:
        return f"AssertionSigner(channel_id={self._channel_id!r}, kid={self._kid!r})"


def sign_assertion(
    channel_id: str | int,
    kid: str,
    private_key: KeySource,
    *,
    token_exp: int | None = None,
    lifetime: int = MAX_ASSERTION_LIFETIME,
    password: str | bytes | None = None,
    clock: Callable[[], float] = time.time,
) -> str:
    """Sign one assertion (loads the key each call; keep an :class:`AssertionSigner` to reuse it).

    Example:
        >>> pair = generate_key_pair()
        >>> jwt = sign_assertion("1234567890", "my-kid", pair.private_pem, token_exp=900)
    """
    signer = AssertionSigner(channel_id, kid, private_key, password=password, clock=clock)
    return signer.sign(token_exp=token_exp, lifetime=lifetime)
