"""The layer catalog: torch.nn layers as data.

One `Layer` per torch layer: its constructor signature (names and defaults in
torch's order), the function from bound arguments to its parameters, buffers
and child modules, and the arguments that change what it computes without
changing shapes (for WL206). The interpreter binds a call's arguments with
`Layer.bind` and asks `Layer.build` for the tensors; it never branches on a
layer name.

Argument values are whatever the interpreter holds: ints, floats, bools,
None, strings, tuples, `Sym` for unknown integers, or opaque objects
(unknown values, module instances). A shape dimension is an int or a `Sym`.
A `when` that is not a plain bool (e.g. a symbolic `bias`) makes the tensor
conditional; the interpreter decides what to do with it.

The tests enumerate `CATALOG` and check every entry against the real torch
layer built on the `meta` device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

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
    shape: Optional[Tuple[Dim, ...]]  # None: cannot be computed from the arguments
    kind: str = "parameter"  # "parameter" | "buffer"
    persistent: bool = True
    when: Any = True  # True/False, or an unknown truth value -> conditional tensor


@dataclass(frozen=True)
class ChildSpec:
    """A submodule a layer registers on itself.

    Either a catalog layer built from `layer` and `args`, or a copy of a module
    value passed by the caller (`from_value`, e.g. TransformerEncoder's
    `encoder_layer`, deep-copied into `layers.0` ... `layers.{n-1}`).
    """

    name: str
    layer: Optional[str] = None
    args: Mapping[str, Any] = field(default_factory=dict)
    from_value: Any = None
    when: Any = True


@dataclass(frozen=True)
class LayerBuild:
    tensors: List[TensorSpec]
    children: List[ChildSpec] = field(default_factory=list)
    unresolved: List[str] = field(default_factory=list)


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
    signature: Tuple[Tuple[str, Any], ...]  # (name, default or REQUIRED), torch's order
    build_fn: BuildFn
    behaviour: Tuple[str, ...] = ()  # shape-neutral args that change the computation (WL206)
    keyword_only: Tuple[Tuple[str, Any], ...] = ()
    lazy: bool = False
    var_positional: Optional[str] = None  # e.g. Upsample has none; kept for completeness

    def bind(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Args:
        """Bind a call like Python would; raises TypeError on a bad call."""
        names = [n for n, _ in self.signature]
        if len(args) > len(names):
            raise TypeError(f"{self.name}() takes {len(names)} positional arguments")
        bound: Dict[str, Any] = dict(zip(names, args))
        kw_names = {n for n, _ in self.keyword_only}
        for key, value in kwargs.items():
            if key in bound:
                raise TypeError(f"{self.name}() got multiple values for {key!r}")
            if key not in names and key not in kw_names and key not in ("device", "dtype"):
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r}")
            bound[key] = value
        for name, default in self.signature + self.keyword_only:
            if name not in bound:
                if default is REQUIRED:
                    raise TypeError(f"{self.name}() missing required argument {name!r}")
                bound[name] = default
        return Args(bound)

    def build(self, bound: Args) -> LayerBuild:
        return self.build_fn(bound)


CATALOG: Dict[str, Layer] = {}


def lookup(name: str) -> Optional[Layer]:
    """The catalog entry for a torch.nn class name (`Linear`), or None."""
    return CATALOG.get(name)


def _add(layer: Layer) -> None:
    if layer.name in CATALOG:
        raise ValueError(f"duplicate catalog entry {layer.name}")
    CATALOG[layer.name] = layer


# -- helpers for the formulas ------------------------------------------------------


def ntuple(value: Any, n: int) -> Tuple[Any, ...]:
    """torch's _ntuple: an int (or symbol) repeated n times, a sequence kept."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return tuple([value] * n)


def prod(values: Iterable[Any]) -> Any:
    result: Any = 1
    for v in values:
        result = result * v
    return result


def P(name: str, *shape: Dim, when: Any = True) -> TensorSpec:
    return TensorSpec(name, tuple(shape), "parameter", True, when)


def B(name: str, *shape: Dim, when: Any = True, persistent: bool = True) -> TensorSpec:
    return TensorSpec(name, tuple(shape), "buffer", persistent, when)


def no_tensors(_: Args) -> LayerBuild:
    return LayerBuild([])


# -- entries ---------------------------------------------------------------------

_add(Layer(
    "Linear",
    (("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True)),
    lambda a: LayerBuild([
        P("weight", a.out_features, a.in_features),
        P("bias", a.out_features, when=a.bias),
    ]),
))


def _conv_build(dims: int, transposed: bool) -> BuildFn:
    def build(a: Args) -> LayerBuild:
        kernel = ntuple(a.kernel_size, dims)
        if transposed:
            weight = (a.in_channels, a.out_channels // a.groups, *kernel)
        else:
            weight = (a.out_channels, a.in_channels // a.groups, *kernel)
        return LayerBuild([P("weight", *weight), P("bias", a.out_channels, when=a.bias)])

    return build


_CONV_BEHAVIOUR = ("stride", "padding", "dilation", "padding_mode")
for _dims in (1, 2, 3):
    _add(Layer(
        f"Conv{_dims}d",
        (("in_channels", REQUIRED), ("out_channels", REQUIRED), ("kernel_size", REQUIRED),
         ("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True),
         ("padding_mode", "zeros")),
        _conv_build(_dims, transposed=False),
        behaviour=_CONV_BEHAVIOUR,
    ))


def _batchnorm_build(a: Args) -> LayerBuild:
    return LayerBuild([
        P("weight", a.num_features, when=a.affine),
        P("bias", a.num_features, when=a.affine),
        B("running_mean", a.num_features, when=a.track_running_stats),
        B("running_var", a.num_features, when=a.track_running_stats),
        B("num_batches_tracked", when=a.track_running_stats),
    ])


for _dims in (1, 2, 3):
    _add(Layer(
        f"BatchNorm{_dims}d",
        (("num_features", REQUIRED), ("eps", 1e-5), ("momentum", 0.1), ("affine", True),
         ("track_running_stats", True)),
        _batchnorm_build,
        behaviour=("eps", "momentum"),
    ))

_add(Layer("ReLU", (("inplace", False),), no_tensors))
_add(Layer("Dropout", (("p", 0.5), ("inplace", False)), no_tensors, behaviour=("p",)))
