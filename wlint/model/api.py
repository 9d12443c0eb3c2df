"""Public API of the state-dict predictor (used by `wlint keys`, `wlint diff`, tests).

    predict(path, expr)                      -> Prediction   (a file on disk)
    predict_in_tree(tree, relpath, expr)     -> Prediction   (any SourceTree, e.g. a git revision)
    module_classes(tree, relpath)            -> List[ClassInfo]

Nothing here imports torch or the analysed code.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from wlint.model.interp import Interpreter, Scope
from wlint.model.text import dotted_name
from wlint.model.signals import BudgetExceeded
from wlint.model.layers import REQUIRED, lookup
from wlint.model.prediction import Entry, ModuleRecord, Prediction, Unresolved
from wlint.model.resolve import SourceTree, tree_for_path
from wlint.model.symbolic import shape_item
from wlint.model.values import (
    BoundMethod, Conditional, Function, ModuleInst, SymbolicObject, Tensor, TorchRef, UserClass,
)


class PredictError(ValueError):
    """The request itself is wrong: missing file, unknown class, unparsable EXPR."""


@dataclass(frozen=True)
class ClassInfo:
    """An nn.Module subclass defined in a file."""

    name: str
    line: int
    bases: List[str] = field(default_factory=list)


def predict(path: str, expr: str) -> Prediction:
    """Predicted state_dict of `expr` evaluated in the namespace of the file `path`."""
    if not os.path.isfile(path):
        raise PredictError(f"no such file: {path}")
    tree, relpath, extra = tree_for_path(path)
    pred = predict_in_tree(tree, relpath, expr, extra_roots=extra)
    pred.path = path
    return pred


def predict_in_tree(tree: SourceTree, relpath: str, expr: str,
                    extra_roots: Tuple[str, ...] = ()) -> Prediction:
    """Like `predict`, for a file of any source tree (working tree or git revision)."""
    try:
        expr_node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as exc:
        raise PredictError(f"cannot parse EXPR {expr!r}: {exc.msg}") from None
    if tree.read(relpath) is None:
        raise PredictError(f"no such file: {relpath}")
    interp = Interpreter(tree, relpath, extra_roots)
    try:
        ns = interp.load_module(relpath)
    except BudgetExceeded:
        raise PredictError(f"{relpath}: step budget exhausted while loading the module") from None
    if ns.ast is None:
        raise PredictError(f"cannot parse {relpath}: {ns.error}")
    head = expr_node.func if isinstance(expr_node, ast.Call) else expr_node
    name = dotted_name(head)
    if name is None:
        raise PredictError(f"EXPR must be a class or a call: {expr!r}")
    scope = Scope(ns.vars, None, ns)
    interp.frame.path = relpath
    cls = interp.eval(head, scope)
    is_factory = isinstance(expr_node, ast.Call) and isinstance(cls, (Function, BoundMethod))
    if not isinstance(cls, UserClass) and not is_factory and not (
            isinstance(cls, TorchRef) and cls.qual.count(".") >= 2):
        raise PredictError(f"unknown class {name!r} in {relpath}")
    if isinstance(cls, UserClass) and not cls.ready:
        interp.init_class(cls)
    if isinstance(cls, UserClass) and not cls.is_module:
        raise PredictError(f"{name!r} in {relpath} is not an nn.Module subclass")
    pred = Prediction(path=relpath, expr=expr, cls=name.rsplit(".", 1)[-1])
    line = getattr(cls, "node", expr_node).lineno if isinstance(cls, UserClass) else 1
    value: Any = None
    try:
        if isinstance(expr_node, ast.Call):
            value = interp.eval(expr_node, scope)
        else:
            args, kwargs = _symbolic_args(interp, cls)
            value = interp.call(cls, args, kwargs, expr_node)
    except BudgetExceeded:
        interp.note(line, "step budget exhausted: the prediction is incomplete", relpath)
    except RecursionError:
        interp.note(line, "recursion too deep: the prediction is incomplete", relpath)
    except Exception as exc:
        interp.note(line, f"cannot interpret {expr}: {exc}", relpath)
    interp.finish()
    if isinstance(value, ModuleInst):
        if is_factory:
            pred.cls = value.type_name
        _emit(value, pred, relpath)
    elif not any(True for _ in interp.notes):
        interp.note(line, f"{expr} did not produce a module", relpath)
    pred.unresolved = [Unresolved(ln, reason, "" if p == relpath else p)
                       for p, ln, reason in interp.notes]
    pred.migrates_checkpoints = interp.migrates
    pred.uses = list(interp.uses)
    return pred


def _symbolic_args(interp: Interpreter, cls: Any) -> Tuple[List[Any], Dict[str, Any]]:
    """Required constructor parameters of a bare class name become symbols."""
    if not isinstance(cls, UserClass):
        return [], {}
    init = interp.class_attr(cls, "__init__")
    fnode = getattr(init, "node", None)
    if cls.is_dataclass and (fnode is None or getattr(init, "owner", None) is not cls):
        kwargs = {}
        for c in cls.mro:
            if isinstance(c, UserClass):
                for fname, has_default in c.fields:
                    if not has_default and fname not in kwargs:
                        kwargs[fname] = SymbolicObject(fname)
        return [], kwargs
    if not isinstance(fnode, (ast.FunctionDef, ast.AsyncFunctionDef)):
        base = getattr(init, "self_obj", None)
        layer = lookup(base.last) if isinstance(base, TorchRef) else None
        if layer is None:
            return [], {}
        return [SymbolicObject(n) for n, d in layer.signature if d is REQUIRED], {}
    spec = fnode.args
    positional = list(getattr(spec, "posonlyargs", [])) + list(spec.args)
    required = len(positional) - len(spec.defaults)
    args: List[Any] = []
    for a in positional[1:required]:
        args.append(SymbolicObject(a.arg, _may_be_module(a)))
    kwargs = {}
    for a, d in zip(spec.kwonlyargs, spec.kw_defaults):
        if d is None:
            kwargs[a.arg] = SymbolicObject(a.arg, _may_be_module(a))
    return args, kwargs


_NUMERIC_ANNOTATIONS = ("int", "float", "bool", "str", "Optional[int]", "Optional[float]",
                        "Tuple[int", "tuple[int", "List[int]", "list[int]", "Sequence[int]")


_CONFIG_WORDS = ("config", "cfg", "conf", "args", "opt", "hparams", "params", "settings", "dim",
                 "size", "num", "n_", "channels", "features", "ratio", "width", "depth",
                 "heads", "bias", "eps", "drop", "rate", "stride", "kernel", "padding")


def _may_be_module(arg: ast.arg) -> bool:
    """An unknown argument without a plain-value annotation could be a module."""
    lowered = arg.arg.lower()
    if any(word in lowered for word in _CONFIG_WORDS):
        return False
    if arg.annotation is None:
        return True
    text = ast.unparse(arg.annotation)
    if text.startswith(_NUMERIC_ANNOTATIONS):
        return False
    return "Module" in text or "Callable" in text or "nn." in text


def _emit(root: ModuleInst, pred: Prediction, relpath: str) -> None:
    """torch's state_dict order: own params, own persistent buffers, then children."""
    stack: List[int] = []

    def rel(path: str) -> str:
        return "" if path == relpath else path

    def walk(inst: ModuleInst, prefix: str, cond: Optional[str]) -> None:
        if id(inst) in stack:
            return
        stack.append(id(inst))
        owner = prefix[:-1]
        pred.modules.append(ModuleRecord(owner, inst.type_name, inst.line, rel(inst.path),
                                         tuple(inst.args), cond))
        for name, slot in inst.params.items():
            for c, tensor in _alts(slot):
                if isinstance(tensor, Tensor):
                    pred.entries.append(_entry(prefix + name, tensor, "parameter", _join(cond, c),
                                               owner, inst.type_name, rel))
        for name, slot in inst.buffers.items():
            for c, tensor in _alts(slot):
                if isinstance(tensor, Tensor):
                    entry = _entry(prefix + name, tensor, "buffer", _join(cond, c), owner,
                                   inst.type_name, rel)
                    if name in inst.nonpersistent:
                        pred.nonpersistent.append(entry)
                    else:
                        pred.entries.append(entry)
        for name, slot in inst.modules.items():
            for c, child in _alts(slot):
                if isinstance(child, ModuleInst):
                    walk(child, f"{prefix}{name}.", _join(cond, c))
        stack.pop()

    walk(root, "", None)


def _alts(slot: Any) -> Iterable[Tuple[Optional[str], Any]]:
    """(condition, value) pairs of a slot; a plain slot (the common case) without a generator."""
    if not isinstance(slot, Conditional):
        return ((None, slot),)
    return _alts_gen(slot)


def _alts_gen(slot: Any) -> Iterator[Tuple[Optional[str], Any]]:
    if isinstance(slot, Conditional):
        for cond, value in slot.items:
            for c2, v2 in _alts(value):
                yield _join(cond, c2), v2
    else:
        yield None, slot


def _join(a: Optional[str], b: Optional[str]) -> Optional[str]:
    if a and b:
        return f"{a} and {b}"
    return a or b


def _entry(key: str, tensor: Tensor, kind: str, cond: Optional[str], owner: str, layer: str,
           rel: Any) -> Entry:
    shape = tuple(shape_item(d) for d in tensor.shape) if tensor.shape is not None else None
    return Entry(key=key, shape=shape, kind=kind, line=tensor.line, path=rel(tensor.path),
                 condition=cond, owner=owner, layer=layer)


def module_classes(tree: SourceTree, relpath: str) -> List[ClassInfo]:
    """nn.Module subclasses defined at the top level of `relpath` (directly or via
    project base classes)."""
    interp = Interpreter(tree, relpath)
    try:
        ns = interp.load_module(relpath)
    except BudgetExceeded:
        return []
    if ns.ast is None:
        return []
    out: List[ClassInfo] = []
    for node in ns.ast.body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = ns.vars.get(node.name)
        if isinstance(cls, UserClass) and cls.node is node:
            try:
                if not cls.ready:
                    interp.init_class(cls)
            except Exception:
                continue
            if cls.is_module:
                out.append(ClassInfo(node.name, node.lineno, [ast.unparse(b) for b in node.bases]))
    return out
