"""Shared pieces of the hostile-input and secrets tests (imported by name from tests/reliability).

- :func:`loopback_only`: while active, any attempt to resolve or reach a host other than
  loopback fails like an unknown host, so a fuzzed ``LINE_API_BASE_URL`` cannot leave the
  machine.
- :func:`outcome`: run a callable and classify what it did: returned, raised one of the
  library's typed errors, or raised anything else (a bug).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

from line_token import LineTokenError

__all__ = ["is_loopback", "loopback_only", "outcome"]


def is_loopback(host: object) -> bool:
    """Whether ``host`` (name or address, str or bytes) is the local machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Refuse every non-loopback name lookup; yields the hosts that were refused."""
    refused: list[str] = []
    original = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            refused.append(repr(host))
            raise socket.gaierror(socket.EAI_NONAME, "refused by the test: not loopback")
        return original(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    try:
        yield refused
    finally:
        socket.getaddrinfo = original


def outcome(call: Callable[[], object]) -> tuple[str, BaseException | None]:
    """``("ok", None)``, ``("typed", error)`` for a LineTokenError, or ``("bug", error)``."""
    try:
        call()
    except LineTokenError as exc:
        return "typed", exc
    except Exception as exc:
        return "bug", exc
    return "ok", None
