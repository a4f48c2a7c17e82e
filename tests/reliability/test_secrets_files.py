"""Secrets: every file line-token writes that holds a secret is 0600, its directory 0700.

Each writer runs twice, under the usual umask (022) and under the most permissive one (000,
which a container or a careless service manager may set), and everything it left in a
fresh directory is walked: private keys and token stores (the SQLite file and its -wal and
-shm companions) must be readable by the owner only, their directories closed to others.
The public halves of a key pair (``public.pem``, ``public.jwk.json``) may be world-readable.

Writers: ``line-token keygen`` (fresh, and ``--force`` over a world-readable file),
``SQLiteStore`` (given a path, and the default store a ``TokenManager`` makes in the user
cache directory), ``line-token tokens rotate`` (which creates its store), the
``line_emulator`` fixture's key file, and the key ``line-token emulator``/``demo`` write.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import line_token as lt
from line_token.cli._app import cli
from line_token.cli._commands_emulator import start_emulator
from line_token.emulator.pytest_plugin import LineEmulator
from line_token.stores import SQLiteStore

PUBLIC = {"public.pem", "public.jwk.json"}
HELD: list[sqlite3.Connection] = []


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _problems(root: Path, *, secret_dirs: set[Path]) -> tuple[int, list[str]]:
    """Files under ``root``, and the directories holding them, whose modes let others in.

    Directories above those (``var/`` in ``var/lib/bot/tokens.db``) are the subject of
    :func:`test_missing_ancestors_of_a_store_are_not_left_open`.
    """
    problems: list[str] = []
    files = 0
    for path in sorted(root.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        shown = f"{path.relative_to(root)} ({oct(mode)})"
        if path.is_dir():
            if path in secret_dirs and mode & 0o077:
                problems.append(f"directory of secrets {shown} is open to others")
        elif path.name in PUBLIC:
            if mode & 0o022:
                problems.append(f"public file {shown} is writable by others")
        else:
            files += 1
            if mode & 0o077:
                problems.append(f"secret file {shown} is not 0600")
    return files, problems


def _keygen(root: Path, emu: LineEmulator) -> set[Path]:
    keys = root / "keys"
    result = CliRunner().invoke(cli, ["keygen", "--out", str(keys)])
    assert result.exit_code == 0, result.output
    forced = root / "forced"
    forced.mkdir(mode=0o700)
    (forced / "private.pem").write_text("old key")
    (forced / "private.pem").chmod(0o644)  # a world-readable file it will overwrite
    result = CliRunner().invoke(cli, ["keygen", "--out", str(forced), "--force"])
    assert result.exit_code == 0, result.output
    return {keys, forced}


def _sqlite_store(root: Path, emu: LineEmulator) -> set[Path]:
    path = root / "var" / "lib" / "bot" / "tokens.db"
    store = SQLiteStore(path)
    manager = lt.TokenManager(
        lt.V21Issuer(emu.signer, emu.channel_secret),
        store=store,
        client=lt.Client(base_url=emu.base_url),
    )
    manager.token()
    # SQLite removes -wal and -shm when the last connection closes: hold one open (with a
    # write in progress) until the walk, so their modes are checked too.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM tokens WHERE 0")
    HELD.append(conn)
    assert {p.name for p in path.parent.iterdir()} >= {"tokens.db-wal", "tokens.db-shm"}
    return {path.parent}


def _default_store(root: Path, emu: LineEmulator) -> set[Path]:
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")
    try:
        manager = lt.TokenManager(
            lt.ShortLivedIssuer(emu.channel_id, emu.channel_secret),
            client=lt.Client(base_url=emu.base_url),
        )
        manager.token()
    finally:
        del os.environ["XDG_CACHE_HOME"]
    assert (root / "cache" / "line-token" / "tokens.db").is_file()
    return {root / "cache" / "line-token"}


def _cli_store(root: Path, emu: LineEmulator) -> set[Path]:
    env = {
        "LINE_API_BASE_URL": emu.base_url,
        "LINE_CHANNEL_ID": emu.channel_id,
        "LINE_CHANNEL_SECRET": emu.channel_secret,
        "LINE_ASSERTION_KID": emu.kid,
        "LINE_ASSERTION_KEY": str(emu.private_key_path),
        "LINE_TOKEN_STORE": f"sqlite:///{root / 'store' / 'tokens.db'}",
    }
    result = CliRunner().invoke(cli, ["tokens", "rotate", "--kind", "v2.1"], env=env)
    assert result.exit_code == 0, result.output
    return {root / "store"}


def _emulator_key(root: Path, emu: LineEmulator) -> set[Path]:
    with start_emulator() as (_emu, _server, seeded):
        key = Path(seeded.key_path)
        mode = stat.S_IMODE(key.stat().st_mode)
        directory = stat.S_IMODE(key.parent.stat().st_mode)
        link = root / "emulator-key-modes"
        # The files vanish with the emulator: record their modes in a file named after them.
        link.mkdir(mode=0o700)
        record = link / f"private.pem-{mode:o}"
        record.touch()
        record.chmod(mode)
        assert directory & 0o077 == 0, oct(directory)
    return {link}


WRITERS: dict[str, Callable[[Path, LineEmulator], set[Path]]] = {
    "keygen": _keygen,
    "SQLiteStore": _sqlite_store,
    "default store": _default_store,
    "tokens rotate": _cli_store,
    "line-token emulator": _emulator_key,
}


@pytest.mark.guarantee(
    "Every file line-token writes holding a secret — keygen's private key, token stores "
    "(SQLite file, -wal, -shm), the emulator's key files — is 0600 in a directory closed to "
    "others, even under umask 000."
)
def test_files_holding_secrets_are_private(
    line_emulator: LineEmulator, tmp_path: Path, figures: Any
) -> None:
    problems: list[str] = []
    files = 0
    for mask in (0o022, 0o000):
        for name, writer in WRITERS.items():
            root = tmp_path / f"{name.replace(' ', '-')}-{mask:03o}"
            root.mkdir(mode=0o700)
            with umask(mask):
                secret_dirs = writer(root, line_emulator)
            try:
                counted, found = _problems(root, secret_dirs=secret_dirs)
            finally:
                while HELD:
                    HELD.pop().close()
            files += counted
            problems += [f"{name} (umask {mask:03o}): {p}" for p in found]
    fixture_key = stat.S_IMODE(line_emulator.private_key_path.stat().st_mode)
    files += 1
    if fixture_key != 0o600:
        problems.append(f"line_emulator.private_key_path is {oct(fixture_key)}")
    figures.add(files=files, failures=len(problems))
    assert not problems, "\n".join(problems)


def test_missing_ancestors_of_a_store_are_not_left_open(tmp_path: Path) -> None:
    """Under umask 000, directories a store creates above its own are not writable by others."""
    with umask(0o000):
        SQLiteStore(tmp_path / "var" / "lib" / "bot" / "tokens.db")
    for directory in (tmp_path / "var", tmp_path / "var" / "lib"):
        assert stat.S_IMODE(directory.stat().st_mode) & 0o022 == 0, directory
