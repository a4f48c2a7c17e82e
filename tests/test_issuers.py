"""Issuers: pure descriptions of how each kind of token is obtained (no I/O here)."""

from __future__ import annotations

import pytest

from line_token import (
    AssertionSigner,
    InvalidInputError,
    KeyPair,
    ShortLivedIssuer,
    StatelessIssuer,
    StaticToken,
    V21Issuer,
)

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def signer(key_pair: KeyPair) -> AssertionSigner:
    return AssertionSigner("1234567890", "kid-1", key_pair.private_pem)


def test_stateless_by_secret_and_by_assertion(signer: AssertionSigner) -> None:
    """Both variants build POST /oauth2/v3/token; neither is counted nor revocable."""
    by_secret = StatelessIssuer("1234567890", SECRET)
    by_jwt = StatelessIssuer("1234567890", signer=signer)
    for issuer in (by_secret, by_jwt):
        assert issuer.kind == "stateless"
        assert not issuer.counted
        assert issuer.issue_call().request.endpoint == "POST /oauth2/v3/token"
        assert issuer.revoke_call("t") is None
        assert issuer.key_ids_call() is None
    form = by_jwt.issue_call().request.form
    assert form is not None
    assert "client_assertion" in form


def test_stateless_needs_exactly_one_credential(signer: AssertionSigner) -> None:
    """Secret xor signer; the signer must be the channel's."""
    with pytest.raises(InvalidInputError):
        StatelessIssuer("1234567890")
    with pytest.raises(InvalidInputError):
        StatelessIssuer("1234567890", SECRET, signer=signer)
    with pytest.raises(InvalidInputError):
        StatelessIssuer("999", signer=signer)


def test_short_lived(signer: AssertionSigner) -> None:
    """Counted, revocable with /v2/oauth/revoke."""
    issuer = ShortLivedIssuer(1234567890, SECRET)
    assert issuer.channel_id == "1234567890"
    assert issuer.counted
    assert issuer.issue_call().request.endpoint == "POST /v2/oauth/accessToken"
    assert issuer.revoke_call("tok").request.endpoint == "POST /v2/oauth/revoke"


def test_v21(signer: AssertionSigner) -> None:
    """Counted; issue signs a fresh assertion; revoke needs the secret; lists key ids."""
    issuer = V21Issuer(signer, SECRET)
    assert (issuer.kind, issuer.channel_id, issuer.token_exp) == ("v2.1", "1234567890", 86400)
    assert issuer.issue_call().request.endpoint == "POST /oauth2/v2.1/token"
    revoke = issuer.revoke_call("tok").request
    assert revoke.form is not None
    assert revoke.form["client_secret"] == SECRET
    assert issuer.key_ids_call().request.endpoint == "GET /oauth2/v2.1/tokens/kid"


@pytest.mark.parametrize("token_exp", [0, 599, 2592001, 1.5, True])
def test_v21_token_exp_range(signer: AssertionSigner, token_exp: object) -> None:
    """token_exp must be whole seconds in [600, 30 days]."""
    with pytest.raises(InvalidInputError):
        V21Issuer(signer, SECRET, token_exp=token_exp)  # type: ignore[arg-type]


def test_v21_needs_a_secret(signer: AssertionSigner) -> None:
    """The secret is needed to revoke, so it is checked up front."""
    with pytest.raises(InvalidInputError):
        V21Issuer(signer, "")


def test_static_token() -> None:
    """Never issued, never revoked."""
    issuer = StaticToken("long-lived-token")
    assert issuer.issue_call() is None
    assert issuer.revoke_call("long-lived-token") is None
    with pytest.raises(InvalidInputError):
        StaticToken("has space")


def test_reprs_hide_secrets(signer: AssertionSigner) -> None:
    """No secret, key or token in any repr."""
    reprs = [
        repr(StatelessIssuer("1234567890", SECRET)),
        repr(StatelessIssuer("1234567890", signer=signer)),
        repr(ShortLivedIssuer("1234567890", SECRET)),
        repr(V21Issuer(signer, SECRET)),
        repr(StaticToken("long-lived-token")),
    ]
    for text in reprs:
        assert SECRET not in text
        assert "long-lived-token" not in text
        assert "PRIVATE" not in text
