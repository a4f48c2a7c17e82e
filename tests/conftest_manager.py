"""Helpers for the token-manager tests: managers wired to the emulator's transport and clock.

Imported by ``tests/test_manager*.py`` and ``tests/stores``; the ``rig`` fixture
is re-exported from those modules.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from line_token import AsyncClient, Client
from line_token._async_manager import AsyncTokenManager
from line_token._issuers import ShortLivedIssuer, StatelessIssuer, V21Issuer
from line_token._manager import TokenManager
from line_token.emulator import TokenKind
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import MemoryStore, TokenStore

API = "https://api.line.me"
V21_ISSUE = "POST /oauth2/v2.1/token"
STATELESS_ISSUE = "POST /oauth2/v3/token"
SHORT_ISSUE = "POST /v2/oauth/accessToken"


class Rig:
    """An emulator plus factories for issuers and managers on its virtual clock."""

    def __init__(self, emu: LineEmulator) -> None:
        self.emu = emu
        self.clock = emu.emulator.clock
        self._closers: list[Any] = []

    # issuers
    def v21(self, token_exp: int = 86400) -> V21Issuer:
        return V21Issuer(self.emu.signer, self.emu.channel_secret, token_exp=token_exp)

    def stateless(self) -> StatelessIssuer:
        return StatelessIssuer(self.emu.channel_id, self.emu.channel_secret)

    def short_lived(self) -> ShortLivedIssuer:
        return ShortLivedIssuer(self.emu.channel_id, self.emu.channel_secret)

    # clients and managers
    def client(self) -> Client:
        http = httpx.Client(transport=self.emu.transport())
        self._closers.append(http)
        return Client(base_url=API, http_client=http, clock=self.clock, max_retries=0)

    def async_client(self) -> AsyncClient:
        http = httpx.AsyncClient(transport=self.emu.transport())
        return AsyncClient(base_url=API, http_client=http, clock=self.clock, max_retries=0)

    def options(self, seed: int, kwargs: dict[str, Any]) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "clock": self.clock,
            "wall_clock": self.clock,
            "rng": random.Random(seed).random,
        }
        opts.update(kwargs)
        return opts

    def manager(
        self, issuer: Any, store: TokenStore | None = None, seed: int = 0, **kwargs: Any
    ) -> TokenManager:
        return TokenManager(
            issuer,
            store=store if store is not None else MemoryStore(),
            client=self.client(),
            **self.options(seed, kwargs),
        )

    def async_manager(
        self, issuer: Any, store: TokenStore | None = None, seed: int = 0, **kwargs: Any
    ) -> AsyncTokenManager:
        return AsyncTokenManager(
            issuer,
            store=store if store is not None else MemoryStore(),
            client=self.async_client(),
            **self.options(seed, kwargs),
        )

    # observations
    def active(self, kind: str = "v2.1") -> int:
        now = self.clock()
        return sum(
            1
            for t in self.emu.emulator.tokens(self.emu.channel_id, TokenKind(kind))
            if t.active(now)
        )

    def close(self) -> None:
        for http in self._closers:
            http.close()


@pytest.fixture
def rig(line_emulator: LineEmulator) -> Iterator[Rig]:
    """A :class:`Rig` around the reset ``line_emulator``."""
    r = Rig(line_emulator)
    yield r
    r.close()


def write_locked(path: Path) -> bool:
    """Whether some connection holds the SQLite file's write lock (BEGIN IMMEDIATE)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()
