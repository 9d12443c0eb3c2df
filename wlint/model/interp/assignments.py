"""Assignments: targets (names, attributes, subscripts, unpacking with a star),
augmented assignment, delete, and the routing of setattr/setitem to the value
that owns the slot (nn.Module `__setattr__` lives in overlays/torch_module).
"""

from __future__ import annotations

import ast
import functools
from typing import Any, Callable, Dict, List

from wlint.model.evaluator import Evaluator
from wlint.model.interp.frames import Scope
from wlint.model.overlays.torch_containers import container_extend
from wlint.model.overlays.torch_module import module_setattr
from wlint.model.signals import CannotInterpret
from wlint.model.symbolic import Sym
from wlint.model.values import (
    ModuleInst, ModuleNamespace, PlainInstance, Repeated, SymbolicObject, TrackedList, Unknown,
    UserClass
)


def exec_assign(it: Evaluator, node: ast.Assign, scope: Scope) -> None:
    def run() -> None:
        value = it.eval(node.value, scope)
        for target in node.targets:
            assign(it, target, value, scope, node)
    it.guarded(node, scope, run)


def exec_annassign(it: Evaluator, node: ast.AnnAssign, scope: Scope) -> None:
    value = node.value
    if value is None:
        return
    it.guarded(node, scope, lambda: assign(it, node.target, it.eval(value, scope), scope, node))


def exec_augassign(it: Evaluator, node: ast.AugAssign, scope: Scope) -> None:
    def run() -> None:
        current = it.eval(as_load(node.target), scope)
        rhs = it.eval(node.value, scope)
        if isinstance(node.op, ast.Add) and isinstance(current, ModuleInst):
            container_extend(it, current, rhs, node)
            return
        if isinstance(node.op, ast.Add) and isinstance(current, list):
            it.list_extend(current, rhs)
            return
        if isinstance(node.op, ast.BitOr) and isinstance(current, dict) and isinstance(rhs, dict):
            current.update(rhs)
            return
        assign(it, node.target, it.binop(node.op, current, rhs, node), scope, node)
    it.guarded(node, scope, run)


def exec_delete(it: Evaluator, node: ast.Delete, scope: Scope) -> None:
    for target in node.targets:
        it.guarded(node, scope, functools.partial(delete, it, target, scope))


def assign(it: Evaluator, target: ast.expr, value: Any, scope: Scope, node: ast.AST) -> None:
    if isinstance(target, ast.Name):
        scope.vars[target.id] = value
    elif isinstance(target, ast.Attribute):
        obj = it.eval(target.value, scope)
        set_attribute(it, obj, target.attr, value, node)
    elif isinstance(target, ast.Subscript):
        obj = it.eval(target.value, scope)
        key = it.eval(target.slice, scope)
        setitem(it, obj, key, value, node)
    elif isinstance(target, (ast.Tuple, ast.List)):
        items = it.iterate(value, node)
        if items is None or any(isinstance(i, Repeated) for i in items):
            for name in target_names(target):
                scope.vars[name] = Unknown("cannot unpack", getattr(node, "lineno", 0), True)
            return
        stars = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
        if stars:
            s = stars[0]
            after = len(target.elts) - s - 1
            parts = items[:s] + [TrackedList(items[s:len(items) - after])] + items[len(items) - after:]
            for elt, v in zip(target.elts, parts):
                assign(it, elt.value if isinstance(elt, ast.Starred) else elt, v, scope, node)
            return
        if len(items) != len(target.elts):
            raise CannotInterpret("unpacking length mismatch")
        for elt, v in zip(target.elts, items):
            assign(it, elt, v, scope, node)
    elif isinstance(target, ast.Starred):
        assign(it, target.value, value, scope, node)
    else:
        raise CannotInterpret(f"cannot assign to {type(target).__name__}")


def delete(it: Evaluator, target: ast.expr, scope: Scope) -> None:
    if isinstance(target, ast.Name):
        scope.vars.pop(target.id, None)
    elif isinstance(target, ast.Attribute):
        obj = it.eval(target.value, scope)
        if isinstance(obj, ModuleInst):
            for d in (obj.params, obj.buffers, obj.modules, obj.attrs):
                d.pop(target.attr, None)
            obj.nonpersistent.discard(target.attr)
        elif isinstance(obj, PlainInstance):
            obj.attrs.pop(target.attr, None)
    elif isinstance(target, ast.Subscript):
        obj = it.eval(target.value, scope)
        key = it.eval(target.slice, scope)
        if isinstance(obj, ModuleInst):
            names = list(obj.modules)
            if isinstance(key, int) and not isinstance(key, bool):
                obj.modules.pop(names[key], None)
            else:
                obj.modules.pop(str(key), None)
        elif isinstance(obj, (list, dict)):
            del obj[key]


def set_attribute(it: Evaluator, obj: Any, name: str, value: Any, node: ast.AST) -> None:
    if isinstance(obj, ModuleInst):
        module_setattr(it, obj, name, value, node)
    elif isinstance(obj, PlainInstance):
        obj.attrs[name] = value
    elif isinstance(obj, UserClass):
        obj.ns[name] = value
    elif isinstance(obj, ModuleNamespace):
        obj.vars[name] = value


def setitem(it: Evaluator, obj: Any, key: Any, value: Any, node: ast.AST) -> None:
    if isinstance(obj, ModuleInst):
        if obj.kind == "ModuleDict" or (isinstance(key, str)):
            module_setattr(it, obj, str(key), value, node)
        elif isinstance(key, int) and not isinstance(key, bool):
            names = list(obj.modules)
            module_setattr(it, obj, names[key], value, node)
        else:
            it.note(getattr(node, "lineno", 0), "unknown container index")
    elif isinstance(obj, (list, dict)):
        if isinstance(key, (Sym, SymbolicObject, Unknown)):
            raise CannotInterpret("unknown index")
        obj[key] = value
    elif isinstance(obj, PlainInstance):
        obj.attrs[str(key)] = value


def as_load(target: ast.expr) -> ast.expr:
    return target


def target_names(target: ast.AST) -> List[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in target_names(e)]
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return []


def assigned_names(stmt: ast.AST) -> List[str]:
    if isinstance(stmt, ast.Assign):
        return [n for t in stmt.targets for n in target_names(t)]
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        return target_names(stmt.target)
    if isinstance(stmt, (ast.ClassDef, ast.FunctionDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"]
    return []


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.Assign: exec_assign, ast.AnnAssign: exec_annassign, ast.AugAssign: exec_augassign,
    ast.Delete: exec_delete,
}
