"""What every case shares: settings, statistics, result rows and the emulator server process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent

MET = "met"
MISSED = "missed"
SKIPPED = "not available"


@dataclass(frozen=True, slots=True)
class Settings:
    """How hard to push: ``quick`` is the CI smoke run (a few iterations per case)."""

    quick: bool

    def n(self, full: int, quick: int) -> int:
        """``full`` iterations normally, ``quick`` in the smoke run."""
        return quick if self.quick else full


@dataclass(frozen=True, slots=True)
class Stats:
    """Median and 99th percentile of a list of samples (seconds, bytes or counts)."""

    median: float
    p99: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        """Summarise ``samples`` (at least one)."""
        ordered = sorted(samples)
        rank = max(0, min(len(ordered) - 1, round(0.99 * (len(ordered) - 1))))
        return cls(statistics.median(ordered), ordered[rank], len(ordered))


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps three significant figures."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def fmt_bytes(n: float) -> str:
    """A size in MiB."""
    return f"{n / (1 << 20):.1f} MiB"


def fmt_ratio(ratio: float | None) -> str:
    """``0.31x``; empty when there is nothing to compare with."""
    return "" if ratio is None else f"{ratio:.2f}x"


@dataclass(slots=True)
class Row:
    """One line of the results table.

    ``ratio`` compares ``median`` with the case's reference (named in ``ratio_to``).
    ``target`` and ``verdict`` are filled on the rows a target of issue #8 is about.
    """

    case: str
    contender: str
    median: str
    p99: str = ""
    ratio: str = ""
    ratio_to: str = ""
    target: str = ""
    verdict: str = ""


@dataclass(slots=True)
class Section:
    """A case's rows, plus notes (explanations, profiles) for docs/benchmarks.md."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def timing(
        self,
        contender: str,
        stats: Stats,
        *,
        ref: Stats | None = None,
        ref_name: str = "",
        target: str = "",
        limit: float | None = None,
        fmt: Any = fmt_time,
    ) -> float | None:
        """Add a row for ``stats``; with ``limit``, the verdict is ``ratio <= limit``."""
        ratio = stats.median / ref.median if ref is not None and ref.median > 0 else None
        verdict = ""
        if limit is not None and ratio is not None:
            verdict = MET if ratio <= limit else MISSED
        self.rows.append(
            Row(
                self.title,
                contender,
                fmt(stats.median),
                fmt(stats.p99),
                fmt_ratio(ratio),
                ref_name if ratio is not None else "",
                target,
                verdict,
            )
        )
        return ratio

    def skip(self, why: str) -> None:
        """Mark the whole case as not available, saying why."""
        self.rows.append(Row(self.title, f"— {why}", "", verdict=SKIPPED))


def child_env(**extra: str) -> dict[str, str]:
    """Environment for benchmark child processes (no user site, no stray warnings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


@dataclass(slots=True)
class Fixture:
    """The emulator server process and the channel it was prepared with."""

    base_url: str
    channel_id: str
    channel_secret: str
    kid: str
    pem_path: str
    pem: bytes


class EmulatorProcess:
    """The emulator's real HTTP server in its own process, so it never shares our GIL.

    The server costs the same for every contender; it runs on the other core of
    a 2-core machine. Counts come from the console route ``/__emulator__/requests``.
    """

    def __init__(self, mode: str = "nodelay") -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="line-token-bench-")
        pem_path = str(Path(self._dir.name) / "key.pem")
        self._proc = subprocess.Popen(
            [PYTHON, "-m", "benchmarks._emuproc", pem_path, mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=child_env(),
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator server process did not start")
        info = json.loads(line)
        self.fixture = Fixture(
            info["base_url"],
            info["channel_id"],
            info["channel_secret"],
            info["kid"],
            pem_path,
            Path(pem_path).read_bytes(),
        )

    @property
    def pid(self) -> int:
        """The server process id (for profiling notes)."""
        return self._proc.pid

    def counts(self) -> dict[str, int]:
        """Requests per ``"METHOD /path"`` so far."""
        url = self.fixture.base_url + "/__emulator__/requests"
        with urllib.request.urlopen(url, timeout=30) as response:
            data: dict[str, Any] = json.loads(response.read())
        return {str(k): int(v) for k, v in data["counts"].items()}

    def count(self, endpoint: str) -> int:
        """Requests to ``endpoint`` (``"POST /oauth2/v3/token"``) so far."""
        return self.counts().get(endpoint, 0)

    def close(self) -> None:
        """Stop the server process and remove its files."""
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._dir.cleanup()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def now_ns() -> int:
    """``time.perf_counter_ns`` (one name to import)."""
    return time.perf_counter_ns()
