"""Tests for line_token._keys: generation, loading in every form, JWK and thumbprint."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from line_token import (
    InvalidInputError,
    KeyPair,
    generate_key_pair,
    jwk_thumbprint,
    load_private_key,
    public_jwk,
)


def _pkcs1(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, enc
    )


def _pkcs8(key: object, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
    )


def _private_jwk(key: rsa.RSAPrivateKey, full: bool = True) -> dict[str, str]:
    import base64

    def b64(i: int) -> str:
        return (
            base64.urlsafe_b64encode(i.to_bytes((i.bit_length() + 7) // 8, "big"))
            .rstrip(b"=")
            .decode()
        )

    n = key.private_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64(n.public_numbers.n),
        "e": b64(n.public_numbers.e),
        "d": b64(n.d),
    }
    if full:
        jwk.update(p=b64(n.p), q=b64(n.q), dp=b64(n.dmp1), dq=b64(n.dmq1), qi=b64(n.iqmp))
    return jwk


def test_generated_jwk_is_exactly_what_the_console_accepts(key_pair: KeyPair) -> None:
    """The public JWK has kty, n, e, alg RS256 and use sig, and no kid."""
    assert set(key_pair.public_jwk) == {"kty", "n", "e", "alg", "use"}
    assert key_pair.public_jwk["alg"] == "RS256"
    assert key_pair.public_jwk["use"] == "sig"
    assert key_pair.public_jwk["kty"] == "RSA"
    assert key_pair.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key_pair.public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_key_pair_repr_hides_the_private_key(key_pair: KeyPair) -> None:
    """repr shows only a thumbprint."""
    text = repr(key_pair)
    assert "PRIVATE" not in text
    assert jwk_thumbprint(key_pair.public_jwk) in text


@pytest.mark.parametrize("bits", [1024, 2047, 0, -1, "2048", True, 2048.0])
def test_generate_rejects_bad_sizes(bits: object) -> None:
    """Fewer than 2048 bits, or a non-integer, fails early and names the field."""
    with pytest.raises(InvalidInputError, match="bits"):
        generate_key_pair(bits)  # type: ignore[arg-type]


def test_rfc7638_thumbprint_vector() -> None:
    """The example of RFC 7638 section 3.1."""
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc"
        "_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR"
        "0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFT"
        "WhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    jwk = {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("bad", [{}, {"kty": "EC", "x": "a", "y": "b"}, {"kty": "RSA", "n": 1}])
def test_thumbprint_rejects_non_rsa(bad: dict[str, object]) -> None:
    """Thumbprints are for RSA JWKs only."""
    with pytest.raises(InvalidInputError, match="RSA JWK"):
        jwk_thumbprint(bad)


def test_loads_every_private_form(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    """PKCS#1, PKCS#8, encrypted, str, bytes, JWK dict and text, paths: one key."""
    expected = rsa_key.private_numbers()
    pw = b"correct horse"
    forms: list[tuple[object, object]] = [
        (_pkcs1(rsa_key), None),
        (_pkcs8(rsa_key), None),
        (_pkcs8(rsa_key).decode(), None),
        (_pkcs1(rsa_key, pw), pw),
        (_pkcs8(rsa_key, pw), pw.decode()),
        (_private_jwk(rsa_key), None),
        (_private_jwk(rsa_key, full=False), None),
        (json.dumps(_private_jwk(rsa_key)), None),
        (rsa_key, None),
    ]
    path = tmp_path / "key.pem"
    path.write_bytes(_pkcs8(rsa_key))
    jwk_path = tmp_path / "key.json"
    jwk_path.write_text(json.dumps(_private_jwk(rsa_key)))
    forms += [(path, None), (str(path), None), (os.fsencode(path), None), (jwk_path, None)]
    for source, password in forms:
        key = load_private_key(source, password)  # type: ignore[arg-type]
        assert key.private_numbers() == expected


def test_public_jwk_from_every_form(rsa_key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    """Private PEM, public PEM, private and public JWK and key objects give one JWK."""
    expected = public_jwk(rsa_key)
    pub_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pub_path = tmp_path / "pub.pem"
    pub_path.write_bytes(pub_pem)
    for source in (
        _pkcs8(rsa_key),
        pub_pem,
        pub_path,
        rsa_key.public_key(),
        _private_jwk(rsa_key),
        {k: v for k, v in expected.items() if k in ("kty", "n", "e")},
    ):
        assert public_jwk(source) == expected  # type: ignore[arg-type]
    assert set(expected) == {"kty", "n", "e", "alg", "use"}


def test_rejects_small_rsa_and_says_what_it_found() -> None:
    """A 1024-bit key is refused with its size in the message."""
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidInputError, match=r"1024 bits.*at least 2048"):
        load_private_key(_pkcs8(small))
    with pytest.raises(InvalidInputError, match="1024 bits"):
        public_jwk(small.public_key())


@pytest.mark.parametrize(
    ("key", "found"),
    [
        (ec.generate_private_key(ec.SECP256R1()), r"EC \(secp256r1\)"),
        (ed25519.Ed25519PrivateKey.generate(), "Ed25519"),
    ],
)
def test_rejects_non_rsa_and_says_what_it_found(key: object, found: str) -> None:
    """An EC or Ed25519 key is refused, naming its kind."""
    with pytest.raises(InvalidInputError, match=found + ".*RSA"):
        load_private_key(_pkcs8(key))


def test_rejects_non_rsa_jwk() -> None:
    """A JWK of another kty is refused, naming the kty."""
    with pytest.raises(InvalidInputError, match="kty 'EC'"):
        load_private_key({"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c"})


def test_password_errors_are_explicit(rsa_key: rsa.RSAPrivateKey) -> None:
    """Missing, unexpected and wrong passwords each say so."""
    encrypted = _pkcs8(rsa_key, b"pw")
    with pytest.raises(InvalidInputError, match="encrypted; pass its password"):
        load_private_key(encrypted)
    with pytest.raises(InvalidInputError, match="not encrypted"):
        load_private_key(_pkcs8(rsa_key), "pw")
    with pytest.raises(InvalidInputError, match="password is wrong"):
        load_private_key(encrypted, "nope")


def test_public_key_where_private_is_needed(rsa_key: rsa.RSAPrivateKey) -> None:
    """Signing needs the private key; the message says which file goes where."""
    pub_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidInputError, match="public key"):
        load_private_key(pub_pem)
    with pytest.raises(InvalidInputError, match="public"):
        load_private_key(rsa_key.public_key())  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="public JWK"):
        load_private_key(public_jwk(rsa_key))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    """A missing path, a directory and a non-key file are each explained."""
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_private_key(tmp_path / "nope.pem")
    with pytest.raises(InvalidInputError, match="cannot be read"):
        load_private_key(tmp_path)
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    with pytest.raises(InvalidInputError, match="neither a PEM key"):
        load_private_key(junk)


def test_error_messages_never_hold_key_text(rsa_key: rsa.RSAPrivateKey) -> None:
    """A corrupted PEM's body does not appear in the error."""
    pem = _pkcs8(rsa_key).decode()
    broken = pem[:200] + "!!!" + pem[203:]
    with pytest.raises(InvalidInputError) as info:
        load_private_key(broken)
    body = pem.splitlines()[3]
    assert body not in str(info.value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.binary(), st.dictionaries(st.text(), st.text())))
def test_arbitrary_input_raises_only_typed_errors(source: object) -> None:
    """Whatever comes in, the only failure is InvalidInputError."""
    for fn in (load_private_key, public_jwk):
        with contextlib.suppress(InvalidInputError):
            fn(source)  # type: ignore[arg-type]


def test_damaged_key_is_refused_by_the_self_test(rsa_key: rsa.RSAPrivateKey) -> None:
    """Loading skips OpenSSL's slow primality checks, so a signature self-test must catch a
    key whose private exponents are wrong (it would sign assertions LINE rejects)."""
    good = rsa_key.private_numbers()
    bad = rsa.RSAPrivateNumbers(
        good.p,
        good.q,
        good.d + 2,  # wrong private exponent, and wrong CRT exponents to match
        good.dmp1 + 2,
        good.dmq1 + 2,
        good.iqmp,
        good.public_numbers,
    ).private_key(unsafe_skip_rsa_key_validation=True)
    pem = bad.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(InvalidInputError, match="inconsistent"):
        load_private_key(pem)
    jwk = {
        "kty": "RSA",
        "n": _b64u(good.public_numbers.n),
        "e": _b64u(good.public_numbers.e),
        "d": _b64u(good.d + 2),
        "p": _b64u(good.p),
        "q": _b64u(good.q),
        "dp": _b64u(good.dmp1 + 2),
        "dq": _b64u(good.dmq1 + 2),
        "qi": _b64u(good.iqmp),
    }
    with pytest.raises(InvalidInputError, match="inconsistent"):
        load_private_key(jwk)
    # and the same key with the right numbers loads
    good_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert load_private_key(good_pem).private_numbers() == good


def _b64u(value: int) -> str:
    import base64

    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
