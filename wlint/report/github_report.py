"""GitHub Actions workflow commands: `::error|warning|notice ...::message` annotations on
the pull request's files, and the full report in the job summary.

GitHub shows at most 10 annotations of each level per step (and 50 per job), so
annotations are short (a title with the code, class and what changed; the
message without remap code) and the most important come first: errors, then
warnings, then notices, each level capped at 10 with the last slot saying how
many more are in the job summary. The job summary (`$GITHUB_STEP_SUMMARY`, or the
`step_summary` path in the context) gets the Markdown report: every finding, the
containing classes, and the remap script.

Escaping follows the runner's rules: in the message `%`, CR and LF; in property
values additionally `:` and `,` (they delimit properties). Lines and columns are
1-based.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from wlint.findings import Finding, sort_findings
from wlint.report.style import base_text, container_rows, copies_text, headline, plural

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
RANK = {"error": 0, "warning": 1, "info": 2}
PER_LEVEL = 10  # what GitHub displays per level and step


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


def title(f: Finding) -> str:
    """`WL203 Attention: module "proj" renamed to "out_proj" (Linear, same shapes)`."""
    what = headline(f)
    text = f"{f.code} {f.cls}: {what}" if f.cls else f"{f.code} {what}"
    return text if len(text) <= 120 else text[:119] + "…"


def annotation_text(f: Finding) -> str:
    """The message, the copies and containing classes in one line each; no remap code
    (it is in the job summary)."""
    parts = [f.message]
    copies = copies_text(f)
    if copies:
        parts.append(copies)
    rows = container_rows(f)
    if rows:
        names = ", ".join(f"{r['class']} ({r.get('key') or r.get('old_key')})" for r in rows[:4])
        more = f", and {len(rows) - 4} more" if len(rows) > 4 else ""
        parts.append(f"Also breaks checkpoints of {names}{more}.")
    where = base_text(f)
    if where:
        parts.append(where.capitalize() + ".")
    if f.fix:
        parts.append("Remap: see the job summary, or run `wlint diff --emit-remap remap.py`.")
    return "\n".join(parts)


def format_finding(f: Finding) -> str:
    command = COMMANDS.get(f.severity, "warning")
    props = [
        ("file", relative_path(f.path)),
        ("line", str(max(f.line, 1))),
        ("col", str(max(f.col, 0) + 1)),
        ("title", title(f)),
    ]
    prop_text = ",".join(f"{name}={escape_property(value)}" for name, value in props)
    return f"::{command} {prop_text}::{escape_data(annotation_text(f))}"


def important_first(findings: Sequence[Finding]) -> list[Finding]:
    """Errors, then warnings, then notices; in file order within a level."""
    return sorted(sort_findings(findings), key=lambda f: RANK.get(f.severity, 1))


def annotation_lines(findings: Sequence[Finding]) -> list[str]:
    """At most PER_LEVEL annotations per level; a full level ends with a count of the rest."""
    lines: list[str] = []
    for level in ("error", "warning", "info"):
        mine = [f for f in important_first(findings) if f.severity == level]
        if len(mine) <= PER_LEVEL:
            lines.extend(format_finding(f) for f in mine)
            continue
        lines.extend(format_finding(f) for f in mine[:PER_LEVEL - 1])
        rest = len(mine) - (PER_LEVEL - 1)
        word = {"error": "error", "warning": "warning", "info": "notice"}[level]
        lines.append(f"::{COMMANDS[level]} title={escape_property(f'wlint: {rest} more')}::"
                     + escape_data(f"{plural(rest, word)} more than GitHub shows per step: "
                                   "the job summary lists every finding."))
    return lines


def write_step_summary(findings: Sequence[Finding], path: str, context: dict[str, Any]) -> None:
    """Append the Markdown report to the job summary file."""
    from wlint.report import markdown_report

    text = markdown_report.render(findings, **{**context, "marker": None, "review": False})
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text + "\n")


def render(findings: Sequence[Finding], **context: Any) -> str:
    summary = context.get("step_summary", os.environ.get("GITHUB_STEP_SUMMARY"))
    if summary and findings:
        # a summary that cannot be written must not hide the annotations
        with contextlib.suppress(OSError):
            write_step_summary(findings, summary, context)
    lines = annotation_lines(findings)
    return "\n".join(lines) + ("\n" if lines else "")
