"""Injected faults and an optional rate limit: what to do to the next matching requests."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["Fault", "FaultBook", "RateLimiter", "matches"]


def matches(target: str, method: str, path: str) -> bool:
    """``"*"``, a path (any method) or ``"METHOD /path"``."""
    if target == "*":
        return True
    if " " in target:
        want_method, _, want_path = target.partition(" ")
        return want_method.upper() == method.upper() and want_path == path
    return target == path


@dataclass(slots=True)
class Fault:
    """One injected fault; ``remaining`` counts the requests it still applies to."""

    target: str
    status: int | None = None
    body: Any = None
    delay: float = 0.0
    drop: bool = False
    remaining: int = 1
    retry_after: int | float | str | None = None
    process: bool = False

    def describe(self) -> str:
        """Short text for the request log."""
        if self.drop:
            return "drop"
        if self.status is not None:
            return f"status {self.status}"
        return f"delay {self.delay:g}s"


class FaultBook:
    """Faults in injection order; the first matching one is used up first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue ``fault``."""
        self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (counts it down)."""
        for fault in self._faults:
            if matches(fault.target, method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults not yet used up."""
        return list(self._faults)

    def clear(self) -> None:
        """Forget every fault."""
        self._faults.clear()


class RateLimiter:
    """At most ``limit`` requests per ``per`` seconds (emulator clock) per target."""

    def __init__(self) -> None:
        self._limits: dict[str, tuple[int, float, deque[float]]] = {}

    def set(self, target: str, limit: int, per: float) -> None:
        """Limit ``target`` (same forms as faults)."""
        self._limits[target] = (limit, per, deque())

    def exceeded(self, method: str, path: str, now: float) -> bool:
        """Record this request; True when it is over a limit (then it is not counted)."""
        hit = [w for t, w in self._limits.items() if matches(t, method, path)]
        for _limit, per, times in hit:
            while times and now - times[0] >= per:
                times.popleft()
        if any(len(times) >= limit for limit, _per, times in hit):
            return True
        for _limit, _per, times in hit:
            times.append(now)
        return False

    def clear(self) -> None:
        """Remove every limit."""
        self._limits.clear()
