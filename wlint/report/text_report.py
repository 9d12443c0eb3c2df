"""Text for people and editors: `path:line:col: CODE message`, flake8's layout (columns
1-based), grouped per model class, with a summary line.

Like ruff and mypy: one line per finding that editors and problem matchers parse,
notes indented under it (sibling copies, the containing classes with their keys,
where a removed line stood at the base revision), and a closing summary
(`Found 3 errors, 1 warning in 2 model classes (41 classes compared).`, or what a
clean run compared). On a terminal the output is coloured (NO_COLOR / FORCE_COLOR
honoured) and long lines wrap with a hanging indent; piped, every finding stays on
one line.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from wlint.findings import Finding, sort_findings
from wlint.report.style import (
    Style,
    base_text,
    container_rows,
    copies_text,
    key_change,
    plural,
    severity_counts,
    terminal_width,
    use_color,
    wrap,
)

NOTE_INDENT = "    "
MAX_CONTAINERS = 8


def format_finding(f: Finding) -> str:
    """The one-line form (flake8's), as the flake8 plugin and editors read it."""
    return f"{f.path}:{f.line}:{f.col + 1}: {f.code} {f.message}"


def is_class_finding(f: Finding) -> bool:
    return bool(f.cls) and f.code.startswith("WL2")


def _groups(findings: Sequence[Finding]) -> List[Tuple[Optional[Tuple[str, str]], List[Finding]]]:
    """Class findings grouped per (class, file of its first finding), then the rest by file."""
    classes: Dict[Tuple[str, str], List[Finding]] = {}
    rest: List[Finding] = []
    for f in sort_findings(findings):
        if is_class_finding(f):
            key = next((k for k in classes if k[0] == f.cls), (str(f.cls), f.path))
            classes.setdefault(key, []).append(f)
        else:
            rest.append(f)
    out: List[Tuple[Optional[Tuple[str, str]], List[Finding]]] = list(classes.items())
    if rest:
        out.append((None, rest))
    return out


def _notes(f: Finding) -> List[str]:
    notes: List[str] = []
    copies = copies_text(f)
    if copies:
        notes.append(copies)
    rows = container_rows(f)
    if rows:
        shown = rows[:MAX_CONTAINERS]
        width = max(len(str(r["class"])) for r in shown)
        notes.append(f"in {plural(len(rows), 'containing class', 'containing classes')}, "
                     "with the keys of their checkpoints:")
        for r in shown:
            notes.append(f"  {str(r['class']).ljust(width)}  "
                         f"{key_change(r.get('old_key'), r.get('key'))}  ({r['path']})")
        if len(rows) > MAX_CONTAINERS:
            notes.append(f"  … and {len(rows) - MAX_CONTAINERS} more (--format json lists all)")
    where = base_text(f)
    if where:
        notes.append(where)
    return notes


def _finding_lines(f: Finding, style: Style, width: Optional[int], in_class: bool) -> List[str]:
    message = f.message  # the line stands alone (grep, editors): the class stays in it
    location = style.bold(f"{f.path}:{f.line}:{f.col + 1}:")
    code = style.severity(f.code, f.severity)
    lines = wrap(message, width, indent=NOTE_INDENT,
                 first=f"{f.path}:{f.line}:{f.col + 1}: {f.code} ")
    if style.color:  # colour after wrapping: escape codes have no width
        plain = f"{f.path}:{f.line}:{f.col + 1}: {f.code} "
        lines[0] = f"{location} {code} " + lines[0][len(plain):]
    for note in _notes(f):
        lines.extend(style.dim(line) for line in
                     wrap(note, width, indent=NOTE_INDENT + "  ", first=NOTE_INDENT))
    return lines


def summary(findings: Sequence[Finding], context: Dict[str, Any]) -> str:
    """The closing line: counts, or what a clean run compared / checked."""
    compared = context.get("compared")
    classes = {f.cls for f in findings if is_class_finding(f)}
    files = {f.path for f in findings if not is_class_finding(f)}
    if not findings:
        if compared is not None:
            changed = context.get("changed_files")
            what = (f" in {plural(len(changed), 'changed file')}" if changed is not None else "")
            revs = _revisions(context)
            return (f"No checkpoint-compatibility problems: {plural(int(compared), 'model class', 'model classes')} "
                    f"compared{what}{revs}.")
        checked = context.get("checked")
        if checked is not None:
            return f"All checks passed ({plural(int(checked), 'file')} checked)."
        return "All checks passed!"
    where = []
    if classes:
        where.append(plural(len(classes), "model class", "model classes"))
    if files:
        where.append(plural(len(files), "file"))
    tail = ""
    if compared is not None:
        tail = f" ({plural(int(compared), 'class', 'classes')} compared)"
    elif context.get("checked") is not None:
        tail = f" ({plural(int(context['checked']), 'file')} checked)"
    return f"Found {severity_counts(findings)} in {' and '.join(where)}{tail}."


def _revisions(context: Dict[str, Any]) -> str:
    base, head = context.get("base"), context.get("head")
    if not base:
        return ""
    return f" (base {base} → {head or 'working tree'})"


def render(findings: Sequence[Finding], **context: Any) -> str:
    color = context.get("color")
    if color is None:
        color = use_color()
    style = Style(bool(color))
    width = context.get("width", terminal_width(bool(color)))
    out: List[str] = []
    for group, items in _groups(findings):
        if group is not None and context.get("headers", True):
            cls, path = group
            counts = severity_counts(items)
            out.append(style.bold(f"{cls}") + style.dim(f" ({path}): {counts}"))
        for f in items:
            out.extend(_finding_lines(f, style, width, group is not None))
        out.append("")
    if not context.get("quiet"):
        out.append(style.bold(summary(findings, context)) if findings else summary(findings, context))
    elif out and out[-1] == "":
        out.pop()
    text = "\n".join(out)
    return text + ("\n" if text else "")
