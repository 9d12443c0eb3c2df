"""Arguments of a bare class name (`wlint keys f.py Net`, `wlint diff`): every
required constructor parameter becomes a `SymbolicObject` named after it, so
shapes come out in terms of the parameters (`config.n_embd`, `dim * 4`).

Whether such an unknown argument may be an nn.Module is guessed from its name
and annotation: assigned to `self.x`, a possible module is a note, not a key.
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Tuple

from wlint.model.evaluator import Evaluator
from wlint.model.layers import REQUIRED, lookup
from wlint.model.values import SymbolicObject, TorchRef, UserClass


def symbolic_arguments(it: Evaluator, cls: Any) -> Tuple[List[Any], Dict[str, Any]]:
    """Required constructor parameters of a bare class name become symbols."""
    if not isinstance(cls, UserClass):
        return [], {}
    init = it.class_attr(cls, "__init__")
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
