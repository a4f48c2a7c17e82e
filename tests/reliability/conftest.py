"""Fixtures for the reliability tests: the manager rig, and a restartable private redis-server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_helpers import RedisServer, redis_server

from conftest_manager import rig

__all__ = ["durable_redis", "rig", "volatile_redis"]


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server with an fsynced append-only file: a restart keeps the data."""
    with redis_server(tmp_path, persist=True) as server:
        yield server


@pytest.fixture
def volatile_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server without persistence: a restart loses every key."""
    with redis_server(tmp_path, persist=False) as server:
        yield server
