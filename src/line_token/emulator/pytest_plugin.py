"""pytest plugin (auto-registered): the ``line_emulator`` fixture.

One emulator, one RSA key and (on first use of ``base_url``) one real server
per test session; every test starts from ``reset()`` with the same channel id,
secret and kid, so tests are isolated but cheap.

Example::

    def test_issue(line_emulator):
        with httpx.Client(transport=line_emulator.transport()) as http:
            ...
        assert line_emulator.count("POST /oauth2/v2.1/token") == 1
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .._assertion import AssertionSigner
from .._files import write_private_file
from .._keys import KeyPair, generate_key_pair
from ._emulator import Emulator
from ._ids import IdSource
from ._models import Channel, PushedMessage
from ._server import EmulatorServer
from ._transport import EmulatorTransport

__all__ = ["LineEmulator", "line_emulator"]

API_BASE_URL = "https://api.line.me"


class _Session:
    """What one test session shares: the emulator, a key pair, ids, a lazy server."""

    def __init__(self) -> None:
        ids = IdSource()
        self.emulator = Emulator()
        self.key_pair: KeyPair = generate_key_pair()
        self.channel_id = ids.channel_id()
        self.channel_secret = ids.channel_secret()
        self.kid = ids.kid()
        self._server: EmulatorServer | None = None

    def server(self) -> EmulatorServer:
        if self._server is None:
            self._server = self.emulator.serve()
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class LineEmulator:
    """What the ``line_emulator`` fixture yields: an emulator with one ready channel.

    Attributes:
        emulator: the :class:`Emulator` (reset before each test).
        channel: the channel; ``channel_id`` and ``channel_secret`` are its ids.
        kid: the registered assertion key's id.
        private_key_pem: the matching private key (PKCS#8 PEM).
        private_key_path: that key in a file (mode 0600) in the test's tmp dir.
        public_jwk: the registered public JWK.
        signer: an :class:`AssertionSigner` for the channel on the emulator's clock.
        api_base_url: ``https://api.line.me`` (use with :meth:`transport`).
    """

    api_base_url = API_BASE_URL

    def __init__(self, session: _Session, tmp_path: Path) -> None:
        self._session = session
        self.emulator = session.emulator
        self.emulator.reset()
        self.channel: Channel = self.emulator.create_channel(
            display_name="line-token test bot",
            channel_id=session.channel_id,
            channel_secret=session.channel_secret,
        )
        self.public_jwk: dict[str, str] = dict(session.key_pair.public_jwk)
        self.kid = self.emulator.register_public_key(
            self.channel.channel_id, self.public_jwk, kid=session.kid
        )
        self.private_key_pem: bytes = session.key_pair.private_pem
        self.private_key_path = tmp_path / "line-assertion-key.pem"
        write_private_file(self.private_key_path, self.private_key_pem, force=True)
        self.signer = AssertionSigner(
            self.channel.channel_id, self.kid, self.private_key_pem, clock=self.emulator.clock
        )

    @property
    def channel_id(self) -> str:
        """The channel's id."""
        return self.channel.channel_id

    @property
    def channel_secret(self) -> str:
        """The channel's secret."""
        return self.channel.channel_secret

    @property
    def base_url(self) -> str:
        """URL of the real server on 127.0.0.1 (started on first use, shared by the session)."""
        return self._session.server().base_url

    def transport(self) -> EmulatorTransport:
        """An in-process httpx transport (sync and async)."""
        return self.emulator.transport()

    def advance(self, seconds: float) -> float:
        """Move the emulator's virtual clock (and the signer's) forward."""
        return self.emulator.advance(seconds)

    def inject_fault(self, path: str = "*", **kwargs: Any) -> None:
        """See :meth:`Emulator.inject_fault`."""
        self.emulator.inject_fault(path, **kwargs)

    def count(self, endpoint: str | None = None) -> int:
        """See :meth:`Emulator.count`."""
        return self.emulator.count(endpoint)

    def issue_long_lived_token(self) -> str:
        """Issue the channel's long-lived token (Console emulation)."""
        return self.emulator.issue_long_lived_token(self.channel_id)

    @property
    def pushed_messages(self) -> list[PushedMessage]:
        """Push requests the emulator accepted, in order."""
        return self.emulator.pushed_messages

    def __repr__(self) -> str:
        return f"LineEmulator(channel_id={self.channel_id!r}, kid={self.kid!r})"


@pytest.fixture(scope="session")
def _line_emulator_session() -> Iterator[_Session]:
    session = _Session()
    yield session
    session.close()


@pytest.fixture
def line_emulator(_line_emulator_session: _Session, tmp_path: Path) -> LineEmulator:
    """A reset LINE emulator with one channel and a registered assertion key."""
    return LineEmulator(_line_emulator_session, tmp_path)
