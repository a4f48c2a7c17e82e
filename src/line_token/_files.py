"""Files that hold secrets: written 0600, in directories made 0700, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["make_private_dirs", "write_private_file"]


def make_private_dirs(path: Path) -> None:
    """Create directory ``path`` and each missing ancestor 0700; existing ones stay as they are.

    ``Path.mkdir(parents=True)`` gives the ancestors the umask's mode (0777 under umask 000),
    which would let another user replace the directory that will hold the secret.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)


def write_private_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` readable by the owner only (created 0600, never widened).

    Raises:
        FileExistsError: the file exists and ``force`` is false.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # an existing file overwritten with force keeps no wider mode
        os.write(fd, data)
    finally:
        os.close(fd)
