"""Shared fixtures: one RSA key for the session (keys are slow to make, never committed)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_redis import factories

from line_token import KeyPair, generate_key_pair


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    """A fresh 2048-bit key pair, made once per test session."""
    return generate_key_pair()


# Our own redis-server on a free loopback port (never the one on 6379); scripts/check
# installs the binary where it is missing.
redis_proc = factories.redis_proc(
    executable=shutil.which("redis-server") or "/usr/bin/redis-server",
    port=None,  # type: ignore[arg-type]  # None picks a free port at run time
)


@pytest.fixture
def redis_url(redis_proc: Any) -> str:
    """URL of the session's private redis-server, flushed before each test."""
    import redis

    url = f"redis://{redis_proc.host}:{redis_proc.port}/0"
    with redis.Redis.from_url(url) as client:
        client.flushall()
    return url


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA private key object, made once per test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# docs/reliability.md is written from the tests marked @pytest.mark.guarantee (see the module).
from reliability_report import (  # noqa: E402
    figures,
    pytest_collection_modifyitems,
    pytest_deselected,
    pytest_runtest_makereport,
    pytest_sessionfinish,
)

__all__ = [
    "figures",
    "redis_proc",
    "pytest_collection_modifyitems",
    "pytest_deselected",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
]

# No secret the tests create may reach a log record, at DEBUG, for the whole run (see the module).
from secrets_sentinel import pytest_configure  # noqa: E402

__all__ += ["pytest_configure"]
