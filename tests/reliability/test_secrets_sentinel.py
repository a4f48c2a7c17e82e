"""The session's secrets sentinel (tests/secrets_sentinel.py) really catches leaks.

Controls for the guarantee the whole suite relies on: the sentinel knows the secrets the
run creates, finds them in any encoding a log line gives them, and turns a leaking record
into a failure of the test that emitted it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

import line_token as lt
from line_token.emulator import Emulator
from line_token.emulator.pytest_plugin import LineEmulator
from secrets_sentinel import SENTINEL, SecretBook, find_leaks


def test_the_sentinel_knows_what_the_run_created(line_emulator: LineEmulator) -> None:
    """Channel secrets, minted tokens, private keys and assertions are in its book."""
    emulator = Emulator()
    channel = emulator.create_channel()
    with httpx.Client(transport=emulator.transport(), base_url="https://api.line.me") as http:
        answer = http.post(
            "/v2/oauth/accessToken",
            data={
                "grant_type": "client_credentials",
                "client_id": channel.channel_id,
                "client_secret": channel.channel_secret,
            },
        )
    token = answer.json()["access_token"]
    assertion = line_emulator.signer.sign(token_exp=60)
    pem_line = lt.generate_key_pair().private_pem.decode().splitlines()[-3]  # in d, p, q...
    for secret, kind in (
        (channel.channel_secret, "channel secret"),
        (token, "emulator opaque token"),
        (assertion, "signed assertion"),
        (pem_line, "private key PEM"),
    ):
        found = SENTINEL.book.find(f"... {secret} ...")
        assert any(kind in name for name in found), (kind, found)


def test_find_leaks_sees_through_encodings() -> None:
    """A secret inside other text, percent-encoded in a URL, or form-encoded, is found."""
    book = SecretBook()
    secret = "AbC/dEf+GhIjKlMnOpQrStUv=="
    book.add(secret, "test secret")
    assert find_leaks(f"x{secret}y", book) == ["test secret"]
    assert find_leaks("GET /v?access_token=" + quote(secret, safe=""), book) == ["test secret"]
    assert find_leaks(urlencode({"client_secret": secret}), book) == ["test secret"]
    assert find_leaks("AbC/dEf+GhIjKlMnOpQ", book) == []  # a prefix is not the secret
    assert find_leaks("-----BEGIN PRIVATE KEY-----", book) == ["a PEM private key"]


def test_a_leaking_record_is_caught_and_blamed(figures: Any) -> None:
    """A record carrying a secret becomes a leak of the phase that emitted it."""
    emulator = Emulator()
    channel = emulator.create_channel()
    SENTINEL.take_leaks()
    before = SENTINEL.records
    logging.getLogger("some.app").debug("configured with secret %s", channel.channel_secret)
    logging.getLogger("line_token").info(
        "token=%s", quote(emulator.issue_long_lived_token(channel.channel_id))
    )
    try:
        raise ValueError(f"bad secret {channel.channel_secret}")
    except ValueError:
        logging.getLogger("x").exception("failed")
    leaks = SENTINEL.take_leaks()  # taken here, so this test itself does not fail
    assert SENTINEL.records - before == 3
    assert len(leaks) == 3, leaks
    assert "channel secret" in leaks[0]
    assert "'some.app'" in leaks[0]
    assert channel.channel_secret not in "".join(leaks)  # the report does not leak it
    figures.add(records=SENTINEL.records, secrets_known=SENTINEL.book.count)


@pytest.mark.guarantee(
    "For the whole test run, at DEBUG, no log record carries a secret the tests created "
    "(channel secrets, minted tokens, private keys, signed assertions) or a secret-shaped "
    "string; a record that does fails the test that emitted it."
)
def test_the_sentinel_is_on_for_the_whole_run(figures: Any) -> None:
    """The handler is on the root logger, at DEBUG, and has been scanning records."""
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert any(type(h).__name__ == "_Handler" for h in root.handlers)
    logging.getLogger("line_token").debug("a harmless record")
    assert SENTINEL.records > 0
    assert not SENTINEL.take_leaks()
    figures.add(records=SENTINEL.records, secrets_known=SENTINEL.book.count, failures=0)


async def test_request_lines_of_both_clients_are_masked(
    line_emulator: LineEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx logs each URL at INFO: the GET endpoints' tokens and assertions show as ***."""
    caplog.set_level(logging.DEBUG)
    signer = line_emulator.signer
    with lt.Client(base_url=line_emulator.base_url) as client:
        token = client.issue_v21_token(signer.sign(token_exp=600)).access_token
        client.verify_v21_token(token)
        client.get_v21_key_ids(signer.sign())
    async with lt.AsyncClient(base_url=line_emulator.base_url) as aclient:
        await aclient.verify_v21_token(token)
        await aclient.get_v21_key_ids(signer.sign())
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    masked = [
        line for line in lines if "access_token=***" in line or "client_assertion=***" in line
    ]
    assert len(masked) == 4, lines
    assert not [leak for line in lines for leak in find_leaks(line, SENTINEL.book)]
