"""Helpers for the command-line tests (imported by name: tests/cli is on sys.path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from click.testing import CliRunner, Result

from line_token.cli._app import cli


@dataclass
class Run:
    """Invoke ``line-token`` in-process with a given environment."""

    env: dict[str, str | None]

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> Result:
        merged = {**self.env, **(env or {})}
        return CliRunner().invoke(cli, list(args), env=merged, input=input, prog_name="line-token")


def single_error_line(result: Result) -> str:
    """The one ``line-token: error:`` line on stderr (and assert there is no traceback)."""
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("line-token: error: "), lines[0]
    return lines[0]
