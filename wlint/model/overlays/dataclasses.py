"""@dataclass and NamedTuple classes: `field()`, the generated __init__ (fields
in MRO order, defaults and default factories), `__post_init__`, and the
generated __init__ reached through super().
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import Impl, register_functions
from wlint.model.overlays.torch_module import module_setattr
from wlint.model.signals import CannotInterpret
from wlint.model.values import Builtin, FieldSpec, Function, MISSING, PlainInstance, UserClass


def dataclass_init(it: Evaluator, cls: UserClass, obj: Any, args: List[Any], kwargs: Dict[str, Any],
                   node: Any) -> None:
    fields: List[Tuple[str, Any]] = []
    seen: set = set()
    for c in reversed(cls.mro):
        if isinstance(c, UserClass) and c.is_dataclass:
            for name, _ in c.fields:
                if name in seen:
                    fields = [(n, o) for n, o in fields if n != name]
                seen.add(name)
                fields.append((name, c))
    if len(args) > len(fields):
        raise CannotInterpret(f"{cls.name}() takes {len(fields)} positional arguments")
    values: Dict[str, Any] = dict(zip([n for n, _ in fields], args))
    for k, v in kwargs.items():
        if k not in seen:
            raise CannotInterpret(f"{cls.name}() got an unexpected keyword argument `{k}`")
        values[k] = v
    for name, _owner in fields:
        if name in values:
            continue
        default = it.class_attr(cls, name)
        if default is MISSING:
            raise CannotInterpret(f"{cls.name}() missing required argument `{name}`")
        if isinstance(default, FieldSpec):
            default = it.call(default.factory, [], {}, node) if default.factory is not None \
                else default.default
        values[name] = default
    target = obj.attrs if isinstance(obj, PlainInstance) else None
    for name, value in values.items():
        if target is not None:
            target[name] = value
        else:
            module_setattr(it, obj, name, value, node)


def _field(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return FieldSpec(kw.get("default", MISSING), kw.get("default_factory"))


def _dataclass(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return args[0] if args else Builtin("dataclass", _dataclass)


def dataclass_init_of(cls: UserClass) -> Impl:
    """The generated __init__ of dataclass `cls` (reached through super())."""
    def impl(it: Evaluator, obj: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        dataclass_init(it, cls, obj, args, kw, node)
        post = it.class_attr(cls, "__post_init__")
        if isinstance(post, Function):
            it.call_function(post, [obj], {}, node)
        return None
    return impl


register_functions("dataclasses", {"field": _field, "dataclass": _dataclass})
