"""The real HTTP server on 127.0.0.1."""

from __future__ import annotations

import httpx

from line_token import generate_key_pair
from line_token.emulator import Emulator


def test_serve_round_trip_and_stop() -> None:
    """serve() answers over loopback on a free port, then stops cleanly."""
    emu = Emulator()
    channel = emu.create_channel()
    with emu.serve() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.port > 0
        r = httpx.post(
            server.base_url + "/v2/oauth/accessToken",
            data={
                "grant_type": "client_credentials",
                "client_id": channel.channel_id,
                "client_secret": channel.channel_secret,
            },
        )
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert r.headers["x-line-request-id"]
        assert int(r.headers["content-length"]) == len(r.content)
        token = r.json()["access_token"]
        v = httpx.post(server.base_url + "/v2/oauth/verify", data={"access_token": token})
        assert v.json()["client_id"] == channel.channel_id
        e = httpx.get(server.base_url + "/v2/nope")
        assert (e.status_code, e.json()) == (404, {"message": "Not found"})
    assert emu.count("POST /v2/oauth/accessToken") == 1


def test_two_servers_side_by_side() -> None:
    """Two servers on distinct free ports, each with its own state."""
    a, b = Emulator(), Emulator()
    a.create_channel(channel_id="1111111111", channel_secret="a" * 32)
    with a.serve() as sa, b.serve() as sb:
        assert sa.port != sb.port
        data = {
            "grant_type": "client_credentials",
            "client_id": "1111111111",
            "client_secret": "a" * 32,
        }
        assert httpx.post(sa.base_url + "/v2/oauth/accessToken", data=data).status_code == 200
        assert httpx.post(sb.base_url + "/v2/oauth/accessToken", data=data).status_code == 400


def test_server_v21_with_query_and_form_encoding() -> None:
    """Form and query values with +, / and = survive the real server's decoding."""
    emu = Emulator()
    channel = emu.create_channel()
    pair = generate_key_pair()
    kid = emu.register_public_key(channel.channel_id, pair.public_jwk)
    from line_token import AssertionSigner

    signer = AssertionSigner(channel.channel_id, kid, pair.private_pem, clock=emu.clock)
    long_lived = emu.issue_long_lived_token(channel.channel_id)
    with emu.serve() as server, httpx.Client(base_url=server.base_url) as http:
        assert http.post("/v2/oauth/verify", data={"access_token": long_lived}).status_code == 200
        issued = http.post(
            "/oauth2/v2.1/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": signer.sign(token_exp=60),
            },
        ).json()
        r = http.get("/oauth2/v2.1/verify", params={"access_token": issued["access_token"]})
        assert r.json()["expires_in"] == 60
