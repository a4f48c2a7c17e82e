"""Shared fixtures: one RSA key for the session (keys are slow to make, never committed)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from line_token import KeyPair, generate_key_pair


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    """A fresh 2048-bit key pair, made once per test session."""
    return generate_key_pair()


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
    "pytest_collection_modifyitems",
    "pytest_deselected",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
]

# No secret the tests create may reach a log record, at DEBUG, for the whole run (see the module).
from secrets_sentinel import pytest_configure  # noqa: E402

__all__ += ["pytest_configure"]
