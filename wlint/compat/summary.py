"""Per-file facts for `wlint diff`, from one `ast.parse` of a blob (cached by blob id):
the classes (name, line, bases, a digest of their own source, HF ignore patterns)
and the names every import statement mentions."""

from __future__ import annotations

import ast
import hashlib
import posixpath
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from wlint.source import dotted_name, parse

_NON_MODULE_BASES = {
    "object", "Enum", "IntEnum", "Flag", "IntFlag", "NamedTuple", "TypedDict", "Protocol",
    "ABC", "Exception", "BaseException", "ValueError", "TypeError", "RuntimeError", "dict",
    "list", "tuple", "str", "int", "float", "Generic", "PretrainedConfig", "PreTrainedConfig",
}


@dataclass
class ClassSummary:
    """What the driver needs about one class, from one `ast.parse` of its file."""

    name: str
    line: int
    bases: List[str]
    digest: str  # hash of the class's own source lines (direct vs affected change)
    ignore_missing: List[str] = field(default_factory=list)
    ignore_unexpected: List[str] = field(default_factory=list)
    dataclass_like: bool = False
    ast_digest: str = ""  # hash of the class's syntax tree: "" = unknown (older cache entry)
    refs: List[str] = field(default_factory=list)  # names the class body reads

    @property
    def maybe_module(self) -> bool:
        if self.dataclass_like or not self.bases:
            return False
        return any(b.rsplit(".", 1)[-1] not in _NON_MODULE_BASES for b in self.bases)


@dataclass
class FileSummary:
    classes: List[ClassSummary]
    error: Optional[Tuple[int, str]] = None  # (line, message) when the file does not parse
    imports: Optional[List[str]] = None  # dotted names of every import (None: unknown)
    toplevel_digest: str = ""  # hash of the syntax tree outside classes ("" = unknown)

    def to_json(self) -> Dict[str, Any]:
        return {"classes": [vars(c) for c in self.classes], "error": self.error,
                "imports": self.imports, "toplevel_digest": self.toplevel_digest}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> FileSummary:
        err = data.get("error")
        return cls([ClassSummary(**c) for c in data["classes"]], tuple(err) if err else None,
                   data.get("imports"), data.get("toplevel_digest", ""))

    def by_name(self) -> Dict[str, ClassSummary]:
        out: Dict[str, ClassSummary] = {}
        for c in self.classes:
            out.setdefault(c.name, c)
        return out

    def imports_any(self, stems: Set[str]) -> bool:
        """Does an import statement name one of these modules (as a dotted component)?
        Unknown imports (a file that does not parse) count as yes."""
        if self.imports is None:
            return True
        return any(not stems.isdisjoint(name.split(".")) for name in self.imports)


# -- per-file summaries -------------------------------------------------------------


def summarize(text: str, syntax: bool = False) -> FileSummary:
    """The file's classes; with `syntax`, also their syntax-tree digests and the names
    they read (what could_change needs, for a class's own file only: it costs a dump)."""
    module, error = parse(text)
    if module is None:
        assert error is not None
        return FileSummary([], (error.line, f"{error.kind}: {error.message}"))
    lines = text.splitlines()
    classes = []
    for node in ast.walk(module):
        if not isinstance(node, ast.ClassDef):
            continue
        body = "\n".join(lines[node.lineno - 1:(node.end_lineno or node.lineno)])
        summary = ClassSummary(
            name=node.name, line=node.lineno,
            bases=[_dotted(b) for b in node.bases],
            digest=hashlib.sha1(_normalise(body).encode()).hexdigest(),
            dataclass_like=any(_dotted(d).rsplit(".", 1)[-1] == "dataclass" for d in
                               node.decorator_list),
            ast_digest=_ast_digest(node) if syntax else "",
            refs=_refs(node) if syntax else [],
        )
        for stmt in node.body:
            _collect_ignores(stmt, summary)
        classes.append(summary)
    outside = [stmt for stmt in module.body if not isinstance(stmt, ast.ClassDef)]
    return FileSummary(classes, None, _imports(module),
                       _ast_digest(ast.Module(outside, [])) if syntax else "")


def _refs(node: ast.ClassDef) -> List[str]:
    """Names the class reads, string annotations (`cfg: "Cfg"`) included."""
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
            names.add(n.value)
    return sorted(names)


def syntax_digest(text: str) -> str:
    """Digest of a file's syntax tree (its text when it does not parse)."""
    module, _ = parse(text)
    if module is None:
        return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()
    return _ast_digest(module)


def _ast_digest(node: ast.AST) -> str:
    """Hash of a syntax tree without positions: equal for edits of formatting, comments
    and blank lines only, which cannot change any prediction."""
    return hashlib.sha1(ast.dump(node, annotate_fields=False).encode()).hexdigest()


def _imports(module: ast.Module) -> List[str]:
    """Every module and name an import statement mentions (anywhere in the file)."""
    names: List[str] = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                names.append(node.module)
            names.extend(a.name for a in node.names)
    return sorted(set(names))


def _normalise(src: str) -> str:
    """Class text without comments and blank lines (formatting-only edits are not
    'direct' changes; they also never produce findings)."""
    out = []
    for line in src.splitlines():
        stripped = line.split("#", 1)[0].rstrip() if "#" in line and "'" not in line and '"' \
            not in line else line.rstrip()
        if stripped.strip():
            out.append(stripped)
    return "\n".join(out)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    if isinstance(node, ast.Subscript):
        return _dotted(node.value)
    try:
        return dotted_name(node) or ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every expression
        return "?"


def _collect_ignores(stmt: ast.stmt, summary: ClassSummary) -> None:
    targets: List[ast.expr] = []
    value: Optional[ast.expr] = None
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    for target in targets:
        if not isinstance(target, ast.Name) or value is None:
            continue
        if target.id not in ("_keys_to_ignore_on_load_missing",
                             "_keys_to_ignore_on_load_unexpected"):
            continue
        pats = [e.value for e in getattr(value, "elts", [])
                if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if target.id.endswith("missing"):
            summary.ignore_missing.extend(pats)
        else:
            summary.ignore_unexpected.extend(pats)


def module_stem(relpath: str) -> str:
    """The import name a file is known by to its importers (`pkg/__init__.py` -> `pkg`)."""
    base = posixpath.basename(relpath)
    if base == "__init__.py":
        return posixpath.basename(posixpath.dirname(relpath))
    return base[:-3] if base.endswith(".py") else base
