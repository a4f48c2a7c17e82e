"""Tests for Client and AsyncClient: every endpoint against the emulator, sync and async.

Each test runs four ways: ``Client`` and ``AsyncClient`` over real loopback sockets, and both
again in-process through the emulator's httpx transport.
"""

from __future__ import annotations

import functools
import inspect
import logging
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

import line_token as lt
from line_token import AssertionSigner
from line_token.emulator.pytest_plugin import LineEmulator

MODES = ["sync-http", "async-http", "sync-inprocess", "async-inprocess"]


class Api:
    """One awaitable face over Client or AsyncClient, so each test is written once."""

    def __init__(self, client: lt.Client | lt.AsyncClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return call


@pytest.fixture(params=MODES)
async def api(request: pytest.FixtureRequest, line_emulator: LineEmulator) -> AsyncIterator[Api]:
    """A client in each of the four modes, retrying fast (no real backoff waits)."""
    mode: str = request.param
    kwargs: dict[str, Any] = {"max_retries": 2, "timeout": 5.0, "clock": line_emulator.emulator.now}
    if mode.endswith("inprocess"):
        kwargs["base_url"] = line_emulator.api_base_url
        http_cls = httpx.AsyncClient if mode.startswith("async") else httpx.Client
        kwargs["http_client"] = http_cls(transport=line_emulator.transport())
    else:
        kwargs["base_url"] = line_emulator.base_url
    client: lt.Client | lt.AsyncClient
    if mode.startswith("async"):
        client = lt.AsyncClient(**kwargs)
        yield Api(client)
        await client.aclose()
        if "http_client" in kwargs:
            await kwargs["http_client"].aclose()
    else:
        client = lt.Client(**kwargs)
        yield Api(client)
        client.close()
        if "http_client" in kwargs:
            kwargs["http_client"].close()


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff waits of milliseconds: behaviour is tested, not the waiting."""
    from line_token import _http, _retry

    monkeypatch.setattr(
        _http, "RetryPolicy", functools.partial(_retry.RetryPolicy, base_delay=0.001)
    )


# --- short-lived ------------------------------------------------------------------------


async def test_short_lived_lifecycle(api: Api, line_emulator: LineEmulator) -> None:
    """Issue, verify, call bot info, revoke; then verify and bot info fail."""
    token = await api.issue_short_lived_token(
        line_emulator.channel_id, line_emulator.channel_secret
    )
    assert token.expires_in == 2592000
    assert token.token_type == "Bearer"
    assert token.key_id is None
    info = await api.verify_token(token.access_token)
    assert info.client_id == line_emulator.channel_id
    assert 0 < info.expires_in <= 2592000
    bot = await api.get_bot_info(token.access_token)
    assert bot.display_name == "line-token test bot"
    await api.revoke_token(token.access_token)
    await api.revoke_token(token.access_token)  # revoking twice is not an error
    with pytest.raises(lt.InvalidTokenError) as info_exc:
        await api.verify_token(token.access_token)
    assert info_exc.value.status == 400
    assert info_exc.value.request_id
    with pytest.raises(lt.InvalidTokenError) as bot_exc:
        await api.get_bot_info(token.access_token)
    assert bot_exc.value.status == 401


async def test_short_lived_wrong_secret_and_unknown_channel(
    api: Api, line_emulator: LineEmulator
) -> None:
    """LINE's invalid_client bodies become InvalidCredentialsError, not retried."""
    with pytest.raises(lt.InvalidCredentialsError) as exc:
        await api.issue_short_lived_token(line_emulator.channel_id, "0" * 32)
    assert (exc.value.error, exc.value.error_description) == (
        "invalid_client",
        "invalid client_secret",
    )
    with pytest.raises(lt.InvalidCredentialsError, match="invalid client_id"):
        await api.issue_short_lived_token("9999999999", line_emulator.channel_secret)
    assert line_emulator.count("POST /v2/oauth/accessToken") == 2


async def test_long_lived_token_verifies(api: Api, line_emulator: LineEmulator) -> None:
    """A Console long-lived token verifies on /v2/oauth/verify and works for bot info."""
    token = line_emulator.issue_long_lived_token()
    info = await api.verify_token(token)
    assert info.expires_in > 2592000
    assert (await api.get_bot_info(token)).user_id.startswith("U")


# --- v2.1 -------------------------------------------------------------------------------


async def test_v21_lifecycle(api: Api, line_emulator: LineEmulator) -> None:
    """Issue with token_exp, verify, list key ids, revoke; the kid disappears."""
    signer = line_emulator.signer
    token = await api.issue_v21_token(signer.sign(token_exp=86400))
    assert token.expires_in == 86400
    assert token.key_id
    info = await api.verify_v21_token(token.access_token)
    assert info.client_id == line_emulator.channel_id
    assert info.expires_in <= 86400
    assert await api.get_v21_key_ids(signer.sign()) == [token.key_id]
    await api.get_bot_info(token.access_token)
    await api.revoke_v21_token(
        line_emulator.channel_id, line_emulator.channel_secret, token.access_token
    )
    assert await api.get_v21_key_ids(signer.sign()) == []
    with pytest.raises(lt.InvalidTokenError):
        await api.verify_v21_token(token.access_token)


async def test_v21_expiry(api: Api, line_emulator: LineEmulator) -> None:
    """A v2.1 token fails verification once its token_exp has passed."""
    token = await api.issue_v21_token(line_emulator.signer.sign(token_exp=60))
    line_emulator.advance(61)
    with pytest.raises(lt.InvalidTokenError, match="expired"):
        await api.verify_v21_token(token.access_token)


async def test_v21_thirty_token_limit(api: Api, line_emulator: LineEmulator) -> None:
    """The 31st v2.1 token is refused with TokenLimitError carrying LINE's message and a hint."""
    for _ in range(30):
        await api.issue_v21_token(line_emulator.signer.sign(token_exp=3600))
    with pytest.raises(lt.TokenLimitError) as exc:
        await api.issue_v21_token(line_emulator.signer.sign(token_exp=3600))
    assert exc.value.status == 400
    assert exc.value.message == "The maximum number of access tokens has already been issued"
    assert "30 valid v2.1 tokens" in str(exc.value)
    assert line_emulator.count("POST /oauth2/v2.1/token") == 31


async def test_unknown_kid(api: Api, line_emulator: LineEmulator) -> None:
    """An unregistered kid: 404 UnknownKeyError, for v2.1, stateless and key ids."""
    wrong = AssertionSigner(
        line_emulator.channel_id,
        "00000000-0000-4000-8000-000000000000",
        line_emulator.private_key_pem,
        clock=line_emulator.emulator.now,
    )
    for attempt in (
        api.issue_v21_token(wrong.sign(token_exp=60)),
        api.issue_stateless_token(assertion=wrong.sign()),
        api.get_v21_key_ids(wrong.sign()),
    ):
        with pytest.raises(lt.UnknownKeyError) as exc:
            await attempt
        assert exc.value.status == 404
        assert "Cannot find channel key" in str(exc.value)


async def test_assertion_for_another_channel(api: Api, line_emulator: LineEmulator) -> None:
    """iss not matching the key's channel: InvalidAssertionError with LINE's text."""
    other = AssertionSigner(
        "1111111111",
        line_emulator.kid,
        line_emulator.private_key_pem,
        clock=line_emulator.emulator.now,
    )
    with pytest.raises(lt.InvalidAssertionError, match="iss and clientId of key do not match"):
        await api.issue_v21_token(other.sign(token_exp=60))


async def test_expired_assertion_and_missing_token_exp(
    api: Api, line_emulator: LineEmulator
) -> None:
    """An expired assertion, and a v2.1 assertion without token_exp, are refused."""
    stale = line_emulator.signer.sign(token_exp=60, lifetime=60)
    line_emulator.advance(120)
    with pytest.raises(lt.InvalidAssertionError, match="Invalid exp"):
        await api.issue_v21_token(stale)
    with pytest.raises(lt.InvalidAssertionError, match="token_exp"):
        await api.issue_v21_token(line_emulator.signer.sign())


# --- stateless --------------------------------------------------------------------------


async def test_stateless_by_secret_and_by_jwt(api: Api, line_emulator: LineEmulator) -> None:
    """Both variants give 15-minute tokens that work for bot info, then expire."""
    by_secret = await api.issue_stateless_token(
        channel_id=line_emulator.channel_id, channel_secret=line_emulator.channel_secret
    )
    by_jwt = await api.issue_stateless_token(assertion=line_emulator.signer.sign())
    for token in (by_secret, by_jwt):
        assert token.expires_in in (899, 900)
        await api.get_bot_info(token.access_token)
    line_emulator.advance(901)
    with pytest.raises(lt.InvalidTokenError):
        await api.get_bot_info(by_jwt.access_token)


async def test_stateless_wrong_secret(api: Api, line_emulator: LineEmulator) -> None:
    """The stateless endpoint's own body for a wrong secret is an InvalidCredentialsError."""
    with pytest.raises(lt.InvalidCredentialsError, match="client_credentials"):
        await api.issue_stateless_token(
            channel_id=line_emulator.channel_id, channel_secret="x" * 32
        )


async def test_bad_input_sends_nothing(api: Api, line_emulator: LineEmulator) -> None:
    """Invalid arguments raise InvalidInputError before any request."""
    with pytest.raises(lt.InvalidInputError, match="channel_id"):
        await api.issue_short_lived_token("abc", "secret")
    with pytest.raises(lt.InvalidInputError, match="assertion"):
        await api.issue_v21_token("not-a-jwt")
    with pytest.raises(lt.InvalidInputError):
        await api.issue_stateless_token()
    assert line_emulator.count() == 0


# --- faults and retries -----------------------------------------------------------------


async def test_reads_retry_5xx_and_dropped_connections(
    api: Api, line_emulator: LineEmulator
) -> None:
    """verify survives a 503 and a dropped connection; three requests reach the server."""
    token = line_emulator.issue_long_lived_token()
    line_emulator.inject_fault("/v2/oauth/verify", status=503)
    line_emulator.inject_fault("/v2/oauth/verify", drop=True)
    assert (await api.verify_token(token)).client_id == line_emulator.channel_id
    assert line_emulator.count("POST /v2/oauth/verify") == 3


async def test_issue_not_retried_after_5xx_or_drop(api: Api, line_emulator: LineEmulator) -> None:
    """An issue call that may have minted is sent once: ServerError, then TransportError."""
    line_emulator.inject_fault("/oauth2/v2.1/token", status=500)
    with pytest.raises(lt.ServerError):
        await api.issue_v21_token(line_emulator.signer.sign(token_exp=60))
    line_emulator.inject_fault("/oauth2/v2.1/token", drop=True)
    with pytest.raises(lt.TransportError, match="not retried"):
        await api.issue_v21_token(line_emulator.signer.sign(token_exp=60))
    assert line_emulator.count("POST /oauth2/v2.1/token") == 2


async def test_issue_retried_after_429(api: Api, line_emulator: LineEmulator) -> None:
    """429 means nothing was minted: the issue is retried and succeeds."""
    line_emulator.inject_fault("/oauth2/v3/token", status=429, retry_after=0)
    token = await api.issue_stateless_token(assertion=line_emulator.signer.sign())
    assert token.access_token
    assert line_emulator.count("POST /oauth2/v3/token") == 2


async def test_rate_limit_after_retries(api: Api, line_emulator: LineEmulator) -> None:
    """Three 429s in a row: RateLimitError after three attempts."""
    line_emulator.inject_fault("/v2/bot/info", status=429, count=3)
    with pytest.raises(lt.RateLimitError) as exc:
        await api.get_bot_info("whatever")
    assert exc.value.status == 429
    assert line_emulator.count("GET /v2/bot/info") == 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("cls", [lt.Client, lt.AsyncClient])
async def test_unreachable_server_is_a_transport_error(cls: type[Any]) -> None:
    """Nothing listening: TransportError after the retries, cause chained."""
    client = cls(base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=1)
    with pytest.raises(lt.TransportError, match="could not connect") as exc:
        await Api(client).verify_token("tok")
    assert isinstance(exc.value.__cause__, httpx.ConnectError)


def test_timeout_is_a_transport_error(line_emulator: LineEmulator) -> None:
    """A server slower than the timeout: TransportError naming the timeout."""
    line_emulator.inject_fault("/v2/oauth/verify", delay=1.0, count=2)
    with (
        lt.Client(base_url=line_emulator.base_url, timeout=0.2, max_retries=1) as client,
        pytest.raises(lt.TransportError, match="timed out"),
    ):
        client.verify_token("tok")


# --- configuration ----------------------------------------------------------------------


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LINE_API_BASE_URL is the default base URL; the argument wins over it."""
    monkeypatch.setenv("LINE_API_BASE_URL", "http://127.0.0.1:9/")
    assert lt.Client().base_url == "http://127.0.0.1:9"
    assert lt.Client(base_url="http://localhost:1").base_url == "http://localhost:1"
    monkeypatch.delenv("LINE_API_BASE_URL")
    assert lt.Client().base_url == "https://api.line.me"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "api.line.me"}, "base_url"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
    ],
)
def test_bad_options(kwargs: dict[str, Any], field: str) -> None:
    """Bad constructor options fail early, naming the option."""
    for cls in (lt.Client, lt.AsyncClient):
        with pytest.raises(lt.InvalidInputError, match=field):
            cls(**kwargs)


def test_given_http_client_is_not_closed(line_emulator: LineEmulator) -> None:
    """A caller's httpx client stays open after Client.close()."""
    http = httpx.Client(transport=line_emulator.transport())
    with lt.Client(base_url=line_emulator.api_base_url, http_client=http) as client:
        assert repr(client) == "Client(base_url='https://api.line.me')"
    assert not http.is_closed
    http.close()


# --- secrets ----------------------------------------------------------------------------


def test_no_secret_in_logs_reprs_or_errors(
    line_emulator: LineEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole lifecycle at DEBUG: no token, secret or key text in any record, repr or error."""
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [line_emulator.channel_secret]
    key_lines = line_emulator.private_key_pem.decode().splitlines()[1:-1]
    texts: list[str] = []
    with lt.Client(base_url=line_emulator.base_url) as client:
        v21 = client.issue_v21_token(line_emulator.signer.sign(token_exp=600))
        short = client.issue_short_lived_token(
            line_emulator.channel_id, line_emulator.channel_secret
        )
        stateless = client.issue_stateless_token(
            channel_id=line_emulator.channel_id, channel_secret=line_emulator.channel_secret
        )
        secrets += [v21.access_token, short.access_token, stateless.access_token]
        texts += [repr(v21), repr(short), repr(stateless), repr(client)]
        client.verify_v21_token(v21.access_token)
        client.verify_token(short.access_token)
        assertion = line_emulator.signer.sign()
        secrets.append(assertion)
        client.get_v21_key_ids(assertion)
        client.get_bot_info(stateless.access_token)
        client.revoke_v21_token(
            line_emulator.channel_id, line_emulator.channel_secret, v21.access_token
        )
        for failing in (
            lambda: client.verify_v21_token(v21.access_token),
            lambda: client.issue_short_lived_token(line_emulator.channel_id, "f" * 32),
            lambda: client.get_bot_info(v21.access_token),
        ):
            with pytest.raises(lt.LineApiError) as exc:
                failing()
            texts += [str(exc.value), repr(exc.value)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("verify" in t for t in texts)  # the capture did see the requests
    for text in texts:
        for secret in secrets:
            assert secret not in text
        for line in key_lines:
            assert line not in text
