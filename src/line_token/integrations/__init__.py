"""Managed tokens flowing into the HTTP clients people already use.

* :class:`BearerAuth` — ``httpx.Auth`` for ``httpx.Client`` and ``httpx.AsyncClient``.
* :class:`RequestsBearerAuth` — the same for ``requests`` (imported on first use).
* :mod:`line_token.integrations.linebot` — the official line-bot-sdk v3 ``MessagingApi``.

Each sets ``Authorization: Bearer <token>`` from a token manager on every request and,
on a 401 from LINE, invalidates that token and re-sends the request once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._httpx import BearerAuth

if TYPE_CHECKING:
    from ._requests import RequestsBearerAuth

__all__ = ["BearerAuth", "RequestsBearerAuth"]


def __getattr__(name: str) -> Any:
    if name == "RequestsBearerAuth":
        from ._requests import RequestsBearerAuth

        return RequestsBearerAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
