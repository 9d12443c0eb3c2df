"""`# noqa` handling identical to flake8's, so `wlint check`, `wlint diff` and
`flake8 --select WL` suppress exactly the same findings (WL1xx and WL2xx alike).

flake8 searches the physical line of a finding, except inside a multi-line
token (a triple-quoted string), where all its lines count as one; a line
`# flake8: noqa` skips the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Callable, Dict, Iterable, List, Protocol, TypeVar


class _Located(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def line(self) -> int: ...


T = TypeVar("T", bound=_Located)

# The same expressions as flake8.defaults.
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)


def file_is_ignored(lines: List[str]) -> bool:
    """A line that is only `# flake8: noqa` disables checking the file."""
    return any(NOQA_FILE.match(line) for line in lines)


def noqa_line_mapping(text: str, lines: List[str]) -> Dict[int, str]:
    """Line number -> text searched for `noqa` (flake8's `_noqa_line_mapping`)."""
    mapping: Dict[int, str] = {}
    low, high = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            low, high = min(low, tok.start[0]), max(high, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[low - 1:high])
                for number in range(low, high + 1):
                    mapping[number] = joined
                low, high = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


def is_suppressed(code: str, searched: str) -> bool:
    """Does a `# noqa` in `searched` silence `code`? (blanket, exact or prefix)"""
    match = NOQA_INLINE.search(searched)
    if match is None:
        return False
    codes_str = match.group("codes")
    if codes_str is None:
        return True
    codes = [c.strip() for c in re.split(r"[,\s]", codes_str) if c.strip()]
    return code in codes or code.startswith(tuple(codes))


class NoqaFilter:
    """Answers `is_suppressed(code, line)` for one file; tokenizes only if asked."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Universal newlines only (not str.splitlines, which also splits on \f etc.).
        self.lines = io.StringIO(text, newline=None).readlines()
        self._mapping: Dict[int, str] = {}
        self._mapped = False

    def file_ignored(self) -> bool:
        return file_is_ignored(self.lines)

    def suppressed(self, code: str, line: int) -> bool:
        if "noqa" not in self.text.lower():
            return False
        if not self._mapped:
            self._mapping = noqa_line_mapping(self.text, self.lines)
            self._mapped = True
        searched = self._mapping.get(line)
        if searched is None:
            searched = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return is_suppressed(code, searched)


def drop_suppressed(findings: Iterable[T], text_of: Callable[[T], str]) -> List[T]:
    """The findings (anything with `.code` and `.line`) that no `# noqa` in the text
    `text_of(finding)` silences: the WL1xx rules' filter, applied to WL2xx as well."""
    filters: Dict[str, NoqaFilter] = {}
    out: List[T] = []
    for f in findings:
        text = text_of(f)
        noqa = filters.get(text)
        if noqa is None:
            noqa = filters[text] = NoqaFilter(text)
        if not (noqa.file_ignored() or noqa.suppressed(f.code, f.line)):
            out.append(f)
    return out
