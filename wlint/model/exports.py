"""What a module's top level can bind, told from its source without running it.

Lazy import resolution (wlint.model.interp.lazy) defers the modules a package
`__init__` re-exports. It needs two static facts per module text, both cached
per content id:

* `star_names`: every public name `from M import *` could bind -- a superset
  (names bound under `if`/`try` included): a placeholder that turns out unbound
  keeps the binding it would have replaced. None when the set cannot be told
  (`globals()`, `exec`, `sys.modules`, `global` statements, `del` at top level,
  a star import of a module outside the project or of unknown names).
  With `__all__` built from string literals by unconditional top-level
  statements, exactly its names; any other use of `__all__` gives None.
* `defers_safely`: running the module has no effect outside its own namespace
  that a reader could see other than through a registry container (which the
  lazy resolver watches): no top-level assignment to an attribute or item of
  something else, no top-level `setattr`. A conservative text test; a false
  alarm only costs laziness.
"""

from __future__ import annotations

import ast
import re
from typing import Callable, Dict, FrozenSet, List, Optional, Set

from wlint.model.reach import words

# a name the module cannot be read for statically
_DYNAMIC_CALLS = frozenset({"globals", "exec", "eval", "vars", "setattr", "__import__", "locals"})
# a top-level line that may assign to an attribute or item (`x.y = 1`, `x[k] += 1`,
# `a = b.c = 1`), or call setattr: the module may change state outside itself
_ASSIGN_SPLIT = re.compile(r"(?<![=!<>])=(?!=)")
_TOP_SETATTR = re.compile(r"^setattr\s*\(")

# the same facts told from text alone (no parse), where the text leaves no doubt
# (each behind the words that must be there for it to match)
_DYNAMIC_TEXT = (
    (frozenset({"globals", "exec", "eval", "vars", "setattr", "__import__", "locals"}),
     re.compile(r"(?<![\w.])(?:globals|exec|eval|vars|setattr|__import__|locals)[ \t]*\(")),
    (frozenset({"global", "nonlocal"}), re.compile(r"^[ \t]*(?:global|nonlocal)\b", re.M)),
    (frozenset({"modules"}), re.compile(r"\bsys[ \t]*\.[ \t]*modules\b")),
    (frozenset({"del"}), re.compile(r"^del\b", re.M)),
)
_ALL_LITERAL = re.compile(
    r"^__all__[ \t]*(?::[^=\n]*)?=[ \t]*[\[(]((?:\s|#[^\n]*|'\w*'|\"\w*\"|,)*)[\])][ \t]*(?:#[^\n]*)?$", re.M)
_QUOTED = re.compile(r"'(\w*)'|\"(\w*)\"")

_STAR_CACHE: Dict[str, Optional[FrozenSet[str]]] = {}
_SAFE_CACHE: Dict[str, bool] = {}

# resolve a star import inside the module: (module, level) -> the names it binds, or None
StarResolver = Callable[[str, int], Optional[FrozenSet[str]]]


def defers_safely(text: str) -> bool:
    """Whether loading this module later (or never) cannot change what other code
    sees, except through containers (cached per text)."""
    key = text  # the text itself: its hash is computed once per string object
    hit = _SAFE_CACHE.get(key)
    if hit is None:
        hit = _SAFE_CACHE[key] = not any(_mutates_outside(line) for line in text.splitlines())
    return hit


def _mutates_outside(line: str) -> bool:
    if not line or line[0] in " \t#)]}'\"@":
        return False
    if _TOP_SETATTR.match(line):
        return True
    if line.startswith(("def ", "class ", "import ", "from ", "async ")):
        return False
    segments = _ASSIGN_SPLIT.split(line)
    return any("." in seg or "[" in seg for seg in segments[:-1])


def declared_all(text: str) -> Optional[FrozenSet[str]]:
    """`star_names` without a parse, for the common module that assigns `__all__` one
    list or tuple of string literals at its top level and names it nowhere else, and
    whose text shows none of what makes names unreadable (a conservative text test:
    a word in a comment or string only sends the module to the parsed path). None
    when the text does not say so plainly."""
    present = words(text)
    if any(not present.isdisjoint(needed) and pattern.search(text) for needed, pattern in _DYNAMIC_TEXT):
        return None
    literals = _ALL_LITERAL.findall(text)
    if len(literals) != 1 or text.count("__all__") != 1:
        return None
    return frozenset(a or b for a, b in _QUOTED.findall(_strip_comments(literals[0])))


def _strip_comments(body: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in body.splitlines())


def star_names(text: str, module: ast.Module, resolve_star: StarResolver) -> Optional[FrozenSet[str]]:
    """Public names `from M import *` may bind (a superset), or None (see module doc).
    Cached per text when the module has no star import of its own (those depend on
    the files they resolve to)."""
    key = text  # the text itself: its hash is computed once per string object
    if key in _STAR_CACHE:
        return _STAR_CACHE[key]
    if not _statically_readable(module):
        _STAR_CACHE[key] = None
        return None
    if "__all__" in text:
        declared = _static_all(module)
        _STAR_CACHE[key] = declared
        return declared
    names: List[str] = []
    cacheable = True
    for stmt in module.body:
        bound = _bound_names(stmt, resolve_star)
        if bound is None:
            return None
        if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in ast.walk(stmt)):
            cacheable = False
        names.extend(bound)
    out = frozenset(n for n in names if not n.startswith("_"))
    if cacheable:
        _STAR_CACHE[key] = out
    return out


def _static_all(module: ast.Module) -> Optional[FrozenSet[str]]:
    """The names of `__all__` when only unconditional top-level statements build it from
    string literals (`=`, `+=`, `.append`, `.extend`); None when it cannot be told."""
    names: List[str] = []
    handled: Set[int] = set()
    for stmt in module.body:
        literal = _all_literal(stmt)
        if literal is not None:
            names.extend(literal)
            handled.update(id(n) for n in ast.walk(stmt))
    for node in ast.walk(module):
        if id(node) not in handled and _names_all(node):
            return None
    return frozenset(names)


def _all_literal(stmt: ast.stmt) -> Optional[List[str]]:
    value: Optional[ast.expr] = None
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
        getattr(stmt, "target", None) if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else None
    if target is not None and _is_all(target):
        value = stmt.value  # type: ignore[union-attr,attr-defined]
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        func = call.func
        if isinstance(func, ast.Attribute) and _is_all(func.value) and len(call.args) == 1 \
                and not call.keywords:
            value = ast.List([call.args[0]], ast.Load()) if func.attr == "append" else \
                call.args[0] if func.attr == "extend" else None
    if isinstance(value, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
        return [e.value for e in value.elts]  # type: ignore[attr-defined]
    return None


def _is_all(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "__all__"


def _names_all(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "__all__") or (
        isinstance(node, ast.Attribute) and node.attr == "__all__")


def _statically_readable(module: ast.Module) -> bool:
    for node in ast.walk(module):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _DYNAMIC_CALLS:
            return False
        if isinstance(node, ast.Attribute) and node.attr == "modules" and \
                isinstance(node.value, ast.Name) and node.value.id == "sys":
            return False
    return not any(isinstance(s, ast.Delete) for s in module.body)


def _bound_names(stmt: ast.stmt, resolve_star: StarResolver) -> Optional[List[str]]:
    """Names a top-level statement may bind (its nested blocks included), or None."""
    out: List[str] = []
    for node in _top_level_nodes(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(node.name)
        elif isinstance(node, ast.Import):
            out.extend(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.names[0].name == "*":
                inner = resolve_star(node.module or "", node.level)
                if inner is None:
                    return None
                out.extend(inner)
            else:
                out.extend(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.append(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.append(node.name)
        elif type(node).__name__ == "Match":
            return None  # match patterns bind names: not worth reading
    return out


def _top_level_nodes(stmt: ast.stmt) -> List[ast.AST]:
    """The nodes of a top-level statement that run in the module scope: nested blocks
    yes; function bodies, lambdas and class bodies no (their own names only);
    comprehensions yes (a walrus inside one binds in the module)."""
    out: List[ast.AST] = []
    todo: List[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(node.decorator_list)
            if not isinstance(node, ast.ClassDef):
                todo.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            else:
                todo.extend(node.bases)
                todo.extend(k.value for k in node.keywords)
            continue
        if isinstance(node, ast.Lambda):
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and \
                    isinstance(child, ast.comprehension):
                todo.extend(n for n in ast.walk(child) if isinstance(n, ast.NamedExpr))
                todo.append(child.iter)
                continue
            todo.append(child)
    return out
