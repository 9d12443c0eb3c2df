"""`import` and `from ... import`: project modules are loaded and run, torch
names become `TorchRef`, installed third-party source is loaded like project code
(wlint.model.site), other packages become `ExternalRef` (not analysed).

An optional dependency (`try: from xformers.ops import X / except ImportError:
X = None`) is a condition like any other: whether the package is installed
where the model runs is unknown, so both the `try` body and the handler run as
the two arms of a branch on `importable("xformers.ops")`; the body's imports stay
references there (no installed source is read: `paused_site`), as before. A torch
name the target torch lacks (`from torch.nn import RMSNorm` for torch 1.13) raises,
so the enclosing `except ImportError` runs as it does there.
"""

from __future__ import annotations

import ast
import contextlib
import posixpath
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from wlint.model.evaluator import Evaluator
from wlint.model.interp.frames import Scope
from wlint.model.overlays.torch_versions import exists, torch_attribute
from wlint.model.interp.lazy import copies_lazily, defer_from_import, watch_global
from wlint.model.resolve import module_file, resolve_import
from wlint.model.signals import RaiseSig
from wlint.model.values import MISSING, ExternalRef, ModuleNamespace, TorchRef, Unknown, resolved


def import_value(it: Evaluator, dotted: str, level: int, line: int) -> Any:
    """The value bound by importing module `dotted` (relative `level`)."""
    if level == 0:
        head = dotted.split(".")[0]
        if head == "torch":
            return TorchRef(dotted)
    rel = resolve_import(it.tree, it.frame.path, dotted, level, it.roots)
    if rel is not None:
        return it.load_module(rel)
    if level > 0:
        return Unknown(f"relative import {'.' * level}{dotted} not found", line, True)
    return ExternalRef(dotted)


def exec_import(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                scope.vars[alias.asname] = import_value(it, alias.name, 0, node.lineno)
            else:
                top = alias.name.split(".")[0]
                value = import_value(it, top, 0, node.lineno)
                if "." in alias.name:
                    import_value(it, alias.name, 0, node.lineno)  # load submodules
                scope.vars[top] = value
        return
    assert isinstance(node, ast.ImportFrom)
    if defer_from_import(it, node, scope):
        return
    mod = import_value(it, node.module or "", node.level, node.lineno)
    for alias in node.names:
        if isinstance(mod, TorchRef) and exists(it.torch_version, f"{mod.qual}.{alias.name}") is False:
            raise RaiseSig()  # ImportError in the target torch: an enclosing `except` runs
        if alias.name == "*":
            if isinstance(mod, ModuleNamespace):
                star_import(it, mod, node, scope)
            continue
        scope.vars[alias.asname or alias.name] = module_attr(it, mod, alias.name, node.lineno)


def star_import(it: Evaluator, mod: ModuleNamespace, node: ast.stmt, scope: Scope) -> None:
    """`from mod import *`: the names of its `__all__` when that is a list of strings,
    else its public names. A package re-exporting a package keeps the placeholders of
    lazy imports as they are."""
    lazy = copies_lazily(it, node, scope)
    exported = resolved(dict.get(mod.vars, "__all__", MISSING))
    if isinstance(exported, (list, tuple)) and all(isinstance(n, str) for n in exported):
        names = list(exported)
    else:
        names = [k for k in dict.keys(mod.vars) if not k.startswith("_")]
    for name in names:
        value = dict.get(mod.vars, name, MISSING)
        if not lazy:
            value = resolved(value)
        if value is not MISSING:
            dict.__setitem__(scope.vars, name, value)


def module_attr(it: Evaluator, mod: Any, name: str, line: int) -> Any:
    if isinstance(mod, ModuleNamespace):
        if name in mod.vars:
            if it.pending:  # a global a deferred module may rebind
                watch_global(it, mod, name)
            return mod.vars[name]
        folder = posixpath.dirname(mod.relpath)
        if mod.relpath.endswith("__init__.py"):
            sub = module_file(it.tree, folder, name)
            if sub is not None:
                return it.load_module(sub)
        if mod.error:
            return Unknown(f"{mod.relpath}: {mod.error}", line, True)
        return Unknown(f"{name} not found in {mod.relpath}", line, True)
    if isinstance(mod, TorchRef):
        return torch_attribute(it.torch_version, f"{mod.qual}.{name}")
    if isinstance(mod, ExternalRef):
        return ExternalRef(f"{mod.qual}.{name}" if mod.qual else name)
    return Unknown(f"cannot import {name}", line, True)


def exec_import_stmt(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    it.guarded(node, scope, lambda: exec_import(it, node, scope))


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.Import: exec_import_stmt, ast.ImportFrom: exec_import_stmt,
}


IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
# for Python < 3.10 (no sys.stdlib_module_names): the modules model code guards
_STDLIB_FALLBACK = frozenset({
    "abc", "collections", "contextlib", "dataclasses", "enum", "functools", "importlib",
    "inspect", "itertools", "math", "numbers", "os", "re", "sys", "types", "typing",
    "typing_extensions", "warnings", "logging", "pathlib", "copy", "json", "pickle"})


def optional_import(it: Evaluator, node: ast.Try) -> Optional[Tuple[str, ast.ExceptHandler]]:
    """(the third-party module a `try` imports, the handler that catches its
    ImportError): an optional dependency; else None. torch, the standard library and project
    modules are there whenever the model runs: those `try` bodies run as written."""
    handler = next((h for h in node.handlers if _catches_import_error(h)), None)
    if handler is None:
        return None
    for stmt in node.body:
        for dotted, level in _imported(stmt):
            if _third_party(it, dotted, level):
                return dotted, handler
    return None


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, (ast.Name, ast.Attribute)) and
               (n.id if isinstance(n, ast.Name) else n.attr) in IMPORT_ERRORS for n in names)


def _imported(stmt: ast.stmt) -> List[Tuple[str, int]]:
    if isinstance(stmt, ast.Import):
        return [(a.name, 0) for a in stmt.names]
    if isinstance(stmt, ast.ImportFrom):
        return [(stmt.module or "", stmt.level)]
    return []


def _third_party(it: Evaluator, dotted: str, level: int) -> bool:
    if level > 0 or not dotted:
        return False
    head = dotted.split(".")[0]
    stdlib = getattr(sys, "stdlib_module_names", _STDLIB_FALLBACK)
    if head == "torch" or head in stdlib or head == "__future__":
        return False
    return resolve_import(it.tree, it.frame.path, dotted, 0, it.roots, site=False) is None


@contextlib.contextmanager
def paused_site(it: Evaluator) -> Iterator[None]:
    """No installed third-party source is read inside (an optional import's `try`)."""
    site = getattr(it, "site", None)
    if site is not None:
        site.paused += 1
    try:
        yield
    finally:
        if site is not None:
            site.paused -= 1
