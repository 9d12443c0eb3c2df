"""The layer catalog: torch.nn layers as data.

One `Layer` per torch layer: its constructor signature (names and defaults in
torch's order, `device`/`dtype` included), the function from bound arguments
to its parameters, buffers and child modules, and the arguments that change
what it computes without changing shapes (for WL206). The interpreter binds a
call's arguments with `Layer.bind` and asks `Layer.build` for the tensors; it
never branches on a layer name. This module never imports torch.

Argument values are whatever the interpreter holds: ints, floats, bools,
None, strings, tuples, `Sym` for unknown integers, or opaque objects
(unknown values, module instances). A shape dimension is an int or a `Sym`;
a tensor whose shape cannot be computed has `shape=None` and the build says
why in `unresolved`.

Conditions. A `when` that is not a plain bool makes the tensor (or child)
conditional; the interpreter decides what to do with it. It is either the
argument value itself (e.g. a symbolic `bias`) or a `Cond` combining several
(`Cond("and", ...)`, `Cond("not", ...)`, `Cond("eq", a, b)`); `str(cond)`
renders it as Python-like text. Never call `bool()` on a `when`.

Children (`ChildSpec`):
- `layer` + `args`: a catalog layer called with keyword arguments `args`.
- `from_value` (with `layer=None`): a module value passed by the caller
  (e.g. Transformer's `custom_encoder`); the interpreter copies it. A
  `LayerCall` value is a module the catalog itself builds (Transformer passes
  `TransformerEncoderLayer(...)` to `TransformerEncoder` this way); any other
  value is the interpreter's own module instance.
- containers: `layer="ModuleList"` or `"Sequential"` (never catalog entries)
  names a plain container `name` whose items are either the nested
  `children` (named "0", "1", ...), or, when `repeat` is not None, `repeat`
  (int or Sym) deep copies of `from_value`, keys `name.0` ... `name.{n-1}`
  (TransformerEncoder's `layers`). An interpreter that does not know
  containers fails safe: "ModuleList" is not in the catalog.
- `if_module=True`: register the child only if `from_value` is a module
  instance (torch's `Module.__setattr__` rule: `self.activation = F.relu`
  registers nothing). Values that clearly are not modules (None, strings,
  `FunctionRef`, plain data) produce no ChildSpec at all.

`unresolved` reasons never repeat the layer name (the caller prefixes it).

Tensor arguments (a loss `weight`) are shaped from their `.shape` attribute
when they have one (`shape_of`), else their shape is None.

Order: `LayerBuild.tensors` lists parameters before buffers, each in torch's
registration order, and `children` in registration order, so "own
parameters, own persistent buffers, then children" reproduces `state_dict()`.

Additions to the original interface (all with defaults): `Layer.var_keyword`,
`Layer.torch_path` (dotted class path, for classes outside `torch.nn`),
`ChildSpec.repeat/children/if_module`, `Cond`, `LayerCall`, `FunctionRef`
(a torch function used as a default, e.g. Transformer's `activation=F.relu`),
`LAZY_REASON`, `parameter_free(name)`, `module_arg`, `truth`/`all_of`/
`not_`/`same` for conditions.

Semantic changes from the first sketch: `device`/`dtype` are now part of the
signatures where torch has them (positionally too) and `bind` rejects them
where torch does (`ReLU(device=...)` is a TypeError in torch as well);
`bind` honours `*args`/`**kwargs` (`Identity`); `Layer.build` never raises:
an exception in a formula becomes `unresolved`, and when a formula failed on
an opaque value the keys are kept with `shape=None`.

The tests enumerate `CATALOG` and check every entry against the real torch
layer built on the `meta` device.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from wlint.model.budget import MAX_EXPANSION
from wlint.model.signals import TOO_LARGE
from wlint.model.symbolic import Sym


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

Dim = Any  # int | Sym


@dataclass(frozen=True)
class TensorSpec:
    """A parameter or buffer a layer registers on itself."""

    name: str
    shape: tuple[Dim, ...] | None  # None: cannot be computed from the arguments
    kind: str = "parameter"  # "parameter" | "buffer"
    persistent: bool = True
    when: Any = True  # True/False, or an unknown truth value -> conditional tensor


@dataclass(frozen=True)
class LayerCall:
    """A module value the catalog builds itself: `layer(**args)`."""

    layer: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChildSpec:
    """A submodule a layer registers on itself (see the module docstring).

    Either a catalog layer built from `layer` and `args`, or a copy of a module
    value passed by the caller (`from_value`), or a container
    (`layer="ModuleList"`/`"Sequential"`) of nested `children` or of `repeat`
    deep copies of `from_value` (TransformerEncoder's `encoder_layer` copied
    into `layers.0` ... `layers.{n-1}`).
    """

    name: str
    layer: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    from_value: Any = None
    when: Any = True
    repeat: Any = None  # int | Sym | None: container of that many copies of from_value
    children: tuple[ChildSpec, ...] = ()  # for layer="ModuleList"/"Sequential"
    if_module: bool = False  # only if from_value is a module instance


@dataclass(frozen=True)
class LayerBuild:
    tensors: list[TensorSpec]
    children: list[ChildSpec] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FunctionRef:
    """A torch function used as a default value (`torch.nn.functional.relu`)."""

    path: str

    def __str__(self) -> str:
        return self.path


class Cond:
    """An unknown truth value built from arguments: `op` over `args`.

    ops: "and" (all args true), "not" (one arg), "eq" (two args equal).
    """

    __slots__ = ("args", "op")

    def __init__(self, op: str, *args: Any) -> None:
        self.op = op
        self.args = args

    def __bool__(self) -> bool:
        raise TypeError(f"truth value of condition {self} is unknown")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cond):
            return False
        return (self.op, _ids(self.args)) == (other.op, _ids(other.args))

    def __hash__(self) -> int:
        return hash((self.op, _ids(self.args)))

    def __str__(self) -> str:
        if self.op == "not":
            return f"not {_cond_text(self.args[0])}"
        if self.op == "eq":
            return f"{_cond_text(self.args[0])} == {_cond_text(self.args[1])}"
        return " and ".join(_cond_text(a) for a in self.args)

    def __repr__(self) -> str:
        return f"Cond({str(self)!r})"


def _ids(args: tuple[Any, ...]) -> tuple[Any, ...]:
    out = []
    for a in args:
        try:
            hash(a)
            out.append(a)
        except TypeError:
            out.append(id(a))
    return tuple(out)


def _cond_text(value: Any) -> str:
    text = str(value)
    return f"({text})" if isinstance(value, Cond) and value.op != "not" else text


class Args(dict):  # type: ignore[type-arg]
    """Bound constructor arguments with attribute access (`a.in_features`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


BuildFn = Callable[[Args], LayerBuild]


@dataclass(frozen=True)
class Layer:
    name: str
    signature: tuple[tuple[str, Any], ...]  # (name, default or REQUIRED), torch's order
    build_fn: BuildFn
    behaviour: tuple[str, ...] = ()  # shape-neutral args that change the computation (WL206)
    keyword_only: tuple[tuple[str, Any], ...] = ()
    lazy: bool = False
    var_positional: str | None = None  # `*args` name (Identity)
    var_keyword: str | None = None  # `**kwargs` name (Identity)
    torch_path: str = ""  # dotted class path when not `torch.nn.<name>`

    @property
    def qualname(self) -> str:
        return self.torch_path or f"torch.nn.{self.name}"

    def bind(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Args:
        """Bind a call like Python would; raises TypeError on a bad call."""
        names = [n for n, _ in self.signature]
        if len(args) > len(names) and self.var_positional is None:
            raise TypeError(f"{self.name}() takes {len(names)} positional arguments")
        bound: dict[str, Any] = dict(zip(names, args))
        kw_names = {n for n, _ in self.keyword_only}
        extra_kw: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key in bound:
                raise TypeError(f"{self.name}() got multiple values for {key!r}")
            if key in names or key in kw_names:
                bound[key] = value
            elif self.var_keyword is not None:
                extra_kw[key] = value
            else:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r}")
        for name, default in self.signature + self.keyword_only:
            if name not in bound:
                if default is REQUIRED:
                    raise TypeError(f"{self.name}() missing required argument {name!r}")
                bound[name] = default
        if self.var_positional is not None:
            bound[self.var_positional] = tuple(args[len(names):])
        if self.var_keyword is not None:
            bound[self.var_keyword] = extra_kw
        return Args(bound)

    def build(self, bound: Args) -> LayerBuild:
        """Tensors and children; never raises.

        When a formula fails on an opaque value (an unknown `in_features`), the
        build is retried with a placeholder symbol for each opaque argument, so
        the keys survive; shapes that mention a placeholder become None.
        """
        try:
            return _check_dims(self.name, self.build_fn(bound))
        except _FORMULA_ERRORS as exc:
            first = exc
        holders = {k: Sym.name(f"{_HOLE}{k}") for k, v in bound.items() if _is_opaque(v)}
        if holders:
            try:
                result = self.build_fn(Args({**bound, **holders}))
            except _FORMULA_ERRORS:
                pass
            else:
                return _check_dims(self.name, _fill_holes(result, bound, holders))
        return LayerBuild([], unresolved=[f"cannot compute its tensors ({first})"])


_FORMULA_ERRORS = (TypeError, ValueError, ArithmeticError, AttributeError, IndexError, KeyError)
_HOLE = "?"  # prefix of placeholder atoms (never a Python identifier)


def _is_opaque(value: Any) -> bool:
    return not isinstance(value, (*_PLAIN, Sym, Cond, LayerCall, FunctionRef))


def _has_hole(value: Any) -> bool:
    return isinstance(value, Sym) and any(_HOLE in atom for atom in value.atoms())


def _fill_holes(result: LayerBuild, bound: Args, holders: dict[str, Sym]) -> LayerBuild:
    """Undo the placeholders: shapes using one become None, values get their original."""
    originals = {sym: bound[name] for name, sym in holders.items()}

    def restore(value: Any) -> Any:
        if isinstance(value, Sym) and value in originals:
            return originals[value]
        if isinstance(value, Cond):
            return Cond(value.op, *(restore(v) for v in value.args))
        return value

    tensors = []
    reasons = list(result.unresolved)
    for t in result.tensors:
        shape = t.shape
        if shape is not None and any(_has_hole(d) for d in shape):
            used = sorted({a[len(_HOLE):].split(")")[0] for d in shape if isinstance(d, Sym)
                           for a in d.atoms() if a.startswith(_HOLE)})
            reasons.append(f"{t.name}: shape depends on unknown {', '.join(used) or 'values'}")
            shape = None
        tensors.append(TensorSpec(t.name, shape, t.kind, t.persistent, restore(t.when)))
    children = [
        ChildSpec(c.name, c.layer, {k: restore(v) for k, v in c.args.items()},
                  restore(c.from_value), restore(c.when), restore(c.repeat), c.children,
                  c.if_module)
        for c in result.children
    ]
    return LayerBuild(tensors, children, reasons)


def _check_dims(name: str, result: LayerBuild) -> LayerBuild:
    """Shapes holding something other than int/Sym become None (+ a reason)."""
    bad = [t.name for t in result.tensors
           if t.shape is not None and not all(_is_dim(d) for d in t.shape)]
    if not bad:
        return result
    tensors = [
        TensorSpec(t.name, None, t.kind, t.persistent, t.when) if t.name in bad else t
        for t in result.tensors
    ]
    reasons = [f"{t}: shape depends on a value that is not an integer" for t in bad]
    return LayerBuild(tensors, result.children, result.unresolved + reasons)


def _is_dim(value: Any) -> bool:
    return isinstance(value, Sym) or (isinstance(value, int) and not isinstance(value, bool))


# The newest torch the catalog (and wlint.model.overlays.torch_versions) was checked
# against: the default target torch of the predictor; the tests fail on another torch.

CATALOG: dict[str, Layer] = {}


def lookup(name: str) -> Layer | None:
    """The catalog entry for a torch.nn class name (`Linear`), or None."""
    return CATALOG.get(name)


def _add(layer: Layer) -> None:
    if layer.name in CATALOG:
        raise ValueError(f"duplicate catalog entry {layer.name}")
    CATALOG[layer.name] = layer


def parameter_free(name: str) -> bool:
    """True when the layer never registers tensors or children (activations...)."""
    layer = CATALOG.get(name)
    return layer is not None and layer.build_fn is no_tensors


# -- helpers for the formulas ------------------------------------------------------

_PLAIN = (bool, int, float, str, tuple, list, dict, type(None))


def truth(value: Any) -> Any:
    """Python truthiness for known values; unknown values stay as the condition."""
    if isinstance(value, _PLAIN):
        return bool(value)
    return value


def all_of(*conds: Any) -> Any:
    """Conjunction: False if any is False, else the unknown parts (or True)."""
    unknown = []
    for cond in conds:
        value = truth(cond)
        if value is False:
            return False
        if value is not True:
            unknown.append(value)
    if not unknown:
        return True
    return unknown[0] if len(unknown) == 1 else Cond("and", *unknown)


def not_(cond: Any) -> Any:
    value = truth(cond)
    if isinstance(value, bool):
        return not value
    return Cond("not", value)


def same(a: Any, b: Any) -> Any:
    """`a == b` for dims: a bool when decidable, else a `Cond`."""
    if a is b:
        return True
    if isinstance(a, Sym) or isinstance(b, Sym):
        if isinstance(a, Sym) and isinstance(b, Sym) and a == b:
            return True
        return Cond("eq", a, b)
    if isinstance(a, _PLAIN) and isinstance(b, _PLAIN):
        return a == b
    return Cond("eq", a, b)


def ntuple(value: Any, n: int) -> tuple[Any, ...]:
    """torch's _ntuple: an int (or symbol) repeated n times, a sequence kept."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return tuple([value] * n)


def prod(values: Iterable[Any]) -> Any:
    result: Any = 1
    for v in values:
        result = result * v
    return result


def shape_of(value: Any) -> tuple[Any, ...] | None:
    """The shape of a tensor argument, from its `.shape`, or None."""
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        dims = tuple(shape)
    except TypeError:
        return None
    return dims if all(_is_dim(d) for d in dims) else None


def concrete_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def P(name: str, *shape: Dim, when: Any = True) -> TensorSpec:
    return TensorSpec(name, tuple(shape), "parameter", True, truth(when))


def B(name: str, *shape: Dim, when: Any = True, persistent: bool = True) -> TensorSpec:
    return TensorSpec(name, tuple(shape), "buffer", persistent, truth(when))


def U(name: str, kind: str = "parameter", when: Any = True) -> TensorSpec:
    """An uninitialized (lazy) tensor: key known, shape not."""
    return TensorSpec(name, None, kind, True, truth(when))


def C(name: str, layer: str, when: Any = True, **args: Any) -> ChildSpec:
    return ChildSpec(name, layer, args, when=truth(when))


def module_arg(name: str, value: Any) -> list[ChildSpec]:
    """A child for an argument that may be a module (`norm`, `activation`)."""
    if isinstance(value, (*_PLAIN, FunctionRef)):
        return []
    return [ChildSpec(name, from_value=value, if_module=True)]


def no_tensors(_: Args) -> LayerBuild:
    return LayerBuild([])


def _tensor_buffers(a: Args, names: Iterable[str]) -> LayerBuild:
    """Buffers registered from tensor arguments; None registers nothing."""
    tensors = [TensorSpec(n, shape_of(a[n]), "buffer") for n in names if a[n] is not None]
    reasons = [f"{t.name}: shape of the tensor argument is unknown"
               for t in tensors if t.shape is None]
    return LayerBuild(tensors, [], reasons)


_FACTORY = (("device", None), ("dtype", None))


def _sig(*items: tuple[str, Any], factory: bool = True) -> tuple[tuple[str, Any], ...]:
    return tuple(items) + (_FACTORY if factory else ())


def _free(name: str, signature: tuple[tuple[str, Any], ...] = (), *,
          keyword_only: tuple[tuple[str, Any], ...] = (), exclude: tuple[str, ...] = ()) -> None:
    """A parameter-free layer: every argument but `inplace` is behaviour."""
    skip = {"inplace", "device", "dtype"} | set(exclude)
    names = [n for n, _ in signature + keyword_only]
    _add(Layer(name, signature, no_tensors, tuple(n for n in names if n not in skip),
               keyword_only=keyword_only))


# -- linear ------------------------------------------------------------------------

def _linear(a: Args) -> LayerBuild:
    return LayerBuild([
        P("weight", a.out_features, a.in_features),
        P("bias", a.out_features, when=a.bias),
    ])


_LINEAR_SIG = _sig(("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True))
_add(Layer("Linear", _LINEAR_SIG, _linear))
_add(Layer("NonDynamicallyQuantizableLinear", _LINEAR_SIG, _linear,
           torch_path="torch.nn.modules.linear.NonDynamicallyQuantizableLinear"))
_add(Layer(
    "Bilinear",
    _sig(("in1_features", REQUIRED), ("in2_features", REQUIRED), ("out_features", REQUIRED),
         ("bias", True)),
    lambda a: LayerBuild([
        P("weight", a.out_features, a.in1_features, a.in2_features),
        P("bias", a.out_features, when=a.bias),
    ]),
))
_add(Layer("Identity", (), no_tensors, var_positional="args", var_keyword="kwargs"))


LAZY_REASON = "lazy layer: shapes are inferred at the first forward call"


def _lazy(name: str, build: BuildFn) -> BuildFn:
    def wrapped(a: Args) -> LayerBuild:
        result = build(a)
        return LayerBuild(result.tensors, result.children, [LAZY_REASON])

    return wrapped


_add(Layer(
    "LazyLinear", _sig(("out_features", REQUIRED), ("bias", True)),
    _lazy("LazyLinear", lambda a: LayerBuild([U("weight"), U("bias", when=a.bias)])),
    lazy=True,
))

# -- convolutions --------------------------------------------------------------------


def _conv_build(dims: int, transposed: bool) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        kernel = ntuple(a.kernel_size, dims)
        if transposed:
            weight = (a.in_channels, a.out_channels // a.groups, *kernel)
        else:
            weight = (a.out_channels, a.in_channels // a.groups, *kernel)
        return LayerBuild([P("weight", *weight), P("bias", a.out_channels, when=a.bias)])

    return build


def _lazy_conv(a: Args) -> LayerBuild:
    return LayerBuild([U("weight"), U("bias", when=a.bias)])


_CONV_BEHAVIOUR = ("stride", "padding", "dilation", "padding_mode")
_CONV_TAIL = (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True),
              ("padding_mode", "zeros"))
_CONVT_TAIL = (("stride", 1), ("padding", 0), ("output_padding", 0), ("groups", 1),
               ("bias", True), ("dilation", 1), ("padding_mode", "zeros"))
_IO = (("in_channels", REQUIRED), ("out_channels", REQUIRED), ("kernel_size", REQUIRED))
for _dims in (1, 2, 3):
    _add(Layer(f"Conv{_dims}d", _sig(*_IO, *_CONV_TAIL), _conv_build(_dims, transposed=False),
               behaviour=_CONV_BEHAVIOUR))
    _add(Layer(f"ConvTranspose{_dims}d", _sig(*_IO, *_CONVT_TAIL),
               _conv_build(_dims, transposed=True),
               behaviour=_CONV_BEHAVIOUR + ("output_padding",)))
    _add(Layer(f"LazyConv{_dims}d", _sig(*_IO[1:], *_CONV_TAIL),
               _lazy(f"LazyConv{_dims}d", _lazy_conv), behaviour=_CONV_BEHAVIOUR, lazy=True))
    _add(Layer(f"LazyConvTranspose{_dims}d", _sig(*_IO[1:], *_CONVT_TAIL),
               _lazy(f"LazyConvTranspose{_dims}d", _lazy_conv),
               behaviour=_CONV_BEHAVIOUR + ("output_padding",), lazy=True))

# -- normalisation -------------------------------------------------------------------


def _norm_build(a: Args) -> LayerBuild:
    """_NormBase: BatchNorm, InstanceNorm, SyncBatchNorm."""
    n = a.num_features
    return LayerBuild([
        P("weight", n, when=a.affine),
        P("bias", n, when=all_of(a.affine, a.bias)),
        B("running_mean", n, when=a.track_running_stats),
        B("running_var", n, when=a.track_running_stats),
        B("num_batches_tracked", when=a.track_running_stats),
    ])


def _lazy_norm_build(a: Args) -> LayerBuild:
    return LayerBuild([
        U("weight", when=a.affine),
        U("bias", when=all_of(a.affine, a.bias)),
        U("running_mean", "buffer", when=a.track_running_stats),
        U("running_var", "buffer", when=a.track_running_stats),
        B("num_batches_tracked", when=a.track_running_stats),
    ])


def _lazy_norm(name: str) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        result = _lazy_norm_build(a)
        lazy = any(t.shape is None and t.when is not False for t in result.tensors)
        return LayerBuild(result.tensors, [], [LAZY_REASON] if lazy else [])

    return build


_NORM_BEHAVIOUR = ("eps", "momentum")
_BIAS_KW = (("bias", True),)


def _norm_sig(affine: bool, track: bool, *extra: tuple[str, Any]) -> tuple[tuple[str, Any], ...]:
    return _sig(("num_features", REQUIRED), ("eps", 1e-5), ("momentum", 0.1), ("affine", affine),
                ("track_running_stats", track), *extra)


for _dims in (1, 2, 3):
    _add(Layer(f"BatchNorm{_dims}d", _norm_sig(True, True), _norm_build,
               behaviour=_NORM_BEHAVIOUR, keyword_only=_BIAS_KW))
    _add(Layer(f"InstanceNorm{_dims}d", _norm_sig(False, False), _norm_build,
               behaviour=_NORM_BEHAVIOUR, keyword_only=_BIAS_KW))
    _add(Layer(f"LazyBatchNorm{_dims}d", _norm_sig(True, True)[1:],
               _lazy_norm(f"LazyBatchNorm{_dims}d"), behaviour=_NORM_BEHAVIOUR,
               keyword_only=_BIAS_KW, lazy=True))
    _add(Layer(f"LazyInstanceNorm{_dims}d", _norm_sig(True, True)[1:],
               _lazy_norm(f"LazyInstanceNorm{_dims}d"), behaviour=_NORM_BEHAVIOUR,
               keyword_only=_BIAS_KW, lazy=True))
_add(Layer("SyncBatchNorm", _norm_sig(True, True, ("process_group", None)), _norm_build,
           behaviour=_NORM_BEHAVIOUR, keyword_only=_BIAS_KW))


def _normalized_shape(value: Any) -> tuple[Any, ...]:
    """LayerNorm/RMSNorm: an int (or symbol) becomes a 1-tuple, a sequence a tuple."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    if _is_dim(value):
        return (value,)
    return tuple(value)  # torch.Size-like values; anything else raises -> unresolved


def _layer_norm(a: Args) -> LayerBuild:
    shape = _normalized_shape(a.normalized_shape)
    return LayerBuild([
        P("weight", *shape, when=a.elementwise_affine),
        P("bias", *shape, when=all_of(a.elementwise_affine, a.bias)),
    ])


_add(Layer(
    "LayerNorm",
    _sig(("normalized_shape", REQUIRED), ("eps", 1e-5), ("elementwise_affine", True),
         ("bias", True)),
    _layer_norm, behaviour=("eps",),
))
_add(Layer(
    "RMSNorm",
    _sig(("normalized_shape", REQUIRED), ("eps", None), ("elementwise_affine", True)),
    lambda a: LayerBuild([
        P("weight", *_normalized_shape(a.normalized_shape), when=a.elementwise_affine),
    ]),
    behaviour=("eps",),
))
_add(Layer(
    "GroupNorm",
    _sig(("num_groups", REQUIRED), ("num_channels", REQUIRED), ("eps", 1e-5), ("affine", True)),
    lambda a: LayerBuild([
        P("weight", a.num_channels, when=a.affine),
        P("bias", a.num_channels, when=all_of(a.affine, a.bias)),
    ]),
    behaviour=("num_groups", "eps"), keyword_only=_BIAS_KW,
))
_free("LocalResponseNorm", (("size", REQUIRED), ("alpha", 1e-4), ("beta", 0.75), ("k", 1.0)))
_free("CrossMapLRN2d", (("size", REQUIRED), ("alpha", 1e-4), ("beta", 0.75), ("k", 1)))

# -- embeddings ------------------------------------------------------------------------


def _embedding(a: Args) -> LayerBuild:
    # `_weight`, when given, must have this very shape (torch asserts it).
    return LayerBuild([P("weight", a.num_embeddings, a.embedding_dim)])


_add(Layer(
    "Embedding",
    _sig(("num_embeddings", REQUIRED), ("embedding_dim", REQUIRED), ("padding_idx", None),
         ("max_norm", None), ("norm_type", 2.0), ("scale_grad_by_freq", False),
         ("sparse", False), ("_weight", None), ("_freeze", False)),
    _embedding, behaviour=("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq"),
))
_add(Layer(
    "EmbeddingBag",
    _sig(("num_embeddings", REQUIRED), ("embedding_dim", REQUIRED), ("max_norm", None),
         ("norm_type", 2.0), ("scale_grad_by_freq", False), ("mode", "mean"), ("sparse", False),
         ("_weight", None), ("include_last_offset", False), ("padding_idx", None)),
    _embedding,
    behaviour=("max_norm", "norm_type", "scale_grad_by_freq", "mode", "include_last_offset",
               "padding_idx"),
))

# -- recurrent ---------------------------------------------------------------------------

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _rnn_build(mode: str) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        proj = a.get("proj_size", 0)
        problems = [
            f"{name} is not a known {kind} ({value!s})"
            for name, value, kind, ok in (
                ("num_layers", a.num_layers, "int", concrete_int(a.num_layers)),
                ("bidirectional", a.bidirectional, "bool",
                 isinstance(truth(a.bidirectional), bool)),
                ("proj_size", proj, "int", concrete_int(proj)),
            ) if not ok
        ]
        if problems:
            return LayerBuild([], unresolved=problems)
        gate = _GATES[mode] * a.hidden_size
        real_hidden = proj if proj > 0 else a.hidden_size
        directions = 2 if truth(a.bidirectional) else 1
        if a.num_layers * directions > MAX_EXPANSION:  # not expanded: tensors per layer
            return LayerBuild([], unresolved=[f"{TOO_LARGE}: num_layers={a.num_layers}"])
        tensors = []
        for layer in range(a.num_layers):
            for direction in range(directions):
                inp = a.input_size if layer == 0 else real_hidden * directions
                sfx = f"l{layer}" + ("_reverse" if direction == 1 else "")
                tensors += [
                    P(f"weight_ih_{sfx}", gate, inp),
                    P(f"weight_hh_{sfx}", gate, real_hidden),
                    P(f"bias_ih_{sfx}", gate, when=a.bias),
                    P(f"bias_hh_{sfx}", gate, when=a.bias),
                ]
                if proj > 0:
                    tensors.append(P(f"weight_hr_{sfx}", proj, a.hidden_size))
        return LayerBuild(tensors)

    return build


_RNN_BEHAVIOUR = ("batch_first", "dropout")
_RNN_HEAD = (("input_size", REQUIRED), ("hidden_size", REQUIRED), ("num_layers", 1))
_RNN_TAIL = (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False))
_add(Layer("RNN", _sig(*_RNN_HEAD, ("nonlinearity", "tanh"), *_RNN_TAIL), _rnn_build("RNN"),
           behaviour=("nonlinearity",) + _RNN_BEHAVIOUR))
_add(Layer("LSTM", _sig(*_RNN_HEAD, *_RNN_TAIL, ("proj_size", 0)), _rnn_build("LSTM"),
           behaviour=_RNN_BEHAVIOUR))
_add(Layer("GRU", _sig(*_RNN_HEAD, *_RNN_TAIL), _rnn_build("GRU"), behaviour=_RNN_BEHAVIOUR))


def _cell_build(chunks: int) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        gate = chunks * a.hidden_size
        return LayerBuild([
            P("weight_ih", gate, a.input_size),
            P("weight_hh", gate, a.hidden_size),
            P("bias_ih", gate, when=a.bias),
            P("bias_hh", gate, when=a.bias),
        ])

    return build


_CELL_HEAD = (("input_size", REQUIRED), ("hidden_size", REQUIRED), ("bias", True))
_add(Layer("RNNCell", _sig(*_CELL_HEAD, ("nonlinearity", "tanh")), _cell_build(1),
           behaviour=("nonlinearity",)))
_add(Layer("LSTMCell", _sig(*_CELL_HEAD), _cell_build(4)))
_add(Layer("GRUCell", _sig(*_CELL_HEAD), _cell_build(3)))

# -- attention and transformers ----------------------------------------------------------


def _mha(a: Args) -> LayerBuild:
    e = a.embed_dim
    kdim = e if a.kdim is None else a.kdim
    vdim = e if a.vdim is None else a.vdim
    same_dims = all_of(same(kdim, e), same(vdim, e))
    return LayerBuild(
        [
            P("in_proj_weight", 3 * e, e, when=same_dims),
            P("q_proj_weight", e, e, when=not_(same_dims)),
            P("k_proj_weight", e, kdim, when=not_(same_dims)),
            P("v_proj_weight", e, vdim, when=not_(same_dims)),
            P("in_proj_bias", 3 * e, when=a.bias),
            P("bias_k", 1, 1, e, when=a.add_bias_kv),
            P("bias_v", 1, 1, e, when=a.add_bias_kv),
        ],
        [C("out_proj", "NonDynamicallyQuantizableLinear", in_features=e, out_features=e,
           bias=a.bias)],
    )


_add(Layer(
    "MultiheadAttention",
    _sig(("embed_dim", REQUIRED), ("num_heads", REQUIRED), ("dropout", 0.0), ("bias", True),
         ("add_bias_kv", False), ("add_zero_attn", False), ("kdim", None), ("vdim", None),
         ("batch_first", False)),
    _mha, behaviour=("num_heads", "dropout", "add_zero_attn", "batch_first"),
))

_RELU = FunctionRef("torch.nn.functional.relu")
_TLAYER_SIG = _sig(
    ("d_model", REQUIRED), ("nhead", REQUIRED), ("dim_feedforward", 2048), ("dropout", 0.1),
    ("activation", _RELU), ("layer_norm_eps", 1e-5), ("batch_first", False),
    ("norm_first", False), ("bias", True))
_TLAYER_BEHAVIOUR = ("nhead", "dropout", "activation", "layer_norm_eps", "batch_first",
                     "norm_first")


def _transformer_layer(decoder: bool) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        d, ff, bias = a.d_model, a.dim_feedforward, a.bias
        attn = {"embed_dim": d, "num_heads": a.nhead, "dropout": a.dropout, "bias": bias,
                    "batch_first": a.batch_first}
        children = [ChildSpec("self_attn", "MultiheadAttention", attn)]
        if decoder:
            children.append(ChildSpec("multihead_attn", "MultiheadAttention", attn))
        norm = {"normalized_shape": d, "eps": a.layer_norm_eps, "bias": bias}
        children += [
            C("linear1", "Linear", in_features=d, out_features=ff, bias=bias),
            C("dropout", "Dropout", p=a.dropout),
            C("linear2", "Linear", in_features=ff, out_features=d, bias=bias),
        ]
        count = 3 if decoder else 2
        children += [ChildSpec(f"norm{i}", "LayerNorm", norm) for i in range(1, count + 1)]
        children += [C(f"dropout{i}", "Dropout", p=a.dropout) for i in range(1, count + 1)]
        # a module passed as `activation` is registered as a child (strings and
        # functions are not)
        children += module_arg("activation", a.activation)
        return LayerBuild([], children)

    return build


_add(Layer("TransformerEncoderLayer", _TLAYER_SIG, _transformer_layer(decoder=False),
           behaviour=_TLAYER_BEHAVIOUR))
_add(Layer("TransformerDecoderLayer", _TLAYER_SIG, _transformer_layer(decoder=True),
           behaviour=_TLAYER_BEHAVIOUR))


def _stack(argname: str) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        return LayerBuild([], [
            ChildSpec("layers", "ModuleList", from_value=a[argname], repeat=a.num_layers),
            *module_arg("norm", a.norm),
        ])

    return build


_add(Layer(
    "TransformerEncoder",
    (("encoder_layer", REQUIRED), ("num_layers", REQUIRED), ("norm", None),
     ("enable_nested_tensor", True), ("mask_check", True)),
    _stack("encoder_layer"),  # enable_nested_tensor / mask_check: fast-path switches only
))
_add(Layer(
    "TransformerDecoder",
    (("decoder_layer", REQUIRED), ("num_layers", REQUIRED), ("norm", None)),
    _stack("decoder_layer"),
))


def _transformer(a: Args) -> LayerBuild:
    names = ("d_model", "nhead", "dim_feedforward", "dropout", "activation", "layer_norm_eps",
             "batch_first", "norm_first", "bias")
    layer_args = {n: a[n] for n in names}
    norm = LayerCall("LayerNorm", {"normalized_shape": a.d_model, "eps": a.layer_norm_eps,
                                       "bias": a.bias})
    children = []
    for part, custom, count in (("encoder", a.custom_encoder, a.num_encoder_layers),
                                ("decoder", a.custom_decoder, a.num_decoder_layers)):
        if custom is not None:
            children.append(ChildSpec(part, from_value=custom))
            continue
        title = part.capitalize()
        children.append(ChildSpec(part, f"Transformer{title}", {
            f"{part}_layer": LayerCall(f"Transformer{title}Layer", layer_args),
            "num_layers": count,
            "norm": norm,
        }))
    return LayerBuild([], children)


_add(Layer(
    "Transformer",
    _sig(("d_model", 512), ("nhead", 8), ("num_encoder_layers", 6), ("num_decoder_layers", 6),
         ("dim_feedforward", 2048), ("dropout", 0.1), ("activation", _RELU),
         ("custom_encoder", None), ("custom_decoder", None), ("layer_norm_eps", 1e-5),
         ("batch_first", False), ("norm_first", False), ("bias", True)),
    _transformer, behaviour=_TLAYER_BEHAVIOUR,
))

_add(Layer(
    "DataParallel", (("module", REQUIRED), ("device_ids", None), ("output_device", None),
                     ("dim", 0)),
    lambda a: LayerBuild([], [ChildSpec("module", from_value=a.module)]),
    behaviour=("dim",),
))

# -- activations -------------------------------------------------------------------------

_add(Layer(
    "PReLU", _sig(("num_parameters", 1), ("init", 0.25)),
    lambda a: LayerBuild([P("weight", a.num_parameters)]),
))
for _name in ("Tanh", "Sigmoid", "LogSigmoid", "Softsign", "Tanhshrink", "Softmax2d"):
    _free(_name)
for _name in ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish"):
    _free(_name, (("inplace", False),))
_free("ELU", (("alpha", 1.0), ("inplace", False)))
_free("CELU", (("alpha", 1.0), ("inplace", False)))
_free("LeakyReLU", (("negative_slope", 0.01), ("inplace", False)))
_free("RReLU", (("lower", 1.0 / 8), ("upper", 1.0 / 3), ("inplace", False)))
_free("GELU", (("approximate", "none"),))
_free("GLU", (("dim", -1),))
_free("Hardshrink", (("lambd", 0.5),))
_free("Softshrink", (("lambd", 0.5),))
_free("Softplus", (("beta", 1.0), ("threshold", 20.0)))
_free("Threshold", (("threshold", REQUIRED), ("value", REQUIRED), ("inplace", False)))
_free("Hardtanh", (("min_val", -1.0), ("max_val", 1.0), ("inplace", False), ("min_value", None),
                   ("max_value", None)))
for _name in ("Softmax", "Softmin", "LogSoftmax"):
    _free(_name, (("dim", None),))

# -- dropout -----------------------------------------------------------------------------

for _name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
              "FeatureAlphaDropout"):
    _free(_name, (("p", 0.5), ("inplace", False)))

# -- pooling -----------------------------------------------------------------------------

for _dims in (1, 2, 3):
    _free(f"MaxPool{_dims}d", (("kernel_size", REQUIRED), ("stride", None), ("padding", 0),
                               ("dilation", 1), ("return_indices", False), ("ceil_mode", False)))
    _free(f"AvgPool{_dims}d", (("kernel_size", REQUIRED), ("stride", None), ("padding", 0),
                               ("ceil_mode", False), ("count_include_pad", True))
          + ((("divisor_override", None),) if _dims > 1 else ()))
    _free(f"MaxUnpool{_dims}d", (("kernel_size", REQUIRED), ("stride", None), ("padding", 0)))
    _free(f"LPPool{_dims}d", (("norm_type", REQUIRED), ("kernel_size", REQUIRED),
                              ("stride", None), ("ceil_mode", False)))
    _free(f"AdaptiveAvgPool{_dims}d", (("output_size", REQUIRED),))
    _free(f"AdaptiveMaxPool{_dims}d", (("output_size", REQUIRED), ("return_indices", False)))
for _dims in (2, 3):
    # a `_random_samples` tensor is registered as a buffer
    _add(Layer(f"FractionalMaxPool{_dims}d",
               (("kernel_size", REQUIRED), ("output_size", None), ("output_ratio", None),
                ("return_indices", False), ("_random_samples", None)),
               lambda a: _tensor_buffers(a, ("_random_samples",)),
               behaviour=("kernel_size", "output_size", "output_ratio", "return_indices")))

# -- padding, reshaping, resampling, distances -------------------------------------------

for _dims in (1, 2, 3):
    for _kind in ("Reflection", "Replication", "Zero", "Circular"):
        _free(f"{_kind}Pad{_dims}d", (("padding", REQUIRED),))
    _free(f"ConstantPad{_dims}d", (("padding", REQUIRED), ("value", REQUIRED)))
_free("Flatten", (("start_dim", 1), ("end_dim", -1)))
_free("Unflatten", (("dim", REQUIRED), ("unflattened_size", REQUIRED)))
_free("PixelShuffle", (("upscale_factor", REQUIRED),))
_free("PixelUnshuffle", (("downscale_factor", REQUIRED),))
_free("ChannelShuffle", (("groups", REQUIRED),))
_free("Upsample", (("size", None), ("scale_factor", None), ("mode", "nearest"),
                   ("align_corners", None), ("recompute_scale_factor", None)))
_free("UpsamplingNearest2d", (("size", None), ("scale_factor", None)))
_free("UpsamplingBilinear2d", (("size", None), ("scale_factor", None)))
_free("Fold", (("output_size", REQUIRED), ("kernel_size", REQUIRED), ("dilation", 1),
               ("padding", 0), ("stride", 1)))
_free("Unfold", (("kernel_size", REQUIRED), ("dilation", 1), ("padding", 0), ("stride", 1)))
_free("CosineSimilarity", (("dim", 1), ("eps", 1e-8)))
_free("PairwiseDistance", (("p", 2.0), ("eps", 1e-6), ("keepdim", False)))

# -- losses ----------------------------------------------------------------------------
# `weight` / `pos_weight` tensors are registered as buffers (None registers nothing).


def _loss_buffers(*names: str) -> BuildFn:
    return lambda a: _tensor_buffers(a, names)


def _loss(name: str, signature: tuple[tuple[str, Any], ...], *tensors: str,
          keyword_only: tuple[tuple[str, Any], ...] = ()) -> None:
    names = [n for n, _ in signature + keyword_only]
    behaviour = tuple(n for n in names if n not in tensors)
    build = _loss_buffers(*tensors) if tensors else no_tensors
    _add(Layer(name, signature, build, behaviour, keyword_only=keyword_only))


_RED = (("size_average", None), ("reduce", None), ("reduction", "mean"))
_loss("L1Loss", _RED)
_loss("MSELoss", _RED)
_loss("SoftMarginLoss", _RED)
_loss("MultiLabelMarginLoss", _RED)
_loss("KLDivLoss", _RED + (("log_target", False),))
_loss("HuberLoss", (("reduction", "mean"), ("delta", 1.0)))
_loss("SmoothL1Loss", _RED + (("beta", 1.0),))
_loss("HingeEmbeddingLoss", (("margin", 1.0),) + _RED)
_loss("CosineEmbeddingLoss", (("margin", 0.0),) + _RED)
_loss("MarginRankingLoss", (("margin", 0.0),) + _RED)
_loss("TripletMarginLoss", (("margin", 1.0), ("p", 2.0), ("eps", 1e-6), ("swap", False)) + _RED)
_loss("TripletMarginWithDistanceLoss", (), keyword_only=(
    ("distance_function", None), ("margin", 1.0), ("swap", False), ("reduction", "mean")))
_loss("PoissonNLLLoss", (("log_input", True), ("full", False), ("size_average", None),
                         ("eps", 1e-8), ("reduce", None), ("reduction", "mean")))
_loss("GaussianNLLLoss", (), keyword_only=(("full", False), ("eps", 1e-6), ("reduction", "mean")))
_loss("CTCLoss", (("blank", 0), ("reduction", "mean"), ("zero_infinity", False)))
_W = (("weight", None),)
_loss("BCELoss", _W + _RED, "weight")
_loss("BCEWithLogitsLoss", _W + _RED + (("pos_weight", None),), "weight", "pos_weight")
_loss("MultiLabelSoftMarginLoss", _W + _RED, "weight")
_loss("MultiMarginLoss", (("p", 1), ("margin", 1.0)) + _W + _RED, "weight")
_NLL = _W + (("size_average", None), ("ignore_index", -100), ("reduce", None),
             ("reduction", "mean"))
_loss("NLLLoss", _NLL, "weight")
_loss("NLLLoss2d", _NLL, "weight")
_loss("CrossEntropyLoss", _W + (("size_average", None), ("ignore_index", -100), ("reduce", None),
                                ("reduction", "mean"), ("label_smoothing", 0.0)), "weight")


def _linear_ce(a: Args) -> LayerBuild:
    out_features = a.out_features
    if not isinstance(out_features, (tuple, list)):
        return LayerBuild([], unresolved=[(f"out_features {out_features!s}"
                                          " is not a known tuple")])
    own = _tensor_buffers(a, ("weight",))
    rows = prod(out_features) * a.num_classes
    return LayerBuild(own.tensors, [C("linear", "Linear", in_features=a.in_features,
                                      out_features=rows, bias=a.bias)], own.unresolved)


_add(Layer(
    "LinearCrossEntropyLoss", (("in_features", REQUIRED), ("num_classes", REQUIRED)), _linear_ce,
    behaviour=("reduction", "ignore_index", "label_smoothing", "options"),
    keyword_only=(("out_features", ()), ("bias", False), ("device", None), ("dtype", None),
                  ("reduction", "mean"), ("weight", None), ("ignore_index", None),
                  ("label_smoothing", 0.0), ("options", None)),
))


def _adaptive_log_softmax(a: Args) -> LayerBuild:
    cutoffs = a.cutoffs
    if not isinstance(cutoffs, (tuple, list)):
        return LayerBuild([], unresolved=[(f"cutoffs {cutoffs!s} is "
                                          "not a known list")])
    cutoffs = list(cutoffs) + [a.n_classes]
    div = a.div_value
    if isinstance(div, float) and div.is_integer():
        div = int(div)
    if not concrete_int(a.in_features) and not concrete_int(div):
        return LayerBuild([], unresolved=[(f"in_features // "
                                          f"{a.div_value}**i is not an integer formula")])
    n_clusters = len(cutoffs) - 1
    tail = []
    for i in range(n_clusters):
        if concrete_int(a.in_features):
            hidden = int(a.in_features // (a.div_value ** (i + 1)))
        else:
            hidden = a.in_features // (div ** (i + 1))
        out = cutoffs[i + 1] - cutoffs[i]
        tail.append(ChildSpec(str(i), "Sequential", children=(
            C("0", "Linear", in_features=a.in_features, out_features=hidden, bias=False),
            C("1", "Linear", in_features=hidden, out_features=out, bias=False),
        )))
    head = C("head", "Linear", in_features=a.in_features, out_features=cutoffs[0] + n_clusters,
             bias=a.head_bias)
    return LayerBuild([], [head, ChildSpec("tail", "ModuleList", children=tuple(tail))])


_add(Layer(
    "AdaptiveLogSoftmaxWithLoss",
    _sig(("in_features", REQUIRED), ("n_classes", REQUIRED), ("cutoffs", REQUIRED),
         ("div_value", 4.0), ("head_bias", False)),
    _adaptive_log_softmax,
))


# -- third-party parameter-free layers (matched by full class path) ----------------------
# einops' layer wrappers hold no tensors; their pattern/reduction change the computation.

_add(Layer("Rearrange", (("pattern", REQUIRED),), no_tensors, ("pattern",),
           var_keyword="axes_lengths", torch_path="einops.layers.torch.Rearrange"))
_add(Layer("Reduce", (("pattern", REQUIRED), ("reduction", REQUIRED)), no_tensors,
           ("pattern", "reduction"), var_keyword="axes_lengths",
           torch_path="einops.layers.torch.Reduce"))
