"""Truth test for the layer catalog: every entry against the real torch layer.

For each catalog entry, several argument sets are bound and built by the
catalog (children expanded recursively through the catalog) and compared with
the `state_dict()` of the real torch layer instantiated on the `meta` device:
ordered keys, shapes and parameter-vs-buffer kind. Signatures are compared
with `inspect.signature` of the torch class.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from typing import Any, Optional

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from wlint.model import layers  # noqa: E402
from wlint.model.layers import (  # noqa: E402
    CATALOG,
    REQUIRED,
    ChildSpec,
    Cond,
    FunctionRef,
    LayerCall,
    lookup,
)
from wlint.model.symbolic import Sym  # noqa: E402

# -- argument markers: the same call, spelled for torch and for the catalog --------------


class M:
    """A module argument: a torch module for torch, a `LayerCall` for the catalog."""

    def __init__(self, layer: str, **kwargs: Any) -> None:
        self.layer = layer
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"M({self.layer}, {self.kwargs})"


class T:
    """A tensor argument: a meta tensor for torch, an object with `.shape` for the catalog."""

    def __init__(self, *shape: int) -> None:
        self.shape = shape

    def __repr__(self) -> str:
        return f"T{self.shape}"


class Fn:
    """A torch function argument (e.g. `activation=F.gelu`)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"Fn({self.path})"


def A(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return args, kwargs


def _resolve_path(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def for_torch(value: Any) -> Any:
    if isinstance(value, M):
        kwargs = {k: for_torch(v) for k, v in value.kwargs.items()}
        return torch_class(value.layer)(**kwargs)
    if isinstance(value, T):
        return torch.ones(value.shape)
    if isinstance(value, Fn):
        return _resolve_path(value.path)
    if isinstance(value, (list, tuple)):
        return type(value)(for_torch(v) for v in value)
    return value


def for_catalog(value: Any) -> Any:
    if isinstance(value, M):
        return LayerCall(value.layer, {k: for_catalog(v) for k, v in value.kwargs.items()})
    if isinstance(value, Fn):
        return FunctionRef(value.path)
    if isinstance(value, (list, tuple)):
        return type(value)(for_catalog(v) for v in value)
    return value  # T has a `.shape`, which is all the catalog reads


def torch_class(name: str) -> Any:
    """The real class; third-party entries (einops) skip when the package is absent."""
    layer = lookup(name)
    assert layer is not None, name
    if not layer.qualname.startswith("torch."):
        pytest.importorskip(layer.qualname.rpartition(".")[0])
    return _resolve_path(layer.qualname)


# -- the argument sets ---------------------------------------------------------------------

ArgSet = tuple[tuple[Any, ...], dict[str, Any]]
ARGSETS: dict[str, list[ArgSet]] = {}


def argsets(*names: str, sets: list[ArgSet]) -> None:
    for name in names:
        ARGSETS.setdefault(name, []).extend(sets)


argsets("Linear", "NonDynamicallyQuantizableLinear", sets=[
    A(5, 10), A(in_features=3, out_features=7), A(4, 6, False), A(4, 6, bias=False),
    A(2, 3, bias=1), A(2, 3, device="meta", dtype=None)])
argsets("Bilinear", sets=[A(3, 4, 5), A(3, 4, 5, False), A(in1_features=2, in2_features=6,
                                                          out_features=1, bias=True)])
argsets("Identity", sets=[A(), A(3, 4, foo=1), A(bar="x")])
argsets("Rearrange", sets=[A("b c h w -> b (c h w)"), A("b (h p) c -> b h p c", p=2),
                          A(pattern="b n (h d) -> b h n d", h=4)])
argsets("Reduce", sets=[A("b c h w -> b c", "mean"), A("b c (h h2) w -> b c h w", "max", h2=2),
                       A(pattern="b n d -> b d", reduction="sum")])
argsets("LazyLinear", sets=[A(3), A(5, False), A(out_features=7, bias=False)])
for _d in (1, 2, 3):
    argsets(f"Conv{_d}d", sets=[
        A(3, 8, 3), A(4, 8, 3, 2, 1, 1, 2, False), A(in_channels=6, out_channels=9, kernel_size=2,
                                                     groups=3, padding="same"),
        A(2, 4, tuple(range(2, 2 + _d)), stride=2, bias=False, padding_mode="reflect"),
        A(8, 8, 3, groups=8, dilation=2)])
    argsets(f"ConvTranspose{_d}d", sets=[
        A(3, 8, 3), A(4, 8, 3, 2, 1, 1, 2, False), A(in_channels=6, out_channels=9, kernel_size=2,
                                                     groups=3, bias=False),
        A(2, 4, tuple(range(2, 2 + _d)), stride=2, output_padding=1, dilation=1),
        A(8, 16, 3, groups=4, dilation=2, padding=1)])
    argsets(f"LazyConv{_d}d", sets=[A(8, 3), A(8, 3, bias=False), A(out_channels=4, kernel_size=2,
                                                                      groups=2)])
    argsets(f"LazyConvTranspose{_d}d", sets=[A(8, 3), A(8, 3, bias=False),
                                             A(out_channels=4, kernel_size=2, output_padding=0)])
    for _norm in ("BatchNorm", "InstanceNorm"):
        argsets(f"{_norm}{_d}d", sets=[
            A(4), A(5, 1e-3, 0.2, False), A(6, affine=True, track_running_stats=False),
            A(num_features=3, affine=False, track_running_stats=True),
            A(7, 1e-5, None, True, True), A(8, affine=True, bias=False),
            A(8, affine=True, track_running_stats=True, bias=False)])
    for _norm in ("LazyBatchNorm", "LazyInstanceNorm"):
        argsets(f"{_norm}{_d}d", sets=[
            A(), A(1e-3, 0.2, False), A(affine=True, track_running_stats=False),
            A(affine=False, track_running_stats=False), A(bias=False),
            A(eps=1e-4, affine=False, track_running_stats=True)])
argsets("SyncBatchNorm", sets=[A(4), A(5, 1e-3, 0.2, False, False), A(6, affine=True, bias=False),
                               A(num_features=3, track_running_stats=False)])
argsets("LayerNorm", sets=[
    A(8), A((4, 5)), A([2, 3, 4], 1e-6, False), A(6, elementwise_affine=True, bias=False),
    A(normalized_shape=(3,), eps=1e-3), A(torch.Size([2, 2])), A(5, 1e-5, True, False)])
argsets("RMSNorm", sets=[A(8), A((4, 5)), A([2, 3], 1e-6, False), A(normalized_shape=6, eps=None),
                         A(7, elementwise_affine=False)])
argsets("GroupNorm", sets=[A(2, 8), A(4, 8, 1e-3, False), A(num_groups=3, num_channels=6,
                                                             bias=False), A(1, 5, affine=True)])
argsets("LocalResponseNorm", sets=[A(3), A(5, 1e-3, 0.5, 2.0), A(size=2, k=3.0)])
argsets("CrossMapLRN2d", sets=[A(3), A(5, 1e-3, 0.5, 2), A(size=2, k=3)])
argsets("Embedding", sets=[
    A(10, 4), A(10, 4, 0), A(num_embeddings=7, embedding_dim=3, padding_idx=-1, max_norm=1.0),
    A(5, 2, None, None, 2.0, False, True), A(6, 3, _weight=T(6, 3)),
    A(6, 3, _weight=T(6, 3), _freeze=True), A(4, 4, scale_grad_by_freq=True)])
argsets("EmbeddingBag", sets=[
    A(10, 4), A(10, 4, 1.0, 2.0, False, "sum"), A(num_embeddings=7, embedding_dim=3, mode="max"),
    A(6, 3, _weight=T(6, 3)), A(5, 2, include_last_offset=True, padding_idx=0)])
argsets("RNN", sets=[
    A(4, 8), A(4, 8, 2), A(4, 8, 2, "relu", False), A(input_size=3, hidden_size=5, num_layers=3,
                                                      bidirectional=True),
    A(4, 6, 2, "tanh", True, True, 0.1, True), A(2, 3, bias=False, bidirectional=True)])
argsets("LSTM", sets=[
    A(4, 8), A(4, 8, 2), A(4, 8, 2, False), A(input_size=3, hidden_size=5, num_layers=3,
                                             bidirectional=True),
    A(4, 8, 2, True, False, 0.0, True, 3), A(4, 8, proj_size=2), A(4, 8, 3, proj_size=5,
                                                                   bias=False),
    A(5, 7, 2, bidirectional=True, proj_size=4, batch_first=True)])
argsets("GRU", sets=[
    A(4, 8), A(4, 8, 2), A(4, 8, 2, False), A(input_size=3, hidden_size=5, num_layers=3,
                                             bidirectional=True),
    A(4, 8, 2, True, False, 0.0, True), A(2, 3, bias=False, bidirectional=True)])
argsets("RNNCell", sets=[A(4, 8), A(4, 8, False, "relu"), A(input_size=3, hidden_size=2,
                                                            nonlinearity="tanh")])
argsets("LSTMCell", "GRUCell", sets=[A(4, 8), A(4, 8, False), A(input_size=3, hidden_size=2,
                                                                   bias=True)])
argsets("MultiheadAttention", sets=[
    A(8, 2), A(8, 2, 0.1, False), A(embed_dim=8, num_heads=4, kdim=4, vdim=6),
    A(8, 2, kdim=8, vdim=8), A(8, 2, kdim=3), A(8, 2, vdim=5, bias=False),
    A(8, 2, 0.0, True, True), A(8, 1, add_bias_kv=True, bias=False, kdim=2, vdim=2),
    A(6, 3, 0.0, True, False, True, None, None, True)])
_TLAYER_SETS = [
    A(8, 2), A(8, 2, 16), A(8, 2, 16, 0.0, "gelu", 1e-6, True, True, False),
    A(d_model=8, nhead=4, dim_feedforward=12, bias=False), A(8, 2, activation=Fn(
        "torch.nn.functional.gelu")),
    A(8, 2, activation=M("GELU")), A(8, 2, 4, activation=M("PReLU", num_parameters=3)),
    A(8, 2, norm_first=True, batch_first=True)]
argsets("TransformerEncoderLayer", "TransformerDecoderLayer", sets=_TLAYER_SETS)
argsets("TransformerEncoder", sets=[
    A(M("TransformerEncoderLayer", d_model=8, nhead=2, dim_feedforward=16), 2),
    A(M("TransformerEncoderLayer", d_model=8, nhead=2), 3, M("LayerNorm", normalized_shape=8)),
    A(encoder_layer=M("TransformerEncoderLayer", d_model=4, nhead=1, bias=False), num_layers=1,
      norm=M("LayerNorm", normalized_shape=4, bias=False), enable_nested_tensor=False),
    A(M("Linear", in_features=3, out_features=4), 2, None, False)])
argsets("TransformerDecoder", sets=[
    A(M("TransformerDecoderLayer", d_model=8, nhead=2, dim_feedforward=16), 2),
    A(M("TransformerDecoderLayer", d_model=8, nhead=2), 3, M("LayerNorm", normalized_shape=8)),
    A(decoder_layer=M("TransformerDecoderLayer", d_model=4, nhead=1, bias=False), num_layers=1,
      norm=M("RMSNorm", normalized_shape=4))])
argsets("Transformer", sets=[
    A(16, 2, 1, 1, 32), A(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=3,
                          dim_feedforward=8, bias=False),
    A(8, 2, 1, 2, 8, 0.0, "gelu", norm_first=True),
    A(8, 2, 1, 1, 8, activation=M("PReLU", num_parameters=2)),
    A(8, 2, 1, 1, 8, custom_encoder=M("Linear", in_features=8, out_features=2)),
    A(8, 2, 2, 1, 8, custom_decoder=M("TransformerDecoder", decoder_layer=M(
        "TransformerDecoderLayer", d_model=8, nhead=2, dim_feedforward=4), num_layers=1))])
argsets("DataParallel", sets=[
    A(M("Linear", in_features=3, out_features=4)),
    A(M("TransformerEncoderLayer", d_model=4, nhead=1), None, None, 1),
    A(module=M("ReLU"), dim=0)])
argsets("PReLU", sets=[A(), A(3), A(num_parameters=5, init=0.1), A(1, 0.5)])
argsets("LinearCrossEntropyLoss", sets=[
    A(4, 3), A(4, 3, out_features=(2, 5), bias=True), A(in_features=6, num_classes=2,
                                                        weight=T(2)),
    A(4, 3, out_features=(2,), weight=T(3), reduction="sum")])
argsets("AdaptiveLogSoftmaxWithLoss", sets=[
    A(16, 20, [5, 10]), A(16, 20, [5, 10], 2.0, True), A(in_features=33, n_classes=50,
                                                         cutoffs=(10, 20, 40), div_value=3.0),
    A(16, 12, [4], div_value=2, head_bias=True), A(10, 9, [3, 6], 1.5)])

# parameter-free layers: required arguments and a few variations
for _name in ("Tanh", "Sigmoid", "LogSigmoid", "Softsign", "Tanhshrink", "Softmax2d"):
    argsets(_name, sets=[A()])
for _name in ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish"):
    argsets(_name, sets=[A(), A(True), A(inplace=False)])
argsets("ELU", "CELU", sets=[A(), A(0.5), A(alpha=2.0, inplace=True)])
argsets("LeakyReLU", sets=[A(), A(0.2), A(negative_slope=0.1, inplace=True)])
argsets("RReLU", sets=[A(), A(0.1, 0.2), A(lower=0.01, upper=0.5, inplace=False)])
argsets("GELU", sets=[A(), A("tanh"), A(approximate="none")])
argsets("GLU", sets=[A(), A(1), A(dim=0)])
argsets("Hardshrink", "Softshrink", sets=[A(), A(0.1), A(lambd=0.3)])
argsets("Softplus", sets=[A(), A(2.0), A(beta=1.0, threshold=10.0)])
argsets("Threshold", sets=[A(0.1, 20.0), A(threshold=0.5, value=0.0, inplace=True)])
argsets("Hardtanh", sets=[A(), A(-2.0, 2.0), A(min_val=-0.5, max_val=0.5)])
for _name in ("Softmax", "Softmin", "LogSoftmax"):
    argsets(_name, sets=[A(), A(1), A(dim=-1)])
for _name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
              "FeatureAlphaDropout"):
    argsets(_name, sets=[A(), A(0.1), A(p=0.3, inplace=True)])
for _d in (1, 2, 3):
    argsets(f"MaxPool{_d}d", sets=[A(2), A(3, 2, 1, 1, True, True), A(kernel_size=2, stride=1)])
    argsets(f"AvgPool{_d}d", sets=[A(2), A(3, 2, 1, True, False), A(kernel_size=2, stride=1)])
    argsets(f"MaxUnpool{_d}d", sets=[A(2), A(3, 2, 1), A(kernel_size=2, stride=1)])
    argsets(f"LPPool{_d}d", sets=[A(2, 3), A(1.5, 2, 2, True), A(norm_type=2, kernel_size=2)])
    argsets(f"AdaptiveAvgPool{_d}d", sets=[A(1), A(output_size=4)])
    argsets(f"AdaptiveMaxPool{_d}d", sets=[A(1), A(4, True), A(output_size=2)])
    for _kind in ("Reflection", "Replication", "Zero", "Circular"):
        argsets(f"{_kind}Pad{_d}d", sets=[A(1), A(padding=2)])
    argsets(f"ConstantPad{_d}d", sets=[A(1, 0.0), A(padding=2, value=1.5)])
for _d in (2, 3):
    argsets(f"FractionalMaxPool{_d}d", sets=[A(2, output_size=4), A(3, None, 0.5),
                                             A(kernel_size=2, output_ratio=0.5,
                                               return_indices=True),
                                             A(2, 4, _random_samples=T(1, 3, _d)),
                                             A(2, 4, None, False, T(2, 3, _d))])
argsets("AvgPool2d", "AvgPool3d", sets=[A(2, divisor_override=3)])
argsets("Flatten", sets=[A(), A(0, 2), A(start_dim=2)])
argsets("Unflatten", sets=[A(1, (2, 3)), A(dim=0, unflattened_size=[4, 4])])
argsets("PixelShuffle", sets=[A(2), A(upscale_factor=3)])
argsets("PixelUnshuffle", sets=[A(2), A(downscale_factor=3)])
argsets("ChannelShuffle", sets=[A(2), A(groups=4)])
argsets("Upsample", sets=[A(), A(None, 2.0, "bilinear", True), A(size=4, mode="nearest")])
argsets("UpsamplingNearest2d", "UpsamplingBilinear2d", sets=[A(4), A(scale_factor=2)])
argsets("Fold", sets=[A(4, 2), A((4, 5), 2, 1, 0, 1), A(output_size=6, kernel_size=3, stride=2)])
argsets("Unfold", sets=[A(2), A(3, 1, 1, 2), A(kernel_size=(2, 3), padding=1)])
argsets("CosineSimilarity", sets=[A(), A(0, 1e-6), A(dim=2)])
argsets("PairwiseDistance", sets=[A(), A(1.0, 1e-5, True), A(p=3.0)])
for _name in ("L1Loss", "MSELoss", "SoftMarginLoss", "MultiLabelMarginLoss"):
    argsets(_name, sets=[A(), A(reduction="sum"), A(None, None, "none")])
argsets("KLDivLoss", sets=[A(), A(reduction="batchmean", log_target=True)])
argsets("HuberLoss", sets=[A(), A("sum", 2.0)])
argsets("SmoothL1Loss", sets=[A(), A(beta=0.5)])
argsets("HingeEmbeddingLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
        sets=[A(), A(0.5), A(margin=0.2, reduction="sum")])
argsets("TripletMarginLoss", sets=[A(), A(0.5, 1.0, 1e-5, True)])
argsets("TripletMarginWithDistanceLoss", sets=[A(), A(margin=0.5, swap=True)])
argsets("PoissonNLLLoss", sets=[A(), A(False, True), A(eps=1e-6)])
argsets("GaussianNLLLoss", sets=[A(), A(full=True, eps=1e-3)])
argsets("CTCLoss", sets=[A(), A(1, "sum", True)])
argsets("BCELoss", "MultiLabelSoftMarginLoss", sets=[A(), A(T(3)), A(weight=T(4, 2)),
                                                       A(None, reduction="sum")])
argsets("BCEWithLogitsLoss", sets=[A(), A(T(3)), A(pos_weight=T(5)), A(T(2), pos_weight=T(2)),
                                   A(None, None, None, "mean", T(1))])
argsets("MultiMarginLoss", sets=[A(), A(2, 0.5, T(3)), A(weight=T(4))])
argsets("NLLLoss", "NLLLoss2d", sets=[A(), A(T(5)), A(weight=T(3), ignore_index=0)])
argsets("CrossEntropyLoss", sets=[A(), A(T(5)), A(weight=T(3), label_smoothing=0.1)])

CASES = [(name, i) for name in sorted(CATALOG) for i in range(len(ARGSETS.get(name, [])))]


# -- catalog side: bind + build, children expanded through the catalog --------------------

Row = tuple[str, Optional[tuple[int, ...]], str]


def catalog_rows(name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                 prefix: str = "") -> tuple[list[Row], list[str]]:
    layer = lookup(name)
    assert layer is not None, f"{name} is not in the catalog"
    built = layer.build(layer.bind(args, kwargs))
    rows: list[Row] = []
    unresolved = list(built.unresolved)
    seen_buffer = False
    for t in built.tensors:
        assert isinstance(t.when, bool), f"{name}.{t.name}: concrete args gave when={t.when!r}"
        if not t.when:
            continue
        if t.kind == "buffer":
            seen_buffer = True
        else:
            assert not seen_buffer, f"{name}: parameter {t.name} listed after a buffer"
        if t.persistent:
            shape = None if t.shape is None else tuple(t.shape)
            rows.append((prefix + t.name, shape, t.kind))
    for child in built.children:
        child_rows, child_unresolved = child_rows_of(child, prefix + child.name + ".")
        rows += child_rows
        unresolved += child_unresolved
    return rows, unresolved


def child_rows_of(child: ChildSpec, prefix: str) -> tuple[list[Row], list[str]]:
    assert isinstance(child.when, bool), f"{child.name}: when={child.when!r}"
    if not child.when:
        return [], []
    if child.if_module:
        assert child.from_value is not None and child.layer is None
        if not isinstance(child.from_value, LayerCall):
            return [], []
    if child.layer in ("ModuleList", "Sequential"):
        return container_rows(child, prefix)
    assert child.repeat is None and not child.children
    if child.from_value is not None:
        assert child.layer is None
        value = child.from_value
        assert isinstance(value, LayerCall), f"test passes catalog modules only: {value!r}"
        return catalog_rows(value.layer, (), dict(value.args), prefix)
    assert child.layer is not None
    return catalog_rows(child.layer, (), dict(child.args), prefix)


def container_rows(child: ChildSpec, prefix: str) -> tuple[list[Row], list[str]]:
    if child.repeat is None:
        items = [(sub.name, sub) for sub in child.children]
    else:
        assert isinstance(child.repeat, int) and not child.children
        copy = ChildSpec("", from_value=child.from_value)
        items = [(str(i), copy) for i in range(child.repeat)]
    rows: list[Row] = []
    unresolved: list[str] = []
    for name, sub in items:
        r, u = child_rows_of(sub, f"{prefix}{name}.")
        rows += r
        unresolved += u
    return rows, unresolved


# -- torch side -------------------------------------------------------------------------


def torch_module(name: str, args: tuple[Any, ...]) -> Any:
    with torch.device("meta"):
        return torch_class(name)(*args)


def torch_rows(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Row]:
    cls = torch_class(name)
    with torch.device("meta"):
        module = cls(*for_torch(args), **{k: for_torch(v) for k, v in kwargs.items()})
    params = {k for k, _ in module.named_parameters(remove_duplicate=False)}
    buffers = {k for k, _ in module.named_buffers(remove_duplicate=False)}
    rows: list[Row] = []
    for key, value in module.state_dict(keep_vars=True).items():
        kind = "parameter" if key in params else "buffer"
        assert key in params or key in buffers
        uninitialized = isinstance(value, nn.parameter.UninitializedTensorMixin)
        rows.append((key, None if uninitialized else tuple(value.shape), kind))
    return rows


@pytest.mark.parametrize("name,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_catalog_matches_torch_state_dict(name: str, index: int) -> None:
    args, kwargs = ARGSETS[name][index]
    expected = torch_rows(name, args, kwargs)
    got, unresolved = catalog_rows(name, for_catalog(args),
                                   {k: for_catalog(v) for k, v in kwargs.items()})
    assert got == expected
    lazy_tensors = any(shape is None for _, shape, _ in got)
    if lazy_tensors:
        assert lookup(name).lazy and unresolved, "uninitialized tensors must be reported"
    else:
        assert not unresolved


def test_every_entry_has_argument_sets() -> None:
    missing = sorted(name for name in CATALOG if not ARGSETS.get(name))
    assert not missing, f"catalog entries without argument sets: {missing}"
    unknown = sorted(set(ARGSETS) - set(CATALOG))
    assert not unknown, f"argument sets for layers outside the catalog: {unknown}"


def test_every_entry_is_checked_with_several_argument_sets() -> None:
    for name in CATALOG:
        layer = lookup(name)
        assert layer is not None
        if layer.signature or layer.keyword_only or layer.var_positional:
            assert len(ARGSETS[name]) >= 2, name


# torch.nn classes deliberately left to the interpreter (containers, wrappers, bases)
NOT_CATALOGUED = {
    "Module", "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "ParameterDict", "RNNBase", "RNNCellBase",
}


def test_catalog_covers_torch_nn() -> None:
    classes = {
        name for name in dir(nn)
        if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.Module)
    }
    missing = sorted(classes - set(CATALOG) - NOT_CATALOGUED)
    assert not missing, f"torch.nn layers missing from the catalog: {missing}"


# -- signatures --------------------------------------------------------------------------


def torch_signature(cls: type) -> inspect.Signature | None:
    """The constructor signature users call, or None for Module.__init__ (no arguments)."""
    if cls.__init__ is nn.Module.__init__:
        return None
    sig = inspect.signature(cls.__init__)
    kinds = {p.kind for p in sig.parameters.values()}
    if inspect.Parameter.VAR_POSITIONAL in kinds and hasattr(typing, "get_overloads"):
        for overload in typing.get_overloads(cls.__init__):
            osig = inspect.signature(overload)
            if all(p.kind != p.VAR_POSITIONAL for p in osig.parameters.values()):
                return osig
    return sig


def normalise_default(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return REQUIRED
    if callable(value) and not isinstance(value, type):
        return FunctionRef(f"{value.__module__}.{value.__name__}")
    return value


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_signature_matches_torch(name: str) -> None:
    layer = lookup(name)
    assert layer is not None
    sig = torch_signature(torch_class(name))
    if sig is None:
        assert (layer.signature, layer.keyword_only) == ((), ())
        assert layer.var_positional is None and layer.var_keyword is None
        return
    params = list(sig.parameters.values())[1:]
    positional = tuple((p.name, normalise_default(p.default)) for p in params
                       if p.kind == p.POSITIONAL_OR_KEYWORD)
    keyword = tuple((p.name, normalise_default(p.default)) for p in params
                    if p.kind == p.KEYWORD_ONLY)
    var_pos = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
    var_kw = next((p.name for p in params if p.kind == p.VAR_KEYWORD), None)
    assert layer.signature == positional
    assert layer.keyword_only == keyword
    assert (layer.var_positional, layer.var_keyword) == (var_pos, var_kw)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_behaviour_names_are_constructor_arguments(name: str) -> None:
    layer = lookup(name)
    assert layer is not None
    names = {n for n, _ in layer.signature + layer.keyword_only}
    assert set(layer.behaviour) <= names
    assert "inplace" not in layer.behaviour
    assert len(set(layer.behaviour)) == len(layer.behaviour)


@pytest.mark.parametrize("name", ["Conv2d", "Dropout", "BatchNorm1d", "MultiheadAttention",
                                  "Upsample", "GELU", "LeakyReLU", "TransformerEncoderLayer",
                                  "LSTM", "LayerNorm", "CrossEntropyLoss"])
def test_behaviour_arguments_are_shape_neutral(name: str) -> None:
    """Changing a behaviour argument never changes the torch state_dict."""
    base = ARGSETS[name][0]
    layer = lookup(name)
    assert layer is not None
    defaults = dict(layer.signature + layer.keyword_only)
    alternatives = {"stride": 2, "padding": 1, "dilation": 2, "padding_mode": "reflect",
                    "eps": 1e-3, "momentum": 0.5, "p": 0.2, "dropout": 0.3, "num_heads": 4,
                    "nhead": 4, "add_zero_attn": True, "batch_first": True, "mode": "bilinear",
                    "align_corners": True, "approximate": "tanh", "negative_slope": 0.3,
                    "activation": "gelu", "layer_norm_eps": 1e-3, "norm_first": True,
                    "scale_factor": 2.0, "size": None, "recompute_scale_factor": None,
                    "size_average": None, "reduce": None, "reduction": "sum",
                    "ignore_index": 3, "label_smoothing": 0.2}
    reference = torch_rows(name, *base)
    tried = 0
    for arg in layer.behaviour:
        args, kwargs = base
        names = [n for n, _ in layer.signature]
        bound = {**defaults, **dict(zip(names, args)), **kwargs}
        if arg not in alternatives or bound.get(arg) == alternatives[arg]:
            continue
        bound[arg] = alternatives[arg]
        if name == "Upsample":
            bound["size"] = None if bound["scale_factor"] is not None else 4
            bound["align_corners"] = True if bound["mode"] == "bilinear" else None
        bound = {k: v for k, v in bound.items() if v is not REQUIRED}
        assert torch_rows(name, (), bound) == reference, arg
        tried += 1
    assert tried


# -- binding -----------------------------------------------------------------------------


@pytest.mark.parametrize("name,args,kwargs", [
    ("Linear", (3,), {}),
    ("Linear", (3, 4, True, None, None, 5), {}),
    ("Linear", (3, 4), {"in_features": 3}),
    ("Linear", (3, 4), {"bogus": 1}),
    ("ReLU", (), {"device": "meta"}),
    ("BatchNorm2d", (4, 1e-5, 0.1, True, True, None, None, False), {}),
    ("Tanh", (1,), {}),
])
def test_bind_rejects_what_torch_rejects(name: str, args: tuple[Any, ...],
                                         kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError), torch.device("meta"):
        torch_class(name)(*args, **kwargs)
    with pytest.raises(TypeError):
        lookup(name).bind(args, kwargs)  # type: ignore[union-attr]


def test_bind_fills_defaults_and_keyword_only() -> None:
    bound = lookup("BatchNorm2d").bind((4,), {"bias": False})  # type: ignore[union-attr]
    assert bound.num_features == 4 and bound.affine is True and bound.bias is False
    ident = lookup("Identity").bind((1, 2), {"x": 3})  # type: ignore[union-attr]
    assert ident["args"] == (1, 2) and ident["kwargs"] == {"x": 3}


# -- symbolic dimensions ------------------------------------------------------------------

d, h, n, k = (Sym.name(s) for s in ("d", "h", "n", "k"))


def build(name: str, *args: Any, **kwargs: Any) -> Any:
    layer = lookup(name)
    assert layer is not None
    return layer.build(layer.bind(args, kwargs))


def shapes(built: Any) -> dict[str, Any]:
    return {t.name: t.shape for t in built.tensors}


def test_linear_symbolic() -> None:
    built = build("Linear", d, 4 * d)
    assert shapes(built) == {"weight": (4 * d, d), "bias": (4 * d,)}
    assert all(isinstance(x, Sym) for x in built.tensors[0].shape)
    assert built.tensors[1].when is True and not built.unresolved


def test_conv_symbolic_groups() -> None:
    built = build("Conv2d", 2 * n, 4 * n, 3, groups=2)
    assert shapes(built)["weight"] == (4 * n, n, 3, 3)
    built = build("ConvTranspose1d", d, 2 * d, k, groups=2)
    assert shapes(built)["weight"] == (d, d, k)


def test_mha_symbolic() -> None:
    built = build("MultiheadAttention", d, h)
    assert shapes(built)["in_proj_weight"] == (3 * d, d)
    whens = {t.name: t.when for t in built.tensors}
    assert whens["in_proj_weight"] is True and whens["q_proj_weight"] is False
    # kdim symbol different from embed_dim: the split projections are conditional
    built = build("MultiheadAttention", d, h, kdim=k)
    whens = {t.name: t.when for t in built.tensors}
    assert isinstance(whens["in_proj_weight"], Cond)
    assert isinstance(whens["k_proj_weight"], Cond)
    assert shapes(built)["k_proj_weight"] == (d, k)
    assert "k" in str(whens["in_proj_weight"]) and "d" in str(whens["in_proj_weight"])
    with pytest.raises(TypeError):
        bool(whens["in_proj_weight"])


def test_rnn_symbolic_sizes_and_unresolved_layers() -> None:
    built = build("LSTM", d, h, 2, bidirectional=True, proj_size=n)
    assert built.unresolved and not built.tensors
    built = build("LSTM", d, h, 2, bidirectional=True)
    s = shapes(built)
    assert s["weight_ih_l0"] == (4 * h, d)
    assert s["weight_ih_l1_reverse"] == (4 * h, 2 * h)
    assert s["weight_hh_l1"] == (4 * h, h)
    built = build("GRU", d, h, n)
    assert built.unresolved and "num_layers" in built.unresolved[0]


def test_layer_norm_symbolic_and_norms() -> None:
    assert shapes(build("LayerNorm", d))["weight"] == (d,)
    assert shapes(build("LayerNorm", (d, 2 * d)))["bias"] == (d, 2 * d)
    assert shapes(build("BatchNorm1d", d * h))["running_var"] == (d * h,)
    assert shapes(build("Embedding", n, d))["weight"] == (n, d)


def test_symbolic_matches_torch_when_evaluated() -> None:
    """A symbolic build evaluated at concrete values equals torch's shapes there."""
    env = {"d": 6, "h": 3}

    def evaluate(dim: Any) -> int:
        if isinstance(dim, int):
            return dim
        total = 0
        for mono, coef in dim.terms.items():
            term = coef
            for atom in mono:
                term *= env[atom]
            total += term
        return total

    for name, sym_args, kwargs in [
        ("Linear", (d, 4 * d), {}),
        ("Bilinear", (d, h, d * h), {}),
        ("LSTM", (d, h, 2), {"bidirectional": True}),
        ("GRUCell", (d + 1, h), {}),
        ("MultiheadAttention", (2 * d, 2), {"add_bias_kv": True}),
        ("Conv3d", (h, 2 * d, (1, 2, d)), {}),
    ]:
        built = build(name, *sym_args, **kwargs)
        got = [(t.name, tuple(evaluate(x) for x in t.shape)) for t in built.tensors
               if t.when is True]
        concrete = tuple(evaluate(a) if isinstance(a, Sym) else
                         tuple(evaluate(x) for x in a) if isinstance(a, tuple) else a
                         for a in sym_args)
        expected = [(key, shape) for key, shape, _ in torch_rows(name, concrete, kwargs)
                    if "." not in key]
        assert got == expected, name


class Unknown:
    """Stands for an interpreter value the catalog cannot see into."""

    def __repr__(self) -> str:
        return "<unknown>"


def test_unknown_values_make_conditions_not_guesses() -> None:
    flag = Unknown()
    built = build("Linear", 3, 4, flag)
    assert built.tensors[1].when is flag
    built = build("BatchNorm1d", 4, affine=flag, bias=False)
    assert {t.name: t.when for t in built.tensors}["bias"] is False
    built = build("BatchNorm1d", 4, affine=flag)
    assert {t.name: t.when for t in built.tensors}["weight"] is flag
    built = build("LayerNorm", 4, elementwise_affine=flag, bias=Unknown())
    assert isinstance(built.tensors[1].when, Cond) and built.tensors[1].when.op == "and"


def test_unknown_dims_become_unresolved_not_crashes() -> None:
    built = build("Linear", Unknown(), 4)
    assert built.unresolved
    assert all(t.shape is None or all(isinstance(x, (int, Sym)) for x in t.shape)
               for t in built.tensors)
    built = build("Conv2d", 3, Unknown(), 3)
    assert built.unresolved
    built = build("Linear", 2.5, 4)
    assert built.unresolved and built.tensors[0].shape is None


@pytest.mark.parametrize("name,args,concrete", [
    ("MultiheadAttention", (Unknown(), 2), (8, 2)),
    ("LSTM", (3, Unknown(), 2), (3, 4, 2)),
    ("GRU", (Unknown(), 5), (3, 5)),
    ("TransformerEncoderLayer", (Unknown(), 2), (8, 2)),
    ("Embedding", (Unknown(), 4), (10, 4)),
    ("GroupNorm", (2, Unknown()), (2, 4)),
    ("Conv1d", (Unknown(), 4, 3), (2, 4, 3)),
])
def test_unknown_dims_keep_their_keys(name: str, args: tuple[Any, ...],
                                      concrete: tuple[Any, ...]) -> None:
    """An opaque dimension loses the shapes it feeds, never the keys."""
    built = build(name, *args)
    own = [(t.name, t.kind) for t in built.tensors if t.when is True]
    expected = [(key, kind) for key, _, kind in torch_rows(name, concrete, {}) if "." not in key]
    assert own == expected
    if built.tensors:
        assert any(t.shape is None for t in built.tensors) and built.unresolved
    else:
        assert [c.name for c in built.children] == [
            k for k, _ in torch_module(name, concrete).named_children()]
    for child in built.children:  # the opaque value, not a placeholder, reaches the children
        for value in child.args.values():
            assert not (isinstance(value, Sym) and "?" in str(value))


def test_unknown_dims_conditions_carry_the_original_values() -> None:
    embed, kdim = Unknown(), Unknown()
    built = build("MultiheadAttention", embed, 2, kdim=kdim)
    when = {t.name: t.when for t in built.tensors}["in_proj_weight"]
    assert isinstance(when, Cond)
    assert "?" not in str(when) and "<unknown>" in str(when)


def test_transformer_encoder_symbolic_layer_count() -> None:
    layer_value = LayerCall("TransformerEncoderLayer", {"d_model": d, "nhead": h})
    built = build("TransformerEncoder", layer_value, n)
    layers_child = built.children[0]
    assert layers_child.name == "layers" and layers_child.repeat == n
    assert layers_child.layer == "ModuleList" and layers_child.from_value is layer_value
    assert len(built.children) == 1  # norm=None registers nothing
    norm = Unknown()
    built = build("TransformerEncoder", layer_value, 2, norm)
    assert built.children[1].if_module and built.children[1].from_value is norm


def test_lazy_layers_are_marked() -> None:
    lazy = sorted(name for name, layer in CATALOG.items() if layer.lazy)
    assert lazy == sorted(name for name in CATALOG if name.startswith("Lazy"))
    for name in lazy:
        assert issubclass(torch_class(name), nn.modules.lazy.LazyModuleMixin)


def test_parameter_free_agrees_with_torch() -> None:
    for name, sets in ARGSETS.items():
        if layers.parameter_free(name):
            for args, kwargs in sets:
                assert torch_rows(name, args, kwargs) == []


# -- randomised agreement for the layers with the most shape logic -----------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def layer_calls(draw: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    kind = draw(st.sampled_from(["conv", "rnn", "mha", "norm", "linear"]))
    small = st.integers(min_value=1, max_value=6)
    if kind == "conv":
        dims = draw(st.sampled_from([1, 2, 3]))
        name = draw(st.sampled_from([f"Conv{dims}d", f"ConvTranspose{dims}d"]))
        groups = draw(st.sampled_from([1, 2, 3]))
        kernel = draw(st.one_of(small, st.tuples(*[small] * dims)))
        return name, (groups * draw(small), groups * draw(small), kernel), {
            "groups": groups, "bias": draw(st.booleans())}
    if kind == "rnn":
        name = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
        hidden = draw(st.integers(min_value=2, max_value=6))
        kwargs = {"num_layers": draw(st.integers(1, 3)), "bias": draw(st.booleans()),
                  "bidirectional": draw(st.booleans())}
        if name == "LSTM":
            kwargs["proj_size"] = draw(st.integers(0, hidden - 1))
        return name, (draw(small), hidden), kwargs
    if kind == "mha":
        heads = draw(st.sampled_from([1, 2]))
        embed = heads * draw(small)
        return "MultiheadAttention", (embed, heads), {
            "bias": draw(st.booleans()), "add_bias_kv": draw(st.booleans()),
            "kdim": draw(st.one_of(st.none(), st.just(embed), small)),
            "vdim": draw(st.one_of(st.none(), st.just(embed), small))}
    if kind == "norm":
        name = draw(st.sampled_from(["BatchNorm2d", "InstanceNorm1d", "GroupNorm", "LayerNorm"]))
        if name == "GroupNorm":
            g = draw(small)
            return name, (g, g * draw(small)), {"affine": draw(st.booleans()),
                                                "bias": draw(st.booleans())}
        if name == "LayerNorm":
            shape = draw(st.one_of(small, st.lists(small, min_size=1, max_size=3)))
            return name, (shape,), {"elementwise_affine": draw(st.booleans()),
                                    "bias": draw(st.booleans())}
        return name, (draw(small),), {"affine": draw(st.booleans()),
                                      "track_running_stats": draw(st.booleans()),
                                      "bias": draw(st.booleans())}
    return draw(st.sampled_from(["Linear", "Bilinear"])), (), {}


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(layer_calls())
def test_random_calls_match_torch(call: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
    name, args, kwargs = call
    if not args and not kwargs:
        args = (3, 4) if name == "Linear" else (2, 3, 4)
    got, unresolved = catalog_rows(name, args, kwargs)
    assert got == torch_rows(name, args, kwargs) and not unresolved


def test_symbolic_containers_and_loss_layers() -> None:
    built = build("AdaptiveLogSoftmaxWithLoss", d, 20, [5, 10], 2)
    head, tail = built.children
    assert head.args["in_features"] == d and head.args["out_features"] == 7
    assert tail.layer == "ModuleList" and [c.name for c in tail.children] == ["0", "1"]
    first = tail.children[0].children
    assert first[0].args["out_features"] == d // 2 and first[1].args["in_features"] == d // 2
    assert tail.children[1].children[0].args["out_features"] == d // 4
    # a non-integral divisor cannot be a symbolic formula
    assert build("AdaptiveLogSoftmaxWithLoss", d, 20, [5, 10], 1.5).unresolved
    built = build("LinearCrossEntropyLoss", d, n, out_features=(2, 3), bias=True)
    (linear,) = built.children
    assert linear.args["out_features"] == 6 * n and linear.args["in_features"] == d
    built = build("CrossEntropyLoss", Unknown())
    assert built.tensors[0].shape is None and built.unresolved


PROBE_SHAPES = [(3,), (2, 3), (1, 3, 2), (1, 3, 3), (10, 4)]
MODULE_OR_FACTORY_ARGS = {"device", "dtype", "custom_encoder", "custom_decoder", "norm"}


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_tensor_valued_arguments_are_predicted(name: str) -> None:
    """Probe every `None`-default argument with a tensor: whatever torch then
    registers (a loss `weight`, `_random_samples`) the catalog predicts too."""
    layer = lookup(name)
    assert layer is not None
    base_args, base_kwargs = ARGSETS[name][0]
    for arg, default in layer.signature + layer.keyword_only:
        if default is not None or arg in base_kwargs or arg in MODULE_OR_FACTORY_ARGS:
            continue
        if arg in [n for n, _ in layer.signature][: len(base_args)]:
            continue
        for shape in PROBE_SHAPES:
            kwargs = {**base_kwargs, arg: T(*shape)}
            try:
                expected = torch_rows(name, base_args, kwargs)
            except Exception:  # torch rejects a tensor here: nothing to probe
                continue
            got, _ = catalog_rows(name, for_catalog(base_args),
                                  {k: for_catalog(v) for k, v in kwargs.items()})
            assert got == expected, (arg, shape)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_boolean_flag_flipped_matches_torch(name: str) -> None:
    """Flip each bool argument of every entry (one at a time, from each argument
    set): flags that add or drop tensors (bias, affine, ...) cannot be missed."""
    layer = lookup(name)
    assert layer is not None
    flags = [n for n, default in layer.signature + layer.keyword_only
             if isinstance(default, bool)]
    for base_args, base_kwargs in ARGSETS[name]:
        positional = [n for n, _ in layer.signature][: len(base_args)]
        bound = layer.bind(for_catalog(base_args), {k: for_catalog(v)
                                                    for k, v in base_kwargs.items()})
        for flag in flags:
            if flag in positional:
                continue
            kwargs = {**base_kwargs, flag: not bound[flag]}
            try:
                expected = torch_rows(name, base_args, kwargs)
            except Exception:  # torch rejects this combination
                continue
            got, _ = catalog_rows(name, for_catalog(base_args),
                                  {k: for_catalog(v) for k, v in kwargs.items()})
            assert got == expected, flag


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_bind_rejects_extra_or_unknown_arguments_like_torch(name: str) -> None:
    layer = lookup(name)
    assert layer is not None
    if layer.var_positional is not None:
        return
    args, kwargs = ARGSETS[name][0]
    names = [n for n, _ in layer.signature]
    full = {**dict(zip(names, args)), **kwargs}
    too_many = tuple(full.get(n, default) for n, default in layer.signature) + (1,)
    calls = [(too_many, {})]
    if layer.var_keyword is None:  # `**axes_lengths` takes any keyword
        calls.append((args, {**kwargs, "no_such_argument": 1}))
    for call_args, call_kwargs in calls:
        with pytest.raises(TypeError):
            torch_rows(name, for_torch(call_args), call_kwargs)
        with pytest.raises(TypeError):
            layer.bind(for_catalog(call_args), call_kwargs)
