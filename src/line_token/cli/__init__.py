"""The ``line-token`` command. Never imported by the library itself."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``line-token`` command."""
    try:
        from ._app import cli
    except ImportError as exc:  # pragma: no cover - depends on the install
        if exc.name in {"click", "rich"}:
            sys.stderr.write(
                "line-token: the command line needs the 'cli' extra: "
                "pip install 'line-token[cli]'\n"
            )
            raise SystemExit(2) from None
        raise
    cli()
