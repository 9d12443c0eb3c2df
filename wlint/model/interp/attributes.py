"""Attribute lookup: instances, classes (MRO by C3), bound methods, static and
class methods, properties, super(), module namespaces, and the attribute
models the overlays register (tensors, nn.Module slots, list methods).
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional

from wlint.model.budget import ITEMS_PER_STEP, check_mro
from wlint.model.evaluator import Evaluator
from wlint.model.interp.lazy import CONTAINERS, watch
from wlint.model.overlays.builtins import python_method
from wlint.model.overlays.dataclasses import dataclass_init_of
from wlint.model.overlays.registry import ATTRIBUTES, CONSTANTS, METHODS, lookup_function, lookup_method
from wlint.model.overlays.torch_layers import external_base_init, torch_base_init
from wlint.model.overlays.torch_module import module_getattr, torch_module_attr
from wlint.model.values import (
    BoundMethod, Builtin, ClassMethod, ExternalRef, Function, MISSING, ModuleInst, ModuleNamespace,
    Partial, PlainInstance, Property, StaticMethod, SuperProxy, SymbolicObject, Tensor, TorchRef,
    Unknown, UserClass
)


def get_attribute(it: Evaluator, obj: Any, name: str, node: ast.AST) -> Any:
    line = getattr(node, "lineno", 0)
    if isinstance(obj, ModuleInst):
        return module_getattr(it, obj, name, line)
    if isinstance(obj, (PlainInstance, ModuleInst)) and name == "__dict__":
        return obj.attrs
    if isinstance(obj, PlainInstance):
        if name in obj.attrs:
            return obj.attrs[name]
        found = class_attr(it, obj.cls, name)
        if found is not MISSING:
            return bind_attr(it, found, obj, obj.cls)
        return Unknown(f"`{obj.cls.name}` has no attribute `{name}`", line, True)
    if name == "__dict__" and isinstance(obj, ModuleNamespace):
        return obj.vars  # `models.__dict__[arch]`: the module's live namespace
    if name == "__name__" and isinstance(obj, (UserClass, TorchRef, ExternalRef)):
        return obj.name if isinstance(obj, UserClass) else obj.qual.rsplit(".", 1)[-1]
    if isinstance(obj, UserClass):
        found = class_attr(it, obj, name)
        if found is MISSING:
            return Unknown(f"class `{obj.name}` has no attribute `{name}`", line, True)
        if isinstance(found, StaticMethod):
            return found.func
        if isinstance(found, ClassMethod):
            return BoundMethod(found.func, obj)
        return found
    if isinstance(obj, SymbolicObject):
        obj.may_module = False  # read for its fields: a config, not a module
        if name == "get":
            return Builtin("get", lookup_method(SymbolicObject, "get"), obj)
        return SymbolicObject(f"{obj.name}.{name}")
    if isinstance(obj, ExternalRef) and f"{obj.qual}.{name}" in CONSTANTS:
        return CONSTANTS[f"{obj.qual}.{name}"]  # numpy.newaxis, math.pi, ...
    if isinstance(obj, (ModuleNamespace, TorchRef, ExternalRef)):
        return it.module_attr(obj, name, line)
    if isinstance(obj, Tensor):
        return ATTRIBUTES[Tensor](obj, name)
    if isinstance(obj, SuperProxy):
        return super_attr(it, obj, name, line)
    if isinstance(obj, Unknown):
        return Unknown(obj.reason, obj.line, True, obj.cause)
    if isinstance(obj, Partial):
        if name == "func":
            return obj.func
        if name == "keywords":
            return dict(obj.kwargs)
        if name == "args":
            return tuple(obj.args)
    if isinstance(obj, Builtin) and obj.self_obj is None:  # object.__setattr__, ...
        impl = lookup_function(f"builtins.{obj.name}.{name}")
        if impl is not None:
            return Builtin(name, impl)
    if isinstance(obj, Function) and name == "__name__":
        return obj.name
    if isinstance(obj, (Function, UserClass)) and name == "__module__":
        return obj.module.vars.get("__name__", Unknown("module name", line))
    if it.pending and isinstance(obj, CONTAINERS):  # a registry's method: get, keys, ...
        watch(it, obj)
    if isinstance(obj, list) and (list, name) in METHODS:
        return Builtin(name, METHODS[(list, name)], obj)
    if isinstance(obj, (int, float, str, bytes, tuple, list, dict, set, type(None), bool)):
        try:
            attr = getattr(obj, name)
        except AttributeError:
            return Unknown(f"no attribute `{name}`", line, True)
        if callable(attr):
            return Builtin(name, python_method(attr))
        return attr
    model = ATTRIBUTES.get(type(obj))
    if model is not None:  # the attribute model an overlay registered for the value type
        return model(obj, name)
    return Unknown(f"attribute `{name}` of {type(obj).__name__}", line, True)


def class_attr(it: Evaluator, cls: UserClass, name: str) -> Any:
    if len(cls.mro) > ITEMS_PER_STEP:
        it.charge(len(cls.mro) // ITEMS_PER_STEP)
    for c in cls.mro:
        if isinstance(c, UserClass):
            if name in c.ns:
                return c.ns[name]
        elif isinstance(c, TorchRef) and name == "__init__":
            return Builtin("__init__", torch_base_init, c)
        elif isinstance(c, ExternalRef) and name == "__init__":
            return Builtin("__init__", external_base_init, c)
    return MISSING


def bind_attr(it: Evaluator, found: Any, obj: Any, cls: Any) -> Any:
    if isinstance(found, Function):
        return BoundMethod(found, obj)
    if isinstance(found, StaticMethod):
        return found.func
    if isinstance(found, ClassMethod):
        return BoundMethod(found.func, cls)
    if isinstance(found, Property):
        return it.call_function(found.func, [obj], {}, None)
    if isinstance(found, Builtin) and found.name == "__init__":
        return Builtin("__init__", found.impl, (found.self_obj, obj))
    return found


def super_attr(it: Evaluator, proxy: SuperProxy, name: str, line: int) -> Any:
    obj = proxy.obj
    cls = obj.cls if isinstance(obj, (ModuleInst, PlainInstance)) else obj
    if not isinstance(cls, UserClass):
        return Unknown("super() outside a user class", line, True)
    mro = cls.mro
    try:
        start = mro.index(proxy.start) + 1
    except ValueError:
        start = 1
    for c in mro[start:]:
        if isinstance(c, UserClass):
            if name in c.ns:
                return bind_attr(it, c.ns[name], obj, cls)
            if name == "__init__" and c.is_dataclass:
                return Builtin("__init__", dataclass_init_of(c), obj)
        elif isinstance(c, TorchRef):
            if name == "__init__":
                return Builtin("__init__", torch_base_init, (c, obj))
            if isinstance(obj, ModuleInst):
                return torch_module_attr(it, obj, name, line)
        elif isinstance(c, ExternalRef):
            if name == "__init__":
                return Builtin("__init__", external_base_init, (c, obj))
            return Unknown(f"`{name}` of third-party base `{c.qual}`", line, True)
        elif isinstance(c, Unknown):
            return Unknown(f"unknown base class: {c.reason}", line, True)
    if name == "__init__":
        return Builtin("__init__", lambda *a: None)
    return Unknown(f"super() has no attribute `{name}`", line, True)


def c3_mro(cls: UserClass) -> List[Any]:
    """Method resolution order (C3; falls back to depth-first on inconsistency).
    Linear in the size of the bases' MROs (a single base: its MRO after `cls`);
    TooLarge past MAX_MRO classes."""
    seqs: List[List[Any]] = []
    for b in cls.bases:
        if isinstance(b, UserClass):
            seqs.append(list(b.mro) if b.mro else [b])
        elif isinstance(b, (TorchRef, ExternalRef, Unknown)):
            seqs.append([b])
    check_mro(sum(len(s) for s in seqs) + 1)
    if len(seqs) == 1:
        return [cls] + seqs[0]
    seqs.append([b for b in cls.bases if isinstance(b, (UserClass, TorchRef, ExternalRef, Unknown))])
    merged = _c3_merge([s for s in seqs if s])
    if merged is not None:
        return [cls] + merged
    out = [cls]
    for s in seqs:
        for x in s:
            if x not in out:
                out.append(x)
    return out


def _c3_merge(seqs: List[List[Any]]) -> Optional[List[Any]]:
    """The C3 merge of `seqs` (None if inconsistent): a head is taken when no
    sequence has it in its tail; `tails` counts the tail occurrences."""
    tails: Dict[Any, int] = {}
    for s in seqs:
        for x in s[1:]:
            tails[x] = tails.get(x, 0) + 1
    heads = [0] * len(seqs)
    result: List[Any] = []
    while True:
        live = [i for i, s in enumerate(seqs) if heads[i] < len(s)]
        if not live:
            return result
        head = next((seqs[i][heads[i]] for i in live if not tails.get(seqs[i][heads[i]])),
                    MISSING)
        if head is MISSING:
            return None
        result.append(head)
        for i in live:
            s = seqs[i]
            if s[heads[i]] is head:
                heads[i] += 1
                if heads[i] < len(s):
                    tails[s[heads[i]]] -= 1
