"""RSA keys for LINE assertion signing: make them, load them, show their public JWK.

LINE accepts an RSA key of 2048 bits or more, registered in the Console as a
public JWK with ``alg: RS256`` and ``use: sig`` and *without* ``kid`` (the
Console assigns the kid). cryptography is imported on first use, so
``import line_token`` stays cheap.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union

from ._errors import InvalidInputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

__all__ = [
    "MIN_KEY_BITS",
    "KeyPair",
    "KeySource",
    "generate_key_pair",
    "jwk_thumbprint",
    "load_private_key",
    "public_jwk",
]

MIN_KEY_BITS = 2048
"""LINE rejects RSA keys shorter than this."""

KeySource = Union[
    str, bytes, "os.PathLike[str]", Mapping[str, Any], "RSAPrivateKey", "RSAPublicKey"
]
"""Anything a key can be given as: PEM text, JWK (dict or JSON text), a path, or a key object."""

_FIX = "Make a suitable key with `line-token keygen` or line_token.generate_key_pair()."


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A freshly generated RSA key pair.

    Attributes:
        private_pem: the private key, PKCS#8 PEM, unencrypted. Never shown by ``repr``.
        public_pem: the public key, SubjectPublicKeyInfo PEM.
        public_jwk: the public JWK to paste into the LINE Developers Console.

    Example:
        >>> pair = generate_key_pair()
        >>> sorted(pair.public_jwk)
        ['alg', 'e', 'kty', 'n', 'use']
    """

    private_pem: bytes = field(repr=False)
    public_pem: bytes
    public_jwk: dict[str, str]

    def __repr__(self) -> str:
        return f"KeyPair(thumbprint={jwk_thumbprint(self.public_jwk)!r})"


def generate_key_pair(bits: int = MIN_KEY_BITS) -> KeyPair:
    """Generate an RSA key pair for LINE assertion signing.

    Args:
        bits: modulus size; at least 2048 (what LINE requires).

    Example:
        >>> pair = generate_key_pair()
        >>> pair.public_jwk["alg"], pair.public_jwk["use"]
        ('RS256', 'sig')
    """
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < MIN_KEY_BITS:
        raise InvalidInputError(
            f"bits must be an integer of at least {MIN_KEY_BITS} (LINE rejects shorter keys); "
            f"got {bits!r}"
        )
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_pem, public_pem, _jwk_of(key.public_key()))


def load_private_key(source: KeySource, password: str | bytes | None = None) -> RSAPrivateKey:
    """Load an RSA private key of at least 2048 bits.

    Args:
        source: a PEM (PKCS#1 or PKCS#8; ``str`` or ``bytes``; encrypted or not),
            a private JWK (``dict`` or JSON text), a path to a file holding
            either, or an ``RSAPrivateKey``.
        password: the PEM's password, if it is encrypted.

    Raises:
        InvalidInputError: the source is not a readable RSA private key, is
            not RSA, or is shorter than 2048 bits. The message says which.

    Example:
        >>> pair = generate_key_pair()
        >>> load_private_key(pair.private_pem).key_size
        2048
    """
    from cryptography.hazmat.primitives.asymmetric import rsa

    if isinstance(source, rsa.RSAPrivateKey):
        return _check_size(source)
    if isinstance(source, rsa.RSAPublicKey):
        raise InvalidInputError(
            "private key expected, got an RSA public key; pass the private key file "
            "(the public one goes into the LINE Console)"
        )
    data, origin = _read_source(source)
    if _looks_like_json(data):
        key = _private_from_jwk(_parse_json(data, origin), origin)
    else:
        key = _private_from_pem(data, password, origin)
    # Keys are loaded without OpenSSL's slow validation; the self-test proves them instead.
    return _self_test(_check_size(key), origin)


def public_jwk(source: KeySource, password: str | bytes | None = None) -> dict[str, str]:
    """The public JWK of a key, exactly as the LINE Console accepts it.

    The result has ``kty``, ``n``, ``e``, ``alg: RS256`` and ``use: sig``, and no
    ``kid`` (the Console assigns one).

    Args:
        source: a private or public key in any form :func:`load_private_key`
            accepts, a public PEM, or a public JWK.
        password: the PEM's password, if it is an encrypted private key.

    Example:
        >>> pair = generate_key_pair()
        >>> public_jwk(pair.private_pem) == pair.public_jwk
        True
    """
    from cryptography.hazmat.primitives.asymmetric import rsa

    if isinstance(source, rsa.RSAPublicKey):
        return _jwk_of(_check_size(source))
    if isinstance(source, rsa.RSAPrivateKey):
        return _jwk_of(_check_size(source).public_key())
    data, origin = _read_source(source)
    if _looks_like_json(data):
        jwk = _parse_json(data, origin)
        _require_rsa_jwk(jwk, origin)
        if "d" in jwk:
            return _jwk_of(_check_size(_private_from_jwk(jwk, origin)).public_key())
        return _jwk_of(_check_size(_public_from_jwk(jwk, origin)))
    if b"PUBLIC KEY" in data.split(b"\n", 1)[0]:
        return _jwk_of(_check_size(_public_from_pem(data, origin)))
    return _jwk_of(_check_size(_private_from_pem(data, password, origin)).public_key())


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of an RSA JWK, base64url without padding.

    Handy to tell keys apart in logs without printing them.

    Example:
        >>> jwk_thumbprint({"kty": "RSA", "e": "AQAB", "n": "sXch"})
        'QuuUs382dT_nT37pzWHkz4SUwcPFq72t25Q3yV-FlCw'
    """
    if (
        not isinstance(jwk, Mapping)
        or jwk.get("kty") != "RSA"
        or not all(isinstance(jwk.get(k), str) for k in ("n", "e"))
    ):
        raise InvalidInputError("jwk must be an RSA JWK with string members 'kty', 'n' and 'e'")
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


# --- helpers -----------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _int_b64(jwk: Mapping[str, Any], name: str, origin: str) -> int:
    raw = jwk.get(name)
    if not isinstance(raw, str) or not raw:
        raise InvalidInputError(f"{origin}: JWK member {name!r} is missing or not a string")
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (ValueError, TypeError):
        raise InvalidInputError(f"{origin}: JWK member {name!r} is not base64url") from None
    return int.from_bytes(data, "big")


def _jwk_of(key: RSAPublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "n": _b64_int(numbers.n),
        "e": _b64_int(numbers.e),
        "alg": "RS256",
        "use": "sig",
    }


def _read_source(source: object) -> tuple[bytes, str]:
    """Return the key bytes and a description of where they came from (never the key)."""
    if isinstance(source, Mapping):
        try:
            return json.dumps(dict(source)).encode(), "JWK"
        except (TypeError, ValueError, RecursionError):
            raise InvalidInputError("JWK dict is not JSON-serialisable") from None
    if isinstance(source, str):
        stripped = source.lstrip()
        if stripped.startswith(("-----BEGIN", "{")):
            try:
                return stripped.encode(), "key text"
            except UnicodeEncodeError:
                raise InvalidInputError("key text holds characters no key has") from None
        return _read_path(source)
    if isinstance(source, bytes):
        raw = source.lstrip()
        if raw.startswith((b"-----BEGIN", b"{")):
            return raw, "key bytes"
        if b"\x00" in source or len(source) > 4096:
            raise InvalidInputError("key bytes are neither PEM (-----BEGIN ...) nor a JWK ({...})")
        return _read_path(os.fsdecode(source))
    if isinstance(source, os.PathLike):
        return _read_path(os.fspath(source))
    raise InvalidInputError(
        f"key must be PEM text, a JWK, a path or an RSA key object; got {type(source).__name__}"
    )


def _read_path(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    p = Path(path)
    shown = str(p) if len(str(p)) < 200 else str(p)[:200] + "..."
    if not str(path).strip():
        raise InvalidInputError("key is empty: pass PEM text, a JWK or a path to a key file")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(
            f"key file {shown!r} does not exist (and the value is not PEM or JWK text)"
        ) from None
    except (IsADirectoryError, PermissionError, OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InvalidInputError(f"key file {shown!r} cannot be read: {reason}") from None
    stripped = data.lstrip()
    if not stripped.startswith((b"-----BEGIN", b"{")):
        raise InvalidInputError(
            f"key file {shown!r} holds neither a PEM key (-----BEGIN ...) nor a JWK ({{...}})"
        )
    return stripped, f"key file {shown!r}"


def _looks_like_json(data: bytes) -> bool:
    return data.startswith(b"{")


def _parse_json(data: bytes, origin: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise InvalidInputError(f"{origin}: not valid JSON, so not a JWK") from None
    if not isinstance(value, dict):
        raise InvalidInputError(f"{origin}: a JWK must be a JSON object")
    return value


def _require_rsa_jwk(jwk: Mapping[str, Any], origin: str) -> None:
    kty = jwk.get("kty")
    if kty != "RSA":
        raise InvalidInputError(
            f"{origin}: JWK has kty {kty!r}; LINE requires an RSA key (kty 'RSA') "
            f"of at least {MIN_KEY_BITS} bits. {_FIX}"
        )


def _private_from_jwk(jwk: Mapping[str, Any], origin: str) -> RSAPrivateKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    _require_rsa_jwk(jwk, origin)
    if "d" not in jwk:
        raise InvalidInputError(
            f"{origin}: this is a public JWK (no 'd'); a private key is needed to sign"
        )
    n, e, d = (_int_b64(jwk, k, origin) for k in ("n", "e", "d"))
    try:
        if all(k in jwk for k in ("p", "q", "dp", "dq", "qi")):
            p, q, dp, dq, qi = (_int_b64(jwk, k, origin) for k in ("p", "q", "dp", "dq", "qi"))
        else:
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
            dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
        numbers = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n))
        return numbers.private_key(unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, OverflowError):
        raise InvalidInputError(
            f"{origin}: the JWK's RSA numbers do not form a valid key"
        ) from None


def _public_from_jwk(jwk: Mapping[str, Any], origin: str) -> RSAPublicKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    n, e = _int_b64(jwk, "n", origin), _int_b64(jwk, "e", origin)
    try:
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (ValueError, TypeError, OverflowError):
        raise InvalidInputError(f"{origin}: the JWK's 'n' and 'e' do not form an RSA key") from None


def _private_from_pem(data: bytes, password: str | bytes | None, origin: str) -> RSAPrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if b"PUBLIC KEY" in data.split(b"\n", 1)[0]:
        raise InvalidInputError(
            f"{origin}: this is a public key; a private key is needed to sign "
            "(the public one goes into the LINE Console)"
        )
    try:
        pw = password.encode() if isinstance(password, str) else password
    except UnicodeEncodeError:
        raise InvalidInputError(
            f"{origin}: the password holds characters no password has"
        ) from None
    try:
        # The full RSA validation (primality of p and q) costs ~25 ms, most of a one-shot
        # signature; it guards against hostile keys, but this is the user's own key. The
        # caller runs _self_test instead: one signature, checked (well under 1 ms).
        key = serialization.load_pem_private_key(
            data, password=pw, unsafe_skip_rsa_key_validation=True
        )
    except TypeError:
        if pw is None:
            raise InvalidInputError(
                f"{origin}: the private key is encrypted; pass its password"
            ) from None
        raise InvalidInputError(
            f"{origin}: a password was given but the private key is not encrypted; "
            "pass password=None"
        ) from None
    except UnsupportedAlgorithm:
        raise InvalidInputError(f"{origin}: unsupported key algorithm. {_FIX}") from None
    except ValueError:
        hint = " or the password is wrong" if pw is not None else ""
        raise InvalidInputError(
            f"{origin}: not a readable PEM private key (PKCS#1 or PKCS#8){hint}"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInputError(
            f"{origin}: found a {_kind(key)} key; LINE requires RSA of at least "
            f"{MIN_KEY_BITS} bits. {_FIX}"
        )
    return key


def _self_test(key: RSAPrivateKey, origin: str) -> RSAPrivateKey:
    """Sign once and verify with the public half: a key loaded without OpenSSL's full
    validation must still make signatures LINE accepts, or it is refused here."""
    from cryptography.exceptions import InternalError, InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    message = b"line-token key self-test"
    try:
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, InternalError, ValueError):
        raise InvalidInputError(
            f"{origin}: the RSA key's numbers are inconsistent (its signatures do not "
            "verify); the file is damaged. Export it again or make a new one with "
            "`line-token keygen`"
        ) from None
    return key


def _public_from_pem(data: bytes, origin: str) -> RSAPublicKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInputError(f"{origin}: not a readable PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidInputError(
            f"{origin}: found a {_kind(key)} key; LINE requires RSA of at least "
            f"{MIN_KEY_BITS} bits. {_FIX}"
        )
    return key


def _kind(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, x448, x25519

    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC ({key.curve.name})"
    kinds: tuple[tuple[tuple[type, ...], str], ...] = (
        ((ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey), "Ed25519"),
        ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "Ed448"),
        ((dsa.DSAPrivateKey, dsa.DSAPublicKey), "DSA"),
        ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "X25519"),
        ((x448.X448PrivateKey, x448.X448PublicKey), "X448"),
    )
    for classes, label in kinds:
        if isinstance(key, classes):
            return label
    return type(key).__name__


_K = TypeVar("_K", "RSAPrivateKey", "RSAPublicKey")


def _check_size(key: _K) -> _K:
    if key.key_size < MIN_KEY_BITS:
        raise InvalidInputError(
            f"RSA key is {key.key_size} bits; LINE requires at least {MIN_KEY_BITS}. {_FIX}"
        )
    return key
