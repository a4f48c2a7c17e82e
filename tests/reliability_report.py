"""Writes docs/reliability.md from the tests that prove a guarantee.

A test proves a guarantee by carrying ``@pytest.mark.guarantee("one line")`` and may report
the figures of its run through the ``figures`` fixture::

    @pytest.mark.guarantee("A 503 storm during refresh never hands out an expired token.")
    def test_storm(figures):
        ...
        figures.add(calls=1200, faults=300, failures=0)

The page is written at the end of a session that ran every guarantee: the whole suite with
nothing deselected (``scripts/check`` with no arguments), or any run when the environment
variable ``LINE_TOKEN_RELIABILITY_REPORT=1`` is set. A partial run never overwrites it.
"""

from __future__ import annotations

import os
import platform
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPORT_ENV = "LINE_TOKEN_RELIABILITY_REPORT"
ROOT = Path(__file__).resolve().parent.parent
REPORT_PATH = ROOT / "docs" / "reliability.md"

#: Figures summed into the page's totals line, in this order; others are shown per test only.
TOTALS = ("calls", "faults", "failures", "expired")


class Figures:
    """What one test measured: counts added up over the test, shown beside its guarantee."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def add(self, **counts: int) -> None:
        """Add to the named counts, e.g. ``figures.add(calls=10, faults=2)``."""
        for name, value in counts.items():
            self.values[name] += int(value)


@dataclass
class _Row:
    nodeid: str
    guarantee: str
    outcome: str = "not run"
    seconds: float = 0.0
    figures: dict[str, int] = field(default_factory=dict)


@dataclass
class _State:
    rows: dict[str, _Row] = field(default_factory=dict)
    deselected: int = 0
    started: float = field(default_factory=time.monotonic)


_STATE = _State()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Figures for docs/reliability.md: ``figures.add(calls=..., faults=..., failures=...)``."""
    result = Figures()
    request.node.stash[_FIGURES_KEY] = result
    return result


_FIGURES_KEY = pytest.StashKey[Figures]()


def _guarantee(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("guarantee")
    if marker is None:
        return None
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.guarantee needs the one-line text")
    return " ".join(marker.args[0].split())


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Counts deselected guarantees: a run that skipped any must not rewrite the page."""
    _STATE.deselected += sum(1 for item in items if _guarantee(item) is not None)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Registers every selected test that proves a guarantee."""
    for item in items:
        text = _guarantee(item)
        if text is not None:
            _STATE.rows[item.nodeid] = _Row(item.nodeid, text)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Records each guarantee's outcome, duration and figures."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    row = _STATE.rows.get(item.nodeid)
    if row is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        row.outcome = report.outcome
        row.seconds += report.duration
        measured = item.stash.get(_FIGURES_KEY, None)
        if measured is not None:
            row.figures = dict(measured.values)


def _full_run(session: pytest.Session) -> bool:
    if os.environ.get(REPORT_ENV) == "1":
        return True
    config = session.config
    if _STATE.deselected or config.getoption("keyword") or config.getoption("markexpr"):
        return False
    if config.getoption("lf", False) or config.getoption("exitfirst", False):
        return False
    tests = (ROOT / "tests").resolve()
    args = [Path(str(arg)).resolve() for arg in config.args]
    return all(arg == tests for arg in args) if args else True


def _figures_text(values: dict[str, int]) -> str:
    if not values:
        return ""
    ordered = sorted(
        values,
        key=lambda name: (name not in TOTALS, TOTALS.index(name) if name in TOTALS else 0, name),
    )
    return ", ".join(f"{name} {values[name]:,}" for name in ordered)


def _grouped(rows: list[_Row]) -> list[tuple[str, list[_Row]]]:
    """Rows by guarantee, in the order the guarantees first appear (parametrized cases and
    tests proving the same guarantee share one line)."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.guarantee, []).append(row)
    return list(groups.items())


def _proved_by(rows: list[_Row]) -> str:
    tests: dict[str, int] = {}
    for row in rows:
        test = row.nodeid.split("[", 1)[0]
        tests[test] = tests.get(test, 0) + 1
    parts = []
    for test, cases in tests.items():
        path, _, name = test.partition("::")
        parts.append(f"`{path}` `{name}`" + (f" ({cases} cases)" if cases > 1 else ""))
    return "<br>".join(parts)


def _result(rows: list[_Row]) -> str:
    outcomes: Counter[str] = Counter(row.outcome for row in rows)
    seconds = sum(row.seconds for row in rows)
    text = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    return f"{text} ({seconds:.1f} s)"


def render(rows: list[_Row], seconds: float) -> str:
    """The page's Markdown: a totals line, then one line per guarantee."""
    totals: Counter[str] = Counter()
    for row in rows:
        totals.update({name: value for name, value in row.figures.items() if name in TOTALS})
    groups = _grouped(rows)
    held = sum(1 for _, group in groups if all(row.outcome == "passed" for row in group))
    lines = [
        "# Reliability",
        "",
        "Each line is a guarantee line-token makes, the tests that prove it, and what those",
        "tests measured in the last full run of the suite (`scripts/check`); the figures of",
        "parametrized cases are added up. This page is written by the suite itself",
        "(`tests/reliability_report.py`); do not edit it by hand.",
        "",
        f"**Last run:** {time.strftime('%Y-%m-%d', time.gmtime())}, Python "
        f"{platform.python_version()} on {platform.system()} {platform.machine()}; "
        f"{held} of {len(groups)} guarantees held ({len(rows)} tests); "
        f"{seconds:.0f} s for the whole suite.",
        "",
        "**Totals:** " + (_figures_text(dict(totals)) or "no figures recorded") + ".",
        "",
        "| Guarantee | Proved by | Result | Figures of the last run |",
        "|---|---|---|---|",
    ]
    for guarantee, group in groups:
        figures: Counter[str] = Counter()
        for row in group:
            figures.update(row.figures)
        lines.append(
            f"| {guarantee.replace('|', '/')} | {_proved_by(group)} | {_result(group)} "
            f"| {_figures_text(dict(figures))} |"
        )
    lines.append("")
    return "\n".join(lines)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Writes the page after a run that ran every guarantee."""
    rows = sorted(_STATE.rows.values(), key=lambda row: row.nodeid)
    if not rows or not _full_run(session):
        return
    REPORT_PATH.write_text(render(rows, time.monotonic() - _STATE.started), encoding="utf-8")
