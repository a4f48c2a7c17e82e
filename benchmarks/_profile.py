"""cProfile top functions, as text for the report."""

from __future__ import annotations

import cProfile
import io
import pstats
import sysconfig
from collections.abc import Callable
from pathlib import Path


def top_functions(fn: Callable[[], object], calls: int, limit: int = 12) -> str:
    """Profile ``calls`` calls of ``fn``; the ``limit`` functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    repo = str(Path(__file__).resolve().parent.parent) + "/"
    body = [line.replace(repo, "").rstrip() for line in lines[start:] if line.strip()]
    roots = (_site_packages(), sysconfig.get_paths()["stdlib"] + "/")
    for root in roots:
        body = [line.replace(root, "") for line in body]
    return "\n".join(body)


def _site_packages() -> str:
    import httpx

    path = httpx.__file__
    return path[: path.index("httpx")]
