"""Expectations written next to the fixture code, shared by the rule tests and the
flake8-equivalence test.

- `# expect: WL101` (trailing comment) on the line where a finding is expected;
  several codes: `# expect: WL101, WL102`; a column (1-based, as flake8 prints
  it): `# expect: WL101@13`.
- `# fixture: target-torch=2.6` on any line sets the configuration for the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"

_ITEM = r"[A-Z]{2}\d{3}(?:@\d+)?"
_EXPECT = re.compile(rf"#\s*expect:\s*(?P<codes>{_ITEM}(?:\s*,\s*{_ITEM})*)")
_OPTION = re.compile(r"#\s*fixture:\s*(?P<opts>.*)$")


class Expectation:
    """Expected findings of one fixture file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.lines: Dict[Tuple[int, str], Optional[int]] = {}
        self.options: Dict[str, str] = {}
        for number, line in enumerate(self.text.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for item in re.split(r"\s*,\s*", match.group("codes")):
                    code, _, col = item.partition("@")
                    self.lines[(number, code)] = int(col) if col else None
            option = _OPTION.search(line)
            if option:
                for pair in option.group("opts").split():
                    key, _, value = pair.partition("=")
                    self.options[key] = value

    @property
    def target_torch(self) -> Optional[str]:
        return self.options.get("target-torch")

    def mismatches(self, found: Set[Tuple[int, int, str]]) -> List[str]:
        """Differences between expected and found (line, col 1-based, code) triples."""
        problems: List[str] = []
        seen = {(line, code) for line, _, code in found}
        for line, col, code in sorted(found):
            if (line, code) not in self.lines:
                problems.append(f"unexpected {code} at {line}:{col}")
            elif self.lines[(line, code)] not in (None, col):
                wanted = self.lines[(line, code)]
                problems.append(f"{code} at {line}:{col}, expected column {wanted}")
        for (line, code) in sorted(self.lines):
            if (line, code) not in seen:
                problems.append(f"missing {code} at line {line}")
        return problems


def fixture_files() -> List[Path]:
    return sorted(Path(p) for p in _walk(FIXTURES))


def _walk(top: Path) -> List[str]:
    out: List[str] = []
    for folder, _, files in os.walk(top):
        out.extend(os.path.join(folder, f) for f in files if f.endswith(".py"))
    return out


_FINDING_LINE = re.compile(r"^\S.*?:\d+:\d+: [A-Z]{2}\d{3} ")


def finding_lines(out: str) -> List[str]:
    """The `path:line:col: CODE message` lines of a text report (not the class headers,
    notes and summary line people read)."""
    return [line for line in out.splitlines() if _FINDING_LINE.match(line)]
