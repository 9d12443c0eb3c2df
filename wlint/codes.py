"""The registry of finding codes: a leaf module (it imports nothing from wlint).

Each producer declares the `CodeDoc` of the codes it emits next to its code and
registers it here: the WL1xx rules in wlint/rules, the cross-revision codes in
wlint/compat/codes.py, the parse error WL901 in wlint/source.py. The producer
also sets each finding's severity from its doc. `wlint.catalog` imports every
producer to list all codes (`wlint rules`, SARIF, docs/rules.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

SEVERITIES = ("error", "warning", "info")

HELP_URI = "https://github.com/wlint/wlint/blob/main/docs/rules.md#{code}"


@dataclass(frozen=True)
class CodeDoc:
    """Documentation of one finding code."""

    code: str
    name: str
    summary: str
    severity: str
    why: str
    bad: str
    good: str

    @property
    def help_uri(self) -> str:
        return HELP_URI.format(code=self.code.lower())

    def render(self) -> str:
        """The text `wlint rules CODE` prints."""
        return (
            f"{self.code} ({self.name}) [{self.severity}]\n\n"
            f"What: {self.summary}\n\n"
            f"Why: {self.why}\n\n"
            f"Bad:\n{_indent(self.bad)}\n\n"
            f"Good:\n{_indent(self.good)}\n"
        )

    def render_markdown(self) -> str:
        """The section of docs/rules.md that `help_uri` points at."""
        return (
            f'<a id="{self.code.lower()}"></a>\n\n'
            f"## {self.code} `{self.name}` ({self.severity})\n\n"
            f"**What.** {self.summary}\n\n**Why.** {self.why}\n\n"
            f"Bad:\n\n```python\n{self.bad.strip()}\n```\n\n"
            f"Good:\n\n```python\n{self.good.strip()}\n```\n"
        )


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.strip("\n").splitlines())


_REGISTRY: Dict[str, CodeDoc] = {}


def register(doc: CodeDoc) -> CodeDoc:
    """Add a code's documentation; codes are added, never renumbered."""
    if doc.severity not in SEVERITIES:
        raise ValueError(f"bad severity {doc.severity!r} for {doc.code}")
    existing = _REGISTRY.get(doc.code)
    if existing is not None and existing != doc:
        raise ValueError(f"code {doc.code} registered twice")
    _REGISTRY[doc.code] = doc
    return doc


def lookup(code: str) -> Optional[CodeDoc]:
    """The doc of a registered code (case-insensitive), None when no loaded module declares it."""
    return _REGISTRY.get(code.upper())


def registered() -> List[CodeDoc]:
    """The docs registered so far, sorted by code (`wlint.catalog.all_codes()` loads them all)."""
    return [_REGISTRY[c] for c in sorted(_REGISTRY)]
