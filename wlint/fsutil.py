"""File-system helpers shared by the fixer and the reporters."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Union


def write_atomic(path: Union[str, os.PathLike[str]], text: str, encoding: str = "utf-8") -> None:
    """Write via a temporary file in the same folder and rename over the target,
    keeping the target's permission bits: a crash never leaves a half-written file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".wlint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: str) -> int:
    """The target's permission bits, or what `open()` would give a new file (mkstemp's
    0o600 would make a new report unreadable to others)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
