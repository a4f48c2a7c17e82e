"""Hostile input to the emulator: whatever arrives, it answers like LINE and never with a 5xx.

Three properties (hypothesis):

- arbitrary HTTP requests over a real loopback socket (methods, percent-encoded paths, raw
  query strings, headers, bodies; sometimes carrying the channel's real credentials, a real
  signed assertion or a real token, so the deep paths are reached);
- assertions signed with the channel's registered key but carrying arbitrary header and
  claim values (huge numbers, NaN, strings, nesting): they pass the signature check, so
  every later check sees hostile values;
- raw bytes on a TCP connection: malformed HTTP is refused by the server, never a 5xx.

Every answer is 2xx or 4xx, carries ``x-line-request-id`` (when it got past HTTP parsing),
and an error on a LINE endpoint has one of LINE's two bodies: ``{"error", "error_description"?}``
or ``{"message", "details"?}``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from line_token import generate_key_pair, load_private_key
from line_token.emulator import Emulator
from line_token.emulator._handler import ROUTES

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class _Rig:
    """One emulator with a channel, a registered key, live tokens, served on loopback."""

    def __init__(self) -> None:
        self.emulator = Emulator(seed=7)
        self.channel = self.emulator.create_channel()
        self.pair = generate_key_pair()
        self.key = load_private_key(self.pair.private_pem)
        self.kid = self.emulator.register_public_key(self.channel.channel_id, self.pair.public_jwk)
        self.server = self.emulator.serve()
        self.base_url = self.server.base_url

    def assertion(self, **claims: Any) -> str:
        now = int(self.emulator.now())
        payload = {
            "iss": self.channel.channel_id,
            "sub": self.channel.channel_id,
            "aud": "https://api.line.me/",
            "exp": now + 600,
            "token_exp": 3600,
            **claims,
        }
        return self.sign({"alg": "RS256", "typ": "JWT", "kid": self.kid}, payload)

    def sign(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        """A compact JWS over any JSON (Python's: NaN and 10**400 included), RS256-signed."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def part(value: Any) -> str:
            raw = value if isinstance(value, bytes) else json.dumps(value).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        signing_input = f"{part(header)}.{part(payload)}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{part(signature)}"

    def tokens(self) -> list[str]:
        return [t.value for t in self.emulator.tokens(self.channel.channel_id)]

    def restore(self) -> None:
        """Undo what a console call in an example may have done (faults, limits, reset)."""
        self.emulator.clear_faults()
        self.emulator.clear_rate_limits()
        if self.channel.channel_id not in {c.channel_id for c in self.emulator.channels}:
            self.emulator.create_channel(
                channel_id=self.channel.channel_id, channel_secret=self.channel.channel_secret
            )
            self.emulator.register_public_key(
                self.channel.channel_id, self.pair.public_jwk, kid=self.kid
            )


@pytest.fixture(scope="module")
def rig() -> Iterator[_Rig]:
    made = _Rig()
    # Real tokens of every kind, for the strategies to send back.
    with httpx.Client(base_url=made.base_url, trust_env=False) as http:
        ids = {"client_id": made.channel.channel_id, "client_secret": made.channel.channel_secret}
        http.post("/v2/oauth/accessToken", data={"grant_type": "client_credentials", **ids})
        http.post("/oauth2/v3/token", data={"grant_type": "client_credentials", **ids})
        http.post(
            "/oauth2/v2.1/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": made.assertion(),
            },
        )
    made.emulator.issue_long_lived_token(made.channel.channel_id)
    yield made
    made.server.stop()


def _error_shape_ok(body: Any) -> bool:
    """One of LINE's two error bodies."""
    if not isinstance(body, dict):
        return False
    if "error" in body:
        return isinstance(body["error"], str) and isinstance(body.get("error_description", ""), str)
    if "message" in body:
        details = body.get("details", [])
        return isinstance(body["message"], str) and isinstance(details, list)
    return False


class _Answers:
    def __init__(self) -> None:
        self.calls = 0
        self.by_status: dict[int, int] = {}
        self.broken: list[str] = []

    def check(self, what: str, status: int, headers: Any, body: bytes, line_path: bool) -> None:
        self.calls += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1
        problems = []
        if not (200 <= status < 500):
            problems.append(f"status {status}")
        if not headers.get("x-line-request-id"):
            problems.append("no x-line-request-id")
        parsed: Any = None
        if (headers.get("content-type") or "").startswith("application/json") and body:
            try:
                parsed = json.loads(body)
            except ValueError:
                problems.append("JSON content type, body not JSON")
        if line_path and status >= 400 and body and not _error_shape_ok(parsed):
            problems.append(f"error body not LINE-shaped: {body[:120]!r}")
        if problems:
            self.broken.append(f"{what}: {'; '.join(problems)}")


# --- arbitrary requests over HTTP -----------------------------------------------------------

FIELDS = [
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion_type",
    "client_assertion",
    "access_token",
    "token_exp",
]
SHAPES = [
    "client_credentials",
    ASSERTION_TYPE,
    "",
    "eyJhbGciOiJIUzI1NiJ9.a.b",
    "a.b.c.d",
    "%00",
    "\x00",
    "é",
    "x" * 3000,
]


def _correct(rig: _Rig) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """One well-formed request per LINE endpoint, with the channel's real credentials."""
    ids = {"client_id": rig.channel.channel_id, "client_secret": rig.channel.channel_secret}
    jwt_fields = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": rig.assertion()}
    grant = {"grant_type": "client_credentials"}
    tokens = {t.kind.value: t.value for t in rig.emulator.tokens(rig.channel.channel_id)}
    v21, opaque = tokens.get("v2.1", "x"), tokens.get("long-lived", "x")
    return [
        ("POST", "/v2/oauth/accessToken", {**grant, **ids}, {}),
        ("POST", "/v2/oauth/verify", {"access_token": opaque}, {}),
        ("POST", "/v2/oauth/revoke", {"access_token": "a" * 40}, {}),
        ("POST", "/oauth2/v2.1/token", {**grant, **jwt_fields}, {}),
        ("GET", "/oauth2/v2.1/verify", {"access_token": v21}, {}),
        ("POST", "/oauth2/v2.1/revoke", {**ids, "access_token": "e.e.e"}, {}),
        ("GET", "/oauth2/v2.1/tokens/kid", jwt_fields, {}),
        ("POST", "/oauth2/v3/token", {**grant, **ids}, {}),
        ("POST", "/oauth2/v3/token", {**grant, **jwt_fields}, {}),
        ("GET", "/v2/bot/info", {}, {"authorization": f"Bearer {opaque}"}),
    ]


@st.composite
def requests(draw: st.DrawFn, rig: _Rig) -> tuple[str, str, str, dict[str, str], bytes]:
    real = [rig.channel.channel_id, rig.channel.channel_secret, rig.assertion(), *rig.tokens()]
    # The pool grows as the fuzz issues tokens: index it, so the draws' shapes stay the same.
    pooled = st.integers(0, 9999).map(lambda i: (real + SHAPES)[i % len(real + SHAPES)])
    values = st.one_of(pooled, st.text(max_size=40))
    if draw(st.integers(0, 3)) == 0:  # a correct request, perhaps with one field spoiled
        method, path, fields, headers = draw(st.sampled_from(_correct(rig)))
        if fields and draw(st.booleans()):
            fields = {**fields, draw(st.sampled_from(sorted(fields))): draw(values)}
        encoded = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items())
        if method == "GET":
            return method, path, encoded, headers, b""
        form = {"content-type": "application/x-www-form-urlencoded", **headers}
        return method, path, "", form, encoded.encode()
    method = draw(
        st.one_of(
            st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
            st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8),
        )
    )
    path = draw(
        st.one_of(
            st.sampled_from(sorted(ROUTES)),
            st.sampled_from(sorted(ROUTES)).map(lambda p: p + "/"),
            st.text(max_size=20).map(lambda t: "/" + quote(t, safe="/")),
            st.sampled_from(["/__emulator__/requests", "/__emulator__/clock", "/__emulator__/x"]),
        )
    )
    query_fields = draw(
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), values, max_size=3)
    )
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in query_fields.items())
    if draw(st.booleans()):
        query = draw(st.text("%&=+;abcz019\x7f", max_size=20))  # raw, possibly broken escapes
    headers: dict[str, str] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "content-type": st.sampled_from(
                    [
                        "application/x-www-form-urlencoded",
                        "application/x-www-form-urlencoded; charset=latin-1",
                        "application/json",
                        "multipart/form-data; boundary=x",
                        "text/plain",
                        "",
                    ]
                ),
                "authorization": st.one_of(
                    pooled.map("Bearer {}".format),
                    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30),
                ),
                "x-line-retry-key": st.one_of(
                    st.uuids().map(str), st.text("0123456789abcdef-", max_size=40)
                ),
            },
        )
    )
    form = draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=5))
    body = draw(
        st.one_of(
            st.just("&".join(f"{quote(k)}={quote(v)}" for k, v in form.items()).encode()),
            st.binary(max_size=200),
            st.builds(json.dumps, st.dictionaries(st.text(max_size=5), st.text(max_size=5))).map(
                str.encode
            ),
        )
    )
    return method, path, query, headers, body


@pytest.mark.guarantee(
    "Arbitrary HTTP requests to the emulator over a real socket — any method, path, query, "
    "header and body, with or without real credentials — are answered 2xx/4xx with LINE's "
    "error bodies and a request id, never a 5xx."
)
@pytest.mark.parametrize(
    "examples",
    [pytest.param(500, id="quick"), pytest.param(2500, id="long", marks=pytest.mark.slow)],
)
def test_arbitrary_http_requests(rig: _Rig, examples: int, figures: Any) -> None:
    answers = _Answers()

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        method, path, query, headers, body = data.draw(requests(rig))
        url = rig.base_url + path + ("?" + query if query else "")
        try:
            response = http.request(method, httpx.URL(url), headers=headers, content=body)
        except (
            httpx.InvalidURL,
            httpx.UnsupportedProtocol,
            httpx.LocalProtocolError,
            UnicodeError,
        ):
            return  # httpx would not send it: not a request the emulator can receive
        finally:
            rig.restore()
        is_line = path in ROUTES and method in ROUTES[path] and not path.startswith("/__")
        answers.check(
            f"{method} {url[:200]!r}",
            response.status_code,
            response.headers,
            response.content,
            is_line,
        )

    # This fuzz itself sends credentials under arbitrary query names, which httpx logs at
    # INFO and no redaction can know; line-token's own requests use only the names it masks.
    # So httpx's request lines are kept from the session's secrets sentinel for this test only.
    http_logger = logging.getLogger("httpx")
    level = http_logger.level
    http_logger.setLevel(logging.WARNING)
    try:
        with httpx.Client(trust_env=False, timeout=10) as http:
            run()
    finally:
        http_logger.setLevel(level)
    figures.add(calls=answers.calls, failures=len(answers.broken))
    figures.add(answered_2xx=sum(n for s, n in answers.by_status.items() if s < 300))
    assert not answers.broken, "\n".join(answers.broken[:10])
    assert any(200 <= s < 300 for s in answers.by_status)  # the credentials did reach success
    assert any(s == 400 for s in answers.by_status)


# --- signed assertions with hostile claims ---------------------------------------------------

claim_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 0, 30, 2592000, 2592001, "30", "1e3", " 60"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
CLAIMS = ["iss", "sub", "aud", "exp", "token_exp", "iat", "nbf", "jti"]
ENDPOINTS = [
    ("POST", "/oauth2/v2.1/token"),
    ("POST", "/oauth2/v3/token"),
    ("GET", "/oauth2/v2.1/tokens/kid"),
]


@pytest.mark.guarantee(
    "Assertions signed with the channel's real key but carrying any header and claim values "
    "(huge numbers, NaN, strings, nesting) get a 2xx or LINE's 4xx from the emulator, never a 5xx."
)
def test_signed_assertions_with_hostile_claims(rig: _Rig, figures: Any) -> None:
    answers = _Answers()
    emu = rig.emulator

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        endpoint=st.sampled_from(ENDPOINTS),
        claims=st.dictionaries(st.sampled_from(CLAIMS), claim_values, max_size=4),
        header=st.dictionaries(st.sampled_from(["alg", "kid", "typ"]), claim_values, max_size=2),
    )
    def run(endpoint: tuple[str, str], claims: dict[str, Any], header: dict[str, Any]) -> None:
        now = int(emu.now())
        payload = {
            "iss": rig.channel.channel_id,
            "sub": rig.channel.channel_id,
            "aud": "https://api.line.me/",
            "exp": now + 600,
            "token_exp": 3600,
            **claims,
        }
        token = rig.sign({"kid": rig.kid, "typ": "JWT", **header, "alg": "RS256"}, payload)
        fields = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": token,
        }
        method, path = endpoint
        if method == "GET":
            response = emu.handle(method, path, fields, {}, b"")
        else:
            body = "&".join(f"{k}={quote(v)}" for k, v in fields.items()).encode()
            headers = {"content-type": "application/x-www-form-urlencoded"}
            response = emu.handle(method, path, {}, headers, body)
        answers.check(
            f"{endpoint} {claims!r} {header!r}",
            response.status,
            response.headers,
            response.body,
            True,
        )
        for value in emu.tokens(rig.channel.channel_id, "v2.1"):  # stay under the 30-token cap
            value.revoked = True

    run()
    figures.add(calls=answers.calls, failures=len(answers.broken))
    assert not answers.broken, "\n".join(answers.broken[:10])
    assert any(200 <= s < 300 for s in answers.by_status)


# --- raw bytes on the socket -----------------------------------------------------------------

REQUEST_LINES = [
    b"GET /oauth2/v2.1/verify?access_token=x HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /oauth2/v3/token HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab",
    b"POST /v2/oauth/revoke HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]


@pytest.mark.guarantee(
    "Malformed HTTP on the emulator's socket (broken request lines, headers, lengths, chunking) "
    "is refused with a 4xx or a closed connection, never a 5xx."
)
def test_raw_bytes_on_the_socket(rig: _Rig, figures: Any) -> None:
    port = rig.server.port
    seen = {"calls": 0, "closed": 0}
    broken: list[str] = []

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        base=st.sampled_from(REQUEST_LINES),
        cut=st.one_of(st.just(0), st.just(0), st.just(0), st.integers(0, 80)),  # mostly whole
        junk=st.binary(max_size=40),
        at=st.integers(0, 80),
    )
    def run(base: bytes, cut: int, junk: bytes, at: int) -> None:
        data = base[: max(len(base) - cut, 0)]
        data = data[:at] + junk + data[at:]
        chunks = []
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(data)
            # A complete or malformed request is answered at once; a truncated one waits for
            # the rest, and closing our side then makes the server hang up without a reply.
            sock.settimeout(0.05)
            with contextlib.suppress(TimeoutError):
                chunks.append(sock.recv(65536))
            sock.settimeout(5)
            sock.shutdown(socket.SHUT_WR)
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except (ConnectionResetError, TimeoutError):
                pass
        seen["calls"] += 1
        reply = b"".join(chunks)
        if not reply:
            seen["closed"] += 1
            return
        status_line = reply.split(b"\r\n", 1)[0]
        parts = status_line.split(b" ")
        if len(parts) < 2 or not parts[1].isdigit() or not 200 <= int(parts[1]) < 500:
            broken.append(f"{data!r} -> {status_line!r}")
        rig.restore()

    run()
    figures.add(calls=seen["calls"], failures=len(broken), closed=seen["closed"])
    assert not broken, "\n".join(broken[:10])
    # Controls, complete and unambiguous, so they are always answered: a 4xx, not a 5xx.
    for data in (
        b"GET /oauth2/v2.1/verify HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /oauth2/v3/token HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(data)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.split(b" ", 2)[1].startswith(b"4"), reply[:80]
