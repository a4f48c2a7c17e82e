"""Hostile input: every parser raises only line-token's typed errors, whatever it is fed.

Properties (hypothesis) over LINE's responses, PEM and JWK key input, and assertion signing
inputs. A parser may return a result or raise a ``LineTokenError``; any other exception
(``ValueError``, ``KeyError``, ``RecursionError``, ``UnicodeError``, ``OverflowError``...)
is a bug, and so is a result whose own methods fail.
"""

from __future__ import annotations

import base64
import json
import os
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_helpers import outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import line_token as lt
from line_token import _sansio
from line_token._models import BotInfo, IssuedToken, TokenInfo

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

# --- LINE's responses ------------------------------------------------------------------

ASSERTION = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.c2ln"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA.c2ln"

#: One call per endpoint, built with valid arguments: only the response is hostile.
CALLS: dict[str, Callable[[], _sansio.Call[Any]]] = {
    "issue short-lived": lambda: _sansio.issue_short_lived_token("1234567890", "s" * 32),
    "verify": lambda: _sansio.verify_token(TOKEN),
    "revoke": lambda: _sansio.revoke_token(TOKEN),
    "issue v2.1": lambda: _sansio.issue_v21_token(ASSERTION),
    "verify v2.1": lambda: _sansio.verify_v21_token(TOKEN),
    "revoke v2.1": lambda: _sansio.revoke_v21_token("1234567890", "s" * 32, TOKEN),
    "kids": lambda: _sansio.get_v21_key_ids(ASSERTION),
    "issue stateless": lambda: _sansio.issue_stateless_token(
        channel_id="1234567890", channel_secret="s" * 32
    ),
    "bot info": lambda: _sansio.get_bot_info(TOKEN),
}

FIELDS = [
    "access_token",
    "token_type",
    "expires_in",
    "key_id",
    "client_id",
    "scope",
    "kids",
    "error",
    "error_description",
    "message",
    "details",
    "userId",
    "basicId",
    "displayName",
    "chatMode",
    "markAsReadMode",
    "premiumId",
    "pictureUrl",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 900, 2**31, 2**63, 10**400, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["Bearer", "invalid_client", "invalid client_id", "Cannot find channel key"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=16,
)
objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS))


def _dumps(value: Any) -> bytes:
    # Python writes 10**400 as digits and nan as NaN: both are what a broken server could send.
    return json.dumps(value).encode()


bodies = st.one_of(
    objects.map(_dumps),
    json_values.map(_dumps),
    st.binary(max_size=120),
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(1, 200_000).map(lambda n: b"[" * n),  # deeper than the JSON parser recurses
    st.integers(1, 5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.just(b'{"expires_in": ' + b"9" * 5000 + b"}"),  # longer than int() converts
)
statuses = st.one_of(
    st.sampled_from([200, 201, 204, 400, 401, 404, 409, 429, 500, 503]), st.integers(0, 999)
)
header_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["nan", "inf", "-1", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT", "0x10"]),
)
headers = st.dictionaries(
    st.sampled_from(["retry-after", "x-line-request-id", "content-type"]) | st.text(max_size=8),
    header_values,
    max_size=4,
)


def _use(result: object) -> None:
    """A parsed result must be usable: repr, and for tokens the expiry arithmetic."""
    repr(result)
    if isinstance(result, IssuedToken):
        assert isinstance(result.access_token, str)
        assert isinstance(result.expires_in, int)
        _ = result.expires_at
    elif isinstance(result, TokenInfo):
        assert isinstance(result.client_id, str)
        assert isinstance(result.expires_in, int)
    elif isinstance(result, BotInfo):
        assert isinstance(result.user_id, str)
    elif isinstance(result, list):
        assert all(isinstance(k, str) for k in result)
    else:
        assert result is None


def _parse(name: str, status: int, hdrs: dict[str, str], body: bytes) -> None:
    call = CALLS[name]()
    result = call.parse(_sansio.Response(status, hdrs, body), 1_700_000_000.0)
    _use(result)
    if isinstance(result, Exception):  # pragma: no cover - parsers raise, never return errors
        raise AssertionError(result)


class _Tally:
    def __init__(self) -> None:
        self.examples = 0
        self.outcomes: dict[str, int] = {"ok": 0, "typed": 0, "bug": 0}
        self.bugs: list[str] = []

    def record(self, what: str, error: BaseException | None, context: str) -> None:
        self.examples += 1
        self.outcomes[what] += 1
        if what == "bug":
            self.bugs.append(f"{context}: {type(error).__name__}: {str(error)[:200]}")


@pytest.mark.guarantee(
    "Any response LINE (or anything posing as LINE) could send — any status, headers or body, "
    "including deep or huge JSON — is parsed into a result or one of line-token's typed errors."
)
@pytest.mark.parametrize(
    "examples",
    [pytest.param(600, id="quick"), pytest.param(4000, id="long", marks=pytest.mark.slow)],
)
def test_response_parsers_raise_only_typed_errors(examples: int, figures: Any) -> None:
    """Every endpoint's parser, fed arbitrary responses, returns or raises a LineTokenError."""
    tally = _Tally()

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(name=st.sampled_from(sorted(CALLS)), status=statuses, hdrs=headers, body=bodies)
    def run(name: str, status: int, hdrs: dict[str, str], body: bytes) -> None:
        what, error = outcome(lambda: _parse(name, status, hdrs, body))
        tally.record(what, error, f"{name} {status} {body[:60]!r}")
        assert what != "bug", tally.bugs[-1]

    run()
    figures.add(examples=tally.examples, failures=tally.outcomes["bug"])
    figures.add(typed_errors=tally.outcomes["typed"], results=tally.outcomes["ok"])
    assert tally.outcomes["ok"] > 0  # the strategy does reach the success paths
    assert tally.outcomes["typed"] > 0


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_parser_reads_a_well_formed_answer(name: str) -> None:
    """Control: the same parsers accept LINE's documented success bodies."""
    good: dict[str, Any] = {
        "issue short-lived": {
            "access_token": "t" * 20,
            "expires_in": 2592000,
            "token_type": "Bearer",
        },
        "verify": {"client_id": "1234567890", "expires_in": 100, "scope": "P CM"},
        "revoke": None,
        "issue v2.1": {
            "access_token": "t" * 20,
            "expires_in": 900,
            "token_type": "Bearer",
            "key_id": "k" * 22,
        },
        "verify v2.1": {"client_id": "1234567890", "expires_in": 100},
        "revoke v2.1": None,
        "kids": {"kids": ["a", "b"]},
        "issue stateless": {"access_token": "t" * 20, "expires_in": 900, "token_type": "Bearer"},
        "bot info": {
            "userId": "U" + "0" * 32,
            "basicId": "@abc",
            "displayName": "bot",
            "chatMode": "bot",
            "markAsReadMode": "auto",
        },
    }
    body = b"" if good[name] is None else json.dumps(good[name]).encode()
    _parse(name, 200, {"content-type": "application/json"}, body)


def test_an_absurd_lifetime_is_an_unexpected_response() -> None:
    """A 2xx whose expires_in cannot be a lifetime is refused, not turned into a token."""
    for expires_in in (-1, 2**31, 10**400):
        body = json.dumps({"access_token": "t" * 20, "expires_in": expires_in}).encode()
        with pytest.raises(lt.UnexpectedResponseError, match="expires_in"):
            CALLS["issue stateless"]().parse(_sansio.Response(200, {}, body), 0.0)


def test_an_error_body_echoing_the_request_does_not_leak_it() -> None:
    """A server (or proxy) that echoes the request in its error: the secret is not in the error."""
    secret = "0123456789abcdef0123456789abcdef"
    call = _sansio.issue_short_lived_token("1234567890", secret)
    echoed = (
        f"bad request: grant_type=client_credentials&client_id=1234567890&client_secret={secret}"
    )
    for body in (
        json.dumps({"error": "invalid_request", "error_description": echoed}).encode(),
        json.dumps({"message": echoed, "error": secret}).encode(),
    ):
        with pytest.raises(lt.LineApiError) as info:
            call.parse(_sansio.Response(400, {"x-line-request-id": secret}, body), 0.0)
        error = info.value
        texts = [str(error), repr(error), str(error.error), str(error.error_description)]
        texts += [str(error.message), str(error.request_id)]
        assert not any(secret in text for text in texts), texts
        assert "client_secret=" in str(error)  # the rest of the text is kept


# --- keys --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_key_material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real key in the forms the mutations start from."""
    from cryptography.hazmat.primitives import serialization

    pair = lt.generate_key_pair()
    key = lt.load_private_key(pair.private_pem)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    numbers = key.private_numbers()

    def b64(value: int) -> str:
        raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    jwk = {
        "kty": "RSA",
        "n": b64(numbers.public_numbers.n),
        "e": b64(numbers.public_numbers.e),
        "d": b64(numbers.d),
        "p": b64(numbers.p),
        "q": b64(numbers.q),
        "dp": b64(numbers.dmp1),
        "dq": b64(numbers.dmq1),
        "qi": b64(numbers.iqmp),
    }
    return {"der": der, "jwk": jwk, "public_pem": pair.public_pem, "private_pem": pair.private_pem}


def _pem(label: str, der: bytes, extra_headers: str = "") -> bytes:
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN {label}-----\n{extra_headers}{body}-----END {label}-----\n".encode()


B64URL = string.ascii_letters + string.digits + "-_"
small_ints = st.sampled_from([0, 1, 2, 3, 17, 65537, 2**64 + 1])


def _b64_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


jwk_members = st.one_of(
    small_ints.map(_b64_int),
    st.text(B64URL, max_size=40),
    st.text(max_size=10),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
)


def key_sources(material: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Arbitrary and near-valid key input, in every form the loaders accept."""
    der: bytes = material["der"]
    jwk: dict[str, str] = material["jwk"]
    mutated_der = st.tuples(st.integers(0, len(der) - 1), st.integers(1, 255)).map(
        lambda iv: der[: iv[0]] + bytes([der[iv[0]] ^ iv[1]]) + der[iv[0] + 1 :]
    )
    truncated_der = st.integers(0, len(der) - 1).map(lambda n: der[:n])
    pem_labels = st.sampled_from(
        ["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY", "EC PRIVATE KEY"]
    )
    pems = st.one_of(
        st.tuples(pem_labels, st.one_of(mutated_der, truncated_der, st.binary(max_size=300))).map(
            lambda t: _pem(*t)
        ),
        st.tuples(pem_labels, st.binary(max_size=64)).map(
            lambda t: _pem(t[0], t[1], "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n")
        ),
        st.binary(max_size=200).map(lambda b: b"-----BEGIN PRIVATE KEY-----\n" + b),
    )
    jwk_edits = st.dictionaries(
        st.sampled_from(["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi", "use", "alg"]),
        jwk_members,
        max_size=5,
    )
    jwk_drops = st.sets(st.sampled_from(["p", "q", "dp", "dq", "qi", "d", "n", "e"]), max_size=4)
    jwks = st.tuples(jwk_edits, jwk_drops).map(
        lambda ed: {k: v for k, v in {**jwk, **ed[0]}.items() if k not in ed[1]}
    )
    # d, e chosen so that e * d == 1 + small: key recovery must not loop or crawl.
    degenerate = st.tuples(small_ints, small_ints, small_ints).map(
        lambda t: {"kty": "RSA", "n": _b64_int(t[0]), "e": _b64_int(t[1]), "d": _b64_int(t[2])}
    )
    relative_text = st.text(max_size=40).filter(lambda s: not s.lstrip().startswith(("/", "\\")))
    return st.one_of(
        pems,
        pems.map(lambda b: b.decode("latin-1")),
        jwks,
        degenerate,
        jwks.map(json.dumps),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
            max_leaves=8,
        ),
        st.integers(1, 100_000).map(lambda n: "{" + '"a":[' * n),
        st.integers(1, 100_000).map(lambda n: '{"kty": "RSA", "n": ' + "[" * n),
        relative_text,
        relative_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.binary(max_size=80).filter(lambda b: not b.lstrip().startswith(b"/")),
        st.text(max_size=30).map(lambda s: "-----BEGIN" + s),
        st.text(max_size=30).map(lambda s: "{" + s),
        st.sampled_from(["", " ", ".", "..", "\x00", "nonexistent.pem", "dir"]),
    )


passwords = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.binary(max_size=12),
    st.sampled_from(["\ud800", "pässwörd", ""]),
)


@pytest.mark.guarantee(
    "Any key input — arbitrary text or bytes, corrupted or truncated PEM, malformed, "
    "degenerate or deeply nested JWK, any password — loads or raises InvalidInputError."
)
@pytest.mark.parametrize(
    "examples",
    [pytest.param(500, id="quick"), pytest.param(3000, id="long", marks=pytest.mark.slow)],
)
def test_key_loaders_raise_only_typed_errors(
    real_key_material: dict[str, Any], tmp_path: Path, examples: int, figures: Any
) -> None:
    """load_private_key, public_jwk and jwk_thumbprint on hostile input."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "nonexistent.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
    tally = _Tally()
    loaders: dict[str, Callable[[Any, Any], object]] = {
        "load_private_key": lambda src, pw: lt.load_private_key(src, password=pw),
        "public_jwk": lambda src, pw: lt.public_jwk(src, password=pw),
        "jwk_thumbprint": lambda src, pw: lt.jwk_thumbprint(src),
        "AssertionSigner": lambda src, pw: lt.AssertionSigner(
            "1234567890", "kid", src, password=pw
        ),
    }

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        loader=st.sampled_from(sorted(loaders)),
        source=key_sources(real_key_material),
        password=passwords,
    )
    def run(loader: str, source: Any, password: Any) -> None:
        what, error = outcome(lambda: loaders[loader](source, password))
        if what == "typed":
            assert isinstance(error, lt.InvalidInputError), error
        tally.record(what, error, f"{loader}({str(source)[:80]!r}, password={password!r})")
        assert what != "bug", tally.bugs[-1]

    cwd = os.getcwd()
    os.chdir(tmp_path)  # relative paths the strategy makes up resolve inside the test's dir
    try:
        run()
    finally:
        os.chdir(cwd)
    figures.add(examples=tally.examples, failures=tally.outcomes["bug"])
    figures.add(typed_errors=tally.outcomes["typed"], results=tally.outcomes["ok"])
    assert tally.outcomes["typed"] > 0


def test_degenerate_jwk_numbers_are_refused_quickly() -> None:
    """e * d == 1 would send key recovery into an endless loop: refused as not a key."""
    for n in (1, 2, 3, 17, 2**2048 - 1):
        jwk = {"kty": "RSA", "n": _b64_int(n), "e": "AQ", "d": "AQ"}
        with pytest.raises(lt.InvalidInputError):
            lt.load_private_key(jwk)


def test_a_password_that_cannot_be_encoded_is_invalid_input(key_pair: lt.KeyPair) -> None:
    """A str password with a lone surrogate is a typed error, not a UnicodeEncodeError."""
    with pytest.raises(lt.InvalidInputError):
        lt.load_private_key(key_pair.private_pem, password="\ud800")
    with pytest.raises(lt.InvalidInputError):
        lt.load_private_key("-----BEGIN PRIVATE KEY-----\n\ud800\n-----END PRIVATE KEY-----\n")


@pytest.mark.guarantee(
    "Signing an assertion with any channel id, kid, token_exp or lifetime — wrong types, "
    "out of range, odd text — makes a JWT or raises InvalidInputError."
)
def test_assertion_inputs_raise_only_typed_errors(key_pair: lt.KeyPair, figures: Any) -> None:
    """AssertionSigner, .sign() and sign_assertion() on hostile arguments."""
    tally = _Tally()
    key = lt.load_private_key(key_pair.private_pem)
    anything = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["1234567890", "\udcff", "٣٣٣", "1" * 30, 1234567890, 0, -1, 10**400]),
        st.binary(max_size=5),
    )

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        channel_id=anything,
        kid=anything,
        token_exp=st.one_of(st.none(), anything),
        lifetime=anything,
        one_shot=st.booleans(),
    )
    def run(channel_id: Any, kid: Any, token_exp: Any, lifetime: Any, one_shot: bool) -> None:
        def sign() -> object:
            if one_shot:
                return lt.sign_assertion(channel_id, kid, key, token_exp=token_exp)
            signer = lt.AssertionSigner(channel_id, kid, key)
            return signer.sign(token_exp=token_exp, lifetime=lifetime)

        what, error = outcome(sign)
        if what == "typed":
            assert isinstance(error, lt.InvalidInputError), error
        tally.record(what, error, f"{channel_id!r} {kid!r} {token_exp!r} {lifetime!r}")
        assert what != "bug", tally.bugs[-1]

    run()
    figures.add(examples=tally.examples, failures=tally.outcomes["bug"])
    figures.add(typed_errors=tally.outcomes["typed"], results=tally.outcomes["ok"])
    assert tally.outcomes["typed"] > 0
