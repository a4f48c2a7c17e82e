"""Smoke: the fixture's emulator issues, verifies and serves over both transports."""

from __future__ import annotations

import httpx

from line_token.emulator.pytest_plugin import LineEmulator


def test_fixture_issues_v21_in_process(line_emulator: LineEmulator) -> None:
    """A v2.1 token issued through the in-process transport verifies."""
    with httpx.Client(transport=line_emulator.transport(), base_url="https://api.line.me") as http:
        issued = http.post(
            "/oauth2/v2.1/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": line_emulator.signer.sign(token_exp=600),
            },
        )
        assert issued.status_code == 200
        token = issued.json()["access_token"]
        verified = http.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert verified.json()["client_id"] == line_emulator.channel_id
    assert line_emulator.count("POST /oauth2/v2.1/token") == 1


def test_fixture_real_server(line_emulator: LineEmulator) -> None:
    """The real server answers over loopback."""
    r = httpx.post(
        line_emulator.base_url + "/v2/oauth/accessToken",
        data={
            "grant_type": "client_credentials",
            "client_id": line_emulator.channel_id,
            "client_secret": line_emulator.channel_secret,
        },
    )
    assert r.status_code == 200
    assert r.headers["x-line-request-id"]
