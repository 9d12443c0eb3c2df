"""Terminal styling shared by the human-readable reporters: colour (NO_COLOR /
FORCE_COLOR honoured, as ruff and mypy do), wrapping, and the words that
describe a finding's extras (sibling copies, containing classes, base line)."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import IO, Any, Dict, List, Mapping, Optional, Sequence

from wlint.findings import Finding

SEVERITY_COLORS = {"error": "31", "warning": "33", "info": "36"}  # red, yellow, cyan
DEFAULT_WIDTH = 100


def use_color(stream: Optional[IO[str]] = None, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Colour when writing to a terminal; FORCE_COLOR (non-empty, not "0") forces it on,
    NO_COLOR (non-empty, https://no-color.org) forces it off, TERM=dumb too."""
    env = os.environ if environ is None else environ
    if env.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    if env.get("NO_COLOR", "") or env.get("TERM") == "dumb":
        return False
    stream = sys.stdout if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


def terminal_width(color: bool) -> Optional[int]:
    """Wrap width on a terminal; None (no wrapping of finding lines) when piped."""
    if not color:
        return None
    return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


class Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")

    def severity(self, text: str, severity: str) -> str:
        return self.paint(text, "1;" + SEVERITY_COLORS.get(severity, "33"))


def wrap(text: str, width: Optional[int], indent: str = "", first: str = "") -> List[str]:
    """Lines of `text` wrapped at `width` (None: one line), the first prefixed by `first`
    and the others by `indent`; keys and quoted names are never split."""
    if width is None:
        return [first + text]
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first]


def plural(n: int, word: str, many: Optional[str] = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# -- what the extras of a finding say ------------------------------------------------


def index_ranges(numbers: Sequence[int]) -> str:
    """`0–31`, `0–3, 7, 9–10` for a sorted list of indices."""
    out: List[str] = []
    start = prev = None
    for n in sorted(set(numbers)):
        if start is None:
            start = prev = n
        elif n == prev + 1:  # type: ignore[operator]
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(out)


def copies_text(f: Finding) -> Optional[str]:
    """`32 copies: layers.0–31` for a finding that stands for sibling copies."""
    copies = f.extra.get("siblings") or []
    if len(copies) < 2:
        return None
    pattern = f.key or f.old_key or ""
    keys = [str(c.get("key") or c.get("old_key") or "") for c in copies]
    return f"{len(copies)} copies: {compress(pattern, keys)}"


def compress(pattern: str, keys: Sequence[str]) -> str:
    """`layers.0–31.mlp.net.0.weight` for the keys matching `layers.{i}.mlp.net.0.weight`
    (one `{i}`); otherwise the first keys and a count."""
    parts = pattern.split(".")
    if parts.count("{i}") == 1:
        at = parts.index("{i}")
        numbers = []
        for key in keys:
            kp = key.split(".")
            if len(kp) != len(parts) or not kp[at].isdigit():
                break
            numbers.append(int(kp[at]))
        else:
            return ".".join(parts[:at] + [index_ranges(numbers)] + parts[at + 1:])
    shown = ", ".join(keys[:3])
    return shown + (f", … ({len(keys)} keys)" if len(keys) > 3 else "")


def container_rows(f: Finding) -> List[Dict[str, Any]]:
    """The containing classes of a finding (nested entries flattened), outermost last."""
    rows: List[Dict[str, Any]] = []

    def walk(entries: Sequence[Dict[str, Any]]) -> None:
        for e in entries:
            rows.append(e)
            walk(e.get("containers") or [])

    walk(f.extra.get("containers") or [])
    return rows


def key_change(old: Optional[str], new: Optional[str]) -> str:
    if old and new and old != new:
        return f"{old} -> {new}"
    return new or old or ""


def base_text(f: Finding) -> Optional[str]:
    """`was blocks.py:8 at the base revision` for a removal relocated to the head."""
    if "base_line" not in f.extra:
        return None
    return f"was {f.extra.get('base_path', f.path)}:{f.extra['base_line']} in the base revision"


def bare_message(f: Finding) -> str:
    """The message without the `Class: ` prefix (shown in a class header instead)."""
    prefix = f"{f.cls}: " if f.cls else ""
    return f.message[len(prefix):] if prefix and f.message.startswith(prefix) else f.message


def headline(f: Finding) -> str:
    """The first clause of a message: what changed, without the consequences."""
    text = bare_message(f)
    cut = text.find(": ")
    # not a colon inside a quoted name or a parenthesis
    while cut != -1 and (text.count('"', 0, cut) % 2 or text.count("(", 0, cut) > text.count(")", 0, cut)):
        cut = text.find(": ", cut + 2)
    return text if cut == -1 else text[:cut]


def severity_counts(findings: Sequence[Finding]) -> str:
    """`3 errors, 1 warning, 2 infos` (zero counts left out)."""
    words = {"error": "error", "warning": "warning", "info": "info"}
    counts = {s: sum(1 for f in findings if f.severity == s) for s in words}
    return ", ".join(plural(n, words[s]) for s, n in counts.items() if n)
