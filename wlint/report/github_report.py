"""GitHub Actions workflow commands: one `::error|warning|notice ...::message` per
finding, which Actions turns into annotations on the PR's changed files.

Escaping follows the runner's rules: in the message `%`, CR and LF; in property
values additionally `:` and `,` (they delimit properties). Lines and columns are
1-based.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from wlint.findings import Finding, sort_findings

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def relative_path(path: str) -> str:
    """Forward-slash path relative to the current directory when it lies below it:
    annotations and Code Quality entries attach to repository-relative paths."""
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            rel = ".."
        if not rel.startswith(".."):
            path = rel
    return path.replace("\\", "/")


def format_finding(f: Finding) -> str:
    command = COMMANDS.get(f.severity, "warning")
    props = [
        ("file", relative_path(f.path)),
        ("line", str(max(f.line, 1))),
        ("col", str(max(f.col, 0) + 1)),
        ("title", f.code),
    ]
    prop_text = ",".join(f"{name}={escape_property(value)}" for name, value in props)
    message = f.message
    if f.fix:
        message = f"{message}\n\nRemap old checkpoints:\n{f.fix.rstrip()}"
    return f"::{command} {prop_text}::{escape_data(message)}"


def render(findings: Sequence[Finding], **_: Any) -> str:
    lines = [format_finding(f) for f in sort_findings(findings)]
    return "\n".join(lines) + ("\n" if lines else "")
