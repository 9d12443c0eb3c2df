"""File-system helpers shared by the fixer, the readers and the reporters.

Reading: `read_regular` reads only regular files (never a device, FIFO or
socket: a committed `zero.py -> /dev/zero` or a FIFO must neither exhaust
memory nor hang), optionally only inside a root folder (a symlink out of the
analysed tree is not followed), and at most `MAX_FILE_BYTES`.

Writing: `write_atomic` writes a report or a fixed source so that a crash
never leaves a half-written file, the file keeps its mode, owner and hard
links, a symlink keeps pointing at its (rewritten) target, and a file that
changed since it was read is left alone (`FileChanged`). Every failure is a
`WriteError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from typing import Optional, Union

MAX_FILE_BYTES = 16 * 1024 * 1024  # no hand-written model file comes near this

PathLike = Union[str, "os.PathLike[str]"]


class UnsafeFile(OSError):
    """A path that is not read: not a regular file, outside the tree or too large."""


class WriteError(OSError):
    """A write that did not happen; `str()` is one line naming the path."""


class FileChanged(WriteError):
    """The file's bytes differ from what was read: someone else changed it."""


# ------------------------------------------------------------------ reading
def inside(path: PathLike, root: PathLike) -> bool:
    """Does `path`, all symlinks resolved, lie in `root` (resolved too)?"""
    return _within(os.path.realpath(path), os.path.realpath(root))


def read_regular(path: PathLike, root: Optional[PathLike] = None,
                 limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file; UnsafeFile when it is something else, lies outside
    `root` (after resolving links) or holds more than `limit` bytes. The file is opened
    non-blocking and checked with fstat before any read, so a FIFO never blocks.

    Inside a `root`, the file opened is the one checked: the resolved path is opened one
    folder at a time with O_NOFOLLOW (where the platform has `dir_fd`; else only the
    last part), and the opened file must be the one `stat` found at that path (st_dev,
    st_ino), so a link swapped in between the check and the open is refused."""
    path = os.fspath(path)
    flags = os.O_RDONLY | _flag("O_NONBLOCK") | _flag("O_NOCTTY") | _flag("O_CLOEXEC") | \
        _flag("O_BINARY")
    if not hasattr(os, "O_NONBLOCK") and not stat.S_ISREG(os.stat(path).st_mode):
        raise UnsafeFile(f"{path}: not a regular file; not read")  # (no O_NONBLOCK here)
    checked: Optional[os.stat_result] = None
    if root is None:
        fd = os.open(path, flags)
    else:
        real, top = os.path.realpath(path), os.path.realpath(root)
        if not _within(real, top):
            raise UnsafeFile(f"{path}: links outside the analysed tree; not read")
        checked = os.stat(real)
        fd = _open_unfollowed(path, real, top, flags)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if checked is not None and (info.st_dev, info.st_ino) != (checked.st_dev,
                                                                   checked.st_ino):
            raise UnsafeFile(f"{path}: changed while it was opened (a swapped link?); not read")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path}: not a regular file; not read")
        if info.st_size > limit:
            raise UnsafeFile(f"{path}: larger than {limit >> 20} MiB; not read")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFile(f"{path}: larger than {limit >> 20} MiB; not read")
    return data


def _flag(name: str) -> int:
    return getattr(os, name, 0)


def _within(real: str, top: str) -> bool:
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _open_unfollowed(shown: str, real: str, top: str, flags: int) -> int:
    """Open `real` (resolved, inside `top`) following no symlink on the way: a part
    that became a link since `realpath` is UnsafeFile."""
    nofollow = _flag("O_NOFOLLOW")
    try:
        if os.open not in os.supports_dir_fd or not nofollow or real == top:
            return os.open(real, flags | nofollow)
        parts = os.path.relpath(real, top).split(os.sep)
        folder = os.open(top, os.O_RDONLY | _flag("O_DIRECTORY") | _flag("O_CLOEXEC"))
        try:
            for part in parts[:-1]:
                inner = os.open(part, os.O_RDONLY | _flag("O_DIRECTORY") | nofollow |
                                _flag("O_CLOEXEC"), dir_fd=folder)
                os.close(folder)
                folder = inner
            return os.open(parts[-1], flags | nofollow, dir_fd=folder)
        finally:
            os.close(folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", -1)):
            raise UnsafeFile(f"{shown}: changed while it was opened (a swapped link?); "
                             "not read") from None
        raise


def is_regular_file(path: PathLike) -> bool:
    """A regular file (links followed); False for devices, FIFOs, sockets, folders."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


# ------------------------------------------------------------------ writing
def write_atomic(path: PathLike, text: Union[str, bytes], encoding: str = "utf-8",
                 expected: Optional[bytes] = None) -> None:
    """Write `text` to `path`: via a temporary file renamed over the target, or in
    place when a rename would split hard links or change the owner.

    A symlink is resolved and its target written. `expected`: the bytes the file held
    when it was read; checked right before the replace (FileChanged if they differ).
    A read-only file is refused, never replaced behind its mode. WriteError on failure."""
    shown = os.fspath(path)
    target = os.path.realpath(shown)
    data = text if isinstance(text, bytes) else text.encode(encoding)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _failed(shown, exc) from None
    if info is not None:
        _check_writable(shown, target, info)
    try:
        if info is not None and (info.st_nlink > 1 or _needs_owner(info)):
            _write_in_place(shown, target, data, expected)
        else:
            _replace(shown, target, data, info, expected)
    except WriteError:
        raise
    except OSError as exc:
        raise _failed(shown, exc) from None


def _check_writable(shown: str, target: str, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise WriteError(f"{shown}: is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise WriteError(f"{shown}: not a regular file; not written")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError(f"{shown}: file is read-only; not written")


def _needs_owner(info: os.stat_result) -> bool:
    """Would a new file get another owner or group (and we cannot give them back)?"""
    if not hasattr(os, "geteuid"):
        return False
    mine = info.st_uid == os.geteuid() and info.st_gid in (os.getegid(), *os.getgroups())
    return not mine and os.geteuid() != 0


def _verify(shown: str, target: str, expected: Optional[bytes]) -> None:
    if expected is None:
        return
    try:
        now = read_regular(target, limit=max(len(expected), 1))
    except OSError:
        now = None
    if now != expected:
        raise FileChanged(f"{shown}: changed while wlint was fixing it; not written")


def _replace(shown: str, target: str, data: bytes, info: Optional[os.stat_result],
             expected: Optional[bytes]) -> None:
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise WriteError(f"{shown}: folder {os.path.dirname(shown) or '.'} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".wlint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, info.st_mode & 0o7777 if info is not None else _new_file_mode())
        if info is not None and hasattr(os, "chown") and os.geteuid() == 0:
            os.chown(tmp, info.st_uid, info.st_gid)  # root keeps the owner too
        _verify(shown, target, expected)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_in_place(shown: str, target: str, data: bytes, expected: Optional[bytes]) -> None:
    """Rewrite the file's own inode (hard links and owner stay); not atomic, so the
    content is verified immediately before and written in one call."""
    with open(target, "r+b") as handle:
        _verify(shown, target, expected)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _failed(shown: str, exc: OSError) -> WriteError:
    return WriteError(f"{shown}: cannot write: {exc.strerror or exc}")


def _new_file_mode() -> int:
    """What `open()` would give a new file (mkstemp's 0o600 would make a new report
    unreadable to others)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ------------------------------------------------------------------ reports
def report_bytes(text: str, json_like: bool) -> bytes:
    """A report as bytes. File names that are not UTF-8 reach us as surrogate escapes:
    a JSON report spells them as `\\udcXX` escapes (valid JSON that decodes back to the
    same name), a text report gives the name's original bytes back."""
    if json_like:
        return "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c
                       for c in text).encode("utf-8") if _has_surrogates(text) \
            else text.encode("utf-8")
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        return text.encode("utf-8", "backslashreplace")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
