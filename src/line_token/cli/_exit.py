"""Exit codes, and turning any failure into one actionable line on stderr.

=====  ==============================================================
code   meaning
=====  ==============================================================
0      success
1      ``check`` found a problem; or an unexpected failure
2      usage error or bad input: a missing variable, an unreadable key,
       a file that would be overwritten
3      LINE (or the emulator) rejected the request: wrong secret,
       unknown kid, invalid or expired token...
4      network: LINE could not be reached (connection, timeout)
=====  ==============================================================
"""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from .._errors import InvalidInputError, LineApiError, LineTokenError, TransportError

__all__ = [
    "EXIT_FAILED",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "CliError",
    "from_library_error",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_NETWORK = 4

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  `check` found a problem, or an unexpected failure
  2  usage error or bad input (missing variable, unreadable key...)
  3  LINE rejected the request (wrong secret, unknown kid, bad token...)
  4  network failure (LINE could not be reached)"""


class CliError(click.ClickException):
    """A failure the user can act on: printed as ``line-token: error: <message>``.

    Args:
        message: what went wrong and how to fix it, in one line.
        exit_code: one of the ``EXIT_*`` codes.
    """

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares a ClassVar

    def show(self, file: IO[Any] | None = None) -> None:
        """Write the one-line message to stderr."""
        stream = file if file is not None else sys.stderr
        message = self.format_message().encode("utf-8", "backslashreplace").decode("utf-8")
        click.echo(f"line-token: error: {message}", file=stream)


def from_library_error(
    exc: LineTokenError, context: str | None = None, base_url: str | None = None
) -> CliError:
    """The :class:`CliError` for a library error, with the exit code of its kind.

    Args:
        exc: the error the library raised (its message never holds a secret).
        context: what the command was doing, prefixed to the message.
        base_url: the API root the command talked to, named in network errors.
    """
    prefix = f"{context}: " if context else ""
    if isinstance(exc, InvalidInputError):
        return CliError(prefix + str(exc), EXIT_USAGE)
    if isinstance(exc, LineApiError):
        return CliError(prefix + str(exc), EXIT_REJECTED)
    if isinstance(exc, TransportError):
        where = f" {base_url}" if base_url else " LINE"
        return CliError(
            f"{prefix}cannot reach{where}: {exc}. Check your network connection, or "
            "--base-url / LINE_API_BASE_URL if you meant another server (e.g. the emulator)",
            EXIT_NETWORK,
        )
    return CliError(prefix + str(exc), EXIT_FAILED)
