"""A checkpoint as a `Prediction`, so the compare/align/remap code of `wlint diff`
turns (checkpoint, code) pairs into findings like (code, code) pairs.

A file has keys and shapes but no module types or parameter/buffer kinds;
they are borrowed from the model where the evidence is unambiguous: a
checkpoint module whose keys and shapes equal those of model modules of one
single type gets that type; otherwise the model's module of the same name
lends its type; otherwise it stays unknown (aligned only with itself).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from wlint.compat import align
from wlint.model.prediction import Entry, ModuleRecord, Prediction

Shape = Optional[Tuple[Any, ...]]
Signature = Tuple[Tuple[str, Shape], ...]


def _prefixes(key: str) -> List[str]:
    parts = key.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _signatures(shapes: Dict[str, Shape]) -> Dict[str, Signature]:
    """Every module prefix -> sorted (relative key, shape) of the keys under it."""
    groups: Dict[str, List[Tuple[str, Shape]]] = {}
    for key, shape in shapes.items():
        for prefix in _prefixes(key):
            groups.setdefault(prefix, []).append((key[len(prefix) + 1:], shape))
    return {p: tuple(sorted(g, key=lambda x: x[0])) for p, g in groups.items()}


def _owner(key: str) -> str:
    return key.rsplit(".", 1)[0] if "." in key else ""


def as_prediction(path: str, shapes: Dict[str, Shape], model: Prediction) -> Prediction:
    """The checkpoint's keys (in file order) with types and kinds borrowed from `model`."""
    model_types = {m.prefix: m.type for m in model.modules}
    model_shapes = {e.key: e.shape for e in model.entries}
    by_signature: Dict[Signature, Set[str]] = {}
    for prefix, sig in _signatures(model_shapes).items():
        if prefix in model_types:
            by_signature.setdefault(sig, set()).add(model_types[prefix])
    types: Dict[str, str] = {}
    for prefix, sig in _signatures(shapes).items():
        found = by_signature.get(sig, set())
        if len(found) == 1:
            types[prefix] = next(iter(found))
        elif prefix in model_types:
            types[prefix] = model_types[prefix]
    kinds = _kinds(model)
    entries = []
    for key, shape in shapes.items():
        owner = _owner(key)
        entries.append(Entry(key=key, shape=shape, kind=_kind(key, kinds), line=1, path=path,
                             owner=owner, layer=types.get(owner, "")))
    modules = [ModuleRecord(prefix="", type=model_types.get("", align.UNKNOWN), line=1,
                            path=path)]
    modules += [ModuleRecord(prefix=p, type=t, line=1, path=path) for p, t in sorted(types.items())]
    return Prediction(path=path, expr="", cls=model.cls, entries=entries, modules=modules,
                      uses=list(model.uses))


def _kinds(model: Prediction) -> Dict[str, Set[str]]:
    """key -> {kind}, and last name component -> kinds seen in the model."""
    out: Dict[str, Set[str]] = {}
    for e in model.entries:
        out.setdefault(e.key, set()).add(e.kind)
        out.setdefault("*." + e.key.rsplit(".", 1)[-1], set()).add(e.kind)
    return out


def _kind(key: str, kinds: Dict[str, Set[str]]) -> str:
    for probe in (key, "*." + key.rsplit(".", 1)[-1]):
        found = kinds.get(probe, set())
        if len(found) == 1:
            return next(iter(found))
    return "parameter"
