"""Secrets: no repr, str or exception text of any public object carries a secret.

Every public class of ``line_token``, ``line_token.stores``, ``line_token.integrations``
and ``line_token.emulator`` is built holding real secrets (the channel secret, a private
key, live tokens of every kind, an encryption key); every exception class is raised by the
library itself on a path where a secret was at hand (a wrong password, an error page that
echoes the request, a connection refused with a token in the query string, a manager whose
refresh failed). Each object's ``repr``, ``str`` and — for exceptions — the whole formatted
chain (``traceback.format_exception``, causes included) are scanned by the session
sentinel's scanner for every secret the run created and for secret shapes.

A new public class that is not built here fails :func:`test_every_public_class_is_walked`.
"""

from __future__ import annotations

import inspect
import json
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import line_token as lt
import line_token.emulator as emulator_module
import line_token.integrations as integrations_module
import line_token.stores as stores_module
from line_token import _sansio
from line_token.emulator.pytest_plugin import LineEmulator
from secrets_sentinel import SENTINEL, find_leaks

MODULES = (lt, stores_module, integrations_module, emulator_module)

#: Public classes that cannot hold a secret to show, with why.
NOT_BUILT = {
    "TokenStore": "a Protocol",
    "Lease": "a Protocol",
    "EncryptionKey": "a type alias",
    "TokenKind": "an enum of four names",
    "InvalidKeyError": "the emulator's Console refusing a JWK: built in the exception walk",
}


def _public_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and not issubclass(value, BaseException):
                found[name] = value
    return found


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, BaseException):
                found[name] = value
    return found


def _leaks(text: str, extra: list[str]) -> list[str]:
    found = find_leaks(text, SENTINEL.book)
    found += [f"the value {value[:6]}..." for value in extra if value and value in text]
    return found


class _Secrets:
    """Everything secret the objects below are built with."""

    def __init__(self, emu: LineEmulator, tmp_path: Path) -> None:
        self.emu = emu
        with lt.Client(base_url=emu.base_url) as client:
            self.v21 = client.issue_v21_token(emu.signer.sign(token_exp=600))
            self.short = client.issue_short_lived_token(emu.channel_id, emu.channel_secret)
            self.stateless = client.issue_stateless_token(
                channel_id=emu.channel_id, channel_secret=emu.channel_secret
            )
        self.long = emu.issue_long_lived_token()
        from cryptography.fernet import Fernet

        self.fernet = Fernet.generate_key().decode()
        self.password = "correct horse battery staple"
        self.tmp_path = tmp_path
        # Values not in the sentinel's book (made here, not by the emulator or a key).
        self.extra = [
            self.fernet,
            self.password,
            self.password.replace(" ", "-"),
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        ]


@pytest.fixture
def secrets(line_emulator: LineEmulator, tmp_path: Path) -> _Secrets:
    return _Secrets(line_emulator, tmp_path)


def _instances(s: _Secrets) -> Iterator[tuple[str, object]]:
    """(class name, instance) for every public class, each holding secrets."""
    emu = s.emu
    signer = emu.signer
    pair = lt.generate_key_pair()
    yield "KeyPair", pair
    yield "AssertionSigner", signer
    yield "AssertionSigner", lt.AssertionSigner(emu.channel_id, emu.kid, pair.private_pem)
    yield "IssuedToken", s.v21
    yield "IssuedToken", s.short
    yield "TokenInfo", lt.TokenInfo(emu.channel_id, 100, "P CM")
    yield "BotInfo", lt.BotInfo("U" + "0" * 32, "@abc", "bot", "bot", "auto")
    client = lt.Client(base_url=emu.base_url)
    yield "Client", client
    yield "AsyncClient", lt.AsyncClient(base_url=emu.base_url)
    issuers = [
        lt.StatelessIssuer(emu.channel_id, emu.channel_secret),
        lt.StatelessIssuer(emu.channel_id, signer=signer),
        lt.ShortLivedIssuer(emu.channel_id, emu.channel_secret),
        lt.V21Issuer(signer, emu.channel_secret),
        lt.StaticToken(s.long, emu.channel_id),
    ]
    for issuer in issuers:
        yield type(issuer).__name__, issuer
    memory = stores_module.MemoryStore()
    sqlite = stores_module.SQLiteStore(s.tmp_path / "tokens.db", encryption_key=s.fernet)
    yield "MemoryStore", memory
    yield "SQLiteStore", sqlite
    yield "Codec", stores_module.Codec(s.fernet)
    # Built, never connected to: its repr must not show the URL's password or the key.
    redis_url = f"redis://:{s.password.replace(' ', '-')}@127.0.0.1:9/0"
    yield "RedisStore", stores_module.RedisStore(redis_url, encryption_key=s.fernet)
    manager = lt.TokenManager(lt.V21Issuer(signer, emu.channel_secret), store=sqlite, client=client)
    manager.token()
    yield "TokenManager", manager
    async_manager = lt.AsyncTokenManager(
        lt.StatelessIssuer(emu.channel_id, emu.channel_secret), store=memory
    )
    yield "AsyncTokenManager", async_manager
    yield "ReconcileReport", manager.reconcile()
    key = stores_module.StoreKey(emu.channel_id, "v2.1", "default")
    yield "StoreKey", key
    record = sqlite.load(key)
    assert record is not None  # the manager stored its token
    assert record.current is not None
    yield "TokenRecord", record
    yield "StoredToken", record.current
    yield "BearerAuth", integrations_module.BearerAuth(manager)
    yield "RequestsBearerAuth", integrations_module.RequestsBearerAuth(manager)
    yield "Emulator", emu.emulator
    yield "Channel", emu.channel
    for token in emu.emulator.tokens():
        yield "Token", token
    yield "RegisteredKey", emu.emulator._state.keys[emu.kid]
    yield "RequestRecord", emu.emulator.requests[-1]
    yield "VirtualClock", emu.emulator.clock
    yield (
        "Response",
        emu.emulator.handle(
            "POST",
            "/v2/oauth/accessToken",
            {},
            {"content-type": "application/x-www-form-urlencoded"},
            f"grant_type=client_credentials&client_id={emu.channel_id}"
            f"&client_secret={emu.channel_secret}".encode(),
        ),
    )
    with httpx.Client(transport=emu.transport(), base_url=emu.api_base_url) as http:
        http.post(
            "/v2/bot/message/push",
            headers={"Authorization": f"Bearer {s.stateless.access_token}"},
            json={"to": "U" + "1" * 32, "messages": [{"type": "text", "text": "hi"}]},
        )
    yield "PushedMessage", emu.pushed_messages[-1]
    yield "EmulatorTransport", emu.transport()
    server = emu.emulator.serve()
    try:
        yield "EmulatorServer", server
    finally:
        server.stop()
    yield "Request", _sansio.issue_short_lived_token(emu.channel_id, emu.channel_secret).request
    yield "LineEmulator", emu
    # The command line's own carriers of secrets (not public, but printed in --debug).
    from line_token.cli._commands_emulator import SeededChannel
    from line_token.cli._commands_store import parse_store_url
    from line_token.cli._config import Settings

    yield (
        "cli Settings",
        Settings(
            channel_id=emu.channel_id,
            channel_secret=emu.channel_secret,
            kid=emu.kid,
            key=emu.private_key_pem.decode(),
            key_password=s.password,
        ),
    )
    yield (
        "cli SeededChannel",
        SeededChannel(
            emu.base_url, emu.channel_id, emu.channel_secret, emu.kid, emu.private_key_path, {}
        ),
    )
    yield "cli StoreSpec", parse_store_url(f"redis://:{s.password.replace(' ', '-')}@h:1/0")
    client.close()
    sqlite.close()


@pytest.mark.guarantee(
    "No repr or str of any public object — clients, signers, key pairs, issuers, managers, "
    "stores and their records, auth hooks, the emulator and its records — shows a token, "
    "a channel secret, a private key or an encryption key."
)
def test_reprs_of_every_public_object(secrets: _Secrets, figures: Any) -> None:
    seen: set[str] = set()
    leaks: list[str] = []
    texts = 0
    for name, obj in _instances(secrets):
        seen.add(name)
        for text in (repr(obj), str(obj), f"{obj!s:>1}"):
            texts += 1
            for leak in _leaks(text, secrets.extra):
                leaks.append(f"{name}: {leak}")
    figures.add(objects=len(seen), texts=texts, failures=len(leaks))
    assert not leaks, "\n".join(leaks)
    assert seen >= set(_public_classes()) - set(NOT_BUILT)


def test_every_public_class_is_walked(secrets: _Secrets) -> None:
    """A public class added later must be added to the walk (or to NOT_BUILT, with why)."""
    walked = {name for name, _ in _instances(secrets)}
    missing = set(_public_classes()) - walked - set(NOT_BUILT)
    assert not missing, f"public classes not walked for secrets: {sorted(missing)}"


def _raised(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except BaseException as exc:
        return exc
    raise AssertionError("expected an error")


def _exceptions(s: _Secrets) -> Iterator[BaseException]:
    """Every exception class, raised by the library where a secret was at hand."""
    emu = s.emu
    secret = emu.channel_secret
    # InvalidInputError: a key with a wrong password; a channel id that is not one.
    from cryptography.hazmat.primitives import serialization

    key = lt.load_private_key(emu.private_key_pem)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(s.password.encode()),
    )
    yield _raised(lambda: lt.load_private_key(encrypted, password="wrong " + s.password))
    yield _raised(lambda: lt.load_private_key(encrypted))
    yield _raised(lambda: lt.Client().issue_short_lived_token(secret, secret))
    yield _raised(lambda: lt.public_jwk({"kty": "RSA", "n": secret, "e": "AQAB", "d": secret}))
    # LineApiError and subclasses: real refusals from the emulator, and an echoing proxy.
    with lt.Client(base_url=emu.base_url, max_retries=0) as client:
        yield _raised(lambda: client.issue_short_lived_token(emu.channel_id, s.extra[-1]))
        foreign = lt.AssertionSigner("1234567890", emu.kid, emu.private_key_pem)
        yield _raised(lambda: client.issue_v21_token(foreign.sign(token_exp=60)))
        yield _raised(lambda: client.verify_v21_token(s.short.access_token))
        yield _raised(lambda: client.verify_token(s.v21.access_token))
        yield _raised(lambda: client.get_bot_info(s.v21.access_token + "x"))
        other = lt.AssertionSigner(emu.channel_id, "no-such-kid", emu.private_key_pem)
        yield _raised(lambda: client.issue_v21_token(other.sign(token_exp=60)))
        for _ in range(30):
            emu.emulator.handle(
                "POST",
                "/oauth2/v2.1/token",
                {},
                {"content-type": "application/x-www-form-urlencoded"},
                (
                    "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams"
                    "%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
                    + emu.signer.sign(token_exp=60)
                ).encode(),
            )
        yield _raised(lambda: client.issue_v21_token(emu.signer.sign(token_exp=60)))
        echo = json.dumps({"error": "invalid_request", "error_description": f"got {secret}"})
        emu.inject_fault("/v2/oauth/accessToken", status=400, body=json.loads(echo))
        yield _raised(lambda: client.issue_short_lived_token(emu.channel_id, secret))
        emu.inject_fault("/oauth2/v2.1/verify", status=429, body={"message": s.v21.access_token})
        yield _raised(lambda: client.verify_v21_token(s.v21.access_token))
        emu.inject_fault("/oauth2/v2.1/verify", status=503, body=f"<html>{s.v21.access_token}")
        yield _raised(lambda: client.verify_v21_token(s.v21.access_token))
        emu.inject_fault("/v2/oauth/verify", status=200, body={"client_id": 1})
        yield _raised(lambda: client.verify_token(s.short.access_token))
    # TransportError: nothing listens; the token rides in the query string.
    with lt.Client(base_url="http://127.0.0.1:9", max_retries=0) as dead:
        yield _raised(lambda: dead.verify_v21_token(s.v21.access_token))
        yield _raised(lambda: dead.revoke_v21_token(emu.channel_id, secret, s.v21.access_token))
    # TokenUnavailableError: LINE answers 503; the refresh's error is chained.
    emu.inject_fault("/oauth2/v3/token", status=503, count=5)
    manager = lt.TokenManager(
        lt.StatelessIssuer(emu.channel_id, secret),
        store=stores_module.MemoryStore(),
        client=lt.Client(base_url=emu.base_url, max_retries=0),
    )
    yield _raised(manager.token)
    emu.emulator.clear_faults()
    # StoreError (chained into TokenUnavailableError): the store file is overwritten with junk.
    path = s.tmp_path / "broken.db"
    store = stores_module.SQLiteStore(path, encryption_key=s.fernet)
    path.write_bytes(b"this is not sqlite " * 400)
    broken = lt.TokenManager(
        lt.V21Issuer(emu.signer, secret),
        store=store,
        client=lt.Client(base_url=emu.base_url, max_retries=0),
    )
    yield _raised(broken.token)
    # The emulator's Console refusing a private JWK (it holds 'd').
    private_jwk = {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": secret, "use": "sig"}
    yield _raised(lambda: emu.emulator.register_public_key(emu.channel_id, private_jwk))


@pytest.mark.guarantee(
    "No error line-token raises — on a wrong password, a refusal, an error page echoing the "
    "request, a refused connection with the token in the URL, a failed refresh — carries a "
    "secret in its message, repr or formatted chain of causes."
)
def test_exception_texts(secrets: _Secrets, figures: Any) -> None:
    kinds: set[str] = set()
    leaks: list[str] = []
    count = 0
    for exc in _exceptions(secrets):
        count += 1
        chained: BaseException | None = exc
        while chained is not None:
            kinds.update(cls.__name__ for cls in type(chained).__mro__)
            chained = chained.__cause__
        text = "\n".join([repr(exc), str(exc), *traceback.format_exception(exc)])
        for leak in _leaks(text, secrets.extra):
            leaks.append(f"{type(exc).__name__}({str(exc)[:80]!r}): {leak}")
    figures.add(exceptions=count, failures=len(leaks))
    assert not leaks, "\n".join(leaks)
    missing = set(_exception_classes()) - kinds
    assert not missing, f"exception classes not raised in the walk: {sorted(missing)}"
