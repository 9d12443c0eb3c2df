"""WL290 when a config default the symbolic comparison cannot see changed.

`wlint diff` predicts a bare class name: a required `config` parameter becomes a
symbol, so shapes read `config.vocab_size` on both sides and a change of the
*default* of a config field (`vocab_size: int = 50257` -> `50304`) leaves the two
predictions equal. When the parameter is annotated with a config class, driver's
default-config variant compares `Net(Cfg())` and reports what changes. Otherwise
the comparison cannot know which class the parameter stands for, so it says what it
could not see: the class's shapes or conditions read `param.field`, and a class-level
default `field: T = value` changed in a file of this diff. A note, never a claim.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from wlint.compat.codes import WL290
from wlint.findings import Finding
from wlint.model.prediction import Prediction
from wlint.source import parse

__all__ = ["DefaultChange", "changed_defaults", "default_change_note", "read_fields"]

_ATTR = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b")


@dataclass(frozen=True)
class DefaultChange:
    """`Cls.field` whose default value reads differently at head (path, head line)."""

    cls: str
    field: str
    old: str
    new: str
    path: str
    line: int


def _class_defaults(text: str) -> Dict[Tuple[str, str], Tuple[str, ast.expr]]:
    """(class, field) -> (ast dump, value node) of every annotated class-level default
    `field: T = value` of the file's top-level classes."""
    module = parse(text)[0]
    out: Dict[Tuple[str, str], Tuple[str, ast.expr]] = {}
    if module is None:
        return out
    for node in module.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                    and stmt.value is not None:
                out[(node.name, stmt.target.id)] = (ast.dump(stmt.value), stmt.value)
    return out


def _source(lines: List[str], node: ast.expr) -> str:
    """The source text of `node` (ast.get_source_segment splits the whole file per call:
    quadratic over a package's files)."""
    end_line = getattr(node, "end_lineno", None)
    end_col = getattr(node, "end_col_offset", None)
    if end_line is None or end_col is None:
        return ast.unparse(node)
    first, last = node.lineno - 1, end_line - 1
    if first == last:
        return lines[first].encode()[node.col_offset:end_col].decode(errors="replace")
    parts = [lines[first].encode()[node.col_offset:].decode(errors="replace"),
             *lines[first + 1:last], lines[last].encode()[:end_col].decode(errors="replace")]
    return "\n".join(parts)


def changed_defaults(path: str, base_text: Optional[str], head_text: Optional[str]) -> List[DefaultChange]:
    """The class-level defaults present at both revisions of `path` whose value changed."""
    if not base_text or not head_text:
        return []
    old, new = _class_defaults(base_text), _class_defaults(head_text)
    changed = [(key, node) for key, (dump, node) in new.items()
               if key in old and old[key][0] != dump]
    if not changed:
        return []
    base_lines, head_lines = base_text.splitlines(), head_text.splitlines()
    return [DefaultChange(cls, name, _source(base_lines, old[(cls, name)][1]),
                          _source(head_lines, node), path, node.lineno)
            for (cls, name), node in changed]


def read_fields(pred: Prediction, params: Iterable[str]) -> Dict[str, str]:
    """field -> the first `param.field` the prediction's shapes or conditions read."""
    wanted = set(params)
    out: Dict[str, str] = {}
    for e in pred.entries:
        texts = [d for d in (e.shape or ()) if isinstance(d, str)]
        if e.condition:
            texts.append(e.condition)
        for text in texts:
            for m in _ATTR.finditer(text):
                if m.group(1) in wanted:
                    out.setdefault(m.group(2), m.group(0))
    return out


def required_params(text: str, cls_name: str) -> List[str]:
    """Required `__init__` parameters (positional and keyword-only) of a top-level class."""
    module = parse(text)[0]
    if module is None:
        return []
    cls = next((n for n in module.body if isinstance(n, ast.ClassDef) and n.name == cls_name), None)
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None) if cls is not None else None
    if init is None:
        return []
    spec = init.args
    positional = list(spec.posonlyargs) + list(spec.args)
    required = [a.arg for a in positional[1:len(positional) - len(spec.defaults)]]
    return required + [a.arg for a, d in zip(spec.kwonlyargs, spec.kw_defaults) if d is None]


def default_change_note(name: str, head_text: str, base: Prediction, head: Prediction,
                        changes: Callable[[], List[DefaultChange]]) -> Optional[Finding]:
    """WL290 for class `name` when its predictions read `param.field` and the default of
    a class-level `field` changed in this diff (None otherwise). `changes` is asked only
    for a class whose shapes read such a field: it parses the diff's files."""
    params = required_params(head_text, name)
    if not params:
        return None
    reads = {**read_fields(base, params), **read_fields(head, params)}
    if not reads:
        return None
    hits = [c for c in changes() if c.field in reads and c.cls != name]
    if not hits:
        return None
    first = hits[0]
    more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
    sym = reads[first.field]
    return Finding.of(
        WL290, path=first.path, line=first.line, col=0, cls=name,
        message=f"{name}: state_dict comparison incomplete: shapes read `{sym}`, and the default "
                f"of `{first.cls}.{first.field}` changed ({first.old} -> {first.new}){more}; "
                f"`{sym.split('.', 1)[0]}` is compared as a symbol, so a model built with that "
                "default was not compared (name it with --model)",
    )


def diff_default_changes(paths: Iterable[str], read_base: Callable[[str], Optional[str]],
                         read_head: Callable[[str], Optional[str]]) -> List[DefaultChange]:
    """Changed class-level defaults of every `.py` path present at both revisions."""
    out: List[DefaultChange] = []
    seen: Set[str] = set()
    for path in sorted(paths):
        if path in seen or not path.endswith(".py"):
            continue
        seen.add(path)
        out += changed_defaults(path, read_base(path), read_head(path))
    return out
