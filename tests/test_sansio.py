"""Tests for line_token._sansio: every request as LINE wants it, every answer read right."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import line_token as lt
from line_token import _sansio as s

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2ln"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def respond(status: int, body: Any = None, **headers: str) -> s.Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return s.Response(status, {"x-line-request-id": "rid", **headers}, raw)


def test_short_lived_request_and_response() -> None:
    """Form body with grant_type, client_id, client_secret; mints a token."""
    call = s.issue_short_lived_token("123", "sec")
    assert (call.request.method, call.request.path) == ("POST", "/v2/oauth/accessToken")
    assert dict(call.request.form or {}) == {
        "grant_type": "client_credentials",
        "client_id": "123",
        "client_secret": "sec",
    }
    assert call.request.mints
    token = call.parse(
        respond(
            200,
            {
                "access_token": "W1Te/+",
                "expires_in": 2592000,
                "token_type": "Bearer",
                "unknown_field": 1,
            },
        ),
        50.0,
    )
    assert (token.access_token, token.expires_in, token.issued_at, token.key_id) == (
        "W1Te/+",
        2592000,
        50.0,
        None,
    )
    assert token.expires_at == 2592050.0


def test_v21_request_and_response() -> None:
    """The assertion goes in client_assertion with LINE's assertion type; key_id is read."""
    call = s.issue_v21_token(JWT)
    assert call.request.path == "/oauth2/v2.1/token"
    assert dict(call.request.form or {}) == {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": JWT,
    }
    body = {"access_token": "eyJ.x.y", "expires_in": 60, "token_type": "Bearer", "key_id": "k"}
    assert call.parse(respond(200, body), 0.0).key_id == "k"


def test_stateless_both_variants_and_exclusivity() -> None:
    """By secret or by assertion, never both, never neither."""
    by_secret = s.issue_stateless_token(channel_id="1", channel_secret="x").request
    assert dict(by_secret.form or {}) == {
        "grant_type": "client_credentials",
        "client_id": "1",
        "client_secret": "x",
    }
    by_jwt = s.issue_stateless_token(assertion=JWT).request
    assert by_jwt.path == "/oauth2/v3/token"
    assert "client_secret" not in (by_jwt.form or {})
    with pytest.raises(lt.InvalidInputError, match="not both"):
        s.issue_stateless_token(channel_secret="x", assertion=JWT)
    with pytest.raises(lt.InvalidInputError, match="both channel_id and channel_secret"):
        s.issue_stateless_token(channel_secret="x")
    with pytest.raises(lt.InvalidInputError, match="needs"):
        s.issue_stateless_token()


def test_verify_revoke_kid_and_bot_requests() -> None:
    """Paths, methods, query vs form, and the Bearer header on bot info."""
    assert s.verify_token("t").request.form == {"access_token": "t"}
    assert s.revoke_token("t").request.path == "/v2/oauth/revoke"
    v = s.verify_v21_token("t").request
    assert (v.method, v.path, dict(v.params or {})) == (
        "GET",
        "/oauth2/v2.1/verify",
        {"access_token": "t"},
    )
    r = s.revoke_v21_token(7, "sec", "t").request
    assert dict(r.form or {}) == {"client_id": "7", "client_secret": "sec", "access_token": "t"}
    k = s.get_v21_key_ids(JWT).request
    assert dict(k.params or {}) == {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": JWT,
    }
    b = s.get_bot_info("t").request
    assert dict(b.headers or {}) == {"Authorization": "Bearer t"}
    assert not any(c.request.mints for c in (s.verify_token("t"), s.get_bot_info("t")))


def test_requests_repr_hides_parameters() -> None:
    """A Request's repr shows the endpoint only."""
    text = repr(s.issue_short_lived_token("1", "my-secret").request)
    assert "my-secret" not in text
    assert "POST /v2/oauth/accessToken" in text


def test_parsers_read_line_fields() -> None:
    """verify, key ids and bot info read LINE's fields and ignore unknown ones."""
    info = s.verify_v21_token("t").parse(
        respond(
            200,
            {
                "client_id": "1573163733",
                "expires_in": 2591659,
                "scope": "profile chat_message.write",
                "extra": True,
            },
        ),
        0,
    )
    assert info == lt.TokenInfo("1573163733", 2591659, "profile chat_message.write")
    assert (
        s.verify_token("t")
        .parse(respond(200, {"client_id": "1", "expires_in": 3138007490}), 0)
        .scope
        is None
    )
    assert s.get_v21_key_ids(JWT).parse(respond(200, {"kids": ["a", "b"]}), 0) == ["a", "b"]
    bot = s.get_bot_info("t").parse(
        respond(
            200,
            {
                "userId": "U1",
                "basicId": "@b",
                "displayName": "Bot",
                "chatMode": "bot",
                "markAsReadMode": "auto",
            },
        ),
        0,
    )
    assert (bot.user_id, bot.basic_id, bot.premium_id, bot.picture_url) == ("U1", "@b", None, None)
    assert s.revoke_token("t").parse(respond(200), 0) is None


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (s.issue_short_lived_token("1", "x"), {"expires_in": 1, "token_type": "Bearer"}),
        (s.issue_v21_token(JWT), {"access_token": "a", "expires_in": 1, "token_type": "Bearer"}),
        (s.verify_token("t"), {"client_id": "1"}),
        (s.get_v21_key_ids(JWT), {"kids": "nope"}),
        (s.get_bot_info("t"), {"userId": "U"}),
        (s.issue_stateless_token(assertion=JWT), {"access_token": "a", "expires_in": True}),
    ],
)
def test_missing_required_field_raises(call: s.Call[Any], body: dict[str, Any]) -> None:
    """A 200 lacking a required field is an UnexpectedResponseError naming the field."""
    with pytest.raises(lt.UnexpectedResponseError, match="required"):
        call.parse(respond(200, body), 0)


def test_non_json_success_raises() -> None:
    """A 200 whose body is not a JSON object is an UnexpectedResponseError."""
    with pytest.raises(lt.UnexpectedResponseError, match="not a JSON object"):
        s.verify_token("t").parse(s.Response(200, {}, b"<html>"), 0)


# LINE's exact error bodies (contract note, section 2), and the class each must raise.
ERRORS = [
    (
        s.issue_short_lived_token("1", "x"),
        400,
        {"error": "invalid_client", "error_description": "invalid client_id"},
        lt.InvalidCredentialsError,
    ),
    (
        s.issue_short_lived_token("1", "x"),
        400,
        {"error": "invalid_client", "error_description": "invalid client_secret"},
        lt.InvalidCredentialsError,
    ),
    (
        s.issue_short_lived_token("1", "x"),
        400,
        {"error": "invalid_request", "error_description": "some parameters missed or invalid"},
        lt.LineApiError,
    ),
    (
        s.issue_stateless_token(channel_id="1", channel_secret="x"),
        400,
        {"error": "invalid_request", "error_description": "Invalid 'client_credentials'."},
        lt.InvalidCredentialsError,
    ),
    (
        s.issue_v21_token(JWT),
        400,
        {"message": "The maximum number of access tokens has already been issued"},
        lt.TokenLimitError,
    ),
    (
        s.issue_v21_token(JWT),
        400,
        {"error": "invalid_client", "error_description": "iss and clientId of key do not match"},
        lt.InvalidAssertionError,
    ),
    (
        s.issue_v21_token(JWT),
        400,
        {"error": "invalid_client", "error_description": "Invalid token_exp"},
        lt.InvalidAssertionError,
    ),
    (
        s.issue_v21_token(JWT),
        404,
        {"message": "Cannot find channel key that satisfies the conditions"},
        lt.UnknownKeyError,
    ),
    (
        s.issue_stateless_token(assertion=JWT),
        404,
        {"message": "Cannot find channel key that satisfies the conditions"},
        lt.UnknownKeyError,
    ),
    (
        s.get_v21_key_ids(JWT),
        400,
        {"error": "invalid_client", "error_description": "Invalid exp"},
        lt.InvalidAssertionError,
    ),
    (
        s.verify_token("t"),
        400,
        {"error": "invalid_request", "error_description": "access_token invalid"},
        lt.InvalidTokenError,
    ),
    (
        s.verify_v21_token("t"),
        400,
        {"error": "invalid_request", "error_description": "The access token expired"},
        lt.InvalidTokenError,
    ),
    (s.revoke_token("t"), 400, {"error": "invalid_request"}, lt.InvalidTokenError),
    (
        s.get_bot_info("t"),
        401,
        {
            "message": "Authentication failed. Confirm that the access token in the authorization "
            "header is valid."
        },
        lt.InvalidTokenError,
    ),
    (
        s.issue_v21_token(JWT),
        429,
        {"message": "The API rate limit has been exceeded. Try again later."},
        lt.RateLimitError,
    ),
    (s.verify_token("t"), 503, None, lt.ServerError),
]


@pytest.mark.parametrize(("call", "status", "body", "cls"), ERRORS)
def test_line_errors_become_typed_exceptions(
    call: s.Call[Any], status: int, body: dict[str, str] | None, cls: type[lt.LineApiError]
) -> None:
    """Each of LINE's error bodies raises its class, carrying status, fields and request id."""
    with pytest.raises(cls) as info:
        call.parse(respond(status, body), 0)
    exc = info.value
    assert type(exc) is cls
    assert exc.status == status
    assert exc.request_id == "rid"
    assert exc.endpoint == call.request.endpoint
    body = body or {}
    assert (exc.error, exc.error_description, exc.message) == (
        body.get("error"),
        body.get("error_description"),
        body.get("message"),
    )
    for text in body.values():
        assert text in str(exc)


def test_retry_after_is_read() -> None:
    """A numeric Retry-After travels on the error; junk is ignored."""
    call = s.verify_token("t")
    with pytest.raises(lt.RateLimitError) as info:
        call.parse(respond(429, {}, **{"retry-after": "3"}), 0)
    assert info.value.retry_after == 3.0
    with pytest.raises(lt.RateLimitError) as info:
        call.parse(respond(429, {}, **{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}), 0)
    assert info.value.retry_after is None


@pytest.mark.parametrize("bad", ["", " tok", "to ken", "tok\n", "tök", None, 5])
def test_bad_tokens_rejected_before_sending(bad: object) -> None:
    """Empty, whitespace, non-ASCII or non-string tokens never reach a request."""
    with pytest.raises(lt.InvalidInputError, match="access_token"):
        s.verify_token(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "a.b", "a..b", "nodots", None])
def test_bad_assertions_rejected(bad: object) -> None:
    """An assertion must look like a compact JWT."""
    with pytest.raises(lt.InvalidInputError, match="assertion"):
        s.issue_v21_token(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "  ", " sec", None])
def test_bad_secrets_rejected(bad: object) -> None:
    """A missing or padded secret is refused, naming channel_secret."""
    with pytest.raises(lt.InvalidInputError, match="channel_secret"):
        s.issue_short_lived_token("1", bad)  # type: ignore[arg-type]


@given(
    st.integers(min_value=100, max_value=599),
    st.binary(max_size=300),
    st.dictionaries(st.sampled_from(["retry-after", "x-line-request-id", "x"]), st.text()),
)
def test_parsers_raise_only_typed_errors(status: int, body: bytes, headers: dict[str, str]) -> None:
    """Any status, body and headers: a result or a LineTokenError, nothing else."""
    response = s.Response(status, headers, body)
    for call in (
        s.issue_v21_token(JWT),
        s.verify_token("t"),
        s.get_v21_key_ids(JWT),
        s.get_bot_info("t"),
        s.revoke_token("t"),
    ):
        with contextlib.suppress(lt.LineTokenError):
            call.parse(response, 0.0)
