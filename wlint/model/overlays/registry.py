"""The one registry of library knowledge (pytype's overlays / astroid's brain manager).

Overlay modules register implementations here when `overlays.load_all()` imports
them:

    function("torch.zeros", "torch.ones")   a callable, by qualified name
                                            (`builtins.len` for a builtin)
    register_functions("math", {...})       a library's functions as one table
    method(ModuleInst, "register_buffer")   a method, by (value type, name)
    module_class("torch.nn.Sequential")     __init__ of a torch.nn class on a ModuleInst
    attributes(Tensor)                      the attribute model of a value type

Every implementation has the signature of `Impl`: (interpreter, bound object or
None, positional args, keyword args, call node) -> value. This module imports
nothing from the interpreter, so overlays and the interpreter core depend on it
and not on each other.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from wlint.model.values import Builtin

Impl = Callable[[Any, Any, List[Any], Dict[str, Any], Any], Any]
F = TypeVar("F", bound=Callable[..., Any])

FUNCTIONS: Dict[str, Impl] = {}
METHODS: Dict[Tuple[type, str], Impl] = {}
MODULE_CLASSES: Dict[str, Impl] = {}
ATTRIBUTES: Dict[type, Callable[[Any, str], Any]] = {}
CONSTANTS: Dict[str, Any] = {}


def function(*qualnames: str) -> Callable[[F], F]:
    """Register the decorated Impl under each qualified name."""
    def register(impl: F) -> F:
        for name in qualnames:
            register_function(name, impl)
        return impl
    return register


def register_function(qualname: str, impl: Impl) -> None:
    FUNCTIONS[qualname] = impl


def register_functions(namespace: str, impls: Dict[str, Impl]) -> None:
    """Register `namespace.name` for each entry (a library's functions as one table)."""
    for name, impl in impls.items():
        FUNCTIONS[f"{namespace}.{name}"] = impl


def method(value_type: type, *names: str) -> Callable[[F], F]:
    """Register the decorated Impl as method `name` of every `value_type` value."""
    def register(impl: F) -> F:
        for name in names:
            register_method(value_type, name, impl)
        return impl
    return register


def register_method(value_type: type, name: str, impl: Impl) -> None:
    METHODS[(value_type, name)] = impl


def register_methods(value_type: type, impls: Dict[str, Impl]) -> None:
    """Register each entry as a method of `value_type` values."""
    for name, impl in impls.items():
        METHODS[(value_type, name)] = impl


def module_class(*qualnames: str) -> Callable[[F], F]:
    """Register the decorated Impl as the __init__ of torch.nn classes (run on a ModuleInst)."""
    def register(impl: F) -> F:
        for name in qualnames:
            MODULE_CLASSES[name] = impl
        return impl
    return register


def attributes(value_type: type) -> Callable[[F], F]:
    """Register the decorated (value, name) -> value as the attribute model of `value_type`."""
    def register(model: F) -> F:
        ATTRIBUTES[value_type] = model
        return model
    return register


def constant(qualname: str, value: Any) -> None:
    """A name bound to a plain value (`builtins.None`)."""
    CONSTANTS[qualname] = value


def lookup_function(qualname: str) -> Optional[Impl]:
    return FUNCTIONS.get(qualname)


def lookup_method(value_type: type, name: str) -> Optional[Impl]:
    return METHODS.get((value_type, name))


_BUILTIN_NAMESPACE: Dict[str, Any] = {}


def builtin_namespace() -> Dict[str, Any]:
    """The names every module sees (`builtins.*`), built once per process: read-only,
    Builtin objects are never mutated."""
    if not _BUILTIN_NAMESPACE:
        for qualname, impl in FUNCTIONS.items():
            if qualname.startswith("builtins."):
                name = qualname[len("builtins."):]
                _BUILTIN_NAMESPACE[name] = Builtin(name, impl)
        for qualname, value in CONSTANTS.items():
            if qualname.startswith("builtins."):
                _BUILTIN_NAMESPACE[qualname[len("builtins."):]] = value
    return _BUILTIN_NAMESPACE

