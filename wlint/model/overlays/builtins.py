"""Python builtins over the value lattice: range, len, int, min/max, sum, zip,
enumerate, list/tuple/dict, isinstance, getattr/hasattr/setattr, str/bool/map,
the exception classes, and the methods of plain lists and of unknown config
objects (`config.get("n")`).

Known values compute as in Python (`pure`); symbols and unknowns give a
symbol where the result is still an integer expression (`min(a, b)`, `len(x)`)
and an `Unknown` otherwise.
"""

from __future__ import annotations

import ast
import builtins as _py_builtins
import sys
from collections.abc import Callable as _AbcCallable
from collections.abc import Hashable, Iterable, Mapping, MutableMapping
from collections.abc import Sequence as _AbcSequence
from typing import Any, Callable, Dict, List, Optional

from wlint.model.budget import call_cost, method_cost
from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import (
    Impl, constant, register_functions, register_method, register_methods
)
from wlint.model.overlays.torch_versions import has_torch_attribute
from wlint.model.signals import TOO_LARGE, CannotInterpret, TooLarge
from wlint.model.symbolic import Sym
from wlint.model.text import short_error
from wlint.model.values import (
    BoundMethod, Builtin, Conditional, EnumeratedRun, ExternalRef, Function, ItemsIterator, ModuleInst, Partial,
    MISSING, PlainInstance, Repeated, SuperProxy, SymbolicFloat, SymbolicObject, SymbolicRange, Tensor, TorchRef,
    TrackedList, Unknown, UserClass, check_key, is_unknownish, sym_text, to_sym
)


def _range(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    vals = [to_sym(a) for a in args]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return range(*vals)
    if len(vals) == 1:
        return SymbolicRange(0, vals[0], 1)
    if len(vals) >= 2:
        return SymbolicRange(vals[0], vals[1], vals[2] if len(vals) > 2 else 1)
    raise CannotInterpret("range()")


def _len(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    v = args[0]
    if isinstance(v, SymbolicRange):
        if v.step == 1 and isinstance(v.start, (int, Sym)) and isinstance(v.stop, (int, Sym)):
            return v.stop - v.start
        return Unknown("len of a symbolic range")
    if isinstance(v, ModuleInst):
        if any("{" in n for n in v.modules) or any(isinstance(x, Conditional) for x in v.modules.values()):
            return Unknown("len of a container of unknown length")
        return len(v.modules)
    if isinstance(v, (list, tuple)) and any(isinstance(x, Repeated) for x in v):
        return Unknown("len of a list of unknown length")
    if isinstance(v, (list, tuple, dict, str, set, range)):
        return len(v)
    if isinstance(v, SymbolicObject):
        return Sym.name(f"len({v.name})")
    if isinstance(v, Tensor) and v.shape:
        return v.shape[0]
    return Unknown("len of an unknown value")


def _int(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        return 0
    v = args[0]
    if isinstance(v, SymbolicFloat):
        return v.sym if v.exact else Sym.name(f"int({v.text})")
    v = to_sym(v)
    if isinstance(v, Sym):
        return v
    if isinstance(v, (Unknown, Tensor)):
        return Unknown("int() of an unknown value")
    try:
        return int(v, *args[1:]) if isinstance(v, str) else int(v)
    except (TypeError, ValueError) as exc:
        return Unknown(short_error(exc))


def pure(fn: Callable[..., Any], name: str) -> Impl:
    """A Python builtin applied to known values; symbols give Unknown."""
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        flat = list(args) + list(kw.values())
        for a in flat:
            if is_unknownish(a) or isinstance(a, Repeated) or (
                    isinstance(a, (list, tuple)) and any(isinstance(x, (Repeated,)) for x in a)):
                return Unknown(f"{name}() of an unknown value", getattr(node, "lineno", 0))
        refused = charged(it, lambda: call_cost(name, args, kw), node)
        if refused is not None:
            return refused
        try:
            out = fn(*args, **kw)
        except Exception as exc:
            return Unknown(f"{name}(): {short_error(exc)}", getattr(node, "lineno", 0))
        if isinstance(out, list):
            out = TrackedList(out)
        return out
    return impl


def charged(it: Evaluator, cost: Callable[[], int], node: Any) -> Optional[Unknown]:
    """Charge the budget what a Python computation will cost (`wlint.model.budget`);
    an Unknown, with its note, when its result would be too large to follow."""
    try:
        steps = cost()
    except TooLarge:
        line = getattr(node, "lineno", 0)
        it.too_large(line, node if isinstance(node, ast.AST) else None)
        return Unknown(TOO_LARGE, line)
    if steps:
        it.charge(steps)
    return None


def _minmax(which: str) -> Impl:
    py = max if which == "max" else min

    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        vals = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
        vals = [to_sym(v) for v in vals]
        if any(isinstance(v, Repeated) for v in vals) or kw:
            return Unknown(f"{which}() of unknown values")
        if all(isinstance(v, (int, float)) for v in vals):
            return py(vals)
        if all(isinstance(v, (int, Sym)) for v in vals):
            uniq = sorted({sym_text(v) for v in vals})
            if len(uniq) == 1:
                return vals[0]
            return Sym.name(f"{which}({', '.join(uniq)})")
        return Unknown(f"{which}() of unknown values")
    return impl


def _sum(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    items = it.iterate(args[0], node)
    if items is None or any(isinstance(x, Repeated) for x in items):
        return Unknown("sum of unknown values")
    total: Any = args[1] if len(args) > 1 else 0
    for x in items:
        total = it.binop(ast.Add(), total, x, node)
    return total


def _zip(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    lists = [it.iterate(a, node) for a in args]
    if any(lst is None or any(isinstance(x, Repeated) for x in lst) for lst in lists):
        raise CannotInterpret("zip over values of unknown length")
    return ItemsIterator([tuple(t) for t in zip(*lists)])  # type: ignore[arg-type]


def _enumerate(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    items = it.iterate(args[0], node)
    start = args[1] if len(args) > 1 else kw.get("start", 0)
    if items is None:
        raise CannotInterpret("enumerate over an unknown value")
    out: List[Any] = []
    for i, x in enumerate(items):
        if isinstance(x, Repeated):
            if len(items) != 1:
                raise CannotInterpret("enumerate over a list of unknown length")
            out.append(Repeated(EnumeratedRun(x, start), x.atom, x.pass_id))
        else:
            out.append((start + i, x))
    return ItemsIterator(out)


def _list(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        out = TrackedList()
    else:
        items = it.iterate(args[0], node)
        if items is None:
            return Unknown("list() of an unknown value", getattr(node, "lineno", 0), True)
        out = TrackedList(items)
    out.depth = len(it.frame.loop_atoms)
    out.cond_depth = len(it.frame.conds)
    return out


def _tuple(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        return ()
    items = it.iterate(args[0], node)
    if items is None:
        return Unknown("tuple() of an unknown value", getattr(node, "lineno", 0), True)
    return tuple(items)


def dict_builtin(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    out: Dict[Any, Any] = {}
    if args:
        src = args[0]
        if isinstance(src, dict):
            out.update(src)
        else:
            items = it.iterate(src, node)
            if items is None:
                raise CannotInterpret("dict() of an unknown value")
            for pair in items:
                if isinstance(pair, Repeated):
                    raise CannotInterpret("dict() of unknown length")
                k, v = pair
                check_key(k)
                out[k] = v
    out.update(kw)
    return out


def _isinstance(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, types = args[0], args[1]
    types_list = list(types) if isinstance(types, tuple) else [types]
    verdicts = [_isinstance_verdict(obj, t) for t in types_list]
    if any(v is True for v in verdicts):
        return True
    if all(v is False for v in verdicts):
        return False
    return Unknown("isinstance of an unknown value")


def _issubclass(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    cls, bases = args[0], args[1]
    verdicts = [_subclass_verdict(cls, b) for b in (list(bases) if isinstance(bases, tuple) else [bases])]
    if any(v is True for v in verdicts):
        return True
    if all(v is False for v in verdicts):
        return False
    return Unknown("issubclass of an unknown class")


def _subclass_verdict(cls: Any, base: Any) -> Optional[bool]:
    """issubclass(cls, base) for classes the interpreter knows: a project class by its
    MRO (unknown when an unknown base might be `base`), a torch class by its name."""
    if isinstance(cls, UserClass):
        if base is cls or base in cls.mro:
            return True
        if isinstance(base, TorchRef) and base.last == "Module":
            return cls.is_module
        if isinstance(base, UserClass):
            return None if any(isinstance(c, Unknown) for c in cls.mro) else False
        return None if any(isinstance(c, (ExternalRef, Unknown)) for c in cls.mro) else False
    if isinstance(cls, TorchRef) and _is_class(cls):
        if isinstance(base, TorchRef):
            if base == cls or base.last == "Module":
                return True
            return False if cls.last == "Module" else None  # nn.Module is the root
        return False if isinstance(base, (UserClass, Builtin)) else None
    return None


_ABC: Dict[str, Any] = {"Iterable": Iterable, "Sequence": _AbcSequence, "Mapping": Mapping,
        "MutableMapping": MutableMapping, "Callable": _AbcCallable, "Hashable": Hashable}


_PY_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "tuple": tuple, "list": list,
             "dict": dict, "set": set, "type(None)": type(None)}


def _isinstance_verdict(obj: Any, t: Any) -> Optional[bool]:
    if isinstance(t, Builtin) and t.name in _PY_TYPES:
        py = _PY_TYPES[t.name]
        if isinstance(obj, (Sym,)):
            return py is int
        if isinstance(obj, SymbolicFloat):
            return py is float
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        if isinstance(obj, TrackedList):
            return py is list
        if py is int and isinstance(obj, bool):
            return True
        return isinstance(obj, py)
    if isinstance(t, TorchRef):
        if isinstance(obj, ModuleInst):
            return t.last in obj.torch_bases or t.last == obj.type_name or t.last == "Module"
        if isinstance(obj, Tensor):
            return t.last in ("Tensor",) or (t.last == "Parameter" and obj.param)
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        return False
    if isinstance(t, Builtin) and t.name == "type":
        return _is_class(obj)
    if isinstance(t, ExternalRef) and t.qual in _STDLIB_TYPES:
        return _STDLIB_TYPES[t.qual](obj)
    if isinstance(t, ExternalRef) and t.qual.rsplit(".", 1)[-1] not in _ABC:
        return _is_external_instance(obj, t)
    if isinstance(t, ExternalRef) and t.qual.rsplit(".", 1)[-1] in _ABC:
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        if isinstance(obj, (Sym, SymbolicFloat)):
            return t.qual.endswith(("Hashable",))
        py = _ABC[t.qual.rsplit(".", 1)[-1]]
        if isinstance(obj, (Tensor, ModuleInst)):
            return py in (Iterable, _AbcCallable) if isinstance(obj, ModuleInst) else py is Iterable
        return isinstance(obj, py)
    if isinstance(t, UserClass):
        if isinstance(obj, (ModuleInst, PlainInstance)) and isinstance(obj.cls, UserClass):
            return t in obj.cls.mro
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        return False
    return None


def _is_class(obj: Any) -> Optional[bool]:
    """isinstance(obj, type) for values the interpreter knows."""
    if isinstance(obj, (SymbolicObject, Unknown)):
        return None
    if isinstance(obj, UserClass):
        return True
    if isinstance(obj, TorchRef):
        return obj.last[:1].isupper() or None  # torch.nn.Linear: a class; torch.zeros: no
    if isinstance(obj, Builtin):
        real = getattr(_py_builtins, obj.name, None)  # the Python builtin of that name
        return isinstance(real, type) if real is not None else None
    return False


def _known_plain(obj: Any) -> bool:
    """A value whose Python type the interpreter knows is no third-party class."""
    return isinstance(obj, (int, float, str, bytes, bool, type(None), tuple, list, dict, set,
                            Partial, Function, TorchRef, Tensor, UserClass, Builtin, Sym))


def _is_external_instance(obj: Any, t: ExternalRef) -> Optional[bool]:
    """isinstance(obj, some_package.Class): a project instance is one when the class is
    among its bases; values torch or plain Python made never are."""
    if t.qual.split(".")[0] in getattr(sys, "stdlib_module_names", ()):
        return None  # numbers.Number, enum.Enum, ...: not modelled
    if isinstance(obj, (ModuleInst, PlainInstance)) and isinstance(obj.cls, UserClass):
        if t in obj.cls.mro:
            return True
        return None if any(isinstance(c, (ExternalRef, Unknown)) for c in obj.cls.mro) else False
    if isinstance(obj, ModuleInst):
        return None if obj.type_name == t.qual.rsplit(".", 1)[-1] else False
    return False if _known_plain(obj) else None


def _callable(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj = args[0]
    if isinstance(obj, (SymbolicObject, Unknown)):
        return Unknown("callable() of an unknown value")
    if isinstance(obj, PlainInstance):
        return it.class_attr(obj.cls, "__call__") is not MISSING
    return isinstance(obj, (Function, BoundMethod, Builtin, Partial, UserClass, TorchRef, ExternalRef,
                            ModuleInst))


def _verdict(test: Callable[[Any], Optional[bool]], name: str) -> Impl:
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        verdict = test(args[0])
        return Unknown(f"{name} of an unknown value") if verdict is None else verdict
    return impl


def _function_type(obj: Any) -> Optional[bool]:
    if isinstance(obj, (SymbolicObject, Unknown)):
        return None
    return isinstance(obj, Function)


_STDLIB_TYPES: Dict[str, Callable[[Any], Optional[bool]]] = {
    "functools.partial": lambda obj: None if isinstance(obj, (SymbolicObject, Unknown))
    else isinstance(obj, Partial),
    "types.FunctionType": _function_type, "types.LambdaType": _function_type,
}


def _getattr(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, name = args[0], args[1]
    if not isinstance(name, str):
        return Unknown("getattr with an unknown name", getattr(node, "lineno", 0), True)
    if isinstance(obj, dict) and not isinstance(obj, PlainInstance):
        pass
    if len(args) > 2 and isinstance(obj, TorchRef):
        found = has_torch_attribute(it, obj, name)
        if found is not True:
            return args[2] if found is False else found
    value = it.getattr(obj, name, node)
    if len(args) > 2 and isinstance(value, Unknown) and not isinstance(obj, (SymbolicObject, Unknown)):
        return args[2]
    return value


def _hasattr(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, name = args[0], args[1]
    if isinstance(obj, (SymbolicObject, Unknown)) or not isinstance(name, str):
        return Unknown("hasattr of an unknown value")
    if isinstance(obj, TorchRef):
        return has_torch_attribute(it, obj, name)
    value = it.getattr(obj, name, node)
    return not isinstance(value, Unknown)


def _setattr(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, name, value = args[0], args[1], args[2]
    if not isinstance(name, str):
        it.note(getattr(node, "lineno", 0), "setattr with an unknown name")
        return None
    it.setattr(obj, name, value, node)
    return None


def _super(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if len(args) == 2:
        return SuperProxy(args[0], args[1])
    raise CannotInterpret("zero-argument super() needs the calling frame")


def _print(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return None


def _type(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    v = args[0]
    if isinstance(v, (ModuleInst, PlainInstance)) and isinstance(v.cls, UserClass):
        return v.cls
    if isinstance(v, ModuleInst):
        return TorchRef(f"torch.nn.{v.type_name}")
    return Unknown("type() of a value")


def _symbolic_object_get(it: Evaluator, obj: SymbolicObject, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    key = args[0] if args else None
    if isinstance(key, str):
        return SymbolicObject(f"{obj.name}.{key}")
    return Unknown("get with an unknown key")


def symbolic_math(fn: Callable[..., Any], name: str, sym_ok: bool = False) -> Impl:
    plain = pure(fn, name)

    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if sym_ok and len(args) == 1:
            v = args[0]
            if isinstance(v, SymbolicFloat):
                return v.sym if v.exact else Sym.name(f"{name}({v.text})")
            v = to_sym(v)
            if isinstance(v, Sym):
                return v
        return plain(it, _, args, kw, node)
    return impl


def python_method(method: Any) -> Impl:
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str) and getattr(method, "__name__", "") == "format":
            args = [it.to_str(a) if isinstance(a, Sym) else a for a in args]
            kw = {k: it.to_str(v) if isinstance(v, Sym) else v for k, v in kw.items()}
        for a in list(args) + list(kw.values()):
            if isinstance(a, (Sym, SymbolicObject, Unknown, SymbolicFloat, Tensor)) and not isinstance(owner, dict):
                return Unknown("method of an unknown value", getattr(node, "lineno", 0), True)
        name = getattr(method, "__name__", "")
        refused = charged(it, lambda: method_cost(owner, name, args, kw), node)
        if refused is not None:
            return refused
        try:
            out = method(*args, **kw)
        except Exception as exc:
            return Unknown(short_error(exc), getattr(node, "lineno", 0), True)
        if type(out).__name__ in ("dict_items", "dict_keys", "dict_values"):
            return TrackedList(out)
        if isinstance(out, list) and not isinstance(out, TrackedList):
            return TrackedList(out)
        return out
    return impl


def _list_append(it: Evaluator, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    lst.extend(it.list_wrap(lst, [args[0]]))
    return None


def _list_extend(it: Evaluator, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    it.list_extend(lst, args[0])
    return None


def _list_insert(it: Evaluator, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if any(isinstance(x, Repeated) for x in lst) or not isinstance(args[0], int):
        raise CannotInterpret("insert into a list of unknown length")
    lst.insert(args[0], it.list_wrap(lst, [args[1]])[0])
    return None


def _list_appendleft(it: Evaluator, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """deque.appendleft (a deque is a list to the interpreter)."""
    return _list_insert(it, lst, [0, args[0]], kw, node)


def _list_popleft(it: Evaluator, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not lst or any(isinstance(x, Repeated) for x in lst):
        raise CannotInterpret("popleft from a list of unknown length")
    return lst.pop(0)


def _str(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return it.to_str(args[0]) if args else ""


def _bool(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        return False
    t = it.truth(args[0])
    return Unknown("bool of an unknown value") if t is None else t


def _map(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    lists = [it.iterate(a, node) for a in args[1:]]
    if any(lst is None or any(isinstance(x, Repeated) for x in lst) for lst in lists):
        raise CannotInterpret("map over unknown values")
    return TrackedList(it.call(args[0], list(t), {}, node) for t in zip(*lists))  # type: ignore[arg-type]


def _filter(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """filter(f, items) over known items; each verdict must be known."""
    items = it.iterate(args[1], node) if len(args) > 1 else None
    if items is None or any(isinstance(x, Repeated) for x in items):
        raise CannotInterpret("filter over unknown values")
    out = TrackedList()
    for x in items:
        verdict = it.truth(x if args[0] is None else it.call(args[0], [x], {}, node))
        if verdict is None:
            raise CannotInterpret("filter with an unknown verdict")
        if verdict:
            out.append(x)
    out.depth = len(it.frame.loop_atoms)
    return out


def _next(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """next(iter(items)) / next(generator expression, default): the first known item."""
    items = it.iterate(args[0], node)
    if items is None or (items and isinstance(items[0], Repeated)):
        return Unknown("next() of an unknown iterator", getattr(node, "lineno", 0), True)
    if items:
        return items[0]
    if len(args) > 1:
        return args[1]
    raise CannotInterpret("next() of an empty iterator (StopIteration)")


def _object(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return Unknown("object()")


def _exc(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return Unknown("exception")


def _identity(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return args[0] if args else None


def _vars(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if args and isinstance(args[0], PlainInstance):
        return dict(args[0].attrs)
    if args and isinstance(args[0], ModuleInst):
        return args[0].attrs  # the live instance dict: writes bypass Module.__setattr__
    return Unknown("vars()", getattr(node, "lineno", 0), True)


register_functions("builtins", {
    "range": _range, "len": _len, "int": _int, "max": _minmax("max"),
    "min": _minmax("min"), "sum": _sum, "zip": _zip, "enumerate": _enumerate,
    "list": _list, "tuple": _tuple, "dict": dict_builtin, "isinstance": _isinstance,
    "issubclass": _issubclass,
    "getattr": _getattr, "hasattr": _hasattr, "setattr": _setattr, "super": _super,
    "print": _print, "type": _type, "filter": _filter, "next": _next,
    "float": pure(float, "float"), "str": _str, "bool": _bool,
    "abs": pure(abs, "abs"), "round": symbolic_math(round, "round", True),
    "sorted": pure(sorted, "sorted"),
    "reversed": pure(lambda x: list(reversed(x)), "reversed"), "any": pure(any, "any"),
    "all": pure(all, "all"), "set": pure(set, "set"), "divmod": pure(divmod, "divmod"),
    "pow": pure(pow, "pow"), "map": _map, "iter": pure(list, "iter"),
    "callable": _callable, "id": pure(id, "id"),
    "frozenset": pure(frozenset, "frozenset"), "repr": pure(repr, "repr"),
    "object": _object,
    "__file__": Builtin("__file__", _object),  # type: ignore[dict-item]  # a value: an opaque `__file__`
    "NotImplementedError": _exc, "ValueError": _exc,
    "TypeError": _exc, "AssertionError": _exc, "RuntimeError": _exc,
    "KeyError": _exc, "Exception": _exc, "AttributeError": _exc,
    "staticmethod": _identity, "classmethod": _identity, "property": _identity,
    "vars": _vars, "locals": _object, "globals": _object,
})
constant("builtins.None", None)
constant("builtins.True", True)
constant("builtins.False", False)
constant("builtins.__name__", "__wlint__")
register_functions("inspect", {"isfunction": _verdict(_function_type, "isfunction"),
                               "isclass": _verdict(_is_class, "isclass")})
register_methods(list, {"append": _list_append, "extend": _list_extend, "insert": _list_insert,
                        "appendleft": _list_appendleft, "popleft": _list_popleft})
register_method(SymbolicObject, "get", _symbolic_object_get)
