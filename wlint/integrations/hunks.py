"""Unified-diff hunks and reviewdog-style filter modes, as pure functions over diff text.

`parse_unified_diff(text)` reads `git diff` output (renames, new/deleted files,
binary files, C-quoted paths, "\\ No newline at end of file") into one
`FileDiff` per file with the line numbers each side touches. The filter modes
are the ones reviewdog users know:

- ``added``: only lines the change adds or modifies;
- ``diff_context``: any line shown in the diff hunks (added + context lines);
- ``file``: anywhere in a changed file;
- ``nofilter``: everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from wlint.findings import Finding

FILTER_MODES = ("added", "diff_context", "file", "nofilter")

_HUNK = re.compile(r"^@@@* -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_PREFIXES = ("a/", "b/", "c/", "i/", "w/", "o/", "1/", "2/")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass
class FileDiff:
    """What one file's diff touches. Line numbers are 1-based."""

    old_path: str | None  # None: file added
    new_path: str | None  # None: file deleted
    added: set[int] = field(default_factory=set)  # new side, '+' lines
    context: set[int] = field(default_factory=set)  # new side, every line in a hunk
    removed: set[int] = field(default_factory=set)  # old side, '-' lines
    old_context: set[int] = field(default_factory=set)  # old side, every line in a hunk
    binary: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def unquote_path(raw: str) -> str:
    """Undo git's C-style quoting (`"t\\303\\251st.py"` -> `tést.py`)."""
    raw = raw.rstrip("\t")
    if not (len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"'):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            if re.match(r"[0-7]{3}", body[i + 1:i + 4]):
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            if body[i + 1] in _ESCAPES:
                out.append(_ESCAPES[body[i + 1]])
                i += 2
                continue
        out.extend(c.encode("utf-8"))
        i += 1
    return out.decode("utf-8", errors="surrogateescape")


def _strip_prefix(path: str) -> str:
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _side_path(raw: str) -> str | None:
    """Path of a `---`/`+++` line's argument; None for /dev/null."""
    path = unquote_path(raw.split("\t")[0] if not raw.startswith('"') else raw)
    if path == "/dev/null":
        return None
    return _strip_prefix(path)


def _git_header_paths(rest: str) -> tuple[str | None, str | None]:
    """Best effort for `diff --git a/X b/Y` when no ---/+++ lines follow (mode-only,
    binary): quoted halves, or two equal halves split at the middle space."""
    if rest.startswith('"'):
        m = re.match(r'^("(?:[^"\\]|\\.)*")\s+(.*)$', rest)
        if m:
            return _strip_prefix(unquote_path(m.group(1))), _strip_prefix(unquote_path(m.group(2)))
    n = len(rest)
    if n % 2 == 1 and rest[n // 2] == " ":
        a, b = rest[: n // 2], rest[n // 2 + 1:]
        if _strip_prefix(a) == _strip_prefix(b):
            return _strip_prefix(a), _strip_prefix(b)
    parts = rest.split(" ")
    if len(parts) == 2:
        return _strip_prefix(unquote_path(parts[0])), _strip_prefix(unquote_path(parts[1]))
    return None, None


def parse_unified_diff(text: str) -> dict[str, FileDiff]:
    """`{path: FileDiff}` keyed by the new path (the old path for deleted files)."""
    files: list[FileDiff] = []
    cur: FileDiff | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            old, new = _git_header_paths(line[len("diff --git "):])
            cur = FileDiff(old, new)
            files.append(cur)
        elif cur is None:
            pass
        elif line.startswith("new file mode"):
            cur.old_path = None
        elif line.startswith("deleted file mode"):
            cur.new_path = None
        elif line.startswith(("rename from ", "copy from ")):
            cur.old_path = unquote_path(line.split(" ", 2)[2])
        elif line.startswith(("rename to ", "copy to ")):
            cur.new_path = unquote_path(line.split(" ", 2)[2])
        elif line.startswith("Binary files ") or line == "GIT binary patch":
            cur.binary = True
        elif line.startswith("--- "):
            cur.old_path = _side_path(line[4:])
        elif line.startswith("+++ "):
            cur.new_path = _side_path(line[4:])
        else:
            m = _HUNK.match(line)
            if m:
                i = _read_hunk(lines, i + 1, m, cur)
                continue
        i += 1
    result: dict[str, FileDiff] = {}
    for fd in files:
        if fd.path:
            result[fd.path] = fd
    return result


def _read_hunk(lines: Sequence[str], i: int, m: re.Match, fd: FileDiff) -> int:
    """Consume one hunk's body (counting lines, so a removed line reading
    `--- x` is not mistaken for a header); return the index after it."""
    old_no, new_no = int(m.group(1)), int(m.group(3))
    old_left = int(m.group(2)) if m.group(2) is not None else 1
    new_left = int(m.group(4)) if m.group(4) is not None else 1
    while i < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[i]
        tag = line[:1]
        if tag == "+":
            fd.added.add(new_no)
            fd.context.add(new_no)
            new_no += 1
            new_left -= 1
        elif tag == "-":
            fd.removed.add(old_no)
            fd.old_context.add(old_no)
            old_no += 1
            old_left -= 1
        elif tag == " " or line == "":
            fd.context.add(new_no)
            fd.old_context.add(old_no)
            new_no += 1
            old_no += 1
            new_left -= 1
            old_left -= 1
        elif tag == "\\":
            pass
        else:
            break
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    return i


def is_base_side(f: Finding) -> bool:
    """Findings on removed keys point into the base revision (DESIGN §5)."""
    return f.key is None and f.old_key is not None


def in_filter(diffs: dict[str, FileDiff], path: str, line: int, mode: str) -> bool:
    """Does a head-side (path, line) pass the filter mode?"""
    if mode == "nofilter":
        return True
    if mode not in FILTER_MODES:
        raise ValueError(f"unknown filter mode {mode!r}")
    fd = diffs.get(path)
    if fd is None or fd.new_path is None:
        return False
    if mode == "file":
        return True
    if mode == "diff_context":
        return line in fd.context
    return line in fd.added


def filter_findings(
    findings: Iterable[Finding], diffs: dict[str, FileDiff], mode: str,
) -> tuple[list[Finding], list[Finding]]:
    """(kept, dropped) by the filter mode, for head-side findings."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for f in findings:
        (kept if in_filter(diffs, f.path, f.line, mode) else dropped).append(f)
    return kept, dropped


def comment_anchor(diffs: dict[str, FileDiff], f: Finding) -> tuple[str, int, str] | None:
    """(path, line, side) where GitHub accepts an inline review comment for the
    finding, or None: the line must be inside a hunk of that side."""
    if is_base_side(f):
        # a removal: the deleted line is on the base side (`base_line`; older findings
        # carried the base line itself)
        line = int(f.extra.get("base_line", f.line))
        path = str(f.extra.get("base_path", f.path))
        for fd in diffs.values():
            if fd.old_path == path and line in fd.old_context:
                return fd.path, line, "LEFT"
        return None
    head = diffs.get(f.path)
    if head is not None and head.new_path is not None and f.line in head.context:
        return f.path, f.line, "RIGHT"
    return None
