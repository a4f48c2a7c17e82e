"""Fixtures for the integration tests: managers on the emulator's virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

import line_token as lt
from line_token._async_manager import AsyncTokenManager
from line_token._issuers import V21Issuer
from line_token._manager import TokenManager
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import MemoryStore


def _issuer(line_emulator: LineEmulator) -> V21Issuer:
    return V21Issuer(line_emulator.signer, line_emulator.channel_secret, token_exp=3600)


@pytest.fixture
def manager(line_emulator: LineEmulator) -> Iterator[TokenManager]:
    """A v2.1 TokenManager on the emulator's real server and virtual clock."""
    now = line_emulator.emulator.now
    client = lt.Client(base_url=line_emulator.base_url, clock=now)
    with TokenManager(
        _issuer(line_emulator), store=MemoryStore(), client=client, clock=now, wall_clock=now
    ) as tokens:
        yield tokens
    client.close()


@pytest.fixture
async def async_manager(line_emulator: LineEmulator) -> AsyncIterator[AsyncTokenManager]:
    """The AsyncTokenManager twin of ``manager``."""
    now = line_emulator.emulator.now
    client = lt.AsyncClient(base_url=line_emulator.base_url, clock=now)
    tokens = AsyncTokenManager(
        _issuer(line_emulator), store=MemoryStore(), client=client, clock=now, wall_clock=now
    )
    yield tokens
    await tokens.aclose()
    await client.aclose()
