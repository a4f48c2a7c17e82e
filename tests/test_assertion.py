"""Tests for line_token._assertion: claims, header, signature and input validation."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from line_token import AssertionSigner, InvalidInputError, KeyPair, public_jwk, sign_assertion
from line_token._assertion import assertion_claims


def _decode(token: str, key_pair: KeyPair) -> dict[str, object]:
    key = jwt.PyJWK(public_jwk(key_pair.private_pem)).key
    return jwt.decode(  # type: ignore[no-any-return]
        token,
        key,
        algorithms=["RS256"],
        audience="https://api.line.me/",
        options={"verify_exp": False},
    )


def test_signed_assertion_verifies_and_has_exactly_the_claims(key_pair: KeyPair) -> None:
    """PyJWT verifies it against public_jwk(); header and claims are LINE's, nothing more."""
    token = sign_assertion(
        "1234567890", "kid-1", key_pair.private_pem, token_exp=86400, clock=lambda: 1_700_000_000.7
    )
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    assert _decode(token, key_pair) == {
        "iss": "1234567890",
        "sub": "1234567890",
        "aud": "https://api.line.me/",
        "exp": 1_700_000_000 + 1800,
        "token_exp": 86400,
    }


def test_token_exp_only_when_given(key_pair: KeyPair) -> None:
    """Without token_exp the claim is absent; lifetime sets exp."""
    signer = AssertionSigner(1234567890, "kid-1", key_pair.private_pem, clock=lambda: 100.0)
    claims = _decode(signer.sign(lifetime=60), key_pair)
    assert "token_exp" not in claims
    assert claims["exp"] == 160
    assert signer.channel_id == "1234567890"
    assert signer.kid == "kid-1"


def test_exp_never_exceeds_thirty_minutes_from_now(key_pair: KeyPair) -> None:
    """exp is floored, so exp - now <= 1800 even with a fractional clock."""
    now = 1_700_000_000.999
    claims = assertion_claims("1", now=now)
    assert claims["exp"] - now <= 1800


def test_signer_repr_shows_no_key(key_pair: KeyPair) -> None:
    """repr names the channel and kid only."""
    signer = AssertionSigner("1", "k", key_pair.private_pem)
    assert repr(signer) == "AssertionSigner(channel_id='1', kid='k')"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channel_id": "12ab"}, "channel_id"),
        ({"channel_id": ""}, "channel_id"),
        ({"channel_id": None}, "channel_id"),
        ({"channel_id": -5}, "channel_id"),
        ({"channel_id": "\uff11\uff12\uff13"}, "channel_id"),  # full-width digits
        ({"kid": ""}, "kid"),
        ({"kid": "   "}, "kid"),
        ({"kid": None}, "kid"),
        ({"lifetime": 0}, "lifetime"),
        ({"lifetime": 1801}, "lifetime"),
        ({"lifetime": 10.5}, "lifetime"),
        ({"lifetime": True}, "lifetime"),
        ({"token_exp": 0}, "token_exp"),
        ({"token_exp": 2592001}, "token_exp"),
        ({"token_exp": "900"}, "token_exp"),
        ({"private_key": "not a key"}, "key"),
    ],
)
def test_invalid_input_names_the_field(
    key_pair: KeyPair, kwargs: dict[str, object], field: str
) -> None:
    """Every invalid input raises InvalidInputError naming the field."""
    args: dict[str, object] = {
        "channel_id": "1234567890",
        "kid": "kid-1",
        "private_key": key_pair.private_pem,
    }
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=field):
        sign_assertion(**args)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=2_592_000), st.integers(min_value=1, max_value=1800))
def test_claims_for_every_valid_value(token_exp: int, lifetime: int) -> None:
    """Any in-range token_exp and lifetime is accepted as given."""
    claims = assertion_claims("42", now=10.0, lifetime=lifetime, token_exp=token_exp)
    assert claims["token_exp"] == token_exp
    assert claims["exp"] == 10 + lifetime
