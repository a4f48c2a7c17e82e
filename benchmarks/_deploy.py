"""A deployment-like interpreter for cold starts: only each contender's runtime dependencies.

The development venv holds every extra (click and rich for the CLI, pytest, mkdocs...).
That skews a cold start: httpx imports its own CLI whenever click and rich are installed,
which a serverless bundle of ``line-token`` (no extras) never has. So the cold-start
processes run in a separate venv holding ``line-token`` (editable, no extras) and
``line-bot-sdk`` at the version installed here: what each contender would ship.

The venv is made once (about 15 s, from the package index pip is configured with) and
reused, in the system temporary directory, keyed by this Python and the SDK's version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import subprocess
import sys
import tempfile
from pathlib import Path

from ._common import PYTHON, ROOT, child_env


def _sdk_version() -> str:
    return importlib.metadata.version("line-bot-sdk")


def _venv_dir() -> Path:
    key = f"{sys.version}|{_sdk_version()}|{ROOT}".encode()
    return (
        Path(tempfile.gettempdir())
        / f"line-token-bench-deploy-{hashlib.sha256(key).hexdigest()[:12]}"
    )


def deploy_python() -> tuple[str, str]:
    """The interpreter for cold starts and what it is, or the dev venv's and why not.

    Returns ``(python, description)``.
    """
    venv = _venv_dir()
    python = venv / "bin" / "python"
    ready = venv / ".ready"
    if not ready.exists():
        try:
            subprocess.run(
                [PYTHON, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True
            )
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-e",
                    str(ROOT),
                    f"line-bot-sdk=={_sdk_version()}",
                ],
                check=True,
                capture_output=True,
                env=child_env(),
                timeout=600,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return PYTHON, (
                "the development venv (a runtime-only venv could not be made: "
                f"{type(exc).__name__}); httpx there may import click and rich"
            )
        ready.write_text("ok\n", encoding="utf-8")
    return str(python), (
        "a separate venv holding only `line-token` (no extras) and "
        f"`line-bot-sdk=={_sdk_version()}` with their dependencies, as each would be deployed"
    )
