"""Hostile input: environment configuration and command-line arguments.

Properties (hypothesis): whatever the ``LINE_*`` variables hold and whatever arguments
``line-token`` is given, the library raises only its typed errors and the command ends with
one of its documented exit codes and, on failure, one ``line-token: error:`` line — never a
traceback, never an "unexpected" error (the wrapper for a non-typed exception).

Everything runs against the session's emulator over loopback; :func:`loopback_only` makes
any other host (a fuzzed ``LINE_API_BASE_URL``, a ``redis://`` store URL) fail like an
unknown name, so nothing leaves the machine. Fuzzed paths are relative and resolve inside
the test's temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hostile_helpers import loopback_only, outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import line_token as lt
from line_token.cli._app import cli
from line_token.emulator.pytest_plugin import LineEmulator

EXIT_CODES = {0, 1, 2, 3, 4}
LINE_VARS = (
    "LINE_API_BASE_URL",
    "LINE_CHANNEL_ID",
    "LINE_CHANNEL_SECRET",
    "LINE_ASSERTION_KID",
    "LINE_ASSERTION_KEY",
    "LINE_ASSERTION_KEY_PASSWORD",
    "LINE_TOKEN_STORE",
    "LINE_TOKEN_ENCRYPTION_KEY",
)
TOKEN = "eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA.c2ln"

#: Values a careless or hostile setup puts in a setting: URLs that httpx cannot use, ports out
#: of range, IPv6 without its bracket, keys that are not keys, paths that are directories.
SPECIAL = [
    "",
    " ",
    "-",
    "0",
    "-1",
    "1e400",
    "abc",
    "\x00",
    "a\x00b",
    "\udcff",
    "http://",
    "http://a:99999",
    "http://[::1",
    "http://127.0.0.1:0",
    "http://127.0.0.1:1",
    "https://127.0.0.1:1/x?y#z",
    "http://a b",
    "http://%zz",
    "http://\u00e9.invalid",
    "ftp://127.0.0.1",
    "http://user:pass@127.0.0.1:1",
    "redis://example.invalid:6379/0",
    "redis://127.0.0.1:1/0",
    "redis://:pw@127.0.0.1:99999/0",
    "redis://[::1/0",
    "rediss://u:p@[::1]:1/0",
    "unix://",
    "sqlite:",
    "sqlite://",
    "sqlite:tokens.db",
    "tokens.db",
    "dir",
    "key.pem",
    "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----",
    '{"kty": "RSA", "n": "AQ", "e": "AQ", "d": "AQ"}',
    "{" + "[" * 5000,
    "1234567890",
    "9" * 40,
    "kid",
    "x" * 5000,
]


def _safe(value: str) -> bool:
    """Paths the strategy makes up must stay inside the test's directory."""
    stripped = value.strip()
    return not (
        stripped.startswith(("/", "~", "\\"))
        or ".." in value
        or "//" in value.replace("://", "", 1)
        or value.startswith("sqlite:///")
    )


env_values = st.one_of(
    st.sampled_from(SPECIAL),
    st.binary(max_size=40).map(os.fsdecode),  # what a real environment can hold
    st.text(max_size=40),
).filter(lambda v: "\x00" not in v and _safe(v))
#: Arguments reach a program through execve, which cannot pass a NUL.
arg_values = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=30)).filter(
    lambda v: "\x00" not in v and _safe(v)
)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """The test's directory as the working directory, with a key file and a directory."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def _good_env(emu: LineEmulator, home: Path) -> dict[str, str | None]:
    return {
        "LINE_API_BASE_URL": emu.base_url,
        "LINE_CHANNEL_ID": emu.channel_id,
        "LINE_CHANNEL_SECRET": emu.channel_secret,
        "LINE_ASSERTION_KID": emu.kid,
        "LINE_ASSERTION_KEY": str(emu.private_key_path),
        "LINE_ASSERTION_KEY_PASSWORD": None,
        "LINE_TOKEN_STORE": "sqlite:tokens.db",
        "LINE_TOKEN_ENCRYPTION_KEY": None,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
    }


class _Runs:
    """Invocations made and the ones that broke the property, by command."""

    def __init__(self) -> None:
        self.calls = 0
        self.by_code: dict[int, int] = {}
        self.broken: list[str] = []

    def check(self, args: list[str], env: dict[str, str | None], result: Result) -> None:
        self.calls += 1
        self.by_code[result.exit_code] = self.by_code.get(result.exit_code, 0) + 1
        problems = []
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"raised {type(result.exception).__name__}: {result.exception}")
        if result.exit_code not in EXIT_CODES:
            problems.append(f"exit code {result.exit_code}")
        if "Traceback" in result.output or "line-token: error: unexpected" in result.stderr:
            problems.append(f"stderr: {result.stderr[-400:]!r}")
        errors = [
            line
            for line in result.stderr.splitlines()
            if line.startswith(("line-token: error:", "Error:"))  # ours, or click's usage error
        ]
        wanted = {0: (0,), 1: (0, 1)}.get(result.exit_code, (1,))
        if result.exit_code == 2 and result.stderr.startswith("Usage:") and not errors:
            wanted = (0,)  # a group run without its subcommand shows its help (click)
        if len(errors) not in wanted:
            problems.append(f"{len(errors)} error lines: {result.stderr[-400:]!r}")
        if problems:
            changed = {k: v for k, v in env.items() if k.startswith("LINE_")}
            self.broken.append(f"line-token {args!r} {changed!r}: {'; '.join(problems)}")


def _invoke(args: list[str], env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(cli, args, env=env, prog_name="line-token")


# --- environment ----------------------------------------------------------------------------

#: Commands that read the LINE_* variables, run with --retries 0 where they talk to LINE.
ENV_COMMANDS: list[list[str]] = [
    ["assertion"],
    ["issue", "stateless", "--retries", "0"],
    ["issue", "short-lived", "--retries", "0"],
    ["issue", "v2.1", "--token-exp", "60", "--retries", "0"],
    ["verify", TOKEN, "--retries", "0"],
    ["revoke", TOKEN, "--retries", "0"],
    ["kids", "--retries", "0"],
    ["check", "--retries", "0"],
    ["jwk", "key.pem"],
    ["tokens", "list"],
]


#: For the sweep over SPECIAL: a command that reads each variable.
READER = {
    "LINE_ASSERTION_KID": ["assertion"],
    "LINE_ASSERTION_KEY": ["assertion"],
    "LINE_ASSERTION_KEY_PASSWORD": ["assertion"],
    "LINE_TOKEN_STORE": ["tokens", "list"],
    "LINE_TOKEN_ENCRYPTION_KEY": ["tokens", "list"],
}


@pytest.mark.guarantee(
    "Whatever the LINE_* environment variables hold, every line-token command ends with a "
    "documented exit code and one error line: no traceback, no unexpected error."
)
def test_environment_configuration(
    line_emulator: LineEmulator, workdir: Path, figures: Any
) -> None:
    """Each command with LINE_* variables replaced by hostile values (a sweep, then hypothesis)."""
    runs = _Runs()
    good = _good_env(line_emulator, workdir)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        command=st.sampled_from(ENV_COMMANDS),
        changes=st.dictionaries(
            st.sampled_from(LINE_VARS), st.none() | env_values, min_size=1, max_size=4
        ),
    )
    def run(command: list[str], changes: dict[str, str | None]) -> None:
        env = {**good, **changes}
        runs.check(command, env, _invoke(command, env))

    with loopback_only() as refused:
        for name in LINE_VARS:  # every special value in every variable, once
            command = READER.get(name, ["issue", "stateless", "--retries", "0"])
            for value in SPECIAL:
                if "\x00" not in value and _safe(value):  # a real environment holds no NUL
                    env = {**good, name: value}
                    runs.check(command, env, _invoke(command, env))
        run()
    figures.add(calls=runs.calls, failures=len(runs.broken), non_loopback_refused=len(refused))
    assert not runs.broken, "\n".join(runs.broken[:10])
    assert runs.by_code.get(0, 0) > 0
    assert runs.by_code.get(2, 0) > 0


def _client_call() -> None:
    with lt.Client(max_retries=0, timeout=5) as client:
        client.verify_v21_token(TOKEN)


@pytest.mark.parametrize(
    "base_url",
    [
        value
        for value in SPECIAL
        if value.startswith(("http", "ftp", "redis")) or value in ("", " ", "abc", "\udcff")
    ],
)
def test_client_with_a_hostile_base_url_from_the_environment(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Client() under LINE_API_BASE_URL: a typed error (InvalidInputError, TransportError...)."""
    monkeypatch.setenv("LINE_API_BASE_URL", base_url)
    with loopback_only():
        what, error = outcome(_client_call)
    if what == "bug":
        raise error  # type: ignore[misc]
    assert what == "typed", base_url


# --- arguments ------------------------------------------------------------------------------

#: Each command with the options it takes (flags have no value).
COMMANDS: dict[tuple[str, ...], dict[str, bool]] = {
    ("keygen",): {"--out": True, "--bits": True, "--force": False, "--json": False},
    ("jwk",): {"--password": True, "--thumbprint": False},
    ("assertion",): {"--token-exp": True, "--lifetime": True, "--json": False, "--kid": True},
    ("issue", "stateless"): {"--by": True, "--quiet": False, "--json": False, "--timeout": True},
    ("issue", "short-lived"): {"--quiet": False, "--json": False, "--channel-id": True},
    ("issue", "v2.1"): {"--token-exp": True, "--quiet": False, "--json": False, "--key": True},
    ("verify",): {"--json": False, "--base-url": True, "--timeout": True},
    ("revoke",): {"--json": False, "--channel-secret": True},
    ("kids",): {"--json": False, "--kid": True},
    ("check",): {"--json": False, "--channel-id": True},
    ("tokens", "list"): {"--store": True, "--group": True, "--channel-id": True, "--json": False},
    ("tokens", "prune"): {"--store": True, "--group": True, "--json": False},
    ("tokens", "rotate"): {"--store": True, "--kind": True, "--group": True, "--json": False},
    (): {"--version": False, "--help": False, "--debug": False},
}
#: --bits values: refusals only, and 2048 (the one size that is quick to make).
BITS = ["1", "2047", "2048", "4097x", "8193", "99999999", "-5", ""]


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    options = COMMANDS[command]
    args: list[str] = list(command)
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.one_of(st.sampled_from(sorted(options) or ["--json"]), arg_values))
        args.append(choice)
        if options.get(choice):
            pool = st.sampled_from(BITS) if choice == "--bits" else arg_values
            args.append(draw(pool))
    if command in (("jwk",), ("verify",), ("revoke",)) and draw(st.booleans()):
        args.append(draw(arg_values))  # the positional KEYFILE / TOKEN
    if command and command[0] not in ("keygen", "jwk", "tokens") and "--retries" not in args:
        args += ["--retries", "0"]
    return args


@pytest.mark.guarantee(
    "Whatever arguments line-token is given, it ends with a documented exit code and at most "
    "one error line — never a traceback or an unexpected error."
)
def test_command_line_arguments(line_emulator: LineEmulator, workdir: Path, figures: Any) -> None:
    """Each command with arbitrary options, values and positionals, with a correct setup."""
    runs = _Runs()
    env = _good_env(line_emulator, workdir)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(args=argvs())
    def run(args: list[str]) -> None:
        runs.check(args, env, _invoke(args, env))

    with loopback_only() as refused:
        run()
    figures.add(calls=runs.calls, failures=len(runs.broken), non_loopback_refused=len(refused))
    assert not runs.broken, "\n".join(runs.broken[:10])
    assert runs.by_code.get(0, 0) > 0
    assert runs.by_code.get(2, 0) > 0


def test_keygen_refuses_a_size_that_would_take_hours(workdir: Path) -> None:
    """--bits has an upper bound: a typo like 99999999 is a usage error, not a hang."""
    result = _invoke(["keygen", "--bits", "99999999", "--out", "k"], {})
    assert result.exit_code == 2
    assert not (workdir / "k").exists()


def test_the_loopback_guard_refuses_other_hosts() -> None:
    """Control: the guard the properties rely on does refuse a non-loopback host."""
    with (
        loopback_only() as refused,
        lt.Client(base_url="http://example.invalid", max_retries=0) as c,
        pytest.raises(lt.TransportError),
    ):
        c.verify_v21_token(TOKEN)
    assert refused == ["'example.invalid'"]
