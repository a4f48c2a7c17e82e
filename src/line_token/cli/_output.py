"""How the command speaks: human lines (rich), JSON, durations, masking.

Everything printed goes through :class:`Output`, built per invocation so that
it writes to whatever ``sys.stdout``/``sys.stderr`` are at that moment (click's
test runner swaps them). User-supplied text is never parsed as rich markup.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from .._models import mask_token

__all__ = [
    "Output",
    "format_expiry",
    "human_duration",
    "mask_secret",
    "utc_text",
]

OK = "✓"
FAIL = "✗"
SKIP = "-"


def human_duration(seconds: float) -> str:
    """Seconds as people say them: the two largest units, rounded to the minute past a minute.

    Example:
        >>> human_duration(2592000)
        '30 days'
        >>> human_duration(2591990)
        '30 days'
        >>> human_duration(5400)
        '1 hour 30 minutes'
        >>> human_duration(42)
        '42 seconds'
    """
    total = round(abs(seconds))
    if total < 60:
        return _plural(total, "second")
    minutes = round(total / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        _plural(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (mins, "minute")) if n
    ]
    return " ".join(parts[:2])


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def utc_text(timestamp: float) -> str:
    """A UNIX time as ``2026-12-25 13:00 UTC``.

    Example:
        >>> utc_text(0)
        '1970-01-01 00:00 UTC'
    """
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def iso_utc(timestamp: float) -> str:
    """A UNIX time as ISO 8601 in UTC, to the second (for JSON output).

    Example:
        >>> iso_utc(0)
        '1970-01-01T00:00:00Z'
    """
    moment = datetime.fromtimestamp(int(timestamp), tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_expiry(expires_at: float, now: float) -> str:
    """``expires in 30 days (2026-12-25 13:00 UTC)``, or ``expired 5 minutes ago (...)``.

    Example:
        >>> format_expiry(900, 0)
        'expires in 15 minutes (1970-01-01 00:15 UTC)'
    """
    left = expires_at - now
    when = utc_text(expires_at)
    if left <= 0:
        return f"expired {human_duration(-left)} ago ({when})"
    return f"expires in {human_duration(left)} ({when})"


def _lenient(stream: TextIO) -> TextIO:
    r"""``stream``, set to write any ``str``: undecodable bytes that reached us as lone
    surrogates (a variable holding bytes that are not UTF-8) print as ``\udcxx`` escapes
    instead of crashing the command. Done once per stream, for every line written to it.
    """
    reconfigure = getattr(stream, "reconfigure", None)
    # surrogateescape (a C or POSIX locale) already writes such bytes back as they came
    if reconfigure is not None and getattr(stream, "errors", None) == "strict":
        # a stream that cannot change is left as it is
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="backslashreplace")
    return stream


def mask_secret(value: str) -> str:
    """How a secret is shown: its length and a short hash, never its characters.

    Example:
        >>> mask_secret("abc")
        '3 characters, sha256:ba7816bf'
    """
    return f"{len(value)} characters, {mask_token(value)}"


class Output:
    """Writes the command's human and JSON output.

    Args:
        json_mode: print JSON documents instead of human lines.
        quiet: print only the essential value (e.g. the token).
    """

    def __init__(self, *, json_mode: bool = False, quiet: bool = False) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self._stdout = _lenient(sys.stdout)
        self._out = Console(file=self._stdout, soft_wrap=True, highlight=False)
        self._err = Console(file=_lenient(sys.stderr), soft_wrap=True, highlight=False)

    @property
    def human(self) -> bool:
        """Whether decorated human lines should be printed."""
        return not (self.json_mode or self.quiet)

    def raw(self, text: str) -> None:
        """Print ``text`` verbatim on stdout (tokens, JWTs, JWKs: never wrapped or styled)."""
        self._stdout.write(text + "\n")
        self._stdout.flush()

    def json(self, document: Mapping[str, Any] | list[Any]) -> None:
        """Print one JSON document on stdout."""
        self.raw(json.dumps(document, indent=2, sort_keys=False))

    def line(self, text: str = "", style: str | None = None) -> None:
        """Print a human line (suppressed in JSON and quiet modes)."""
        if self.human:
            self._out.print(Text(text, style=style or ""))

    def title(self, text: str) -> None:
        """Print a bold heading line."""
        self.line(text, style="bold")

    def field(self, name: str, value: str, width: int = 12) -> None:
        """Print an aligned ``name  value`` line."""
        if self.human:
            label = Text(f"  {name:<{width}} ", style="dim")
            self._out.print(label + Text(value))

    def check(self, status: str, text: str, fix: str | None = None) -> None:
        """Print one checklist line: ✓ ok, ✗ fail, - skipped; with its fix below a failure."""
        if not self.human:
            return
        mark, style = {
            "ok": (OK, "green"),
            "fail": (FAIL, "bold red"),
            "skip": (SKIP, "yellow"),
        }[status]
        self._out.print(Text(f"{mark} ", style=style) + Text(text))
        if fix:
            self._out.print(Text(f"    fix: {fix}", style="cyan"))

    def note(self, text: str) -> None:
        """A dim remark on stderr (so it never pollutes captured stdout)."""
        if not self.quiet and not self.json_mode:
            self._err.print(Text(text, style="dim"))

    def error(self, text: str) -> None:
        """The one ``line-token: error: ...`` line on stderr."""
        self._err.print(Text("line-token: error: ", style="bold red") + Text(text))
