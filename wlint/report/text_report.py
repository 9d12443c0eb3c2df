"""`path:line:col: CODE message`, flake8's layout (columns printed 1-based)."""

from __future__ import annotations

from typing import Any, Sequence

from wlint.findings import Finding, sort_findings


def format_finding(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.col + 1}: {f.code} {f.message}"


def render(findings: Sequence[Finding], **_: Any) -> str:
    lines = [format_finding(f) for f in sort_findings(findings)]
    return "\n".join(lines) + ("\n" if lines else "")
