"""Statement handlers, registered by AST type: expression statements, return/
break/continue/raise, def and class (decorators, base classes, MRO, dataclass
fields), `if` on an unknown condition (both arms run, then merge), `for` over
known items or one symbolic pass for a loop of unknown length, `while`,
`with`, `try`.
"""

from __future__ import annotations

import ast
import contextlib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from wlint.model.budget import ITEMS_PER_STEP
from wlint.model.conditions import Not, Text
from wlint.model.evaluator import Evaluator
from wlint.model.interp.assignments import target_names
from wlint.model.interp.attributes import c3_mro
from wlint.model.interp.causes import explained_by
from wlint.model.interp.frames import Scope, loop_value
from wlint.model.interp.imports import optional_import, paused_site
from wlint.model.interp.operators import cond_source
from wlint.model.overlays.torch_module import is_torch_module_ref
from wlint.model.signals import BreakSig, BudgetExceeded, ContinueSig, RaiseSig, ReturnSig
from wlint.model.symbolic import Sym
from wlint.model.text import short_error, source_text
from wlint.source import dotted_name
from wlint.model.values import (
    BoundMethod, ClassMethod, ExternalRef, Function, LazyName, MISSING, ModuleInst, Partial,
    PlainInstance, Property, Repeated, StaticMethod, SymbolicRange, Unknown, UserClass, resolved,
    same_value, to_sym
)


def exec_expr(it: Evaluator, node: ast.Expr, scope: Scope) -> None:
    if isinstance(node.value, ast.Constant):
        return
    it.guarded(node, scope, lambda: it.eval(node.value, scope))


def exec_return(it: Evaluator, node: ast.Return, scope: Scope) -> None:
    value = None
    if node.value is not None:
        try:
            value = it.eval(node.value, scope)
        except (BudgetExceeded, RecursionError, RaiseSig):
            raise  # `return f(...)` where f raises: this path raises, it returns nothing
        except Exception as exc:
            value = Unknown(short_error(exc), node.lineno, True)
    raise ReturnSig(value)


def exec_pass(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    return


def exec_break(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    raise BreakSig()


def exec_continue(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    raise ContinueSig()


def exec_raise(it: Evaluator, node: ast.Raise, scope: Scope) -> None:
    raise RaiseSig()


def exec_functiondef(it: Evaluator, node: ast.FunctionDef, scope: Scope) -> None:
    func: Any = Function(node, scope, scope.module, owner=scope.owner)
    for dec in reversed(node.decorator_list):
        func = decorate(it, func, dec, scope)
    scope.vars[node.name] = func


def decorate(it: Evaluator, func: Any, dec: ast.expr, scope: Scope) -> Any:
    name = dotted_name(dec.func if isinstance(dec, ast.Call) else dec) or ""
    last = name.rsplit(".", 1)[-1]
    if last == "staticmethod":
        return StaticMethod(func)
    if last == "classmethod":
        return ClassMethod(func)
    if last in ("property", "cached_property"):
        return Property(func)
    if isinstance(dec, ast.Call):  # a registry key: @register_architecture('tiny')
        return project_decorator(it, func, dec, scope)
    if isinstance(func, Function):
        decorator = _project_callable(it, dec, scope)
        if decorator is not None:
            func.pending.append((decorator, dec))
    return func


def project_decorator(it: Evaluator, target: Any, dec: ast.expr, scope: Scope) -> Any:
    """Apply a decorator the project defines (`@MODELS.register('x')` on a class or a
    function, a bare `@register` on a class) as Python does, so registries fill at
    import time. A decorator from elsewhere (functools.wraps, torch.no_grad, jit) or
    one whose result is not understood keeps the function or class as written.

    A bare project decorator of a function (`@register_model`) runs at the function's
    first call instead (`run_pending_decorators`): a zoo registers hundreds of entry
    points, the prediction calls one, and the registry entries it reads are its own."""
    decorator = _project_callable(it, dec, scope)
    if decorator is None:
        return target
    result = _apply(it, decorator, target, dec)
    return result if isinstance(result, (Function, BoundMethod, UserClass, Partial)) else target


def run_pending_decorators(it: Evaluator, func: Function) -> None:
    """Run a function's deferred bare decorators once, for what they register (the
    function keeps its body: wrappers pass the call through)."""
    pending, func.pending = func.pending, []
    for decorator, dec in pending:
        _apply(it, decorator, func, dec)


def _project_callable(it: Evaluator, dec: ast.expr, scope: Scope) -> Any:
    try:
        decorator = it.eval(dec, scope)
    except (BudgetExceeded, RecursionError):
        raise
    except Exception:
        return None
    return decorator if isinstance(decorator, (Function, BoundMethod)) else None


def _apply(it: Evaluator, decorator: Any, target: Any, dec: ast.expr) -> Any:
    try:
        return it.call(decorator, [target], {}, dec)
    except (BudgetExceeded, RecursionError):
        raise
    except Exception:  # an interpreter limit or the decorator raising: as written
        return None


def exec_classdef(it: Evaluator, node: ast.ClassDef, scope: Scope) -> None:
    cls = UserClass(node, scope.module, scope)
    scope.vars[node.name] = cls
    it.guarded(node, scope, lambda: init_class(it, cls))
    for dec in reversed(node.decorator_list):
        scope.vars[node.name] = project_decorator(it, scope.vars[node.name], dec, scope)


def init_class(it: Evaluator, cls: UserClass) -> None:
    node, scope = cls.node, cls.scope
    bases: List[Any] = []
    for b in node.bases:
        try:
            value = it.eval(b, scope)
        except (BudgetExceeded, RecursionError):
            raise
        except Exception as exc:
            value = Unknown(short_error(exc), node.lineno, True)
        bases.append(value)
    cls.bases = bases
    cls.mro = c3_mro(cls)
    it.charge(len(cls.mro) // ITEMS_PER_STEP)
    cls.is_module = any(is_torch_module_ref(b) or (isinstance(b, UserClass) and b.is_module)
                        for b in cls.mro[1:])
    for dec in node.decorator_list:
        name = dotted_name(dec.func if isinstance(dec, ast.Call) else dec) or ""
        if name.rsplit(".", 1)[-1] == "dataclass":
            cls.is_dataclass = True
    if any(isinstance(b, ExternalRef) and b.qual.rsplit(".", 1)[-1] == "NamedTuple"
           for b in bases):
        cls.is_dataclass = True
    body_scope = Scope(cls.ns, scope, scope.module, owner=cls)
    with it.in_file(cls.module.relpath):
        for stmt in node.body:
            with contextlib.suppress(ReturnSig, BreakSig, ContinueSig, RaiseSig):
                it.exec_stmt(stmt, body_scope)
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if "ClassVar" in source_text(stmt.annotation):
                continue
            cls.fields.append((stmt.target.id, stmt.value is not None))
    cls.ready = True


def exec_if(it: Evaluator, node: ast.If, scope: Scope) -> None:
    try:
        test = it.eval(node.test, scope)
    except (BudgetExceeded, RecursionError):
        raise
    except Exception as exc:
        test = Unknown(short_error(exc), node.lineno)
    truth = it.truth(test)
    if truth is True:
        it.exec_block(node.body, scope)
    elif truth is False:
        it.exec_block(node.orelse, scope)
    else:
        fork(it, cond_source(node.test, test), node.body, node.orelse, scope, node)


def fork(it: Evaluator, cond: str, body: Sequence[ast.stmt], orelse: Sequence[ast.stmt], scope: Scope,
         node: ast.stmt) -> None:
    """Run both arms of a branch on an unknown condition, marking what they register."""
    found = scope.vars.get("self")
    selfobj: Optional[Union[ModuleInst, PlainInstance]] = \
        found if isinstance(found, (ModuleInst, PlainInstance)) else None
    attrs0 = dict(selfobj.attrs) if selfobj is not None else None
    vars0 = dict(scope.vars)
    outcomes = []
    test = Text(cond)
    for arm, arm_cond in ((body, test), (orelse, Not(test))):
        scope.vars.clear()
        scope.vars.update(vars0)
        if selfobj is not None and attrs0 is not None:
            selfobj.attrs.clear()
            selfobj.attrs.update(attrs0)
        status = "ok"
        with it.in_branch(arm_cond):
            try:
                it.exec_block(arm, scope)
            except RaiseSig:
                status = "raise"
            except ReturnSig:
                status = "return"
            except (BreakSig, ContinueSig):
                status = "jump"
        outcomes.append((status, dict(scope.vars),
                         dict(selfobj.attrs) if selfobj is not None else None))
    live = [o for o in outcomes if o[0] != "raise"]
    if not live:
        raise RaiseSig()
    if any(o[0] in ("return", "jump") for o in live):
        if len(live) == 1 and live[0][0] == "ok":
            pass
        elif explained_by(getattr(node, "test", node), scope) is None:
            it.note(node.lineno, f"control flow depends on unknown condition `{cond}`")
            if any(o[0] == "return" for o in live):
                raise ReturnSig(Unknown(f"result depends on `{cond}`", node.lineno, True))
    live = [o for o in live if o[0] == "ok"] or live
    merge(it, scope.vars, [o[1] for o in live], cond, node)
    if selfobj is not None:
        merge(it, selfobj.attrs, [o[2] or {} for o in live], cond, node)


def merge(it: Evaluator, target: Dict[str, Any], versions: List[Dict[str, Any]], cond: str,
           node: ast.stmt) -> None:
    target.clear()
    names: Dict[str, None] = {}
    for v in versions:
        names.update(dict.fromkeys(v))
    for name in names:
        values = [v.get(name, MISSING) for v in versions]
        if any(type(v) is LazyName for v in values) and not all(v is values[0] for v in values):
            values = [resolved(v) for v in values]  # a lazy import forced in one arm
        first = values[0]
        if all(same_value(first, other) for other in values[1:]):
            if first is not MISSING:
                target[name] = first
        else:
            target[name] = Unknown(f"`{name}` depends on `{cond}`", node.lineno, True)


def exec_for(it: Evaluator, node: ast.For, scope: Scope) -> None:
    try:
        iterable = it.eval(node.iter, scope)
    except (BudgetExceeded, RecursionError):
        raise
    except Exception as exc:
        iterable = Unknown(short_error(exc), node.lineno)
    items = it.iterate(iterable, node)
    if items is None:
        cause = explained_by(node.iter, scope)
        if cause is None:
            it.note(node.lineno, f"cannot iterate over `{source_text(node.iter)}`")
            cause = (it.frame.path, node.lineno)
        poison(it, node, scope, f"assigned in a loop over `{source_text(node.iter)}`", cause)
        return
    broke = False
    if isinstance(iterable, SymbolicRange) and not isinstance(to_sym(iterable.stop), (int, Sym)):
        it.note(node.lineno, f"number of iterations of `{source_text(node.iter)}` is unknown")
    for item in items:
        if isinstance(item, Repeated):
            if sym_iteration(it, node.target, item, node.body, scope, node):
                broke = True
                break
            continue
        it.assign(node.target, item, scope, node)
        try:
            it.exec_block(node.body, scope)
        except BreakSig:
            broke = True
            break
        except ContinueSig:
            continue
    if not broke:
        it.exec_block(node.orelse, scope)


def sym_iteration(it: Evaluator, target: ast.expr, item: Repeated, body: Sequence[ast.stmt], scope: Scope,
                  node: ast.stmt) -> bool:
    """One pass over the body standing for a loop of unknown length."""
    atom = it.next_atom()
    value = loop_value(item, atom)
    vars0 = dict(scope.vars)
    found = scope.vars.get("self")
    selfobj: Optional[Union[ModuleInst, PlainInstance]] = \
        found if isinstance(found, (ModuleInst, PlainInstance)) else None
    attrs0 = dict(selfobj.attrs) if selfobj is not None else None
    broke = False
    with it.in_loop(atom):
        try:
            it.assign(target, value, scope, node)
            it.exec_block(body, scope)
        except BreakSig:
            broke = True
        except ContinueSig:
            pass
    targets = set(target_names(target))
    for name, old in vars0.items():
        if name in targets:
            continue
        new = scope.vars.get(name, MISSING)
        if not same_value(old, new):
            it.note(node.lineno, f"`{name}` changes in every iteration of a loop of unknown "
                                   "length: shapes after the first iteration are unknown")
            scope.vars[name] = Unknown(f"`{name}` changes in a loop of unknown length",
                                       node.lineno, True)
    if selfobj is not None and attrs0 is not None:
        for name, old in attrs0.items():
            if not same_value(old, selfobj.attrs.get(name, MISSING)):
                it.note(node.lineno, f"`self.{name}` changes in every iteration of a loop "
                                       "of unknown length")
                selfobj.attrs[name] = Unknown("changes in a loop", node.lineno, True)
    return broke


def exec_while(it: Evaluator, node: ast.While, scope: Scope) -> None:
    while True:
        it.step()
        truth = it.truth(it.eval(node.test, scope))
        if truth is None:
            it.note(node.lineno, f"while loop on unknown condition `{source_text(node.test)}`")
            poison(it, node, scope, f"assigned in a loop on `{source_text(node.test)}`")
            return
        if not truth:
            it.exec_block(node.orelse, scope)
            return
        try:
            it.exec_block(node.body, scope)
        except BreakSig:
            return
        except ContinueSig:
            continue


def poison(it: Evaluator, node: ast.stmt, scope: Scope, reason: str,
           cause: Optional[Tuple[str, int]] = None) -> None:
    """Variables and `self` attributes a skipped body would assign become unknown,
    so no stale value is used afterwards."""
    selfobj = scope.vars.get("self")
    for sub in ast.walk(node):
        targets: List[ast.expr] = []
        if isinstance(sub, ast.Assign):
            targets = list(sub.targets)
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr)):
            targets = [sub.target]
        for t in targets:
            for name in target_names(t):
                scope.vars[name] = Unknown(reason, node.lineno, True, cause)
            for a in ast.walk(t):
                if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and \
                        a.value.id == "self" and isinstance(selfobj, (ModuleInst, PlainInstance)) and \
                        a.attr in selfobj.attrs:
                    selfobj.attrs[a.attr] = Unknown(reason, node.lineno, True, cause)


def exec_with(it: Evaluator, node: ast.With, scope: Scope) -> None:
    for item in node.items:
        if item.optional_vars is not None:
            it.assign(item.optional_vars, Unknown("context manager value", node.lineno),
                        scope, node)
    it.exec_block(node.body, scope)


def exec_try(it: Evaluator, node: ast.Try, scope: Scope) -> None:
    optional = optional_import(it, node)
    if optional is not None:  # an optional dependency: installed or not is unknown
        module, handler = optional
        with paused_site(it):
            fork(it, f"importable({module!r})", list(node.body) + list(node.orelse),
                 handler.body, scope, node)
        it.exec_block(node.finalbody, scope)
        return
    try:
        it.exec_block(node.body, scope)
    except RaiseSig:
        if node.handlers:
            it.exec_block(node.handlers[0].body, scope)
        else:
            raise
    else:
        it.exec_block(node.orelse, scope)
    finally:
        it.exec_block(node.finalbody, scope)


def exec_nothing(it: Evaluator, node: ast.stmt, scope: Scope) -> None:
    return


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.Expr: exec_expr, ast.Return: exec_return, ast.Pass: exec_pass, ast.Break: exec_break,
    ast.Continue: exec_continue, ast.Raise: exec_raise, ast.FunctionDef: exec_functiondef,
    ast.AsyncFunctionDef: exec_nothing, ast.ClassDef: exec_classdef, ast.If: exec_if,
    ast.For: exec_for, ast.While: exec_while, ast.With: exec_with, ast.Try: exec_try,
    ast.Assert: exec_nothing, ast.Global: exec_nothing, ast.Nonlocal: exec_nothing,
}
if hasattr(ast, "TryStar"):
    HANDLERS[ast.TryStar] = exec_try
