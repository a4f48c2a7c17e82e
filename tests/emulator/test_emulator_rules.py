"""LINE's token rules, broken one at a time, through plain httpx on the in-process transport."""

from __future__ import annotations

import re

import httpx
import pytest
from emulator_helpers import (
    ASSERTION_TYPE,
    issue_short,
    issue_stateless,
    issue_v21,
    make_assertion,
)

from line_token import generate_key_pair
from line_token.emulator import TokenKind
from line_token.emulator.pytest_plugin import LineEmulator

INVALID_CLIENT_ID = {"error": "invalid_client", "error_description": "invalid client_id"}
INVALID_SECRET = {"error": "invalid_client", "error_description": "invalid client_secret"}
MISSING = {"error": "invalid_request", "error_description": "some parameters missed or invalid"}
MISMATCH = {"error": "invalid_client", "error_description": "iss and clientId of key do not match"}
NO_KEY = {"message": "Cannot find channel key that satisfies the conditions"}


def invalid_client(text: str) -> dict[str, str]:
    return {"error": "invalid_client", "error_description": text}


def invalid_request(text: str) -> dict[str, str]:
    return {"error": "invalid_request", "error_description": text}


# --- short-lived ---------------------------------------------------------------------


def test_short_lived_issue_shape(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Issue answers access_token, expires_in 2592000, Bearer, and an opaque token with / and +."""
    r = issue_short(api, line_emulator)
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 2592000
    assert body["token_type"] == "Bearer"
    assert "/" in body["access_token"]
    assert "+" in body["access_token"]
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-line-request-id"])


def test_short_lived_bad_client_id(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """An unknown channel id gets 400 invalid client_id."""
    r = issue_short(api, line_emulator, client_id="1234567890")
    assert (r.status_code, r.json()) == (400, INVALID_CLIENT_ID)


def test_short_lived_bad_secret(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A wrong secret gets 400 invalid client_secret."""
    r = issue_short(api, line_emulator, client_secret="0" * 32)
    assert (r.status_code, r.json()) == (400, INVALID_SECRET)


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret"])
def test_short_lived_missing_field(
    api: httpx.Client, line_emulator: LineEmulator, missing: str
) -> None:
    """A missing (or empty) field gets 400 invalid_request."""
    r = issue_short(api, line_emulator, **{missing: ""})
    assert (r.status_code, r.json()) == (400, MISSING)


def test_short_lived_wrong_grant_type(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A grant_type other than client_credentials is unsupported."""
    r = issue_short(api, line_emulator, grant_type="authorization_code")
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


def test_short_lived_json_body_has_no_fields(
    api: httpx.Client, line_emulator: LineEmulator
) -> None:
    """A JSON body is not a form: the fields are missing."""
    r = api.post(
        "/v2/oauth/accessToken",
        json={
            "grant_type": "client_credentials",
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
        },
    )
    assert (r.status_code, r.json()) == (400, MISSING)


def test_31st_short_lived_revokes_oldest(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """The 31st short-lived token succeeds and revokes the oldest."""
    tokens = []
    for _ in range(31):
        line_emulator.advance(1)
        tokens.append(issue_short(api, line_emulator).json()["access_token"])
    first = api.post("/v2/oauth/verify", data={"access_token": tokens[0]})
    second = api.post("/v2/oauth/verify", data={"access_token": tokens[1]})
    assert (first.status_code, first.json()) == (400, invalid_request("access_token invalid"))
    assert second.status_code == 200
    live = [t for t in line_emulator.emulator.tokens(kind="short-lived") if not t.revoked]
    assert len(live) == 30


def test_short_lived_verify_counts_down(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Verify reports the remaining seconds, the channel and scope P CM."""
    token = issue_short(api, line_emulator).json()["access_token"]
    line_emulator.advance(100)
    r = api.post("/v2/oauth/verify", data={"access_token": token})
    assert r.json() == {
        "client_id": line_emulator.channel_id,
        "expires_in": 2592000 - 100,
        "scope": "P CM",
    }


def test_short_lived_expires(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """After 30 days the token no longer verifies nor authenticates."""
    token = issue_short(api, line_emulator).json()["access_token"]
    line_emulator.advance(2592000)
    r = api.post("/v2/oauth/verify", data={"access_token": token})
    assert (r.status_code, r.json()) == (400, invalid_request("access_token invalid"))
    bot = api.get("/v2/bot/info", headers={"Authorization": f"Bearer {token}"})
    assert bot.status_code == 401


def test_short_lived_verify_bad_format(api: httpx.Client) -> None:
    """A token with characters outside base64 is in invalid format."""
    r = api.post("/v2/oauth/verify", data={"access_token": "not a token!"})
    assert (r.status_code, r.json()) == (400, invalid_request("access_token in invalid format"))


def test_short_lived_verify_missing(api: httpx.Client) -> None:
    """No access_token: 400 invalid_request."""
    r = api.post("/v2/oauth/verify", data={})
    assert (r.status_code, r.json()) == (400, MISSING)


def test_short_lived_revoke(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Revoke answers 200 with an empty body; the token then fails verify; re-revoke is 200."""
    token = issue_short(api, line_emulator).json()["access_token"]
    r = api.post("/v2/oauth/revoke", data={"access_token": token})
    assert (r.status_code, r.content) == (200, b"")
    assert api.post("/v2/oauth/verify", data={"access_token": token}).status_code == 400
    assert api.post("/v2/oauth/revoke", data={"access_token": token}).status_code == 200


def test_short_lived_revoke_unknown_is_ok(api: httpx.Client) -> None:
    """Revoking an unknown well-formed token is not an error."""
    assert api.post("/v2/oauth/revoke", data={"access_token": "QUJD"}).status_code == 200


def test_short_lived_revoke_malformed(api: httpx.Client) -> None:
    """A malformed token gets 400 {"error":"invalid_request"} without description."""
    r = api.post("/v2/oauth/revoke", data={"access_token": "a.b.c"})
    assert (r.status_code, r.json()) == (400, {"error": "invalid_request"})


# --- long-lived ----------------------------------------------------------------------


def test_long_lived_verifies_and_reissue_revokes(
    api: httpx.Client, line_emulator: LineEmulator
) -> None:
    """A Console long-lived token verifies with a huge expires_in; reissuing revokes it."""
    first = line_emulator.issue_long_lived_token()
    r = api.post("/v2/oauth/verify", data={"access_token": first})
    assert r.status_code == 200
    assert r.json()["expires_in"] > 3_000_000_000
    assert r.json()["scope"] == "P CM"
    second = line_emulator.issue_long_lived_token()
    assert api.post("/v2/oauth/verify", data={"access_token": first}).status_code == 400
    assert api.post("/v2/oauth/verify", data={"access_token": second}).status_code == 200
    line_emulator.advance(10 * 365 * 86400)
    assert api.post("/v2/oauth/verify", data={"access_token": second}).status_code == 200


def test_long_lived_revoke(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """/v2/oauth/revoke revokes a long-lived token."""
    token = line_emulator.issue_long_lived_token()
    assert api.post("/v2/oauth/revoke", data={"access_token": token}).status_code == 200
    assert api.post("/v2/oauth/verify", data={"access_token": token}).status_code == 400


# --- v2.1 ----------------------------------------------------------------------------


def test_v21_issue_shape(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """expires_in equals token_exp; key_id is 22 base64url chars; the token looks like a JWS."""
    r = issue_v21(api, line_emulator.signer.sign(token_exp=86400))
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "key_id"}
    assert body["expires_in"] == 86400
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", body["key_id"])
    assert body["access_token"].startswith("eyJhbGciOiJIUzI1NiJ9.")
    assert body["access_token"].count(".") == 2


def test_v21_unknown_kid(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """An unregistered kid gets 404 Cannot find channel key."""
    r = issue_v21(
        api, make_assertion(line_emulator, header={"kid": "11111111-2222-4333-8444-555555555555"})
    )
    assert (r.status_code, r.json()) == (404, NO_KEY)


def test_v21_missing_kid(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """An assertion without kid gets the same 404."""
    assertion = make_assertion(line_emulator)
    import jwt

    no_kid = jwt.encode(
        jwt.decode(assertion, options={"verify_signature": False}),
        line_emulator.private_key_pem,
        algorithm="RS256",
    )
    r = issue_v21(api, no_kid)
    assert (r.status_code, r.json()) == (404, NO_KEY)


def test_v21_iss_of_other_channel(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """iss/sub naming another channel than the kid's owner: iss and clientId do not match."""
    other = line_emulator.emulator.create_channel()
    r = issue_v21(api, make_assertion(line_emulator, iss=other.channel_id, sub=other.channel_id))
    assert (r.status_code, r.json()) == (400, MISMATCH)


def test_v21_iss_differs_from_sub(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """sub different from iss is refused the same way."""
    r = issue_v21(api, make_assertion(line_emulator, sub="1234567890"))
    assert (r.status_code, r.json()) == (400, MISMATCH)


def test_v21_key_of_other_channel(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Signing for channel A with channel B's kid fails with iss/clientId mismatch."""
    other = line_emulator.emulator.create_channel()
    other_kid = line_emulator.emulator.register_public_key(
        other.channel_id, line_emulator.public_jwk
    )
    r = issue_v21(api, make_assertion(line_emulator, header={"kid": other_kid}))
    assert (r.status_code, r.json()) == (400, MISMATCH)


def test_v21_bad_signature(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """An assertion signed by another key: 400 invalid_client Invalid signature."""
    r = issue_v21(api, make_assertion(line_emulator, key=generate_key_pair().private_pem))
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid signature"))


def test_v21_tampered_payload(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Changing the payload after signing breaks the signature."""
    good = make_assertion(line_emulator, token_exp=60)
    other = make_assertion(line_emulator, token_exp=120)
    h, _, s = good.split(".")
    r = issue_v21(api, f"{h}.{other.split('.')[1]}.{s}")
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid signature"))


def test_v21_wrong_alg(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """HS256 instead of RS256: 400 invalid_client Invalid alg."""
    r = issue_v21(api, make_assertion(line_emulator, key="x" * 32, algorithm="HS256"))
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid alg"))


def test_v21_wrong_aud(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """aud without the trailing slash: 400 invalid_client Invalid aud."""
    r = issue_v21(api, make_assertion(line_emulator, aud="https://api.line.me"))
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid aud"))


def test_v21_expired_assertion(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """An assertion whose exp has passed: Invalid exp."""
    assertion = line_emulator.signer.sign(token_exp=60, lifetime=60)
    line_emulator.advance(60)
    r = issue_v21(api, assertion)
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid exp"))


def test_v21_assertion_too_long_lived(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """exp more than 30 minutes ahead: Invalid exp."""
    exp = int(line_emulator.emulator.now()) + 1801
    r = issue_v21(api, make_assertion(line_emulator, exp=exp))
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid exp"))


def test_v21_missing_exp(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """No exp: Invalid exp."""
    r = issue_v21(api, make_assertion(line_emulator, drop=("exp",)))
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid exp"))


def test_v21_missing_token_exp(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """No token_exp: JWT payload must contain token_exp."""
    r = issue_v21(api, line_emulator.signer.sign())
    assert (r.status_code, r.json()) == (400, invalid_client("JWT payload must contain token_exp"))


@pytest.mark.parametrize("token_exp", [29, 2592001, 1_900_000_000, -1, 0, 1.5, "abc", True])
def test_v21_token_exp_out_of_range(
    api: httpx.Client, line_emulator: LineEmulator, token_exp: object
) -> None:
    """token_exp outside 30..2592000 (or not a whole number): Invalid token_exp."""
    r = issue_v21(api, make_assertion(line_emulator, token_exp=token_exp))
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid token_exp"))


@pytest.mark.parametrize("token_exp", [30, 2592000, "3600"])
def test_v21_token_exp_bounds_accepted(
    api: httpx.Client, line_emulator: LineEmulator, token_exp: object
) -> None:
    """30 and 2592000 are accepted, and so is a numeric string (as in LINE's example)."""
    r = issue_v21(api, make_assertion(line_emulator, token_exp=token_exp))
    assert r.status_code == 200
    assert r.json()["expires_in"] == int(str(token_exp))


def test_v21_malformed_assertion(api: httpx.Client) -> None:
    """A client_assertion that is not a JWT: Invalid JWT format."""
    r = issue_v21(api, "not-a-jwt")
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid JWT format"))


def test_v21_wrong_assertion_type(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A wrong client_assertion_type: invalid_request."""
    r = issue_v21(api, line_emulator.signer.sign(token_exp=60), client_assertion_type="jwt")
    assert (r.status_code, r.json()) == (400, MISSING)


def test_v21_31st_refused(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """30 active v2.1 tokens: the 31st is refused with the message body."""
    for _ in range(30):
        assert issue_v21(api, line_emulator.signer.sign(token_exp=600)).status_code == 200
    r = issue_v21(api, line_emulator.signer.sign(token_exp=600))
    assert (r.status_code, r.json()) == (
        400,
        {"message": "The maximum number of access tokens has already been issued"},
    )


def test_v21_limit_frees_on_expiry_and_revoke(
    api: httpx.Client, line_emulator: LineEmulator
) -> None:
    """Expired and revoked v2.1 tokens no longer count toward the 30."""
    tokens = [
        issue_v21(api, line_emulator.signer.sign(token_exp=60)).json()["access_token"]
        for _ in range(29)
    ]
    last = issue_v21(api, line_emulator.signer.sign(token_exp=3600)).json()["access_token"]
    api.post(
        "/oauth2/v2.1/revoke",
        data={
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
            "access_token": last,
        },
    )
    assert issue_v21(api, line_emulator.signer.sign(token_exp=3600)).status_code == 200
    assert issue_v21(api, line_emulator.signer.sign(token_exp=3600)).status_code == 400
    line_emulator.advance(60)
    assert issue_v21(api, line_emulator.signer.sign(token_exp=3600)).status_code == 200
    assert len(tokens) == 29


def test_v21_limits_are_per_kind(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """30 short-lived tokens do not block v2.1 issuance."""
    for _ in range(30):
        issue_short(api, line_emulator)
    assert issue_v21(api, line_emulator.signer.sign(token_exp=60)).status_code == 200


def test_v21_verify_counts_down_and_expires(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Verify reports the remaining time and scope, then The access token expired."""
    token = issue_v21(api, line_emulator.signer.sign(token_exp=600)).json()["access_token"]
    line_emulator.advance(250)
    r = api.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert r.json() == {
        "client_id": line_emulator.channel_id,
        "expires_in": 350,
        "scope": "profile chat_message.write",
    }
    line_emulator.advance(350)
    r = api.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert (r.status_code, r.json()) == (400, invalid_request("The access token expired"))


def test_v21_verify_not_jws(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A short-lived token sent to v2.1 verify: The access token not JWS."""
    token = issue_short(api, line_emulator).json()["access_token"]
    r = api.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert (r.status_code, r.json()) == (400, invalid_request("The access token not JWS"))


def test_v21_verify_unknown(api: httpx.Client) -> None:
    """A JWS-shaped unknown token: The access token malformed (chosen)."""
    r = api.get("/oauth2/v2.1/verify", params={"access_token": "eyJhbGciOiJIUzI1NiJ9.abc.def"})
    assert (r.status_code, r.json()) == (400, invalid_request("The access token malformed"))


def test_v21_verify_missing(api: httpx.Client) -> None:
    """No access_token query parameter: invalid_request."""
    r = api.get("/oauth2/v2.1/verify")
    assert (r.status_code, r.json()) == (400, MISSING)


def test_v21_revoke_then_verify(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Revoke answers 200 empty; verify then says The access token revoked."""
    token = issue_v21(api, line_emulator.signer.sign(token_exp=600)).json()["access_token"]
    r = api.post(
        "/oauth2/v2.1/revoke",
        data={
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
            "access_token": token,
        },
    )
    assert (r.status_code, r.content) == (200, b"")
    r = api.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert (r.status_code, r.json()) == (400, invalid_request("The access token revoked"))


def test_v21_revoke_bad_credentials(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """v2.1 revoke checks the channel id and secret."""
    token = issue_v21(api, line_emulator.signer.sign(token_exp=600)).json()["access_token"]
    r = api.post(
        "/oauth2/v2.1/revoke",
        data={
            "client_id": line_emulator.channel_id,
            "client_secret": "f" * 32,
            "access_token": token,
        },
    )
    assert (r.status_code, r.json()) == (400, INVALID_SECRET)
    r = api.post(
        "/oauth2/v2.1/revoke",
        data={"client_id": "1000000000", "client_secret": "f" * 32, "access_token": token},
    )
    assert (r.status_code, r.json()) == (400, INVALID_CLIENT_ID)


def test_v21_revoke_not_jws(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """v2.1 revoke of a non-JWS: The access token not JWS; unknown JWS: 200."""
    data = {"client_id": line_emulator.channel_id, "client_secret": line_emulator.channel_secret}
    r = api.post("/oauth2/v2.1/revoke", data={**data, "access_token": "abc"})
    assert (r.status_code, r.json()) == (400, invalid_request("The access token not JWS"))
    r = api.post("/oauth2/v2.1/revoke", data={**data, "access_token": "eyJ.abc.def"})
    assert r.status_code == 200


def test_v21_key_ids(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """/tokens/kid lists the key_ids of active v2.1 tokens only."""

    def kids() -> list[str]:
        r = api.get(
            "/oauth2/v2.1/tokens/kid",
            params={
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": line_emulator.signer.sign(),
            },
        )
        assert r.status_code == 200
        return list(r.json()["kids"])

    assert kids() == []
    a = issue_v21(api, line_emulator.signer.sign(token_exp=60)).json()
    b = issue_v21(api, line_emulator.signer.sign(token_exp=600)).json()
    c = issue_v21(api, line_emulator.signer.sign(token_exp=600)).json()
    assert kids() == [a["key_id"], b["key_id"], c["key_id"]]
    api.post(
        "/oauth2/v2.1/revoke",
        data={
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
            "access_token": c["access_token"],
        },
    )
    line_emulator.advance(60)
    assert kids() == [b["key_id"]]


def test_v21_key_ids_expired_assertion(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """/tokens/kid with an expired assertion: Invalid exp."""
    assertion = line_emulator.signer.sign(lifetime=30)
    line_emulator.advance(31)
    r = api.get(
        "/oauth2/v2.1/tokens/kid",
        params={"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion},
    )
    assert (r.status_code, r.json()) == (400, invalid_client("Invalid exp"))


def test_v21_key_ids_unknown_kid(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """/tokens/kid with an unknown kid: 404."""
    r = api.get(
        "/oauth2/v2.1/tokens/kid",
        params={
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": make_assertion(line_emulator, header={"kid": "nope"}),
        },
    )
    assert (r.status_code, r.json()) == (404, NO_KEY)


# --- stateless -----------------------------------------------------------------------


def test_stateless_by_secret(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Stateless by secret: 900 s, Bearer, ey..., not counted (many can be issued)."""
    for _ in range(35):
        r = issue_stateless(
            api, client_id=line_emulator.channel_id, client_secret=line_emulator.channel_secret
        )
        assert r.status_code == 200
    body = r.json()
    assert set(body) == {"token_type", "access_token", "expires_in"}
    assert body["expires_in"] == 900
    assert body["access_token"].startswith("ey")


def test_stateless_with_empty_assertion_fields(
    api: httpx.Client, line_emulator: LineEmulator
) -> None:
    """Empty client_assertion fields next to id+secret are treated as absent (SDK sends them)."""
    r = issue_stateless(
        api,
        client_id=line_emulator.channel_id,
        client_secret=line_emulator.channel_secret,
        client_assertion_type="",
        client_assertion="",
    )
    assert r.status_code == 200


def test_stateless_bad_secret(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A wrong secret: invalid_request Invalid 'client_credentials'."""
    r = issue_stateless(api, client_id=line_emulator.channel_id, client_secret="0" * 32)
    assert (r.status_code, r.json()) == (400, invalid_request("Invalid 'client_credentials'."))


def test_stateless_by_jwt(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Stateless by JWT works without token_exp, with empty id/secret fields."""
    r = issue_stateless(
        api,
        client_assertion_type=ASSERTION_TYPE,
        client_assertion=line_emulator.signer.sign(),
        client_id="",
        client_secret="",
    )
    assert r.status_code == 200
    assert r.json()["expires_in"] == 900


def test_stateless_by_jwt_unknown_kid(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Stateless by JWT with an unknown kid: 404."""
    r = issue_stateless(
        api,
        client_assertion_type=ASSERTION_TYPE,
        client_assertion=make_assertion(line_emulator, header={"kid": "x"}),
    )
    assert (r.status_code, r.json()) == (404, NO_KEY)


def test_stateless_ambiguous_or_empty(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Neither variant, or both filled: invalid_request."""
    assert issue_stateless(api).json() == MISSING
    r = issue_stateless(
        api,
        client_id=line_emulator.channel_id,
        client_secret=line_emulator.channel_secret,
        client_assertion_type=ASSERTION_TYPE,
        client_assertion=line_emulator.signer.sign(),
    )
    assert (r.status_code, r.json()) == (400, MISSING)


def test_stateless_lives_900s_and_cannot_be_revoked(
    api: httpx.Client, line_emulator: LineEmulator
) -> None:
    """A stateless token works as Bearer, survives revoke attempts, and dies after 900 s."""
    token = issue_stateless(
        api, client_id=line_emulator.channel_id, client_secret=line_emulator.channel_secret
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    api.post(
        "/oauth2/v2.1/revoke",
        data={
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
            "access_token": token,
        },
    )
    assert api.get("/v2/bot/info", headers=auth).status_code == 200
    line_emulator.advance(899)
    assert api.get("/v2/bot/info", headers=auth).status_code == 200
    line_emulator.advance(1)
    assert api.get("/v2/bot/info", headers=auth).status_code == 401
    assert line_emulator.emulator.tokens(kind=TokenKind.STATELESS)[0].revoked is False


# --- seeds ---------------------------------------------------------------------------


def test_seed_makes_ids_repeatable() -> None:
    """Two emulators with the same seed produce the same channel and tokens."""
    from line_token.emulator import Emulator

    def run(seed: int) -> tuple[str, str, str]:
        emu = Emulator(seed=seed)
        ch = emu.create_channel()
        with httpx.Client(transport=emu.transport(), base_url="https://api.line.me") as http:
            token = http.post(
                "/v2/oauth/accessToken",
                data={
                    "grant_type": "client_credentials",
                    "client_id": ch.channel_id,
                    "client_secret": ch.channel_secret,
                },
            ).json()["access_token"]
        return ch.channel_id, ch.channel_secret, token

    assert run(7) == run(7)
    assert run(7) != run(8)
    channel_id, secret, _ = run(7)
    assert re.fullmatch(r"[0-9]{10}", channel_id)
    assert re.fullmatch(r"[0-9a-f]{32}", secret)
