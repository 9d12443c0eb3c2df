"""Where the state_dict sits inside a checkpoint's top object.

Training checkpoints nest it (`{"model": sd, "optimizer": ..., "epoch": 3}`,
`state_dict`, `model_state_dict`, `module`, `ema`, Lightning's `state_dict`);
the chosen dict is the one with the most tensors under string keys, ties
going to the conventional names (in PREFERRED order), then to the shallower
and earlier one. A whole pickled nn.Module (`torch.save(model)`) is
recognised by its `_parameters` / `_buffers` / `_modules` state and its
state_dict is rebuilt from that state the way `Module.state_dict()` walks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from wlint.checkpoint.values import ODict, Opaque, TensorRef

# classes whose `_version` is 2 (torch.nn's _NormBase family): a pickled module of one
# of them saves `version: 2` in its state_dict's metadata
VERSION_2_CLASSES = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm",
                     "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")

PREFERRED = ("state_dict", "model_state_dict", "model", "module", "net", "network",
             "model_state", "params", "weights", "ema", "model_ema", "ema_model")
MAX_DEPTH = 8
MODULE_STATE = ("_parameters", "_buffers", "_modules")


@dataclass
class Located:
    """The state_dict (key -> described value) and where it was found."""

    at: str = ""  # "['model']"; ".state_dict()" appended for a pickled module
    state: Dict[str, Any] = field(default_factory=dict)
    module_class: Optional[str] = None
    other: List[str] = field(default_factory=list)
    found: bool = False
    versions: Dict[str, int] = field(default_factory=dict)


def is_module(value: Any) -> bool:
    state = value.state_dict() if isinstance(value, Opaque) else None
    return state is not None and all(k in state for k in MODULE_STATE)


def module_state_dict(module: Opaque, versions: Optional[Dict[str, int]] = None) -> Dict[str, Any]:
    """`module.state_dict()` from the pickled instance state: own parameters, own
    persistent buffers, then children depth-first, in registration order."""
    out: Dict[str, Any] = {}
    _module_into(module, "", out, set(), versions if versions is not None else {})
    return out


def _module_into(module: Opaque, prefix: str, out: Dict[str, Any], seen: Set[int],
                 versions: Dict[str, int]) -> None:
    if id(module) in seen or prefix.count(".") > 64:
        return
    seen.add(id(module))
    if module.func.rsplit(".", 1)[-1] in VERSION_2_CLASSES:
        versions[prefix[:-1]] = 2
    state = module.state_dict() or {}
    skip = state.get("_non_persistent_buffers_set")
    skip = set(skip) if isinstance(skip, (set, frozenset, list, tuple)) else set()
    for group in ("_parameters", "_buffers"):
        values = state.get(group)
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if value is None or (group == "_buffers" and name in skip):
                continue
            out[prefix + str(name)] = value
    children = state.get("_modules")
    if isinstance(children, dict):
        for name, child in children.items():
            if is_module(child):
                _module_into(child, f"{prefix}{name}.", out, seen, versions)
    seen.discard(id(module))


def _tensor_count(value: Dict[Any, Any]) -> int:
    return sum(1 for k, v in value.items() if isinstance(k, str) and isinstance(v, TensorRef))


def _candidates(value: Any, path: Tuple[Any, ...], seen: Set[int]) -> Iterator[Tuple[Tuple[Any, ...], Any]]:
    if id(value) in seen or len(path) > MAX_DEPTH:
        return
    if isinstance(value, dict):
        seen.add(id(value))
        yield path, value
        for k, v in value.items():
            yield from _candidates(v, path + (k,), seen)
    elif isinstance(value, (list, tuple)):
        seen.add(id(value))
        for i, v in enumerate(value):
            yield from _candidates(v, path + (i,), seen)
    elif is_module(value):
        yield path, value


def path_text(path: Tuple[Any, ...]) -> str:
    return "".join(f"[{k!r}]" for k in path)


def _rank(path: Tuple[Any, ...], count: int, order: int) -> Tuple[int, int, int, int]:
    last = path[-1] if path else None
    pref = len(PREFERRED) - PREFERRED.index(last) if last in PREFERRED else 0
    return (count, pref, -len(path), -order)


def locate(top: Any) -> Located:
    best: Optional[Tuple[Tuple[int, int, int, int], Tuple[Any, ...], Any]] = None
    for order, (path, value) in enumerate(_candidates(top, (), set())):
        state = module_state_dict(value) if isinstance(value, Opaque) else value
        count = _tensor_count(state)
        if count == 0 and not (isinstance(value, Opaque) and path == ()):
            continue
        rank = _rank(path, count, order)
        if best is None or rank > best[0]:
            best = (rank, path, value)
    if best is None:
        return Located(other=_top_keys(top, ()))
    _, path, value = best
    located = Located(at=path_text(path), found=True, other=_top_keys(top, path))
    if isinstance(value, Opaque):
        located.state = module_state_dict(value, located.versions)
        located.module_class = value.func
        located.at += ".state_dict()"
    else:
        located.state = {str(k): v for k, v in value.items()}
        located.versions = _metadata_versions(value)
    return located


def _metadata_versions(value: Any) -> Dict[str, int]:
    """prefix -> version of torch's `state_dict._metadata` (kept where it is not 1)."""
    meta = value.attrs.get("_metadata") if isinstance(value, ODict) else None
    out: Dict[str, int] = {}
    if isinstance(meta, dict):
        for prefix, info in meta.items():
            version = info.get("version") if isinstance(info, dict) else None
            if isinstance(version, int) and not isinstance(version, bool) and version != 1:
                out[str(prefix)] = version
    return out


def _top_keys(top: Any, path: Tuple[Any, ...]) -> List[str]:
    if not isinstance(top, dict) or not path:
        return []
    return [str(k) for k in top if k != path[0]]
