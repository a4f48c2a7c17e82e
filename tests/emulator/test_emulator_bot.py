"""/v2/bot/info and /v2/bot/message/push: bearer auth, body validation, retry keys."""

from __future__ import annotations

import uuid

import httpx
import pytest
from emulator_helpers import issue_short, issue_v21

from line_token.emulator import TokenKind
from line_token.emulator.pytest_plugin import LineEmulator

AUTH_REQUIRED = {
    "message": "Authorization header required. Must follow the scheme, "
    "'Authorization: Bearer <ACCESS TOKEN>'"
}
AUTH_FAILED = {
    "message": "Authentication failed. Confirm that the access token in the "
    "authorization header is valid."
}
TEXT = {"type": "text", "text": "hello"}


@pytest.fixture
def bearer(api: httpx.Client, line_emulator: LineEmulator) -> dict[str, str]:
    token = issue_short(api, line_emulator).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_bot_info(api: httpx.Client, line_emulator: LineEmulator, bearer: dict[str, str]) -> None:
    """Bot info answers the channel's bot with the required fields."""
    body = api.get("/v2/bot/info", headers=bearer).json()
    assert body["displayName"] == "line-token test bot"
    assert body["chatMode"] == "bot"
    assert body["markAsReadMode"] == "auto"
    assert body["userId"].startswith("U")
    assert len(body["userId"]) == 33
    assert body["basicId"].startswith("@")
    assert "pictureUrl" not in body


def test_bot_info_picture_url(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A channel created with a picture has pictureUrl."""
    ch = line_emulator.emulator.create_channel(display_name="Pic", picture_url="https://x/p.png")
    token = line_emulator.emulator.issue_long_lived_token(ch.channel_id)
    body = api.get("/v2/bot/info", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["displayName"] == "Pic"
    assert body["pictureUrl"] == "https://x/p.png"


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer   "])
def test_bot_info_no_bearer(api: httpx.Client, header: str | None) -> None:
    """No usable Authorization header: 401 Authorization header required."""
    headers = {} if header is None else {"Authorization": header}
    r = api.get("/v2/bot/info", headers=headers)
    assert (r.status_code, r.json()) == (401, AUTH_REQUIRED)


def test_bot_info_bad_token(api: httpx.Client) -> None:
    """An unknown token: 401 Authentication failed."""
    r = api.get("/v2/bot/info", headers={"Authorization": "Bearer nope"})
    assert (r.status_code, r.json()) == (401, AUTH_FAILED)


def test_bot_info_revoked_token(
    api: httpx.Client, line_emulator: LineEmulator, bearer: dict[str, str]
) -> None:
    """A revoked token: 401 Authentication failed."""
    api.post("/v2/oauth/revoke", data={"access_token": bearer["Authorization"][7:]})
    r = api.get("/v2/bot/info", headers=bearer)
    assert (r.status_code, r.json()) == (401, AUTH_FAILED)


def test_bot_info_expired_v21(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """An expired v2.1 token: 401 Authentication failed."""
    token = issue_v21(api, line_emulator.signer.sign(token_exp=30)).json()["access_token"]
    line_emulator.advance(30)
    r = api.get("/v2/bot/info", headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (401, AUTH_FAILED)


def test_push_round_trip(
    api: httpx.Client, line_emulator: LineEmulator, bearer: dict[str, str]
) -> None:
    """A push answers sentMessages and is recorded for the test to read back."""
    r = api.post(
        "/v2/bot/message/push",
        headers=bearer,
        json={
            "to": "U" + "0" * 32,
            "messages": [
                TEXT,
                {"type": "location", "title": "t", "address": "a", "latitude": 1, "longitude": 2},
            ],
        },
    )
    assert r.status_code == 200
    sent = r.json()["sentMessages"]
    assert len(sent) == 2
    assert "quoteToken" in sent[0]
    assert "quoteToken" not in sent[1]
    (pushed,) = line_emulator.pushed_messages
    assert pushed.to == "U" + "0" * 32
    assert pushed.messages[0] == TEXT
    assert pushed.channel_id == line_emulator.channel_id
    assert pushed.token_kind is TokenKind.SHORT_LIVED
    assert pushed.request_id == r.headers["x-line-request-id"]


def test_push_retry_key(
    api: httpx.Client, line_emulator: LineEmulator, bearer: dict[str, str]
) -> None:
    """The same retry key twice: 409 with x-line-accepted-request-id; one message recorded."""
    headers = {**bearer, "X-Line-Retry-Key": str(uuid.uuid4())}
    body = {"to": "Uabc", "messages": [TEXT]}
    first = api.post("/v2/bot/message/push", headers=headers, json=body)
    second = api.post("/v2/bot/message/push", headers=headers, json=body)
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert second.json()["message"] == "The retry key is already accepted"
    assert second.json()["sentMessages"] == first.json()["sentMessages"]
    assert len(line_emulator.pushed_messages) == 1
    line_emulator.advance(86400)
    assert api.post("/v2/bot/message/push", headers=headers, json=body).status_code == 200


def test_push_bad_retry_key(api: httpx.Client, bearer: dict[str, str]) -> None:
    """A retry key that is not a UUID: 400."""
    r = api.post(
        "/v2/bot/message/push",
        headers={**bearer, "X-Line-Retry-Key": "abc"},
        json={"to": "U1", "messages": [TEXT]},
    )
    assert r.status_code == 400
    assert "retry key" in r.json()["message"]


@pytest.mark.parametrize(
    ("body", "props"),
    [
        ({}, ["to", "messages"]),
        ({"to": "U1", "messages": []}, ["messages"]),
        ({"to": "U1", "messages": [TEXT] * 6}, ["messages"]),
        ({"to": 3, "messages": [TEXT]}, ["to"]),
        ({"to": "U1", "messages": [{"text": "x"}]}, ["messages[0].type"]),
        ({"to": "U1", "messages": [{"type": "text"}]}, ["messages[0].text"]),
        ({"to": "U1", "messages": [TEXT, {"type": "bogus"}]}, ["messages[1].type"]),
        ({"to": "U1", "messages": ["hi"]}, ["messages[0]"]),
    ],
)
def test_push_invalid_body(
    api: httpx.Client, bearer: dict[str, str], body: object, props: list[str]
) -> None:
    """Invalid bodies: 400 The request body has N error(s) with details naming properties."""
    r = api.post("/v2/bot/message/push", headers=bearer, json=body)
    assert r.status_code == 400
    assert r.json()["message"] == f"The request body has {len(props)} error(s)"
    assert [d["property"] for d in r.json()["details"]] == props


def test_push_not_json(api: httpx.Client, bearer: dict[str, str]) -> None:
    """A body that is not JSON: 400 with one detail."""
    r = api.post("/v2/bot/message/push", headers=bearer, content=b"{nope")
    assert r.status_code == 400
    assert r.json()["message"] == "The request body has 1 error(s)"


def test_push_needs_auth(api: httpx.Client) -> None:
    """Push without a token: 401."""
    r = api.post("/v2/bot/message/push", json={"to": "U1", "messages": [TEXT]})
    assert (r.status_code, r.json()) == (401, AUTH_REQUIRED)


def test_unknown_path_and_wrong_method(api: httpx.Client) -> None:
    """Unknown path: 404 Not found; wrong method: 405 with Allow; both carry a request id."""
    r = api.get("/v2/nowhere")
    assert (r.status_code, r.json()) == (404, {"message": "Not found"})
    r = api.get("/v2/oauth/accessToken")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.headers["x-line-request-id"]
