"""The emulator's wall clock: real time at the start, then moved only by hand."""

from __future__ import annotations

import threading
import time

__all__ = ["VirtualClock"]


class VirtualClock:
    """A wall clock (UNIX seconds) that starts at real time and moves only by :meth:`advance`.

    Call it like ``time.time``. Thread-safe.

    Example:
        >>> clock = VirtualClock(start=1000.0)
        >>> clock.advance(30)
        1030.0
        >>> clock()
        1030.0
    """

    __slots__ = ("_lock", "_now")

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._now = time.time() if start is None else float(start)

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (not backward) and return the new time."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0; got {seconds!r}")
        with self._lock:
            self._now += float(seconds)
            return self._now

    def set(self, now: float | None = None) -> None:
        """Jump to ``now`` (default: the real time); used by ``Emulator.reset``."""
        with self._lock:
            self._now = time.time() if now is None else float(now)

    def __repr__(self) -> str:
        return f"VirtualClock({self():.3f})"
