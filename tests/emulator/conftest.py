"""Fixtures for the emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from line_token.emulator.pytest_plugin import LineEmulator


@pytest.fixture
def api(line_emulator: LineEmulator) -> Iterator[httpx.Client]:
    """A plain httpx client speaking to the emulator in-process."""
    with httpx.Client(
        transport=line_emulator.transport(), base_url="https://api.line.me"
    ) as client:
        yield client
