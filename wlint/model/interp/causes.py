"""Root causes of unknown values (issue 12, deliverable 5: one note per root cause).

When a statement cannot be interpreted, its note names the line and the reason, and
the names it assigns become `Unknown` values whose `cause` is that note. A later
statement that fails *because it reads such a value* (a helper's zip over an
unknown list, a loop over it) adds no note of its own: the first note already says
what to fix, and a cascade of consequences would bury it. Notes at the lines that
matter for the state_dict (an unidentified submodule, a buffer or parameter of
unknown shape) are never folded: they say which keys are affected.
"""

from __future__ import annotations

import ast
from typing import Any, Optional, Tuple

from wlint.model.values import Unknown

Cause = Tuple[str, int]


def explained_by(node: ast.AST, scope: Any) -> Optional[Cause]:
    """The note that already explains a failure of `node`: the cause of an unknown
    value bound to a name `node` reads, if any. A statement that writes anything but
    local names (`self.blocks = ...`, `self.register_buffer(...)`) is never explained
    away: its note is the line that matters for the state_dict."""
    if isinstance(node, ast.stmt) and not _writes_only_names(node):
        return None
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            value = lookup(scope, sub.id)
            if isinstance(value, Unknown) and value.cause is not None:
                return value.cause
    return None


def _writes_only_names(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
        targets = [node.target]
    else:
        return False
    return all(isinstance(t, ast.Name) or (isinstance(t, (ast.Tuple, ast.List)) and all(
        isinstance(e, ast.Name) for e in t.elts)) for t in targets)


def lookup(scope: Any, name: str) -> Any:
    """A name's value in the scope chain (None when unbound: module and builtin
    names are never unknown values with a cause)."""
    while scope is not None:
        if name in scope.vars:
            return scope.vars[name]
        scope = scope.parent
    return None
