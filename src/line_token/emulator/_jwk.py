"""What the LINE Developers Console accepts as an assertion signing key (public JWK)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = ["InvalidKeyError", "MIN_BITS", "check_console_jwk"]

MIN_BITS = 2048
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")


class InvalidKeyError(ValueError):
    """Raised when the emulated Console refuses a public key; the message says why."""


def _b64_int(jwk: Mapping[str, Any], name: str) -> int:
    raw = jwk.get(name)
    if not isinstance(raw, str) or not raw:
        raise InvalidKeyError(
            f"JWK member {name!r} is missing (a public RSA JWK needs 'n' and 'e')"
        )
    if not _B64URL.fullmatch(raw):
        raise InvalidKeyError(f"JWK member {name!r} is not base64url")
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (ValueError, binascii.Error):
        raise InvalidKeyError(f"JWK member {name!r} is not base64url") from None
    return int.from_bytes(data, "big")


def check_console_jwk(jwk: object) -> tuple[dict[str, Any], RSAPublicKey]:
    """Validate a JWK (dict or JSON text) as the Console would; return it and its key.

    Refused: not a JSON object; a ``kid`` member (the Console assigns it); ``kty``
    other than RSA; private members (``d``, ``p``, ...); ``alg`` other than RS256;
    neither ``use: "sig"`` nor ``key_ops: ["verify"]``; missing/invalid ``n``/``e``;
    a modulus under 2048 bits.
    """
    if isinstance(jwk, str | bytes):
        try:
            jwk = json.loads(jwk)
        except (ValueError, UnicodeDecodeError):
            raise InvalidKeyError("the key is not valid JSON, so not a JWK") from None
    if not isinstance(jwk, Mapping):
        raise InvalidKeyError("a JWK must be a JSON object")
    data = dict(jwk)
    if "kid" in data:
        raise InvalidKeyError(
            "the JWK must not contain 'kid': the Console assigns the key id on registration"
        )
    if data.get("kty") != "RSA":
        raise InvalidKeyError(
            f"kty must be 'RSA' (LINE accepts only RSA keys); got {data.get('kty')!r}"
        )
    private = [m for m in _PRIVATE_MEMBERS if m in data]
    if private:
        raise InvalidKeyError(
            f"this JWK holds private key members {private}; register the PUBLIC key only"
        )
    if "alg" in data and data["alg"] != "RS256":
        raise InvalidKeyError(f"alg must be 'RS256'; got {data['alg']!r}")
    if data.get("use") != "sig" and data.get("key_ops") != ["verify"]:
        raise InvalidKeyError(
            'the JWK must declare signature use: "use": "sig" or "key_ops": ["verify"]'
        )
    n, e = _b64_int(data, "n"), _b64_int(data, "e")
    if n.bit_length() < MIN_BITS:
        raise InvalidKeyError(
            f"the RSA key is {n.bit_length()} bits; at least {MIN_BITS} bits are required"
        )
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = rsa.RSAPublicNumbers(e, n).public_key()
    except (ValueError, OverflowError):
        raise InvalidKeyError("'n' and 'e' do not form a valid RSA public key") from None
    return data, key
