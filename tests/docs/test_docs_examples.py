"""Every code block of the user guide (docs/*.md) runs against the emulator: docs cannot rot.

How a page's fenced blocks are treated, in order:

* ``python`` blocks are executed one after another in one namespace per page (a reader's
  script growing down the page); async examples run through their own ``asyncio.run``.
* ``bash``/``sh``/``shell`` blocks run in ``bash -euo pipefail``, as one terminal session
  per page: the working directory (a temp dir) and exported variables carry over.
* A python block after ``<!-- run: pytest -->`` is a test file: it is written to a temp
  dir and run by pytest in a subprocess, with no LINE settings in its environment (the
  ``line_emulator`` fixture must be self-contained).
* ``text`` and ``console`` blocks are output samples and diagrams: never run.
* Any block after ``<!-- not-run: REASON -->`` is not run (a reason is required).
* Anything else fails the test: an unmarked block in another language, or an indented fence.

Both kinds of runnable block see the same settings a reader exports after
`line-token emulator`: ``LINE_API_BASE_URL`` (a fresh emulator served on a free loopback
port), ``LINE_CHANNEL_ID``, ``LINE_CHANNEL_SECRET``, ``LINE_ASSERTION_KID``,
``LINE_ASSERTION_KEY`` (a key file registered on the channel), ``REDIS_URL`` (a private
redis-server on a free loopback port, for pages that use it) and ``XDG_CACHE_HOME`` (so
the managers' default SQLite store lands in the temp dir).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from line_token import generate_key_pair
from line_token.emulator import Emulator, VirtualClock

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Written by other tools (python -m benchmarks, the reliability tests); not hand-written guide.
GENERATED = {"benchmarks.md", "reliability.md"}

PYTHON = {"python", "py"}
SHELL = {"bash", "sh", "shell"}
OUTPUT = {"text", "console"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARK = re.compile(r"^<!--\s*(?P<what>not-run|run)\s*:\s*(?P<arg>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    mark: str | None  # "not-run: reason", "run: pytest", or None
    indented: bool

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def parse_blocks(text: str, page: str) -> list[Block]:
    """The fenced blocks of ``text`` with the marker comment right above each, if any."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not (
            lines[i].strip().startswith(fence[0] * len(fence))
            and set(lines[i].strip()) == {fence[0]}
        ):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        above = lines[start - 1].strip() if start > 0 else ""
        mark = _MARK.match(above)
        blocks.append(
            Block(
                page=page,
                line=start + 1,
                lang=info.split()[0].lower() if info else "",
                code="\n".join(body) + "\n",
                mark=f"{mark.group('what')}: {mark.group('arg')}" if mark else None,
                indented=bool(m.group("indent")),
            )
        )
    return blocks


def plan(block: Block) -> str:
    """How the test treats ``block``: python, shell, pytest or skip; ValueError if unmarked."""
    if block.indented:
        raise ValueError(f"{block.where}: indented fence; write code blocks at column 0")
    if block.mark is not None:
        what, _, arg = block.mark.partition(":")
        if what == "not-run" and arg.strip():
            return "skip"
        if what == "not-run":
            raise ValueError(f"{block.where}: <!-- not-run: REASON --> needs a reason")
        if arg.strip() == "pytest" and block.lang in PYTHON:
            return "pytest"
        raise ValueError(f"{block.where}: unknown marker {block.mark!r} on a {block.lang!r} block")
    if block.lang in PYTHON:
        return "python"
    if block.lang in SHELL:
        return "shell"
    if block.lang in OUTPUT:
        return "skip"  # an output sample or a diagram
    raise ValueError(
        f"{block.where}: a {block.lang or 'plain'!r} block is neither run nor marked; "
        "use python/bash, text/console for output, or <!-- not-run: reason --> above it"
    )


def test_plan_refuses_unmarked_and_badly_marked_blocks() -> None:
    """A block the test would not run must say so; otherwise the page fails."""
    blocks = parse_blocks(
        "```yaml\na: 1\n```\n\n```\nplain\n```\n\n<!-- not-run:  -->\n```bash\nx\n```\n"
        "<!-- run: pytest -->\n```bash\nx\n```\n<!-- not-run: config -->\n```yaml\na: 1\n```\n"
        "```console\n$ line-token demo\n```\n",
        "p.md",
    )
    for block in blocks[:4]:
        with pytest.raises(ValueError, match=r"docs/p\.md:\d+"):
            plan(block)
    assert [plan(b) for b in blocks[4:]] == ["skip", "skip"]


def guide_pages() -> list[str]:
    return sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if p.name not in GENERATED)


def test_parse_blocks_reads_languages_and_marks() -> None:
    """The parser sees each fence, its language and the marker comment right above it."""
    text = (
        "# Page\n\n```python\nx = 1\n```\n\n<!-- not-run: installs -->\n```bash\n"
        "pip install x\n```\n\n<!-- run: pytest -->\n```python\ndef test_a(): pass\n```\n"
        "````text\n```python\nnested\n```\n````\n  ```python\n  y = 2\n  ```\n"
    )
    blocks = parse_blocks(text, "p.md")
    assert [(b.lang, b.mark, b.indented) for b in blocks] == [
        ("python", None, False),
        ("bash", "not-run: installs", False),
        ("python", "run: pytest", False),
        ("text", None, False),
        ("python", None, True),
    ]
    assert blocks[0].code == "x = 1\n"
    assert blocks[3].code == "```python\nnested\n```\n"


def test_every_page_is_checked() -> None:
    """The guide pages exist and each has runnable examples or is reference-only."""
    pages = guide_pages()
    for page in (
        "choosing-a-token.md",
        "keys.md",
        "issuing.md",
        "token-manager.md",
        "stores.md",
        "testing.md",
        "integrations.md",
    ):
        assert page in pages
        assert any(
            (b.lang in PYTHON | SHELL and b.mark is None) or b.mark == "run: pytest"
            for b in parse_blocks((DOCS / page).read_text(), page)
        ), f"{page} has no executed example"


def test_api_reference_names_every_public_name() -> None:
    """docs/reference/ renders every name in line_token.__all__ (and the subpackages')."""
    import line_token
    import line_token.emulator
    import line_token.integrations
    import line_token.stores

    text = "\n".join(p.read_text() for p in (DOCS / "reference").glob("*.md"))
    rendered = set(re.findall(r"^::: ([\w.]+)", text, flags=re.MULTILINE))
    short = {name.rsplit(".", 1)[-1] for name in rendered}
    missing = [n for n in line_token.__all__ if n != "__version__" and n not in short]
    for module in (line_token.stores, line_token.integrations, line_token.emulator):
        missing += [f"{module.__name__}.{n}" for n in module.__all__ if n not in short]
    assert not missing, f"not in the API reference: {missing}"
    assert "__version__" in (DOCS / "reference" / "api.md").read_text()


# --- the environment a reader has after `line-token emulator` -----------------------------


@dataclass
class Setup:
    env: dict[str, str]
    cwd: Path
    state: Path
    emulator: Emulator


@pytest.fixture
def setup(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Setup]:
    """A fresh emulator with one channel and a registered key, served on loopback.

    Its clock follows real time, like ``line-token emulator``'s (assertions are signed
    with this machine's clock).
    """
    emulator = Emulator(clock=VirtualClock(running=True))
    channel = emulator.create_channel(display_name="My bot")
    pair = generate_key_pair()
    kid = emulator.register_public_key(channel.channel_id, pair.public_jwk)
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    key_path = secrets / "assertion-key.pem"
    key_path.write_bytes(pair.private_pem)
    key_path.chmod(0o600)
    work = tmp_path / "work"
    work.mkdir()
    with emulator.serve() as server:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("LINE_", "REDIS_", "PYTEST_", "XDG_"))
        }
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            LINE_API_BASE_URL=server.base_url,
            LINE_CHANNEL_ID=channel.channel_id,
            LINE_CHANNEL_SECRET=channel.channel_secret,
            LINE_ASSERTION_KID=kid,
            LINE_ASSERTION_KEY=str(key_path),
            # what a reader pastes from the Console (the emulator's Console issues it)
            LINE_CHANNEL_ACCESS_TOKEN=emulator.issue_long_lived_token(channel.channel_id),
            XDG_CACHE_HOME=str(tmp_path / "cache"),
        )
        if "REDIS_URL" in (DOCS / request.node.callspec.params["page"]).read_text():
            env["REDIS_URL"] = request.getfixturevalue("redis_url")  # flushed, from conftest
        yield Setup(env, work, tmp_path / "shell-state.sh", emulator)


def _run_python(block: Block, namespace: dict[str, object]) -> None:
    code = compile(block.code, block.where, "exec")
    exec(code, namespace)


def _run_shell(block: Block, setup: Setup) -> None:
    script = (
        f'if [ -f "{setup.state}" ]; then source "{setup.state}"; fi\n'
        f"trap 'export -p > \"{setup.state}\"' EXIT\n" + block.code
    )
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=setup.cwd,
        env=setup.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"{block.where}: exit {result.returncode}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )


def _run_pytest(block: Block, setup: Setup, n: int) -> None:
    folder = setup.cwd.parent / f"pytest-{n}"
    folder.mkdir()
    (folder / f"test_guide_example_{n}.py").write_text(block.code)
    env = {k: v for k, v in setup.env.items() if not k.startswith("LINE_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", "."],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{block.where}: pytest failed\n{result.stdout}{result.stderr}"


# Newer Starlette warns that its TestClient (which FastAPI's docs and ours use) wants httpx2;
# a reader sees a warning, our filterwarnings=error would make it a failure.
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
@pytest.mark.parametrize("page", guide_pages())
def test_page_examples_run(page: str, setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each block of the page runs against the emulator, or is explicitly marked not to."""
    blocks = parse_blocks((DOCS / page).read_text(), page)
    for name in [k for k in os.environ if k.startswith(("LINE_", "REDIS_", "XDG_"))]:
        monkeypatch.delenv(name)
    for name, value in setup.env.items():
        if name.startswith(("LINE_", "REDIS_", "XDG_")):
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(setup.cwd)
    root = logging.getLogger()  # a page may call logging.basicConfig(); undo it after
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    namespace: dict[str, object] = {"__name__": "__main__"}
    plans = [(block, plan(block)) for block in blocks]  # reject a bad page before running it
    for n, (block, how) in enumerate(plans):
        if how == "python":
            _run_python(block, namespace)
        elif how == "shell":
            _run_shell(block, setup)
        elif how == "pytest":
            _run_pytest(block, setup, n)
