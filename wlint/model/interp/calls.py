"""Calls: dispatch by callee kind (user functions and methods, classes,
builtins, partials, torch names, third-party names), argument binding,
instantiation of user classes (nn.Module subclasses become `ModuleInst`),
generators (their yields collected into a list) and zero-argument super().
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional

from wlint.model.evaluator import Evaluator, MAX_DEPTH
from wlint.model.interp.frames import Scope
from wlint.model.interp.statements import run_pending_decorators
from wlint.model.interp.lazy import watch, watch_any
from wlint.model.overlays.dataclasses import dataclass_init
from wlint.model.overlays.registry import lookup_function
from wlint.model.overlays.stdlib import NON_MODULE_PACKAGES
from wlint.model.overlays.torch_layers import build_layer, catalog_by_qualname, torch_call
from wlint.model.overlays.torch_module import defines_migration, note_unanalysed_registration
from wlint.model.signals import CannotInterpret, ReturnSig
from wlint.model.text import source_text
from wlint.model.values import (
    BoundMethod, Builtin, ExternalRef, Function, MISSING, ModuleInst, Partial, PlainInstance,
    Repeated, SuperProxy, SymbolicObject, TorchRef, TrackedList, Unknown, UserClass
)


def eval_call(it: Evaluator, node: ast.Call, scope: Scope) -> Any:
    func = it.eval(node.func, scope)
    if isinstance(func, Builtin) and func.name == "super" and not node.args:
        return zero_arg_super(it, scope, node)
    if isinstance(func, Builtin) and func.name == "locals" and not node.args:
        return dict(scope.vars.items())  # placeholders of lazy imports resolved
    if isinstance(func, Builtin) and func.name == "globals" and not node.args:
        return scope.module.vars  # `globals()[name](...)`: the module's live namespace
    args: List[Any] = []
    kwargs: Dict[str, Any] = {}
    for a in node.args:
        if isinstance(a, ast.Starred):
            items = it.iterate(it.eval(a.value, scope), node)
            if items is None:
                return unknown_call(it, func, node, f"cannot unpack `*{source_text(a.value)}`")
            args.extend(items)
        else:
            args.append(it.eval(a, scope))
    for kw in node.keywords:
        value = it.eval(kw.value, scope)
        if kw.arg is None:
            if isinstance(value, dict):
                if it.pending:
                    watch(it, value)
                kwargs.update({str(k): v for k, v in value.items()})
            else:
                return unknown_call(it, func, node, f"cannot unpack `**{source_text(kw.value)}`")
        else:
            kwargs[kw.arg] = value
    return call(it, func, args, kwargs, node)


def zero_arg_super(it: Evaluator, scope: Scope, node: ast.AST) -> Any:
    s: Optional[Scope] = scope
    while s is not None:
        if s.owner is not None and s.self_value is not MISSING:
            return SuperProxy(s.owner, s.self_value)
        s = s.parent
    raise CannotInterpret("super() outside a method")


def unknown_call(it: Evaluator, func: Any, node: ast.AST, reason: str) -> Unknown:
    return Unknown(reason, getattr(node, "lineno", 0), True)


def call(it: Evaluator, func: Any, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
    it.step()
    line = getattr(node, "lineno", 0)
    if isinstance(func, Function):
        return call_function(it, func, args, kwargs, node)
    if isinstance(func, BoundMethod):
        return call_function(it, func.func, [func.obj] + args, kwargs, node)
    if isinstance(func, UserClass):
        return instantiate(it, func, args, kwargs, node)
    if isinstance(func, Builtin):
        if it.pending:  # len(), sorted(), list() ... of a registry a deferred module may fill
            watch_any(it, args + list(kwargs.values()))
        return func.impl(it, func.self_obj, args, kwargs, node)
    if isinstance(func, Partial):
        merged = dict(func.kwargs)
        merged.update(kwargs)
        return call(it, func.func, list(func.args) + args, merged, node)
    if isinstance(func, TorchRef):
        return torch_call(it, func, args, kwargs, node)
    if isinstance(func, ExternalRef):
        impl = lookup_function(func.qual) if not func.qual.startswith("builtins.") else None
        if impl is not None:
            return impl(it, None, args, kwargs, node)
        layer = catalog_by_qualname().get(func.qual)
        if layer is not None:  # a non-torch.nn class the catalog knows (Layer.torch_path)
            inst = ModuleInst(layer.name, None, line, it.frame.path, "layer")
            inst.cond_depth = len(it.frame.conds)
            inst.depth = len(it.frame.loop_atoms)
            inst.torch_bases = (layer.name, "Module")
            build_layer(it, layer, inst, args, kwargs, node)
            return inst
        if func.qual.split(".")[0] in NON_MODULE_PACKAGES:
            return Unknown(f"`{func.qual}(...)` is not analysed", line, False)
        note_unanalysed_registration(it, func.qual, args, kwargs, node)
        return Unknown(f"`{func.qual}` is third-party (not analysed)", line, True)
    if isinstance(func, PlainInstance):  # an object with __call__ (a builder)
        method = it.class_attr(func.cls, "__call__")
        if method is not MISSING:
            return call(it, it.bind_attr(method, func, func.cls), args, kwargs, node)
        return Unknown(f"`{func.cls.name}` object is not callable", line, True)
    if isinstance(func, ModuleInst):
        return Unknown("calling a module (forward) in __init__", line, False)
    if isinstance(func, Unknown):
        note_unanalysed_registration(it, source_text(node.func) if isinstance(node, ast.Call)
                                     else "an unknown callable", args, kwargs, node)
        return Unknown(func.reason, line, True)
    if isinstance(func, SymbolicObject):
        note_unanalysed_registration(it, func.name, args, kwargs, node)
        return Unknown(f"calls the unknown argument `{func.name}`", line, True)
    return Unknown(f"cannot call {type(func).__name__}", line, True)


def call_function(it: Evaluator, func: Function, args: List[Any], kwargs: Dict[str, Any],
                  node: Any) -> Any:
    fnode = func.node
    if it.depth >= MAX_DEPTH:
        raise CannotInterpret("call depth limit reached (recursion?)")
    if func.pending:
        run_pending_decorators(it, func)
    scope = Scope({}, func.scope, func.module)
    bind_args(it, fnode.args, func, args, kwargs, scope, node)
    if func.owner is not None:
        scope.owner = func.owner
        if args:
            scope.self_value = args[0]
    produced: Optional[TrackedList] = None
    if not isinstance(fnode, ast.Lambda) and func.module.mentions("yield") and is_generator(fnode):
        produced = TrackedList()
        produced.depth = len(it.frame.loop_atoms)
        produced.cond_depth = len(it.frame.conds)
        scope.yield_sink = produced
    with it.in_call(func.module.relpath):
        try:
            if isinstance(fnode, ast.Lambda):
                return it.eval(fnode.body, scope)
            it.exec_block(fnode.body, scope)
        except ReturnSig as ret:
            return ret.value if produced is None else produced
    return produced


def bind_args(it: Evaluator, spec: ast.arguments, func: Function, args: List[Any],
              kwargs: Dict[str, Any], scope: Scope, node: Any) -> None:
    positional = list(getattr(spec, "posonlyargs", [])) + list(spec.args)
    names = [a.arg for a in positional]
    defaults = spec.defaults
    first_default = len(names) - len(defaults)
    bound: Dict[str, Any] = {}
    if any(isinstance(a, Repeated) for a in args) and (
            spec.vararg is None or any(isinstance(a, Repeated) for a in args[:len(names)])):
        raise CannotInterpret("positional arguments of unknown count")
    for name, value in zip(names, args):
        bound[name] = value
    extra = args[len(names):]
    if extra and spec.vararg is None:
        raise CannotInterpret(f"{func.name}() takes {len(names)} positional arguments")
    if spec.vararg is not None:
        varargs = tuple(extra)
        bound[spec.vararg.arg] = varargs
    kwonly = [a.arg for a in spec.kwonlyargs]
    extra_kw: Dict[str, Any] = {}
    for k, v in kwargs.items():
        if k in names or k in kwonly:
            if k in bound:
                raise CannotInterpret(f"{func.name}() got multiple values for `{k}`")
            bound[k] = v
        elif spec.kwarg is not None:
            extra_kw[k] = v
        else:
            raise CannotInterpret(f"{func.name}() got an unexpected keyword argument `{k}`")
    for i, name in enumerate(names):
        if name not in bound:
            if i >= first_default:
                bound[name] = it.eval(defaults[i - first_default], func.scope)
            else:
                raise CannotInterpret(f"{func.name}() missing required argument `{name}`")
    for a, d in zip(spec.kwonlyargs, spec.kw_defaults):
        if a.arg not in bound:
            if d is None:
                raise CannotInterpret(f"{func.name}() missing keyword argument `{a.arg}`")
            bound[a.arg] = it.eval(d, func.scope)
    if spec.kwarg is not None:
        bound[spec.kwarg.arg] = extra_kw
    scope.vars.update(bound)


def instantiate(it: Evaluator, cls: UserClass, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
    line = getattr(node, "lineno", 0)
    if not cls.ready:
        it.init_class(cls)
    it.uses[(cls.module.relpath, cls.name)] = None
    for c in cls.mro:
        if isinstance(c, UserClass) and defines_migration(c):
            it.migrates = True
    if cls.is_module:
        inst: Any = ModuleInst(cls.name, cls, line, it.frame.path, "user")
        inst.cond_depth = len(it.frame.conds)
        inst.torch_bases = tuple(c.last for c in cls.mro if isinstance(c, TorchRef))
        inst.depth = len(it.frame.loop_atoms)
    else:
        inst = PlainInstance(cls)
    init = it.class_attr(cls, "__init__")
    if cls.is_dataclass and not (isinstance(init, Function) and init.owner is cls):
        dataclass_init(it, cls, inst, args, kwargs, node)
        post = it.class_attr(cls, "__post_init__")
        if isinstance(post, Function):
            call_function(it, post, [inst], {}, node)
        return inst
    if init is MISSING:
        if args or kwargs:
            raise CannotInterpret(f"{cls.name}() takes no arguments")
        return inst
    bound = it.bind_attr(init, inst, cls)
    if any(isinstance(c, Unknown) for c in cls.bases):
        it.note(line, f"base class of `{cls.name}` is unknown: "
                  + "; ".join(c.reason for c in cls.bases if isinstance(c, Unknown)),
                  path=it.frame.path)
    call(it, bound, args, kwargs, node)
    return inst


def is_generator(fnode: ast.AST) -> bool:
    """Whether a function body yields (nested functions and lambdas excluded); cached
    on the node."""
    hit = getattr(fnode, "_wlint_generator", None)
    if hit is None:
        stack = list(getattr(fnode, "body", []))
        hit = False
        while stack and not hit:
            node = stack.pop()
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                hit = True
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                       ast.ClassDef)):
                stack.extend(ast.iter_child_nodes(node))
        fnode._wlint_generator = hit  # type: ignore[attr-defined]
    return hit


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.Call: eval_call,
}
