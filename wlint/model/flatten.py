"""A `ModuleInst` tree as the ordered entries of its state_dict, by torch's rules.

Parameters and buffers of a module come before its children; non-persistent
buffers go to `Prediction.nonpersistent`; a module reachable twice is listed
once (at its first place, as torch does for shared submodules).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Optional, Tuple

from wlint.model.budget import MAX_ENTRIES, MAX_NESTING
from wlint.model.conditions import Condition, conjunction, render
from wlint.model.prediction import Entry, ModuleRecord, Prediction, Unidentified
from wlint.model.signals import TOO_LARGE
from wlint.model.symbolic import shape_item
from wlint.model.values import Conditional, ModuleInst, Tensor


class _TooLarge(Exception):
    def __init__(self, inst: ModuleInst, why: str) -> None:
        super().__init__(why)
        self.note = (inst.path, inst.line, f"{TOO_LARGE}: {why}; the prediction is incomplete")


def flatten(root: ModuleInst, pred: Prediction, relpath: str) -> Optional[Tuple[str, int, str]]:
    """Append `root`'s modules and entries to `pred` in torch's state_dict order: own
    parameters, own persistent buffers, then children (depth first); a `Conditional`
    slot gives one entry per alternative, with the joined condition.

    A shared submodule appears under each of its names (as in torch), so a small tree
    can stand for a huge state_dict: the walk stops past MAX_ENTRIES modules and
    entries, and leaves out what is nested deeper than MAX_NESTING levels; it returns
    the note (path, line, reason) saying so."""
    stack: List[int] = []
    deep: List[Tuple[str, int, str]] = []

    def rel(path: str) -> str:
        return "" if path == relpath else path

    def walk(inst: ModuleInst, prefix: str, cond: Optional[Condition]) -> None:
        if id(inst) in stack:
            return
        if len(stack) >= MAX_NESTING:  # this subtree is left out, its siblings are not
            if not deep:
                deep.append(_TooLarge(inst, f"modules nested more than {MAX_NESTING} deep").note)
            return
        if len(pred.modules) + len(pred.entries) > MAX_ENTRIES:
            raise _TooLarge(inst, f"more than {MAX_ENTRIES} modules and entries")
        stack.append(id(inst))
        owner = prefix[:-1]
        pred.modules.append(ModuleRecord(owner, inst.type_name, inst.line, rel(inst.path),
                                         tuple(inst.args), render(cond)))
        for name, (line, path, reason) in inst.unidentified.items():
            pred.unidentified.append(Unidentified(prefix + name, line, reason, rel(path)))
        for name, slot in inst.params.items():
            for c, tensor in _alts(slot):
                if isinstance(tensor, Tensor):
                    pred.entries.append(_entry(prefix + name, tensor, "parameter", conjunction(cond, c),
                                               owner, inst.type_name, rel))
        for name, slot in inst.buffers.items():
            for c, tensor in _alts(slot):
                if isinstance(tensor, Tensor):
                    entry = _entry(prefix + name, tensor, "buffer", conjunction(cond, c), owner,
                                   inst.type_name, rel)
                    if name in inst.nonpersistent:
                        pred.nonpersistent.append(entry)
                    else:
                        pred.entries.append(entry)
        for name, slot in inst.modules.items():
            for c, child in _alts(slot):
                if isinstance(child, ModuleInst):
                    walk(child, f"{prefix}{name}.", conjunction(cond, c))
        stack.pop()

    try:
        walk(root, "", None)
    except _TooLarge as stop:
        return stop.note
    return deep[0] if deep else None


def _alts(slot: Any) -> Iterable[Tuple[Optional[Condition], Any]]:
    """(condition, value) pairs of a slot; a plain slot (the common case) without a generator."""
    if not isinstance(slot, Conditional):
        return ((None, slot),)
    return _alts_gen(slot)


def _alts_gen(slot: Any) -> Iterator[Tuple[Optional[Condition], Any]]:
    if isinstance(slot, Conditional):
        for cond, value in slot.items:
            for c2, v2 in _alts(value):
                yield conjunction(cond, c2), v2
    else:
        yield None, slot


def _entry(key: str, tensor: Tensor, kind: str, cond: Optional[Condition], owner: str, layer: str,
           rel: Any) -> Entry:
    shape = tuple(shape_item(d) for d in tensor.shape) if tensor.shape is not None else None
    return Entry(key=key, shape=shape, kind=kind, line=tensor.line, path=rel(tensor.path),
                 condition=render(cond), owner=owner, layer=layer)
