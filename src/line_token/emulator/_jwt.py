"""Checks on a client assertion (JWT), in LINE's order, with LINE's error bodies."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._replies import CANNOT_FIND_KEY, ApiError, message_error, oauth_error

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = [
    "AUDIENCE",
    "MAX_ASSERTION_LIFETIME",
    "MAX_TOKEN_EXP",
    "MIN_TOKEN_EXP",
    "Assertion",
    "verify_assertion",
]

AUDIENCE = "https://api.line.me/"
MAX_ASSERTION_LIFETIME = 30 * 60
MIN_TOKEN_EXP = 30
MAX_TOKEN_EXP = 30 * 24 * 60 * 60

KeyLookup = Callable[[str], "tuple[str, RSAPublicKey] | None"]
"""kid -> (owning channel id, public key), or None when no channel has that kid."""


@dataclass(frozen=True, slots=True)
class Assertion:
    """A verified assertion: its channel and (if present and valid) ``token_exp``."""

    channel_id: str
    kid: str
    token_exp: int | None


def _invalid(description: str) -> ApiError:
    return oauth_error("invalid_client", description)


def _b64decode(segment: str) -> bytes:
    if not segment or "=" in segment:
        raise ValueError("bad segment")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _split(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = assertion.split(".")
    if len(parts) != 3:
        raise _invalid("Invalid JWT format")
    try:
        header = json.loads(_b64decode(parts[0]))
        payload = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _invalid("Invalid JWT format") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise _invalid("Invalid JWT format")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _number(value: object) -> float | None:
    """A JSON number, or a string of digits (LINE's own docs show string claims)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # 10**400 has no float; no time or lifetime is near 10**18
        return float(value) if abs(value) < 10**18 else None
    if isinstance(value, float):  # JSON from Python may hold NaN and Infinity
        return value if math.isfinite(value) else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return float(int(value))
    return None


def _signature_ok(key: RSAPublicKey, signing_input: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _token_exp(payload: dict[str, Any], required: bool) -> int | None:
    if "token_exp" not in payload:
        if required:
            raise _invalid("JWT payload must contain token_exp")
        return None
    value = _number(payload["token_exp"])
    if value is None or value != int(value) or not MIN_TOKEN_EXP <= value <= MAX_TOKEN_EXP:
        raise _invalid("Invalid token_exp")
    return int(value)


def verify_assertion(
    assertion: str, *, now: float, lookup: KeyLookup, require_token_exp: bool
) -> Assertion:
    """Verify ``assertion`` or raise :class:`ApiError` with LINE's answer.

    Order: format, ``alg``, ``kid`` (404 if unknown), signature, ``iss``/``sub``,
    ``aud``, ``exp`` (future, at most 30 minutes ahead), ``token_exp``.
    """
    header, payload, signing_input, signature = _split(assertion)
    if header.get("alg") != "RS256":
        raise _invalid("Invalid alg")
    kid = header.get("kid")
    found = lookup(kid) if isinstance(kid, str) else None
    if found is None or not isinstance(kid, str):
        raise message_error(CANNOT_FIND_KEY, status=404)
    owner, key = found
    if not _signature_ok(key, signing_input, signature):
        raise _invalid("Invalid signature")
    iss, sub = payload.get("iss"), payload.get("sub")
    if iss != owner or sub != owner:
        raise _invalid("iss and clientId of key do not match")
    if payload.get("aud") != AUDIENCE:
        raise _invalid("Invalid aud")
    exp = _number(payload.get("exp"))
    if exp is None or exp <= now or exp > now + MAX_ASSERTION_LIFETIME:
        raise _invalid("Invalid exp")
    return Assertion(owner, kid, _token_exp(payload, require_token_exp))
