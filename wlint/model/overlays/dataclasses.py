"""@dataclass and NamedTuple classes: `field()`, the generated __init__ (fields
in MRO order, defaults and default factories), `__post_init__`, and the
generated __init__ reached through super().
"""

from __future__ import annotations

from typing import Any, Dict, List

from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import Impl, register_functions
from wlint.model.overlays.torch_module import module_setattr
from wlint.model.signals import CannotInterpret
from wlint.model.values import Builtin, FieldSpec, Function, MISSING, PlainInstance, UserClass


def field_names(cls: UserClass) -> List[str]:
    """The fields of dataclass `cls` in the order of its generated __init__ (bases
    first; a field a subclass redefines keeps its first place, as in Python)."""
    names: Dict[str, None] = {}
    for c in reversed(cls.mro):
        if isinstance(c, UserClass) and c.is_dataclass:
            names.update((name, None) for name, _ in c.fields)
    return list(names)


def dataclass_init(it: Evaluator, cls: UserClass, obj: Any, args: List[Any], kwargs: Dict[str, Any],
                   node: Any) -> None:
    fields = field_names(cls)
    seen = set(fields)
    if len(args) > len(fields):
        raise CannotInterpret(f"{cls.name}() takes {len(fields)} positional arguments")
    values: Dict[str, Any] = dict(zip(fields, args))
    for k, v in kwargs.items():
        if k not in seen:
            raise CannotInterpret(f"{cls.name}() got an unexpected keyword argument `{k}`")
        values[k] = v
    for name in fields:
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


def _instance_class(value: Any) -> UserClass:
    cls = value.cls if isinstance(value, PlainInstance) else value
    if not isinstance(cls, UserClass) or not cls.is_dataclass:
        raise CannotInterpret("not a dataclass")
    return cls


def _fields(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """dataclasses.fields(cls or instance): objects with a `name` (what code reads)."""
    from wlint.model.overlays.stdlib import namespace_class

    out = []
    for name in field_names(_instance_class(args[0])):
        f = PlainInstance(namespace_class("dataclasses.Field"))
        f.attrs["name"] = name
        out.append(f)
    return tuple(out)


def _replace(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """dataclasses.replace(obj, **changes): a new instance through the generated
    __init__ (and __post_init__), as Python builds it."""
    obj = args[0]
    cls = _instance_class(obj)
    if not isinstance(obj, PlainInstance):
        raise CannotInterpret("replace() of a dataclass class")
    values = {n: obj.attrs[n] for n in field_names(cls) if n in obj.attrs}
    values.update(kw)
    return it.call(cls, [], values, node)


def _asdict(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    def convert(v: Any) -> Any:
        if isinstance(v, PlainInstance) and v.cls.is_dataclass:
            return {n: convert(v.attrs.get(n)) for n in field_names(v.cls)}
        if isinstance(v, (list, tuple)):
            return type(v)(convert(x) for x in v)
        if isinstance(v, dict):
            return {k: convert(x) for k, x in v.items()}
        return v
    _instance_class(args[0])
    return convert(args[0])


register_functions("dataclasses", {"field": _field, "dataclass": _dataclass, "fields": _fields,
                                   "replace": _replace, "asdict": _asdict})
