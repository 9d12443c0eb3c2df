"""Public API of the state-dict predictor (used by `wlint keys`, `wlint diff`, tests).

    predict(path, expr)                      -> Prediction   (a file on disk)
    predict_in_tree(tree, relpath, expr)     -> Prediction   (any SourceTree, e.g. a git revision)
    module_classes(tree, relpath)            -> List[ClassInfo]
    constructible_with_defaults(tree, relpath, names) -> bool  (configs of `wlint diff`)

Nothing here imports torch or the analysed code.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import List, Tuple

from wlint.model.flatten import flatten
from wlint.model.interp import Interpreter
from wlint.torch_target import CHECKED_TORCH
from wlint.model.prediction import PredictError, Prediction, Unresolved
from wlint.model.resolve import SourceTree, tree_for_path
from wlint.model.signals import BudgetExceeded
from wlint.model.text import short_error
from wlint.source import dotted_name
from wlint.model.values import BoundMethod, Function, ModuleInst, Partial, TorchRef, Unknown, UserClass

Version = Tuple[int, ...]


@dataclass(frozen=True)
class ClassInfo:
    """An nn.Module subclass defined in a file."""

    name: str
    line: int
    bases: List[str] = field(default_factory=list)


def predict(path: str, expr: str, torch_version: Version = CHECKED_TORCH) -> Prediction:
    """Predicted state_dict of `expr` evaluated in the namespace of the file `path`, with
    torch-version branches taken as torch `torch_version` takes them."""
    if not os.path.isfile(path):
        raise PredictError(f"no such file: {path}")
    tree, relpath, extra = tree_for_path(path)
    pred = predict_in_tree(tree, relpath, expr, extra_roots=extra, torch_version=torch_version)
    pred.path = path
    return pred


def predict_in_tree(tree: SourceTree, relpath: str, expr: str,
                    extra_roots: Tuple[str, ...] = (),
                    torch_version: Version = CHECKED_TORCH) -> Prediction:
    """Like `predict`, for a file of any source tree (working tree or git revision)."""
    try:
        expr_node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as exc:
        raise PredictError(f"cannot parse EXPR {expr!r}: {exc.msg}") from None
    if tree.read(relpath) is None:
        raise PredictError(f"no such file: {relpath}")
    interp = Interpreter(tree, relpath, extra_roots, torch_version=torch_version)
    try:
        ns = interp.load_module(relpath)
    except BudgetExceeded:
        raise PredictError(f"{relpath}: step budget exhausted while loading the module") from None
    if ns.ast is None:
        raise PredictError(f"cannot parse {relpath}: {ns.error}")
    head = expr_node.func if isinstance(expr_node, ast.Call) else expr_node
    name = dotted_name(head)
    if name is None and not isinstance(head, ast.Subscript):
        raise PredictError(f"EXPR must be a class, a call or a registry entry "
                           f"(`MODELS['name'](...)`): {expr!r}")
    name = name or ast.unparse(head)
    try:
        cls = interp.evaluate(head)
    except BudgetExceeded:
        raise PredictError(f"{relpath}: step budget exhausted while evaluating {name}") from None
    except Exception as exc:  # an interpreter limit on the EXPR itself: exit 2, one line
        raise PredictError(f"cannot evaluate {name} in {relpath}: {short_error(exc)}") from None
    is_factory = isinstance(expr_node, ast.Call) and isinstance(cls, (Function, BoundMethod, Partial))
    if not isinstance(cls, UserClass) and not is_factory and not (
            isinstance(cls, TorchRef) and cls.qual.count(".") >= 2):
        raise PredictError(f"unknown class {name!r} in {relpath}")
    if isinstance(cls, UserClass) and not cls.is_module:
        unknown = next((b for b in cls.mro if isinstance(b, Unknown)), None)
        if unknown is not None:  # e.g. a base whose MRO was too large to follow
            raise PredictError(f"{name!r} in {relpath}: a base class is unknown "
                               f"({unknown.reason}); cannot tell whether it is an nn.Module")
        raise PredictError(f"{name!r} in {relpath} is not an nn.Module subclass")
    shown = cls.name if isinstance(cls, UserClass) else name.rsplit(".", 1)[-1]
    pred = Prediction(path=relpath, expr=expr, cls=shown)
    line = getattr(cls, "node", expr_node).lineno if isinstance(cls, UserClass) else 1
    value = interp.run(expr_node, cls, line, expr)
    if isinstance(value, ModuleInst):
        if is_factory:
            pred.cls = value.type_name
        stop = flatten(value, pred, relpath)
        if stop is not None:
            interp.notes.append(stop)
    elif not interp.notes:
        interp.note(line, f"{expr} did not produce a module", relpath)
    elif isinstance(value, Unknown):  # the other notes do not say the whole model is missing
        interp.note(line, f"the model {expr} is unknown: {value.reason}", relpath)
    pred.unresolved = [Unresolved(ln, reason, "" if p == relpath else p)
                       for p, ln, reason in interp.notes]
    pred.migrates_checkpoints = interp.migrates
    pred.uses = list(interp.uses)
    if interp.site is not None:
        pred.third_party = sorted(interp.site.packages.items())
    return pred


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


def constructible_with_defaults(tree: SourceTree, relpath: str, class_names: List[str]) -> bool:
    """Whether every dotted name resolves, in the namespace of `relpath` as the predictor
    sees it, to a project class that is no nn.Module and can be built with no arguments
    (`Cfg()`): what `wlint diff` needs to predict `Net(Cfg())` next to `Net`."""
    interp = Interpreter(tree, relpath)
    try:
        ns = interp.load_module(relpath)
        if ns.ast is None:
            return False
        for name in class_names:
            value = interp.evaluate(ast.parse(name, mode="eval").body)
            if not isinstance(value, UserClass) or not _no_arg_constructible(interp, value):
                return False
    except (BudgetExceeded, RecursionError):
        return False
    except Exception:  # an interpreter limitation: no variant, never a crash
        return False
    return True


def _no_arg_constructible(interp: Interpreter, cls: UserClass) -> bool:
    if cls.is_module:
        return False
    init = interp.class_attr(cls, "__init__")
    fnode = getattr(init, "node", None)
    if cls.is_dataclass and (fnode is None or getattr(init, "owner", None) is not cls):
        return all(has_default for c in cls.mro if isinstance(c, UserClass)
                   for _, has_default in c.fields)
    if isinstance(fnode, ast.FunctionDef):
        spec = fnode.args
        positional = list(spec.posonlyargs) + list(spec.args)
        return (len(positional) - len(spec.defaults) <= 1
                and all(d is not None for d in spec.kw_defaults))
    # no __init__ anywhere: a plain class of class attributes (object.__init__)
    return all(isinstance(c, UserClass) and "__init__" not in c.ns for c in cls.mro)
