"""The emulator's wall clock: stands still and moves by hand, or follows real time."""

from __future__ import annotations

import threading
import time

__all__ = ["VirtualClock"]


class VirtualClock:
    """A wall clock (UNIX seconds) that starts at real time and moves by :meth:`advance`.

    Call it like ``time.time``. Thread-safe. By default it stands still between
    ``advance`` calls, so tests decide when time passes. With ``running=True`` it
    follows real time (plus whatever ``advance`` added), as a long-running emulator
    must when its clients sign assertions with their own clock; ``line-token emulator``
    uses one.

    Example:
        >>> clock = VirtualClock(start=1000.0)
        >>> clock.advance(30)
        1030.0
        >>> clock()
        1030.0
        >>> VirtualClock(running=True)() >= time.time() - 1
        True
    """

    __slots__ = ("_lock", "_offset", "_running")

    def __init__(self, start: float | None = None, *, running: bool = False) -> None:
        self._lock = threading.Lock()
        self._running = running
        self._offset = (time.time() if start is None else float(start)) - self._real()

    def _real(self) -> float:
        return time.time() if self._running else 0.0

    def __call__(self) -> float:
        with self._lock:
            return self._real() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (not backward) and return the new time."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0; got {seconds!r}")
        with self._lock:
            self._offset += float(seconds)
            return self._real() + self._offset

    def set(self, now: float | None = None) -> None:
        """Jump to ``now`` (default: the real time); used by ``Emulator.reset``."""
        with self._lock:
            self._offset = (time.time() if now is None else float(now)) - self._real()

    def __repr__(self) -> str:
        running = ", running=True" if self._running else ""
        return f"VirtualClock({self():.3f}{running})"
