"""The standard library the predictor models: functools.partial,
collections.OrderedDict, copy.copy/deepcopy (over abstract values: module trees
are copied, tensors shared), math, operator.mul, typing.cast, itertools.repeat.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any, Dict, List, Optional

from wlint.model.evaluator import MAX_ITEMS, Evaluator
from wlint.model.overlays.builtins import dict_builtin, pure, symbolic_math
from wlint.model.overlays.registry import Impl, constant, register_functions
from wlint.model.signals import CannotInterpret, TooLarge
from wlint.model.symbolic import Sym
from wlint.model.values import (
    Conditional, DefaultDict, ModuleInst, ModuleNamespace, Partial, PlainInstance, SymbolicFloat, SymbolicObject,
    TrackedList, UserClass, value_text
)


def deepcopy_value(v: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    """copy.deepcopy over abstract values (module trees are copied, tensors shared).
    Like copy.deepcopy, every container is copied once (`memo`: shared parts stay
    shared, cycles end); a copy of more than MAX_ITEMS containers is TooLarge. The
    caller charges the budget `len(memo)` steps."""
    memo = {} if memo is None else memo
    if id(v) in memo:
        return memo[id(v)]
    if isinstance(v, ModuleInst):
        new = ModuleInst(v.type_name, v.cls, v.line, v.path, v.kind)
        new.cond_depth = v.cond_depth
        _remember(memo, v, new)
        new.args, new.torch_bases, new.depth = v.args, v.torch_bases, v.depth
        new.nonpersistent = set(v.nonpersistent)
        new.unidentified = dict(v.unidentified)
        for src, dst in ((v.params, new.params), (v.buffers, new.buffers),
                         (v.modules, new.modules), (v.attrs, new.attrs)):
            for k, x in src.items():
                dst[k] = deepcopy_value(x, memo)
        return new
    if isinstance(v, Conditional):
        return _remember(memo, v, Conditional([(c, deepcopy_value(x, memo)) for c, x in v.items]))
    if isinstance(v, list):
        out: List[Any] = _remember(memo, v, TrackedList() if isinstance(v, TrackedList) else [])
        out.extend(deepcopy_value(x, memo) for x in v)
        if isinstance(v, TrackedList):
            out.depth = v.depth  # type: ignore[attr-defined]
        return out
    if isinstance(v, tuple):
        return _remember(memo, v, tuple(deepcopy_value(x, memo) for x in v))
    if isinstance(v, dict):
        new_dict: Dict[Any, Any] = _remember(
            memo, v, DefaultDict(v.factory) if isinstance(v, DefaultDict) else {})
        new_dict.update((k, deepcopy_value(x, memo)) for k, x in v.items())
        return new_dict
    if isinstance(v, PlainInstance):
        new_obj = _remember(memo, v, PlainInstance(v.cls))
        new_obj.attrs = {k: deepcopy_value(x, memo) for k, x in v.attrs.items()}
        return new_obj
    return v


def _remember(memo: Dict[int, Any], old: Any, new: Any) -> Any:
    memo[id(old)] = new
    if len(memo) > MAX_ITEMS:
        raise TooLarge()
    return new


def _partial(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        raise CannotInterpret("partial() without a function")
    func, bound = args[0], list(args[1:])
    if isinstance(func, Partial):  # flattened as CPython does: .func is the innermost callable
        return Partial(func.func, list(func.args) + bound, {**func.kwargs, **kw})
    return Partial(func, bound, dict(kw))


def _ordereddict(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return dict_builtin(it, None, args, kw, node)


def _defaultdict(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    out = DefaultDict(args[0] if args else None)
    out.update(dict_builtin(it, None, list(args[1:]), kw, node))
    return out


def _deque(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """collections.deque as a list (model code builds and iterates it)."""
    items = it.iterate(args[0], node) if args else []
    if items is None:
        raise CannotInterpret("deque() of an unknown value")
    out = TrackedList(items)
    out.depth = len(it.frame.loop_atoms)
    return out


COPY_STEPS = 4  # steps one copied container costs (its items are copied with it)


def clone(it: Evaluator, value: Any) -> Any:
    """`deepcopy_value`, charged to the budget by the size of the copy."""
    memo: Dict[int, Any] = {}
    out = deepcopy_value(value, memo)
    it.charge(COPY_STEPS * len(memo))
    return out


def _deepcopy(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return clone(it, args[0])


def _copy(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    v = args[0]
    if isinstance(v, TrackedList):
        out = TrackedList(v)
        out.depth = v.depth
        return out
    if isinstance(v, dict):
        return dict(v)
    return v


def _getenv(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """os.environ.get(NAME, default) / os.getenv: the default. A variable read while a
    model is built is one a plain run leaves unset (README, Precision and limits)."""
    return args[1] if len(args) > 1 else kw.get("default")


_NAMESPACE_CLASSES: Dict[str, UserClass] = {}


def namespace_class(qualname: str) -> UserClass:
    """A stand-in class for a stdlib attribute bag (`types.SimpleNamespace`): an
    instance is a PlainInstance whose attributes are the keyword arguments."""
    cls = _NAMESPACE_CLASSES.get(qualname)
    if cls is None:
        node = ast.ClassDef(name=qualname.rsplit(".", 1)[-1], bases=[], keywords=[], body=[],
                            decorator_list=[], lineno=0, col_offset=0)
        cls = UserClass(node, ModuleNamespace(qualname.rsplit(".", 1)[0], None), None)
        cls.mro, cls.ready = [cls], True
        _NAMESPACE_CLASSES[qualname] = cls
    return cls


def _namespace(qualname: str) -> Impl:
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if args:
            raise CannotInterpret(f"{qualname}() takes keyword arguments only")
        obj = PlainInstance(namespace_class(qualname))
        obj.attrs.update(kw)
        return obj
    return impl


register_functions("re", {name: pure(getattr(re, name), f"re.{name}")
                         for name in ("split", "sub", "subn", "findall", "escape")})
register_functions("os", {"getenv": _getenv})
register_functions("os.environ", {"get": _getenv})
register_functions("types", {"SimpleNamespace": _namespace("types.SimpleNamespace")})
register_functions("argparse", {"Namespace": _namespace("argparse.Namespace")})
register_functions("functools", {"partial": _partial})
register_functions("collections", {"OrderedDict": _ordereddict, "defaultdict": _defaultdict,
                                   "deque": _deque})
register_functions("copy", {"deepcopy": _deepcopy, "copy": _copy})
def float_math(fn: Any, name: str) -> Impl:
    """A float function of math: computed on known numbers, a float-valued symbolic
    expression (`log(init_scale)`) of symbols, so `torch.tensor([math.log(s)])` is [1]."""
    plain = pure(fn, name)

    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if args and not kw and all(isinstance(a, (int, float, Sym, SymbolicFloat, SymbolicObject))
                                   for a in args) and not all(isinstance(a, (int, float)) for a in args):
            for a in args:
                if isinstance(a, SymbolicObject):
                    a.may_module = False  # used as a number
            texts = ", ".join(a.text if isinstance(a, SymbolicFloat) else value_text(a) for a in args)
            return SymbolicFloat(None, False, f"{name}({texts})")
        return plain(it, _, args, kw, node)
    return impl


register_functions("math", {
    "sqrt": float_math(math.sqrt, "sqrt"),
    "exp": float_math(math.exp, "exp"),
    "ceil": symbolic_math(math.ceil, "ceil", True),
    "floor": symbolic_math(math.floor, "floor", True),
    "log": float_math(math.log, "log"),
    "log2": float_math(math.log2, "log2"),
    "prod": pure(math.prod, "prod"),
    "gcd": pure(math.gcd, "gcd"),
    "pi": pure(lambda: math.pi, "pi"),
})
for _lib in ("math", "numpy"):
    for _name in ("pi", "e", "inf", "tau"):
        constant(f"{_lib}.{_name}", getattr(math, _name))
constant("numpy.newaxis", None)
register_functions("numpy", {name: float_math(getattr(math, name), name)
                             for name in ("log", "log2", "log10", "sqrt", "exp")})
register_functions("operator", {"mul": pure(lambda a, b: a * b, "mul")})
register_functions("typing", {"cast": lambda it, _, a, k, n: a[1]})
register_functions("itertools", {"repeat": pure(lambda x, n: [x] * n, "repeat")})


# packages whose calls never return an nn.Module
NON_MODULE_PACKAGES = {"math", "logging", "warnings", "os", "sys", "typing", "numpy", "np",
                        "functools", "itertools", "collections", "dataclasses", "copy", "re",
                        "json", "inspect", "operator", "abc", "enum", "types", "time", "random"}
