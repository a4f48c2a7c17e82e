"""Console emulation: channels, public-key registration rules, long-lived tokens, HTTP routes."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from line_token import generate_key_pair
from line_token.emulator import Emulator, InvalidKeyError
from line_token.emulator.pytest_plugin import LineEmulator


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def jwk() -> dict[str, str]:
    return dict(generate_key_pair().public_jwk)


def test_create_channel_ids() -> None:
    """A new channel has a 10-digit id and a 32-hex secret."""
    channel = Emulator().create_channel(display_name="Bot")
    assert re.fullmatch(r"[0-9]{10}", channel.channel_id)
    assert re.fullmatch(r"[0-9a-f]{32}", channel.channel_secret)
    assert channel.display_name == "Bot"


def test_register_key_returns_uuid4(jwk: dict[str, str]) -> None:
    """Registration assigns a UUID4 kid."""
    emu = Emulator()
    kid = emu.register_public_key(emu.create_channel().channel_id, jwk)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", kid)


def test_register_key_ops_verify(jwk: dict[str, str]) -> None:
    """key_ops ["verify"] instead of use sig is accepted, as is a WebCrypto-style export."""
    emu = Emulator()
    cid = emu.create_channel().channel_id
    webcrypto = {k: v for k, v in jwk.items() if k != "use"} | {"key_ops": ["verify"], "ext": True}
    assert emu.register_public_key(cid, webcrypto)


def _small_rsa_jwk() -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e), "alg": "RS256", "use": "sig"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda j: j | {"kid": "mine"}, "must not contain 'kid'"),
        (lambda j: j | {"kty": "EC"}, "kty must be 'RSA'"),
        (lambda j: j | {"d": "AQAB"}, "private key members"),
        (lambda j: {k: v for k, v in j.items() if k != "use"}, "signature use"),
        (lambda j: j | {"use": "enc"}, "signature use"),
        (
            lambda j: {k: v for k, v in j.items() if k != "use"} | {"key_ops": ["sign", "verify"]},
            "signature use",
        ),
        (lambda j: {k: v for k, v in j.items() if k != "n"}, "'n' is missing"),
        (lambda j: {k: v for k, v in j.items() if k != "e"}, "'e' is missing"),
        (lambda j: j | {"alg": "RS512"}, "alg must be 'RS256'"),
        (lambda j: j | {"n": "!!!"}, "not base64url"),
        (lambda j: _small_rsa_jwk(), "1024 bits"),
        (lambda j: "not json", "not valid JSON"),
        (lambda j: [j], "JSON object"),
    ],
)
def test_register_key_rejections(jwk: dict[str, str], change: Any, message: str) -> None:
    """The Console's refusals, each with a clear message."""
    emu = Emulator()
    cid = emu.create_channel().channel_id
    with pytest.raises(InvalidKeyError, match=re.escape(message)):
        emu.register_public_key(cid, change(dict(jwk)))


def test_register_ec_key_rejected() -> None:
    """An EC public JWK is refused."""
    from jwt.algorithms import ECAlgorithm

    ec_jwk = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True)
    emu = Emulator()
    with pytest.raises(InvalidKeyError, match="RSA"):
        emu.register_public_key(emu.create_channel().channel_id, ec_jwk | {"use": "sig"})


def test_register_key_unknown_channel(jwk: dict[str, str]) -> None:
    """Registering for an unknown channel raises KeyError."""
    with pytest.raises(KeyError):
        Emulator().register_public_key("1234567890", jwk)


def test_console_over_http(line_emulator: LineEmulator, jwk: dict[str, str]) -> None:
    """The /__emulator__/ routes create channels, keys, tokens, move the clock and report."""
    with httpx.Client(base_url=line_emulator.base_url) as http:
        ch = http.post("/__emulator__/channels", json={"display_name": "HTTP bot"}).json()
        assert ch["display_name"] == "HTTP bot"
        kid = http.post(f"/__emulator__/channels/{ch['channel_id']}/keys", json=jwk).json()["kid"]
        bad = http.post(f"/__emulator__/channels/{ch['channel_id']}/keys", json=jwk | {"kid": "x"})
        assert bad.status_code == 400
        assert "kid" in bad.json()["message"]
        token = http.post(f"/__emulator__/channels/{ch['channel_id']}/long-lived-token").json()[
            "access_token"
        ]
        assert http.post("/v2/oauth/verify", data={"access_token": token}).status_code == 200
        listed = http.get("/__emulator__/tokens", params={"channel_id": ch["channel_id"]}).json()
        assert [t["kind"] for t in listed["tokens"]] == ["long-lived"]
        before = http.get("/__emulator__/clock").json()["now"]
        after = http.post("/__emulator__/clock/advance", json={"seconds": 60}).json()["now"]
        assert after == before + 60
        http.post("/__emulator__/faults", json={"path": "/v2/bot/info", "status": 503})
        assert http.get("/v2/bot/info").status_code == 503
        counts = http.get("/__emulator__/requests").json()["counts"]
        assert counts == {"POST /v2/oauth/verify": 1, "GET /v2/bot/info": 1}
        assert http.get("/__emulator__/messages").json() == {"messages": []}
        assert http.post("/__emulator__/channels/999/long-lived-token").status_code == 404
        assert http.get("/__emulator__/nothing").status_code == 404
        assert http.post("/__emulator__/reset").status_code == 200
        assert http.get("/__emulator__/channels").json() == {"channels": []}
    assert kid


def test_console_hidden_from_non_loopback() -> None:
    """Console paths answer 404 to a non-loopback peer."""
    emu = Emulator()
    r = emu.handle("GET", "/__emulator__/channels", client_host="192.0.2.7")
    assert r.status == 404
    assert emu.handle("GET", "/__emulator__/channels", client_host="127.0.0.1").status == 200
    assert emu.handle("GET", "/__emulator__/channels", client_host="::1").status == 200
