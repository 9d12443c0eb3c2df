"""Reporters: findings in, text out. One module per format; none reaches back into
git, the CLI or the analysis."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # cli.py reads FORMATS: importing this package stays free of the findings
    from wlint.findings import Finding

FORMATS = ("text", "json", "sarif", "github", "gitlab", "markdown")


def render(findings: Sequence[Finding], fmt: str, **context: Any) -> str:
    """Render findings in one of FORMATS; `context` carries format-specific extras
    (e.g. `command="diff"`, `base=`, `head=` for markdown)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"wlint.report.{fmt}_report")
    return module.render(findings, **context)  # type: ignore[no-any-return]
