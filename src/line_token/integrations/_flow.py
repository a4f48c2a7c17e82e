"""The one bearer-token flow every integration drives: attach, and on 401 replace once.

A generator yields :class:`NeedToken` (resume with the token to use),
:class:`SendWith` (send the request with that token; resume with the HTTP status)
and :class:`Invalidate` (tell the manager LINE refused that token). httpx,
requests and line-bot-sdk drivers, sync and async, only carry these out.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Invalidate", "NeedToken", "SendWith", "SyncManager", "bearer_flow"]


class SyncManager(Protocol):
    """What the integrations need of a :class:`~line_token.TokenManager`."""

    def token(self) -> str: ...

    def current(self) -> str | None: ...

    def invalidate(self, token: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class NeedToken:
    """Step: get a token from the manager."""


@dataclass(frozen=True, slots=True)
class SendWith:
    """Step: send the request with ``Authorization: Bearer <token>``; resume with the status."""

    token: str
    retry: bool


@dataclass(frozen=True, slots=True)
class Invalidate:
    """Step: LINE answered 401 to ``token``; the manager should replace it if still current."""

    token: str


Step = NeedToken | SendWith | Invalidate


def bearer_flow() -> Generator[Step, object, None]:
    """Send once; on 401 invalidate that token and re-send once with a fresh one.

    A second 401 reaches the caller. The manager's ``invalidate`` is a no-op when
    the token was already replaced, so N concurrent 401s cause one refresh.
    """
    token = yield NeedToken()
    assert isinstance(token, str)
    status = yield SendWith(token, retry=False)
    if status != 401:
        return
    yield Invalidate(token)
    fresh = yield NeedToken()
    assert isinstance(fresh, str)
    yield SendWith(fresh, retry=True)
