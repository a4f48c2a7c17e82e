"""Property: whatever arrives, the handler answers (never raises, never 500)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from line_token.emulator import Emulator
from line_token.emulator._handler import ROUTES

EMU = Emulator(seed=1)
CHANNEL = EMU.create_channel()
FIELDS = [
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion_type",
    "client_assertion",
    "access_token",
    "to",
    "messages",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "client_credentials",
            CHANNEL.channel_id,
            CHANNEL.channel_secret,
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "eyJhbGciOiJIUzI1NiJ9.a.b",
            "eyJ.eyJ.",
            "a.b.c.d",
            "QUJD",
            "",
        ]
    ),
    st.text(max_size=40),
)
methods = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"]), st.text(max_size=8)
)
paths = st.one_of(
    st.sampled_from(sorted(ROUTES)),
    st.text(max_size=30),
    st.sampled_from(
        ["/__emulator__/channels", "/__emulator__/faults", "/__emulator__/clock/advance"]
    ),
)
forms = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6).map(
    lambda d: urlencode(d).encode()
)
jsons = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            st.sampled_from(["to", "messages", "type", "text"]) | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
).map(lambda v: json.dumps(v).encode())
bodies = st.one_of(forms, jsons, st.binary(max_size=200))
headers = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(
            ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
        ),
        "authorization": st.one_of(
            st.just("Bearer "), st.text(max_size=30).map("Bearer {}".format), st.text(max_size=20)
        ),
        "x-line-retry-key": st.one_of(st.uuids().map(str), st.text(max_size=40)),
    },
)
queries = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), VALUES, max_size=4)


@settings(max_examples=400, deadline=None)
@given(method=methods, path=paths, query=queries, hdrs=headers, body=bodies)
def test_handler_never_fails(
    method: str, path: str, query: dict[str, str], hdrs: dict[str, str], body: bytes
) -> None:
    """Arbitrary requests get a 2xx/4xx answer with a request id; JSON bodies parse."""
    try:
        response = EMU.handle(method, path, query, hdrs, body, client_host="127.0.0.1")
    finally:  # a console call may have injected a fault or a limit: keep examples independent
        EMU.clear_faults()
        EMU.clear_rate_limits()
    assert 200 <= response.status < 500
    assert response.headers["x-line-request-id"]
    if response.headers.get("content-type") == "application/json":
        json.loads(response.body)
