"""Sans-I/O core of the clients: for every endpoint, a request builder and a response parser.

Nothing here sends bytes or reads a clock. Each endpoint function validates its
arguments, then returns a :class:`Call` — the request to send plus the function
that turns LINE's answer into a result or a typed error. ``Client`` and
``AsyncClient`` only move bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote, quote_plus

from ._assertion import validate_channel_id
from ._errors import (
    InvalidAssertionError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidTokenError,
    LineApiError,
    RateLimitError,
    ServerError,
    TokenLimitError,
    UnexpectedResponseError,
    UnknownKeyError,
)
from ._models import BotInfo, IssuedToken, TokenInfo

__all__ = [
    "ASSERTION_TYPE",
    "Call",
    "Request",
    "Response",
    "api_error",
    "get_bot_info",
    "get_v21_key_ids",
    "issue_short_lived_token",
    "issue_stateless_token",
    "issue_v21_token",
    "revoke_token",
    "revoke_v21_token",
    "verify_token",
    "verify_v21_token",
]

T = TypeVar("T")

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request to LINE, relative to the base URL.

    ``mints`` is true for endpoints that create a token: sending one twice may
    create two tokens, so a retry is allowed only where LINE cannot have acted.
    """

    method: str
    path: str
    params: Mapping[str, str] | None = None
    form: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    mints: bool = False

    @property
    def endpoint(self) -> str:
        """``"METHOD /path"``, safe to log (never holds a parameter)."""
        return f"{self.method} {self.path}"

    def __repr__(self) -> str:  # parameters hold secrets: never show them
        return f"Request({self.endpoint!r}, mints={self.mints})"


@dataclass(frozen=True, slots=True)
class Response:
    """What came back: status, headers (lower-case names) and body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """A request and how to read its response. ``parse(response, sent_at)``."""

    request: Request
    parse: Callable[[Response, float], T]


# --- validation ----------------------------------------------------------------


def _token(value: object, name: str = "access_token") -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{name} must be a non-empty string (the channel access token)")
    if value != value.strip() or any(c in value for c in "\r\n\t "):
        raise InvalidInputError(
            f"{name} contains whitespace; copy the token again without spaces or newlines"
        )
    if not value.isascii() or not value.isprintable():
        raise InvalidInputError(f"{name} contains characters a LINE token never has")
    return value


def _secret(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            "channel_secret must be the non-empty channel secret from the Basic settings "
            "tab of the LINE Developers Console"
        )
    if value != value.strip():
        raise InvalidInputError("channel_secret has leading or trailing whitespace; remove it")
    if not value.isprintable() or not _encodable(value):
        raise InvalidInputError(
            "channel_secret contains characters a channel secret never has (control "
            "characters or bytes that are not UTF-8); copy it again from the Console"
        )
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8
        return False
    return True


def _assertion(value: object) -> str:
    if not isinstance(value, str) or value.count(".") != 2 or not all(value.split(".")):
        raise InvalidInputError(
            "assertion must be a signed JWT (three dot-separated parts); make one with "
            "AssertionSigner.sign() or sign_assertion()"
        )
    return _token(value, "assertion")


# --- response reading ------------------------------------------------------------


def _json_body(response: Response) -> Any:
    if not response.body:
        return None
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return None


def _str_field(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


_HINTS = {
    TokenLimitError: (
        "The channel already holds 30 valid v2.1 tokens. Revoke ones you no longer use "
        "(get_v21_key_ids() lists them; `line-token tokens prune` revokes a manager's "
        "superseded ones) or let them expire; a TokenManager keeps at most 2 per group"
    ),
    UnknownKeyError: (
        "The assertion's kid is not registered for this channel: check the kid shown "
        "under Assertion Signing Key in the LINE Developers Console, and that the key "
        "was registered on this channel"
    ),
    InvalidCredentialsError: (
        "Check the channel id and channel secret on the Basic settings tab of the LINE "
        "Developers Console"
    ),
    InvalidAssertionError: (
        "LINE rejected the JWT assertion: check the channel id (iss/sub), the kid, the "
        "private key and that this machine's clock is right"
    ),
    InvalidTokenError: "The access token is invalid, expired or revoked; get a new one",
    RateLimitError: "Too many requests; slow down and retry later",
}


def _error_class(
    status: int, error: str | None, description: str | None, message: str | None, token_op: bool
) -> type[LineApiError]:
    text = " ".join(filter(None, (description, message))).lower()
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    if "maximum number of access tokens" in text:
        return TokenLimitError
    if "cannot find channel key" in text:
        return UnknownKeyError
    if error == "invalid_client" and ("client_id" in text or "client_secret" in text):
        return InvalidCredentialsError
    if "client_credentials" in text:
        return InvalidCredentialsError
    if error == "invalid_client":
        return InvalidAssertionError
    if status == 401 or (token_op and status == 400):
        return InvalidTokenError
    return LineApiError


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None  # an HTTP-date: rare; the backoff applies instead
    return value if 0 <= value < 86400 else None


_SECRET_FIELDS = ("client_secret", "access_token", "client_assertion")
_MAX_TEXT = 500


def _request_secrets(request: Request) -> list[str]:
    """The credentials ``request`` carries, as sent and as they look URL-encoded."""
    values = [
        value
        for fields in (request.form, request.params)
        for name, value in (fields or {}).items()
        if name in _SECRET_FIELDS and value
    ]
    authorization = (request.headers or {}).get("Authorization", "")
    if authorization.partition(" ")[2]:
        values.append(authorization.partition(" ")[2])
    encoded = [quote_plus(v) for v in values] + [quote(v, safe="") for v in values]
    # A value this short is no real credential (tests use "t"); masking it would mangle words.
    return sorted({v for v in values + encoded if len(v) >= 8}, key=len, reverse=True)


def _scrubbed(text: str | None, secrets: list[str]) -> str | None:
    """``text`` from LINE's answer, without any credential the request sent, and bounded.

    LINE never echoes a credential, but a proxy's or a broken server's error page may echo
    the request; the error's message must not carry it into logs.
    """
    if text is None:
        return None
    for secret in secrets:
        text = text.replace(secret, "***")
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def api_error(response: Response, request: Request, *, token_op: bool = False) -> LineApiError:
    """The typed error for a non-2xx answer to ``request``.

    ``token_op`` marks endpoints whose 400 means "this access token is bad". Texts from
    the answer are kept, minus any credential the request carried.
    """
    body = _json_body(response)
    fields: Mapping[str, Any] = body if isinstance(body, dict) else {}
    error = _str_field(fields, "error")
    description = _str_field(fields, "error_description")
    message = _str_field(fields, "message")
    cls = _error_class(response.status, error, description, message, token_op)
    secrets = _request_secrets(request)
    return cls(
        response.status,
        error=_scrubbed(error, secrets),
        error_description=_scrubbed(description, secrets),
        message=_scrubbed(message, secrets),
        request_id=_scrubbed(response.headers.get("x-line-request-id"), secrets),
        endpoint=request.endpoint,
        retry_after=_retry_after(response.headers),
        hint=_HINTS.get(cls),
    )


def _ok_json(response: Response, request: Request, token_op: bool = False) -> Mapping[str, Any]:
    if not 200 <= response.status < 300:
        raise api_error(response, request, token_op=token_op)
    body = _json_body(response)
    if not isinstance(body, dict):
        raise UnexpectedResponseError(
            response.status,
            endpoint=request.endpoint,
            request_id=response.headers.get("x-line-request-id"),
            hint="The response body is not a JSON object",
        )
    return body


def _require(
    body: Mapping[str, Any], key: str, kind: type, response: Response, request: Request
) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UnexpectedResponseError(
            response.status,
            endpoint=request.endpoint,
            request_id=response.headers.get("x-line-request-id"),
            hint=f"The response lacks the required {kind.__name__} field {key!r}",
        )
    return value


#: LINE's OpenAPI types: issue endpoints' expires_in is an int32, verify's an int64.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def _lifetime(body: Mapping[str, Any], maximum: int, response: Response, request: Request) -> int:
    value: int = _require(body, "expires_in", int, response, request)
    if not 0 <= value <= maximum:
        raise UnexpectedResponseError(
            response.status,
            endpoint=request.endpoint,
            request_id=response.headers.get("x-line-request-id"),
            hint=f"The response field 'expires_in' is {value if abs(value) < 10**20 else 'huge'}, "
            f"not a number of seconds from 0 to {maximum}",
        )
    return value


def _ok_empty(response: Response, request: Request, token_op: bool = False) -> None:
    if not 200 <= response.status < 300:
        raise api_error(response, request, token_op=token_op)


def _issued(with_key_id: bool) -> Callable[[Request], Callable[[Response, float], IssuedToken]]:
    def bind(request: Request) -> Callable[[Response, float], IssuedToken]:
        def parse(response: Response, sent_at: float) -> IssuedToken:
            body = _ok_json(response, request)
            return IssuedToken(
                access_token=_require(body, "access_token", str, response, request),
                token_type=_str_field(body, "token_type") or "Bearer",
                expires_in=_lifetime(body, INT32_MAX, response, request),
                issued_at=sent_at,
                key_id=_require(body, "key_id", str, response, request) if with_key_id else None,
            )

        return parse

    return bind


def _token_info(request: Request) -> Callable[[Response, float], TokenInfo]:
    def parse(response: Response, sent_at: float) -> TokenInfo:
        body = _ok_json(response, request, token_op=True)
        return TokenInfo(
            client_id=str(_require(body, "client_id", str, response, request)),
            expires_in=_lifetime(body, INT64_MAX, response, request),
            scope=_str_field(body, "scope"),
        )

    return parse


def _empty(request: Request, token_op: bool) -> Callable[[Response, float], None]:
    def parse(response: Response, sent_at: float) -> None:
        _ok_empty(response, request, token_op)

    return parse


# --- endpoints -------------------------------------------------------------------


def issue_short_lived_token(channel_id: str | int, channel_secret: str) -> Call[IssuedToken]:
    """``POST /v2/oauth/accessToken``: a 30-day token from the channel id and secret."""
    request = Request(
        "POST",
        "/v2/oauth/accessToken",
        form={
            "grant_type": "client_credentials",
            "client_id": validate_channel_id(channel_id),
            "client_secret": _secret(channel_secret),
        },
        headers=FORM,
        mints=True,
    )
    return Call(request, _issued(False)(request))


def verify_token(access_token: str) -> Call[TokenInfo]:
    """``POST /v2/oauth/verify``: check a short-lived or long-lived token."""
    request = Request(
        "POST", "/v2/oauth/verify", form={"access_token": _token(access_token)}, headers=FORM
    )
    return Call(request, _token_info(request))


def revoke_token(access_token: str) -> Call[None]:
    """``POST /v2/oauth/revoke``: revoke a short-lived or long-lived token."""
    request = Request(
        "POST", "/v2/oauth/revoke", form={"access_token": _token(access_token)}, headers=FORM
    )
    return Call(request, _empty(request, token_op=True))


def issue_v21_token(assertion: str) -> Call[IssuedToken]:
    """``POST /oauth2/v2.1/token``: a token of chosen lifetime from a JWT assertion."""
    request = Request(
        "POST",
        "/oauth2/v2.1/token",
        form={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": _assertion(assertion),
        },
        headers=FORM,
        mints=True,
    )
    return Call(request, _issued(True)(request))


def verify_v21_token(access_token: str) -> Call[TokenInfo]:
    """``GET /oauth2/v2.1/verify``: check a v2.1 token."""
    request = Request("GET", "/oauth2/v2.1/verify", params={"access_token": _token(access_token)})
    return Call(request, _token_info(request))


def revoke_v21_token(channel_id: str | int, channel_secret: str, access_token: str) -> Call[None]:
    """``POST /oauth2/v2.1/revoke``: revoke a v2.1 token (needs the channel secret)."""
    request = Request(
        "POST",
        "/oauth2/v2.1/revoke",
        form={
            "client_id": validate_channel_id(channel_id),
            "client_secret": _secret(channel_secret),
            "access_token": _token(access_token),
        },
        headers=FORM,
    )
    return Call(request, _empty(request, token_op=True))


def get_v21_key_ids(assertion: str) -> Call[list[str]]:
    """``GET /oauth2/v2.1/tokens/kid``: key ids of the channel's valid v2.1 tokens."""
    request = Request(
        "GET",
        "/oauth2/v2.1/tokens/kid",
        params={"client_assertion_type": ASSERTION_TYPE, "client_assertion": _assertion(assertion)},
    )

    def parse(response: Response, sent_at: float) -> list[str]:
        body = _ok_json(response, request)
        kids = _require(body, "kids", list, response, request)
        if not all(isinstance(k, str) for k in kids):
            raise UnexpectedResponseError(
                response.status,
                endpoint=request.endpoint,
                hint="The response field 'kids' holds a non-string",
            )
        return list(kids)

    return Call(request, parse)


def issue_stateless_token(
    *,
    channel_id: str | int | None = None,
    channel_secret: str | None = None,
    assertion: str | None = None,
) -> Call[IssuedToken]:
    """``POST /oauth2/v3/token``: a 15-minute token, by channel secret or by assertion."""
    if assertion is not None:
        if channel_secret is not None:
            raise InvalidInputError(
                "pass either assertion or channel_id with channel_secret, not both"
            )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": _assertion(assertion),
        }
    elif channel_secret is not None or channel_id is not None:
        if channel_id is None or channel_secret is None:
            raise InvalidInputError(
                "issuing a stateless token by secret needs both channel_id and channel_secret"
            )
        form = {
            "grant_type": "client_credentials",
            "client_id": validate_channel_id(channel_id),
            "client_secret": _secret(channel_secret),
        }
    else:
        raise InvalidInputError(
            "issue_stateless_token needs channel_id and channel_secret, or an assertion"
        )
    request = Request("POST", "/oauth2/v3/token", form=form, headers=FORM, mints=True)
    return Call(request, _issued(False)(request))


def get_bot_info(access_token: str) -> Call[BotInfo]:
    """``GET /v2/bot/info``: the bot's profile; the cheapest proof that a token works."""
    request = Request(
        "GET",
        "/v2/bot/info",
        headers={"Authorization": f"Bearer {_token(access_token)}"},
    )

    def parse(response: Response, sent_at: float) -> BotInfo:
        body = _ok_json(response, request, token_op=True)
        return BotInfo(
            user_id=_require(body, "userId", str, response, request),
            basic_id=_require(body, "basicId", str, response, request),
            display_name=_require(body, "displayName", str, response, request),
            chat_mode=_require(body, "chatMode", str, response, request),
            mark_as_read_mode=_require(body, "markAsReadMode", str, response, request),
            premium_id=_str_field(body, "premiumId"),
            picture_url=_str_field(body, "pictureUrl"),
        )

    return Call(request, parse)
