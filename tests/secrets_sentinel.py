"""A session-wide sentinel: no log record may carry a secret the tests created.

For the whole run the root logger is at DEBUG with one extra handler. Every record that
reaches it (its message with args, its exception text, its stack) is scanned, as it is
emitted, for:

- every secret the run created: each channel secret and each token the emulator mints
  (its :class:`IdSource` and ``create_channel`` are wrapped), each RSA private key made by
  ``cryptography`` (the PEM bodies, PKCS#1 and PKCS#8, and the JWK's private members), and
  each signed JWT assertion (``AssertionSigner.sign``);
- recognisable shapes: a PEM private-key header, an emulator token (opaque 172-character or
  JWS-shaped with the emulator's headers), and an RS256 assertion with a ``kid``.

Values are also looked for percent-decoded, so a token in a logged query string is caught.
A record that leaks fails the test during which it was emitted (setup, call or teardown),
naming the logger and the kind of secret, never the secret itself.

Wired by ``from secrets_sentinel import pytest_configure`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import threading
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import pytest

__all__ = ["SENTINEL", "SecretBook", "find_leaks", "pytest_configure"]

#: Secrets shorter than this are not tracked (nothing LINE or a key makes is this short).
MIN_SECRET = 16
_RUN = re.compile(r"[A-Za-z0-9+/_.=\-]{" + str(MIN_SECRET) + ",}")

_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a PEM private key", re.compile(r"-----BEGIN (?:RSA |EC |ENCRYPTED |)PRIVATE KEY-----")),
    # IdSource.opaque_token: 171 base64 characters and one '=' (short-lived, long-lived).
    ("an opaque channel access token", re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{171}=")),
    # The emulator's v2.1 ({"alg":"HS256"}) and stateless ({"alg":"HS256","typ":"JWT"}) tokens.
    (
        "a JWS-shaped channel access token",
        re.compile(
            r"eyJhbGciOiJIUzI1NiJ9\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"
            r"|eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"
        ),
    ),
    # A signed assertion: an RS256 header (any member order) and a long signature.
    (
        "a signed JWT assertion",
        re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{300,}"),
    ),
)


def _b64url(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class SecretBook:
    """Secrets to look for, indexed by their last 16 characters for a linear-time scan.

    The last characters, not the first: tokens of one kind share a header (``eyJhbGci...``),
    and a bucket per header would make every scan walk all of them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tail: dict[str, list[tuple[str, str]]] = {}
        self.count = 0

    def add(self, value: str, kind: str) -> None:
        """Remember ``value`` (trailing '=' ignored); too-short values are not tracked."""
        value = value.rstrip("=")
        if len(value) < MIN_SECRET:
            return
        with self._lock:
            bucket = self._by_tail.setdefault(value[-MIN_SECRET:], [])
            if all(known != value for known, _ in bucket):
                bucket.append((value, kind))
                self.count += 1

    def add_private_key(self, key: Any) -> None:
        """Remember an RSA private key in every text form a leak could take."""
        from cryptography.hazmat.primitives import serialization

        numbers = key.private_numbers()
        modulus = numbers.public_numbers.n
        public = modulus.to_bytes((modulus.bit_length() + 7) // 8, "big")
        for fmt in (
            serialization.PrivateFormat.PKCS8,
            serialization.PrivateFormat.TraditionalOpenSSL,
        ):
            pem = key.private_bytes(
                serialization.Encoding.PEM, fmt, serialization.NoEncryption()
            ).decode("ascii")
            for line in pem.splitlines()[1:-1]:
                # A line encoding only bytes of the modulus is public: the public key and its
                # JWK legitimately show them.
                if base64.b64decode(line) not in public:
                    self.add(line, "private key PEM")
        for member in (numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp):
            self.add(_b64url(member), "private key JWK member")

    def find(self, text: str) -> list[str]:
        """Kinds of the known secrets that occur in ``text``."""
        found: list[str] = []
        for run in _RUN.finditer(text):
            chunk = run.group()
            for end in range(MIN_SECRET, len(chunk) + 1):
                bucket = self._by_tail.get(chunk[end - MIN_SECRET : end])
                if bucket is None:
                    continue
                for value, kind in bucket:
                    if chunk.endswith(value, 0, end):
                        found.append(kind)
        return found


def find_leaks(text: str, book: SecretBook) -> list[str]:
    """What ``text`` leaks: kinds of known secrets and of secret-shaped strings."""
    views = [text]
    if "%" in text or "+" in text:
        views.append(unquote_plus(text))
    found: list[str] = []
    for view in views:
        found += book.find(view)
        found += [kind for kind, shape in _SHAPES if shape.search(view)]
    return sorted(set(found))


@dataclass
class Sentinel:
    """The handler's state: what it knows, what it saw, what leaked in the current phase."""

    book: SecretBook = field(default_factory=SecretBook)
    records: int = 0
    leaks: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_leaks(self) -> list[str]:
        with self.lock:
            leaks, self.leaks = self.leaks, []
        return leaks


SENTINEL = Sentinel()
_FORMATTER = logging.Formatter()


class _Handler(logging.Handler):
    """Scans each record as it is emitted (never raises: a logging error must not hide one)."""

    def __init__(self, sentinel: Sentinel) -> None:
        super().__init__(logging.DEBUG)
        self.sentinel = sentinel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            parts = [record.getMessage()]
        except Exception:  # a broken format string: scan its pieces instead
            parts = [str(record.msg), *(str(a) for a in record.args or ())]
        if record.exc_info:
            parts.append(_FORMATTER.formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        leaks = find_leaks("\n".join(parts), self.sentinel.book)
        with self.sentinel.lock:
            self.sentinel.records += 1
            if leaks:
                self.sentinel.leaks.append(
                    f"logger {record.name!r} ({record.levelname}, {record.pathname}:"
                    f"{record.lineno}) emitted {', '.join(leaks)}"
                )


def _recording(
    owner: Any, name: str, kind: str, pick: Callable[[Any, tuple[Any, ...]], Iterable[str]]
) -> None:
    """Wrap ``owner.name`` so every value ``pick`` draws from its call is remembered."""
    original = getattr(owner, name)
    if getattr(original, "__sentinel__", False):
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        for value in pick(result, args):
            if isinstance(value, str):
                SENTINEL.book.add(value, kind)
        return result

    wrapper.__sentinel__ = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapper)


def _install_recorders() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from line_token._assertion import AssertionSigner
    from line_token.emulator._ids import IdSource
    from line_token.emulator._state import LineState

    for method in ("channel_secret", "opaque_token", "v21_token", "stateless_token"):
        _recording(IdSource, method, f"emulator {method.replace('_', ' ')}", lambda r, a: [r])
    _recording(LineState, "create_channel", "channel secret", lambda r, a: [r.channel_secret])
    _recording(AssertionSigner, "sign", "signed assertion", lambda r, a: [r, r.rsplit(".", 1)[-1]])

    original = rsa.generate_private_key
    if not getattr(original, "__sentinel__", False):

        @functools.wraps(original)
        def generate_private_key(*args: Any, **kwargs: Any) -> Any:
            key = original(*args, **kwargs)
            SENTINEL.book.add_private_key(key)
            return key

        generate_private_key.__sentinel__ = True  # type: ignore[attr-defined]
        rsa.generate_private_key = generate_private_key


class _Plugin:
    """Checks each test phase for leaks emitted during it."""

    def _check(self, item: pytest.Item, when: str) -> None:
        leaks = SENTINEL.take_leaks()
        if leaks:
            pytest.fail(
                f"a secret reached the logs during {when} of {item.nodeid}:\n  "
                + "\n  ".join(leaks),
                pytrace=False,
            )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        SENTINEL.take_leaks()  # anything from between tests belongs to no test
        result = yield
        self._check(item, "setup")
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        result = yield
        self._check(item, "the call")
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        result = yield
        self._check(item, "teardown")
        return result


def pytest_configure(config: pytest.Config) -> None:
    """Install the recorders and the DEBUG handler for the whole session."""
    _install_recorders()
    handler = _Handler(SENTINEL)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    config.pluginmanager.register(_Plugin(), "secrets_sentinel")
