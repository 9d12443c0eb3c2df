"""The value lattice of the abstract interpreter.

A value is a plain Python value (int, float, str, bool, None, tuple, `TrackedList`,
dict), a `Sym` (an integer over unknown constructor parameters or config
fields), a `SymbolicObject` (an unknown required parameter / config object: its
attributes are symbols named `config.n_embd`), an `Unknown` (with a reason
and line; `may_module` says whether it could be an nn.Module, which matters
when it is assigned to a module attribute), or one of the objects below.

Naming convention for symbols: a required parameter `n_embd` is the symbol
`n_embd`; an attribute of a required parameter is dotted (`config.n_embd`);
the index of a loop of unknown length is `i` (then `j`, `k` for nested loops),
and renders as `{i}` in keys. Container positions are index expressions over
it: `{i}` for one module per pass, `{2*i}`/`{2*i + 1}` for two modules per
pass, `{i + 1}` after one known module (ResNet's `_make_layer` with an unknown
block count). A condition (`wlint.model.conditions`) is built from the Python text
of the unknown tests in terms of those symbols (`config.bias`, `not flag`, `d > 3`).
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Tuple

from wlint.model.conditions import Condition
from wlint.model.signals import CannotInterpret
from wlint.model.symbolic import Sym, render


class Unknown:
    """A value the interpreter cannot know."""

    __slots__ = ("cause", "line", "may_module", "reason")

    def __init__(self, reason: str, line: int = 0, may_module: bool = False,
                 cause: Optional[Tuple[str, int]] = None) -> None:
        self.reason = reason
        self.line = line
        self.may_module = may_module
        self.cause = cause  # (path, line) of the note that explains it (interp.causes)

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def _op(self, *_: Any) -> Unknown:
        return Unknown(self.reason, self.line, False, self.cause)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
    __floordiv__ = __rfloordiv__ = __truediv__ = __rtruediv__ = _op
    __mod__ = __rmod__ = __pow__ = __rpow__ = __neg__ = _op

    def __bool__(self) -> bool:
        raise TypeError(f"truth value unknown: {self.reason}")


class SymbolicObject:
    """An unknown parameter value: a symbol when used as a number, an object of
    symbolic attributes when used as a config."""

    __slots__ = ("may_module", "name")

    def __init__(self, name: str, may_module: bool = False) -> None:
        self.name = name
        self.may_module = may_module

    def sym(self) -> Sym:
        self.may_module = False  # used as a number: not a module
        return Sym.name(self.name)

    def __repr__(self) -> str:
        return f"SymbolicObject({self.name})"


class SymbolicBool:
    """An unknown truth value with its Python text (`flag`, `not flag`, `d > 3`)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"SymbolicBool({self.text!r})"


class Tensor:
    """A tensor of known (or None = unknown) shape; `param` for nn.Parameter."""

    __slots__ = ("line", "param", "path", "shape")

    def __init__(self, shape: Optional[Tuple[Any, ...]], line: int, path: str,
                 param: bool = False) -> None:
        self.shape = shape
        self.line = line
        self.path = path
        self.param = param

    def as_param(self, line: int, path: str) -> Tensor:
        return Tensor(self.shape, line, path, True)

    def derived(self, shape: Optional[Tuple[Any, ...]] = None, keep: bool = True) -> Tensor:
        return Tensor(self.shape if keep else shape, self.line, self.path, False)


class Repeated:
    """A list element repeated an unknown number of times (index symbol `atom`)."""

    __slots__ = ("atom", "pass_id", "value")

    def __init__(self, value: Any, atom: str, pass_id: int = 0) -> None:
        self.value = value
        self.atom = atom
        self.pass_id = pass_id  # which symbolic loop pass produced it


class TrackedList(list):  # type: ignore[type-arg]
    """A list created by the analysed code; `depth` = symbolic-loop depth at creation."""

    depth = 0
    cond_depth = 0  # len(interp.conds) at creation


class DefaultDict(dict):  # type: ignore[type-arg]
    """collections.defaultdict: a missing key is filled by calling `factory`."""

    def __init__(self, factory: Any, *args: Any) -> None:
        super().__init__(*args)
        self.factory = factory


class Function:
    """A user function or method (ast node + defining scope)."""

    __slots__ = ("kind", "module", "name", "node", "owner", "pending", "scope")

    def __init__(self, node: Any, scope: Any, module: Any, owner: Any = None,
                 kind: str = "function") -> None:
        self.node = node
        self.scope = scope
        self.module = module
        self.owner = owner  # UserClass defining it (for super())
        self.name = getattr(node, "name", "<lambda>")
        self.kind = kind  # function | staticmethod | classmethod | property
        self.pending: List[Any] = []  # bare project decorators, run at the first call


class BoundMethod:
    __slots__ = ("func", "obj")

    def __init__(self, func: Any, obj: Any) -> None:
        self.func = func
        self.obj = obj


class Builtin:
    """A callable implemented by the interpreter: impl(interp, args, kwargs, node)."""

    __slots__ = ("impl", "name", "self_obj")

    def __init__(self, name: str, impl: Any, self_obj: Any = None) -> None:
        self.name = name
        self.impl = impl
        self.self_obj = self_obj

    def __repr__(self) -> str:
        return f"<builtin {self.name}>"


class Partial:
    __slots__ = ("args", "func", "kwargs")

    def __init__(self, func: Any, args: List[Any], kwargs: Dict[str, Any]) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs


class TorchRef:
    """A name inside torch (`torch.nn.Linear`, `torch.zeros`)."""

    __slots__ = ("qual",)

    def __init__(self, qual: str) -> None:
        self.qual = qual

    @property
    def last(self) -> str:
        return self.qual.rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"TorchRef({self.qual})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TorchRef) and other.qual == self.qual

    def __hash__(self) -> int:
        return hash(("TorchRef", self.qual))


class ExternalRef:
    """A name from a package outside the project (not analysed)."""

    __slots__ = ("qual",)

    def __init__(self, qual: str) -> None:
        self.qual = qual

    def __repr__(self) -> str:
        return f"ExternalRef({self.qual})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExternalRef) and other.qual == self.qual

    def __hash__(self) -> int:
        return hash(("ExternalRef", self.qual))


class LazyName:
    """A name a package `__init__` re-exports (`from .x import A`, `from .x import *`)
    whose module is not loaded yet: `load()` loads it and returns the value (MISSING
    when a star import turns out not to bind the name: then `previous`, the binding
    it would have overwritten, stays). See wlint.model.interp.lazy."""

    __slots__ = ("load", "previous", "source", "value")

    def __init__(self, load: Any, previous: Any, source: str = "") -> None:
        self.load = load
        self.previous = previous
        self.source = source  # the module it loads (relpath)
        self.value: Any = _UNSET

    def force(self) -> Any:
        if self.value is _UNSET:
            value = self.load()
            self.value = resolved(self.previous) if value is MISSING else value
        return self.value


def resolved(value: Any) -> Any:
    """`value`, with a `LazyName` replaced by what it stands for (may be MISSING)."""
    return value.force() if type(value) is LazyName else value


class LazyVars(dict):  # type: ignore[type-arg]
    """A module's variables where re-exported names may still be `LazyName`s: reading
    one (`[]`, `get`, `in`, `items`, `values`) loads its module. `dict(v)` and
    `dict.items(v)` see the placeholders themselves (copies keep them lazy)."""

    def __getitem__(self, name: Any) -> Any:
        value = dict.__getitem__(self, name)
        if type(value) is not LazyName:
            return value
        value = value.force()
        if value is MISSING:
            raise KeyError(name)
        return value

    def __contains__(self, name: Any) -> bool:
        value = dict.get(self, name, MISSING)
        if type(value) is LazyName:
            return value.force() is not MISSING
        return value is not MISSING

    def get(self, name: Any, default: Any = None) -> Any:
        value = resolved(dict.get(self, name, MISSING))
        return default if value is MISSING else value

    def items(self) -> Any:  # type: ignore[override]
        return [(k, v) for k, v in ((k, resolved(v)) for k, v in dict.items(self)) if v is not MISSING]

    def values(self) -> Any:  # type: ignore[override]
        return [v for _, v in self.items()]


class ModuleNamespace:
    """A project module's namespace (a file)."""

    def __init__(self, relpath: str, tree: Any) -> None:
        self.relpath = relpath
        self.tree = tree
        self.vars: Dict[str, Any] = LazyVars(__name__=relpath)
        self.ast: Optional[ast.Module] = None
        self.error: Optional[str] = None
        self.done = False
        self.direct: Optional[set] = None  # ids of the top-level statements (lazy imports)
        self.rebound: Optional[frozenset] = None  # globals a function rebinds (`global x`)
        self.text: Optional[str] = None  # the source, once read (None: not known)

    def mentions(self, word: str) -> bool:
        """False only when the source is known and `word` is nowhere in it: the text test
        that spares walking a class or function for a name the file never contains."""
        return self.text is None or word in self.text


class UserClass:
    """A class defined in the project."""

    def __init__(self, node: ast.ClassDef, module: ModuleNamespace, scope: Any) -> None:
        self.node = node
        self.name = node.name
        self.module = module
        self.scope = scope
        self.bases: List[Any] = []
        self.ns: Dict[str, Any] = {}
        self.mro: List[Any] = []
        self.ready = False
        self.is_module = False
        self.is_dataclass = False
        self.fields: List[Tuple[str, Any]] = []  # dataclass fields (name, ast default or None)

    def __repr__(self) -> str:
        return f"<class {self.name}>"


class PlainInstance:
    """An instance of a plain (non-Module) user class, e.g. a config."""

    def __init__(self, cls: UserClass) -> None:
        self.cls = cls
        self.attrs: Dict[str, Any] = {}


class SuperProxy:
    __slots__ = ("obj", "start")

    def __init__(self, start: Any, obj: Any) -> None:
        self.start = start  # the class after which to search the MRO
        self.obj = obj


class Conditional:
    """A module slot that holds different values under different conditions."""

    __slots__ = ("items",)

    def __init__(self, items: List[Tuple[Optional[Condition], Any]]) -> None:
        self.items = items


class ModuleInst:
    """An nn.Module instance: ordered parameter, buffer and module slots."""

    def __init__(self, type_name: str, cls: Any, line: int, path: str, kind: str = "user") -> None:
        self.type_name = type_name
        self.cls = cls  # UserClass, or None for a torch layer/container
        self.line = line
        self.path = path
        self.kind = kind  # user | layer | Sequential | ModuleList | ModuleDict | Module | ...
        self.params: Dict[str, Any] = {}
        self.buffers: Dict[str, Any] = {}
        self.nonpersistent: set = set()
        self.modules: Dict[str, Any] = {}
        self.attrs: Dict[str, Any] = {}
        self.args: Tuple[Tuple[str, str], ...] = ()
        self.torch_bases: Tuple[str, ...] = ()  # torch class names it is an instance of
        self.depth = 0
        self.cond_depth = 0  # len(interp.conds) when created
        self.run: Any = None  # (pass_id, atom, base, [names]) of the last run of unknown length
        # submodule slots holding what cannot be identified: name -> (line, path, reason)
        self.unidentified: Dict[str, Tuple[int, str, str]] = {}

    def __repr__(self) -> str:
        return f"<module {self.type_name}>"


def value_text(value: Any) -> str:
    """Source-like text of a value (behaviour args, conditions)."""
    if isinstance(value, Sym):
        return render(value)
    if isinstance(value, SymbolicObject):
        return value.name
    if isinstance(value, SymbolicBool):
        return value.text
    if isinstance(value, (bool, int, float, str)) or value is None:
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(value_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, (UserClass,)):
        return value.name
    if isinstance(value, TorchRef):
        return value.qual
    if isinstance(value, ModuleInst):
        return value.type_name + "(...)"
    if isinstance(value, Partial):
        return "partial(" + ", ".join([value_text(value.func)] + [value_text(a) for a in value.args]
                                      + [f"{k}={value_text(v)}" for k, v in value.kwargs.items()]) + ")"
    if isinstance(value, Unknown):
        return "<unknown>"
    return "<" + type(value).__name__ + ">"



class StaticMethod:
    """A function decorated with @staticmethod (bound to nothing)."""

    def __init__(self, func: Any) -> None:
        self.func = func


class ClassMethod:
    """A function decorated with @classmethod (bound to the class)."""

    def __init__(self, func: Any) -> None:
        self.func = func


class Property:
    """A function decorated with @property / @cached_property (called on access)."""

    def __init__(self, func: Any) -> None:
        self.func = func


class FieldSpec:
    """`dataclasses.field(default=..., default_factory=...)` in a class body."""

    def __init__(self, default: Any, factory: Any) -> None:
        self.default = default
        self.factory = factory


class SymbolicRange:
    """range() with a symbolic bound."""

    def __init__(self, start: Any, stop: Any, step: Any) -> None:
        self.start, self.stop, self.step = start, stop, step


class SymbolicFloat:
    """A float-valued symbolic expression (`dim * 4.0`, `dim / 5`).

    `exact`: it equals the integer symbol `sym`; otherwise `text` is the Python
    expression of the float, kept for `int(...)`/`ceil(...)` of it.
    """

    def __init__(self, sym: Any, exact: bool, text: str = "") -> None:
        self.sym = sym
        self.exact = exact
        self.text = text or (sym_text(sym) if sym is not None else "?")


class ItemsIterator:
    """The result of zip()/enumerate(): its items, already materialised."""

    def __init__(self, items: List[Any]) -> None:
        self.items = items


class EnumeratedRun:
    """enumerate() over a run of unknown length: the run and the start index."""

    def __init__(self, rep: Repeated, start: Any) -> None:
        self.rep, self.start = rep, start


MISSING = object()  # "no such slot / attribute" (None is a value)
_UNSET = object()  # a LazyName not loaded yet
_UNKNOWN_TYPES = (Sym, SymbolicObject, Unknown, SymbolicFloat, Tensor, SymbolicRange, SymbolicBool)


def is_unknownish(v: Any) -> bool:
    """Whether `v` stands for a value the interpreter does not know exactly."""
    return isinstance(v, _UNKNOWN_TYPES)


def to_sym(v: Any) -> Any:
    """Numbers for arithmetic: SymbolicObject -> Sym, exact SymbolicFloat -> Sym."""
    if isinstance(v, SymbolicObject):
        v.may_module = False  # used as a number
        return v.sym()
    if isinstance(v, SymbolicFloat):
        return v.sym if v.exact else Unknown("non-integral symbolic value")
    return v


def sym_text(v: Any) -> str:
    """A symbol's rendering, else str()."""
    return render(v) if isinstance(v, Sym) else str(v)


def same_value(a: Any, b: Any) -> bool:
    """Whether two values are surely the same (identity, or equal plain values)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (int, float, str, bool, Sym)):
        return bool(a == b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return False


def is_plain(v: Any) -> bool:
    """A plain (non-module) value: numbers, strings, symbols, unknowns that are no module."""
    return isinstance(v, (int, float, str, bool, type(None), Sym, SymbolicFloat)) or (
        isinstance(v, Unknown) and not v.may_module)


def check_key(key: Any) -> None:
    """A dict key the analysed code builds must be a known value."""
    if isinstance(key, (Sym, SymbolicObject, Unknown, Repeated)):
        raise CannotInterpret("unknown dict key")
