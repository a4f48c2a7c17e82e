"""Fixtures for the store tests: the manager rig, and a private redis-server."""

from __future__ import annotations

from pytest_redis import factories

from conftest_manager import rig

__all__ = ["redis_proc", "rig"]

# Our own redis-server on a free loopback port (never the one on 6379).
redis_proc = factories.redis_proc(executable="/usr/bin/redis-server", port=None)  # type: ignore[arg-type]
