"""Fault injection, rate limits and request counting, in-process and over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import issue_short

from line_token.emulator import Emulator
from line_token.emulator.pytest_plugin import LineEmulator


def test_status_fault_then_normal(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A status fault answers that status for `count` requests, then normal service resumes."""
    line_emulator.inject_fault("/v2/oauth/accessToken", status=500, count=2)
    assert issue_short(api, line_emulator).status_code == 500
    r = issue_short(api, line_emulator)
    assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error"})
    assert issue_short(api, line_emulator).status_code == 200
    assert line_emulator.count("POST /v2/oauth/accessToken") == 3
    assert [rec.fault for rec in line_emulator.emulator.requests] == [
        "status 500",
        "status 500",
        None,
    ]
    assert len(line_emulator.emulator.tokens()) == 1


def test_fault_body_and_retry_after(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A fault can carry a JSON or text body and a Retry-After header."""
    line_emulator.inject_fault("*", status=429, retry_after=3)
    r = api.get("/v2/bot/info")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    assert r.json() == {"message": "The API rate limit has been exceeded. Try again later."}
    line_emulator.inject_fault("GET /v2/bot/info", status=502, body="<html>bad gateway</html>")
    r = api.get("/v2/bot/info")
    assert (r.status_code, r.text) == (502, "<html>bad gateway</html>")
    line_emulator.inject_fault("/v2/bot/info", status=503, body={"message": "down"})
    assert api.get("/v2/bot/info").json() == {"message": "down"}


def test_fault_targets_only_its_path(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A fault on one path (or one method) leaves the others alone."""
    line_emulator.inject_fault("POST /v2/bot/info", status=500)
    assert api.get("/v2/bot/info").status_code == 401
    line_emulator.emulator.clear_faults()
    line_emulator.inject_fault("/oauth2/v3/token", status=500)
    assert issue_short(api, line_emulator).status_code == 200


def test_drop_in_process(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A dropped request raises RemoteProtocolError and is logged without status."""
    line_emulator.inject_fault("/v2/oauth/accessToken", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        issue_short(api, line_emulator)
    assert line_emulator.emulator.requests[-1].status is None
    assert line_emulator.count("/v2/oauth/accessToken") == 1
    assert issue_short(api, line_emulator).status_code == 200


def test_drop_after_processing(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """process=True: the token is issued but the answer is lost."""
    line_emulator.inject_fault("/v2/oauth/accessToken", drop=True, process=True)
    with pytest.raises(httpx.RemoteProtocolError):
        issue_short(api, line_emulator)
    assert len(line_emulator.emulator.tokens(kind="short-lived")) == 1
    line_emulator.inject_fault("/v2/oauth/accessToken", status=502, process=True)
    assert issue_short(api, line_emulator).status_code == 502
    assert len(line_emulator.emulator.tokens(kind="short-lived")) == 2


def test_delay_in_process_answers_normally(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """A delay-only fault still answers the request normally."""
    line_emulator.inject_fault("/v2/oauth/accessToken", delay=0.01)
    assert issue_short(api, line_emulator).status_code == 200


def test_delay_beyond_read_timeout(line_emulator: LineEmulator) -> None:
    """A delay longer than the client's read timeout raises ReadTimeout."""
    line_emulator.inject_fault("/v2/bot/info", delay=5)
    with (
        httpx.Client(
            transport=line_emulator.transport(), base_url="https://api.line.me", timeout=0.01
        ) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get("/v2/bot/info")


async def test_async_transport_faults(line_emulator: LineEmulator) -> None:
    """The same transport works with AsyncClient: normal, delayed, dropped."""
    async with httpx.AsyncClient(
        transport=line_emulator.transport(), base_url="https://api.line.me"
    ) as http:
        data = {
            "grant_type": "client_credentials",
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
        }
        assert (await http.post("/v2/oauth/accessToken", data=data)).status_code == 200
        line_emulator.inject_fault("*", delay=0.01, status=503)
        assert (await http.post("/v2/oauth/accessToken", data=data)).status_code == 503
        line_emulator.inject_fault("*", drop=True)
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/v2/oauth/accessToken", data=data)
        line_emulator.inject_fault("*", delay=5)
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/v2/oauth/accessToken", data=data, timeout=0.01)
    assert line_emulator.count("POST /v2/oauth/accessToken") == 4


def test_faults_over_real_server(line_emulator: LineEmulator) -> None:
    """Status, delay and drop faults over a real socket."""
    data = {
        "grant_type": "client_credentials",
        "client_id": line_emulator.channel_id,
        "client_secret": line_emulator.channel_secret,
    }
    with httpx.Client(base_url=line_emulator.base_url) as http:
        line_emulator.inject_fault("/v2/oauth/accessToken", status=503, retry_after="1")
        r = http.post("/v2/oauth/accessToken", data=data)
        assert (r.status_code, r.headers["retry-after"]) == (503, "1")
        line_emulator.inject_fault("/v2/oauth/accessToken", drop=True)
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/v2/oauth/accessToken", data=data)
        line_emulator.inject_fault("/v2/oauth/accessToken", delay=0.01)
        assert http.post("/v2/oauth/accessToken", data=data).status_code == 200
        line_emulator.inject_fault("/v2/oauth/accessToken", delay=2)
        with pytest.raises(httpx.ReadTimeout):
            http.post("/v2/oauth/accessToken", data=data, timeout=0.05)
        assert http.post("/v2/oauth/accessToken", data=data).status_code == 200
    assert line_emulator.count("POST /v2/oauth/accessToken") == 5


def test_rate_limit_knob(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """Past the limit within the window: 429 with LINE's message, no Retry-After."""
    line_emulator.emulator.set_rate_limit("/v2/oauth/accessToken", 2, per=1)
    assert issue_short(api, line_emulator).status_code == 200
    assert issue_short(api, line_emulator).status_code == 200
    r = issue_short(api, line_emulator)
    assert (r.status_code, r.json()) == (
        429,
        {"message": "The API rate limit has been exceeded. Try again later."},
    )
    assert "retry-after" not in r.headers
    line_emulator.advance(1)
    assert issue_short(api, line_emulator).status_code == 200


def test_counts_and_log(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """count() by endpoint, by path and overall; counts() per endpoint; times are virtual."""
    issue_short(api, line_emulator)
    line_emulator.advance(5)
    api.get("/v2/bot/info")
    api.post("/v2/bot/info")
    emu = line_emulator.emulator
    assert emu.count() == 3
    assert emu.count("/v2/bot/info") == 2
    assert emu.count("get /v2/bot/info") == 1
    assert emu.counts() == {
        "POST /v2/oauth/accessToken": 1,
        "GET /v2/bot/info": 1,
        "POST /v2/bot/info": 1,
    }
    first, second, _ = emu.requests
    assert second.time - first.time == 5
    assert [r.status for r in emu.requests] == [200, 401, 405]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"status": 99},
        {"status": 600},
        {"status": 500, "count": 0},
        {"delay": -1},
        {"status": True},
    ],
)
def test_inject_fault_validates(kwargs: dict[str, object]) -> None:
    """Nonsense faults are refused up front."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by argument
        Emulator().inject_fault("*", **kwargs)  # type: ignore[arg-type]


def test_reset_clears_everything(api: httpx.Client, line_emulator: LineEmulator) -> None:
    """reset() forgets channels, tokens, faults, limits, logs and rewinds the clock."""
    emu = line_emulator.emulator
    issue_short(api, line_emulator)
    emu.inject_fault("*", status=500)
    emu.set_rate_limit("*", 0)
    emu.advance(10_000)
    emu.reset()
    assert emu.channels == []
    assert emu.tokens() == []
    assert emu.requests == []
    assert abs(emu.now() - __import__("time").time()) < 60
    assert api.get("/v2/bot/info").status_code == 401
