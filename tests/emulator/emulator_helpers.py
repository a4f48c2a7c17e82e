"""Request and JWT helpers shared by the emulator tests."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from line_token.emulator.pytest_plugin import LineEmulator

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def make_assertion(
    le: LineEmulator,
    *,
    header: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    key: Any = None,
    algorithm: str = "RS256",
    **claims: Any,
) -> str:
    """An assertion for the fixture's channel; ``claims`` override, ``drop`` removes."""
    now = int(le.emulator.now())
    body: dict[str, Any] = {
        "iss": le.channel_id,
        "sub": le.channel_id,
        "aud": "https://api.line.me/",
        "exp": now + 600,
        "token_exp": 3600,
    }
    body.update(claims)
    for name in drop:
        body.pop(name, None)
    headers = {"kid": le.kid, "typ": "JWT"}
    headers.update(header or {})
    return jwt.encode(
        body, key if key is not None else le.private_key_pem, algorithm=algorithm, headers=headers
    )


def issue_short(api: httpx.Client, le: LineEmulator, **fields: str) -> httpx.Response:
    """POST /v2/oauth/accessToken with the fixture's credentials unless overridden."""
    data = {
        "grant_type": "client_credentials",
        "client_id": le.channel_id,
        "client_secret": le.channel_secret,
    }
    data.update(fields)
    return api.post("/v2/oauth/accessToken", data=data)


def issue_v21(api: httpx.Client, assertion: str, **fields: str) -> httpx.Response:
    """POST /oauth2/v2.1/token."""
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    data.update(fields)
    return api.post("/oauth2/v2.1/token", data=data)


def issue_stateless(api: httpx.Client, **fields: str) -> httpx.Response:
    """POST /oauth2/v3/token with exactly ``fields`` (plus grant_type)."""
    data = {"grant_type": "client_credentials"}
    data.update(fields)
    return api.post("/oauth2/v3/token", data=data)
