"""`import` and `from ... import`: project modules are loaded and run, torch
names become `TorchRef`, other packages `ExternalRef` (not analysed).
"""

from __future__ import annotations

import ast
import posixpath
from typing import Any, Callable, Dict

from wlint.model.evaluator import Evaluator
from wlint.model.interp.frames import Scope
from wlint.model.resolve import module_file, resolve_import
from wlint.model.values import ExternalRef, ModuleNamespace, TorchRef, Unknown


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
    mod = import_value(it, node.module or "", node.level, node.lineno)
    for alias in node.names:
        if alias.name == "*":
            if isinstance(mod, ModuleNamespace):
                for k, v in list(mod.vars.items()):
                    if not k.startswith("_"):
                        scope.vars[k] = v
            continue
        scope.vars[alias.asname or alias.name] = module_attr(it, mod, alias.name, node.lineno)


def module_attr(it: Evaluator, mod: Any, name: str, line: int) -> Any:
    if isinstance(mod, ModuleNamespace):
        if name in mod.vars:
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
        return TorchRef(f"{mod.qual}.{name}")
    if isinstance(mod, ExternalRef):
        return ExternalRef(f"{mod.qual}.{name}" if mod.qual else name)
    return Unknown(f"cannot import {name}", line, True)


def exec_import_stmt(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    it.guarded(node, scope, lambda: exec_import(it, node, scope))


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.Import: exec_import_stmt, ast.ImportFrom: exec_import_stmt,
}
