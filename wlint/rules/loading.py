"""Loading rules: WL101 (no map_location), WL102 (unsafe weights_only),
WL106 (hard-coded accelerator in map_location)."""

from __future__ import annotations

import ast
import re
from typing import Dict, Iterator, NamedTuple, Optional

from wlint.codes import CodeDoc
from wlint.rules.base import (
    MISSING,
    UNKNOWN,
    Context,
    Hit,
    Rule,
    argument,
    documented,
    is_false,
    is_none,
)
from wlint.rules.names import CallSite


class LoadSignature(NamedTuple):
    """Where a loader takes its arguments, and since which torch omitting
    `weights_only` is safe (None: never, the default stays False)."""

    map_location: int
    weights_only: Optional[int]  # positional index; -1 keyword-only; None: no such parameter
    pickle_module: Optional[int]
    safe_default_since: Optional[tuple]


LOADERS: Dict[str, LoadSignature] = {
    "torch.load": LoadSignature(1, -1, 2, (2, 6)),
    "torch.jit.load": LoadSignature(1, None, None, None),
    "torch.hub.load_state_dict_from_url": LoadSignature(2, 6, None, None),
}

def loader(site: CallSite, ctx: Context) -> Optional[LoadSignature]:
    name = ctx.callee(site)
    return LOADERS.get(name) if name else None


def map_location_arg(site: CallSite, sig: LoadSignature) -> object:
    return argument(site.node, "map_location", sig.map_location)


def weights_only_arg(site: CallSite, sig: LoadSignature) -> object:
    position = sig.weights_only if sig.weights_only is not None and sig.weights_only >= 0 else None
    return argument(site.node, "weights_only", position)


def pickle_module_arg(site: CallSite, sig: LoadSignature) -> object:
    if sig.pickle_module is None:
        return MISSING
    return argument(site.node, "pickle_module", sig.pickle_module)


@documented
class MapLocationMissing(Rule):
    doc = CodeDoc(
        code="WL101", name="load-without-map-location", severity="warning",
        summary="torch.load / torch.jit.load / load_state_dict_from_url without map_location.",
        why=("Tensors are restored onto the device they were saved from: a checkpoint written on "
             "a GPU fails on a CPU-only machine ('Attempting to deserialize object on a CUDA "
             "device but torch.cuda.is_available() is False') or lands on the wrong GPU. "
             "map_location given positionally counts; an explicit map_location=None is the "
             "default and is reported. A call that forwards **kwargs (or *args covering the "
             "position) may carry map_location, so it is not reported."),
        bad='state = torch.load("ckpt.pt")',
        good='state = torch.load("ckpt.pt", map_location="cpu")',
    )

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        sig = loader(site, ctx)
        if sig is None or (not site.node.args and not site.node.keywords):
            return
        value = map_location_arg(site, sig)
        if value is MISSING:
            yield self.hit(site, f"{ctx.callee(site)}() without map_location: a checkpoint "
                                 "saved on GPU fails to load on a CPU-only machine "
                                 "(pass map_location=\"cpu\")")
        elif is_none(value):
            yield self.hit(site, f"{ctx.callee(site)}() with map_location=None restores tensors "
                                 "to the device they were saved on (pass map_location=\"cpu\")")


@documented
class UnsafeWeightsOnly(Rule):
    doc = CodeDoc(
        code="WL102", name="load-without-weights-only", severity="warning",
        summary=("torch.load with weights_only=False, or without weights_only while the target "
                 "torch is below 2.6 (or unset); load_state_dict_from_url without weights_only."),
        why=("Without weights_only=True, torch.load unpickles arbitrary objects: opening an "
             "untrusted checkpoint runs its code. torch >= 2.6 defaults to weights_only=True, so "
             "with `target-torch = \"2.6\"` (or later) a missing argument is fine, unless "
             "pickle_module is passed (then the default stays False). weights_only=False is "
             "always reported. A non-literal value (weights_only=trusted) cannot be judged and "
             "is not reported; neither is a call forwarding **kwargs, which may carry it. "
             "load_state_dict_from_url defaults to weights_only=False in every release."),
        bad='state = torch.load(path, map_location="cpu")',
        good='state = torch.load(path, map_location="cpu", weights_only=True)',
    )

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        sig = loader(site, ctx)
        if sig is None or sig.weights_only is None or (not site.node.args and not site.node.keywords):
            return
        name = ctx.callee(site)
        value = weights_only_arg(site, sig)
        if is_false(value):
            yield self.hit(site, f"{name}() with weights_only=False unpickles arbitrary "
                                 "objects: loading an untrusted file runs its code")
            return
        if value is not MISSING:
            return
        if sig.safe_default_since is None:
            yield self.hit(site, f"{name}() without weights_only=True unpickles arbitrary "
                                 "objects in every torch release (its default stays False): "
                                 "pass weights_only=True")
            return
        pickle_module = pickle_module_arg(site, sig)
        if pickle_module is UNKNOWN:
            return
        if pickle_module is not MISSING and not is_none(pickle_module):
            yield self.hit(site, f"{name}() with pickle_module= unpickles arbitrary objects "
                                 "with it on every torch version, and torch refuses "
                                 "weights_only=True next to pickle_module: load only files you "
                                 "trust, or drop pickle_module and load with weights_only=True")
            return
        target = ctx.target
        if target.version is None or target.version < sig.safe_default_since:
            hint = (' (or set target-torch = "2.6" if the project requires it)'
                    if target.version is None else "")
            yield self.hit(site, f"{name}() without weights_only=True unpickles arbitrary "
                                 f"objects on {target.describe()}: pass weights_only=True"
                                 f"{hint}")


_ACCELERATOR = re.compile(r"^(cuda|mps|xpu|hpu|npu|mtia|xla)(:\d+)?$")


def _accelerator_literal(node: object, site: CallSite, ctx: Context) -> Optional[str]:
    """'cuda:0' for `"cuda:0"` or `torch.device("cuda", 0)`; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if _ACCELERATOR.match(node.value) else None
    if isinstance(node, ast.Call) and node.args and not node.keywords:
        first = node.args[0]
        if (isinstance(first, ast.Constant) and isinstance(first.value, str)
                and _ACCELERATOR.match(first.value)
                and ctx.info.qualname(node.func, site.scope) == "torch.device"):
            return first.value
    return None


@documented
class HardCodedAccelerator(Rule):
    doc = CodeDoc(
        code="WL106", name="hard-coded-map-location", severity="warning",
        summary='map_location hard-codes an accelerator ("cuda", "cuda:0", torch.device("cuda")).',
        why=("The checkpoint then loads only on machines with that device: CPU-only CI, laptops "
             "and inference boxes fail ('Attempting to deserialize object on a CUDA device'), "
             "and every rank of a multi-GPU job piles onto cuda:0. Computed devices "
             "(f\"cuda:{rank}\", a variable) are not reported."),
        bad='state = torch.load(path, map_location="cuda:0", weights_only=True)',
        good='state = torch.load(path, map_location="cpu", weights_only=True)\n'
             'model.load_state_dict(state); model.to(device)',
    )

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        sig = loader(site, ctx)
        if sig is None:
            return
        device = _accelerator_literal(map_location_arg(site, sig), site, ctx)
        if device is not None:
            yield self.hit(site, f"{ctx.callee(site)}() with map_location hard-coded to "
                                 f"{device!r}: fails on machines without that device "
                                 "(load to \"cpu\", then move the model)")


RULES = [MapLocationMissing(), UnsafeWeightsOnly(), HardCodedAccelerator()]
