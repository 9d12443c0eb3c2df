"""Markdown: the PR-comment / job-summary report.

Works on a plain findings list (`check`, `diff`) and on the richer context
`wlint review` passes (`review=True`, `base`, `head`, `filter_mode`,
`hidden`, `changed_files`, `blob_url`). Layout: a verdict line, one table of
key changes per model class and one per named model (`"model"` of a finding: a
concrete configuration, compared apart from its class), remap
snippets in collapsible `<details>` blocks, then the hygiene findings.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from wlint.findings import Finding, natural_key, sort_findings
from wlint.report.style import container_rows

MARKER = "<!-- wlint-review -->"
MAX_ROWS = 200
GITHUB_COMMENT_LIMIT = 65536

FILTER_TITLES = {
    "added": "on changed lines",
    "diff_context": "in the diff context",
    "file": "in changed files",
    "nofilter": "in the whole tree",
}

ClassKey = tuple[str, str, str]  # (class, path, named model or "")


# ----------------------------------------------------------------- escaping

def cell(text: str) -> str:
    """Text safe inside a GFM table cell (no HTML, no column breaks, one line)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")
    return text


def code_span(text: str) -> str:
    """`text` as inline code, choosing a fence longer than any backtick run inside."""
    text = text.replace("\n", " ")
    run = longest_run(text, "`")
    fence = "`" * (run + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def code_block(text: str, lang: str = "python") -> str:
    fence = "`" * max(3, longest_run(text, "`") + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def longest_run(text: str, char: str) -> int:
    best = cur = 0
    for c in text:
        cur = cur + 1 if c == char else 0
        best = max(best, cur)
    return best


def shape_text(shape: Sequence[Any] | None) -> str:
    if shape is None:
        return "—"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# ----------------------------------------------------------------- grouping

def is_compat(f: Finding) -> bool:
    return f.code.startswith("WL2") and f.code != "WL290"


def class_key(f: Finding) -> ClassKey:
    """The section of a finding: its class, or the named model it was found in (the
    model's concrete keys are not the class's keys: never mixed in one table)."""
    return (f.cls or "(module level)", f.path, str(f.extra.get("model") or ""))


def group_by_class(findings: Iterable[Finding]) -> OrderedDict[ClassKey, list[Finding]]:
    groups: OrderedDict[ClassKey, list[Finding]] = OrderedDict()
    for f in findings:
        groups.setdefault(class_key(f), []).append(f)
    return groups


def class_status(items: Sequence[Finding]) -> str:
    """'breaks' (an error), 'drifts' (behaviour only) or 'migrates' (info only)."""
    severities = {f.severity for f in items}
    if "error" in severities:
        return "breaks"
    if "warning" in severities:
        return "drifts"
    return "migrates"


STATUS_TEXT = {
    "breaks": "breaks checkpoint loading",
    "drifts": "loads, but computes differently",
    "migrates": "changes keys, migrates old checkpoints itself",
}


def _classes(n: int, models: bool = False) -> str:
    return plural(n, "named model") if models else plural(n, "model class", "model classes")


def _verb(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def verdict(findings: Sequence[Finding], context: dict[str, Any]) -> str:
    """One line: what matters most first, e.g. '2 model classes break checkpoint loading'."""
    groups = group_by_class(f for f in findings if is_compat(f))
    counts: dict[tuple[str, bool], int] = {}
    for key, items in groups.items():
        status = (class_status(items), bool(key[2]))
        counts[status] = counts.get(status, 0) + 1
    hygiene = [f for f in findings if f.code.startswith("WL1")]
    broken_files = {f.path for f in findings if f.code == "WL901"}
    parts: list[str] = []
    for phrase in ("breaks", "drifts", "migrates"):
        for models in (False, True):
            n = counts.get((phrase, models), 0)
            if n:
                parts.append(f"{_classes(n, models)} {_status_phrase(phrase, n)}")
    if hygiene:
        where = FILTER_TITLES.get(context.get("filter_mode", ""), "")
        parts.append(plural(len(hygiene), "checkpoint-hygiene finding")
                     + (f" {where}" if where else ""))
    if broken_files:
        parts.append(f"{plural(len(broken_files), 'file')} cannot be parsed")
    unseen = {class_key(f)[:2] for f in findings if f.code == "WL290"}
    if unseen:  # never an all-clear over a part the comparison could not see
        parts.append(f"{_classes(len(unseen))} could not be compared completely (WL290)")
    if not parts:
        return "✅ **No checkpoint-loading problems found.**"
    severities = {f.severity for f in findings}
    icon = "❌" if "error" in severities else ("⚠️" if "warning" in severities else "ℹ️")
    head, rest = parts[0], parts[1:]
    return f"{icon} **{head[:1].upper()}{head[1:]}**" + "".join(f" · {p}" for p in rest)


def _status_phrase(status: str, n: int) -> str:
    if status == "breaks":
        return f"{_verb(n, 'breaks', 'break')} checkpoint loading"
    if status == "drifts":
        return f"{_verb(n, 'loads', 'load')} but {_verb(n, 'computes', 'compute')} differently"
    return (f"{_verb(n, 'changes', 'change')} keys but "
            f"{_verb(n, 'migrates old checkpoints itself', 'migrate old checkpoints themselves')}")


# ----------------------------------------------------------------- sections

def location(f: Finding, context: dict[str, Any], with_path: bool = True) -> str:
    label = f"{f.path}:{f.line}" if with_path else f"L{f.line}"
    url_template = context.get("blob_url")
    if f.key is None and f.old_key is not None and "base_line" not in f.extra:
        label += " (base)"  # a removal located in the base revision
        url_template = context.get("base_blob_url")
    elif "base_line" in f.extra:
        label += f" (base L{f.extra['base_line']})"
    if url_template:
        url = url_template.format(path=quote(f.path.replace("\\", "/"), safe="/"), line=f.line)
        return f"[{cell(label)}]({url})"
    return cell(label)


VISIBLE_ROWS = 30  # more rows of one class go into a collapsed block


def _row(f: Finding, context: dict[str, Any]) -> str:
    copies = len(f.extra.get("siblings") or [])
    code = f.code + (f" ×{copies}" if copies > 1 else "") + (" (nested)" if f.affected else "")
    return (f"| {code_span(f.old_key) if f.old_key else '—'} | {cell(shape_text(f.old_shape))} "
            f"| {code_span(f.key) if f.key else '—'} | {cell(shape_text(f.new_shape))} "
            f"| {code} | {location(f, context, with_path=False)} |")


def _table(rows: list[str], head: list[str]) -> list[str]:
    """A table whose rows beyond VISIBLE_ROWS are collapsed (readable at 100 findings)."""
    out = head + rows[:VISIBLE_ROWS] + [""]
    if len(rows) > VISIBLE_ROWS:
        out += [f"<details><summary>{len(rows) - VISIBLE_ROWS} more rows</summary>", ""]
        out += head + rows[VISIBLE_ROWS:MAX_ROWS] + [""]
        if len(rows) > MAX_ROWS:
            out += [f"… {len(rows) - MAX_ROWS} more (the JSON or SARIF report lists all)", ""]
        out += ["</details>", ""]
    return out


KEY_HEAD = ["| Old key | Old shape | New key | New shape | Code | Line |",
            "|---|---|---|---|---|---|"]
CONTAINER_HEAD = ["| Class | File | Old key | New key | Code |", "|---|---|---|---|---|"]


def _container_rows(items: Sequence[Finding]) -> list[str]:
    rows: list[str] = []
    seen: set[tuple[Any, ...]] = set()
    for f in items:
        for r in container_rows(f):
            ident = (r["class"], r.get("old_key"), r.get("key"), f.code)
            if ident in seen:
                continue
            seen.add(ident)
            rows.append(f"| {code_span(str(r['class']))} | {code_span(str(r['path']))} "
                        f"| {code_span(r['old_key']) if r.get('old_key') else '—'} "
                        f"| {code_span(r['key']) if r.get('key') else '—'} | {f.code} |")
    return rows


def class_section(key: ClassKey, items: Sequence[Finding], context: dict[str, Any]) -> list[str]:
    cls, path, model = key
    status = class_status(items)
    title = f"{code_span(cls)} in {code_span(path)}"
    if model:
        title = f"model {code_span(model)} ({title})"
    out = [f"#### {title}: {STATUS_TEXT[status]}", ""]
    keyed = [f for f in items if f.key is not None or f.old_key is not None]
    keyed.sort(key=lambda f: natural_key(f.key or f.old_key))
    other = [f for f in items if f.key is None and f.old_key is None]
    if keyed:
        out += _table([_row(f, context) for f in keyed], KEY_HEAD)
    for f in other[:MAX_ROWS]:
        out.append(f"- **{f.code}** {location(f, context, with_path=False)}: {cell(f.message)}")
    if other:
        out.append("")
    containers = _container_rows(items)
    if containers:
        names = sorted({r["class"] for f in items for r in container_rows(f)})
        out += [f"Also breaks checkpoints of the {plural(len(names), 'class', 'classes')} "
                f"containing {code_span(cls)} ({', '.join(code_span(n) for n in names[:6])}"
                f"{', …' if len(names) > 6 else ''}), under these keys:", ""]
        out += _table(containers, CONTAINER_HEAD)
    if any(len(f.extra.get("siblings") or []) > 1 for f in keyed):
        out.append("<sub>×N: the same change in N sibling copies (`{i}`: every index).</sub>")
        out.append("")
    if any(f.affected for f in keyed):
        out.append("<sub>(nested): the change is inside a nested or imported class; "
                   "keys are shown in full.</sub>")
        out.append("")
    # with the remap script of the whole diff below, per-class snippets would repeat it
    snippets = [] if context.get("remap") else list(
        OrderedDict.fromkeys(f.fix.rstrip() for f in items if f.fix))
    if snippets:
        codes = sorted({f.code for f in items if f.fix})
        out.append(f"<details><summary>Remap snippet for <code>{cell(cls)}</code> "
                   f"({', '.join(codes)})</summary>")
        out.append("")
        for snippet in snippets:
            out.append(code_block(snippet))
            out.append("")
        out.append("</details>")
        out.append("")
    return out


def findings_table(findings: Sequence[Finding], context: dict[str, Any]) -> list[str]:
    out = ["| Severity | Code | Location | Message |", "|---|---|---|---|"]
    for f in findings[:MAX_ROWS]:
        out.append(f"| {f.severity} | {f.code} | {location(f, context)} | {cell(f.message)} |")
    if len(findings) > MAX_ROWS:
        out.append(f"| | | | … {len(findings) - MAX_ROWS} more |")
    out.append("")
    return out


def header(context: dict[str, Any]) -> list[str]:
    out: list[str] = []
    review = bool(context.get("review"))
    if review or context.get("marker"):
        out.append(context.get("marker") or MARKER)
    command = context.get("command") or ("review" if review else "")
    out.append(f"## wlint {command}".rstrip())
    out.append("")
    return out


def meta_line(context: dict[str, Any]) -> str | None:
    bits: list[str] = []
    base, head = context.get("base"), context.get("head")
    if base:
        bits.append(f"base {code_span(str(base))} → head {code_span(str(head or 'working tree'))}")
    changed = context.get("changed_files")
    if changed is not None:
        bits.append(plural(len(changed), "changed Python file"))
    mode = context.get("filter_mode")
    if mode:
        bits.append(f"filter-mode {code_span(mode)}")
    hidden = context.get("hidden")
    if hidden:
        bits.append(f"{plural(int(hidden), 'hygiene finding')} outside the filter not shown")
    return f"<sub>{' · '.join(bits)}</sub>" if bits else None


def render(findings: Sequence[Finding], **context: Any) -> str:
    ordered = sort_findings(findings)
    out = header(context)
    out.append(verdict(ordered, context))
    out.append("")
    meta = meta_line(context)
    if meta:
        out.extend([meta, ""])
    compat = [f for f in ordered if is_compat(f)]
    if compat:
        out.extend(["### Checkpoint compatibility", ""])
        groups = group_by_class(compat)
        for key, items in groups.items():
            out.extend(class_section(key, items, context))
        remap = context.get("remap")
        if remap:
            out.append("<details><summary>Remap script: one function per model class "
                       "(<code>wlint diff --emit-remap remap.py</code>)</summary>")
            out.extend(["", code_block(remap), "", "</details>", ""])
    hygiene = [f for f in ordered if f.code.startswith("WL1")]
    if hygiene:
        where = FILTER_TITLES.get(context.get("filter_mode", ""), "")
        out.extend([f"### Checkpoint hygiene{(' ' + where) if where else ''}", ""])
        out.extend(findings_table(hygiene, context))
    other = [f for f in ordered if not is_compat(f) and not f.code.startswith("WL1")
             and f.code != "WL290"]
    if other:
        out.extend(["### Other findings", ""])
        out.extend(findings_table(other, context))
    incomplete = [f for f in ordered if f.code == "WL290"]
    if incomplete:
        out.append(f"<details><summary>Analysis incomplete ({len(incomplete)}): "
                   "these constructs could not be resolved, so keys under them were not "
                   "compared</summary>")
        out.append("")
        out.extend(findings_table(incomplete, context))
        out.append("</details>")
        out.append("")
    return truncate("\n".join(out).rstrip() + "\n", int(context.get("limit") or 0))


def truncate(text: str, limit: int) -> str:
    """Cut a report to `limit` characters (0: no limit) at a line boundary, saying so
    (GitHub rejects comments over 65536 characters)."""
    if not limit or len(text) <= limit:
        return text
    note = "\n\n… report truncated; the full report is in the job log and the SARIF upload.\n"
    cut = text.rfind("\n", 0, max(0, limit - len(note)))
    body = text[: max(cut, 0)]
    if body.count("```") % 2:
        body += "\n```"
    if body.count("<details>") > body.count("</details>"):
        body += "\n</details>"
    return body + note
