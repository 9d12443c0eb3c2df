"""Pure comparison of two predicted state_dicts (no git, no files).

`compare(base, head)` turns two `Prediction`s of one class into WL2xx
findings, in this order, each step consuming the keys it explains so later
steps do not report them again:

1. WL207 persistence flips (a key that became / stopped being a
   non-persistent buffer);
2. WL204 shape changes of keys present on both sides, and of keys whose
   layer a shift moved (`key` is the new name, `old_key` the old one);
3. WL205 index shifts inside `nn.Sequential` / `ModuleList` (children
   aligned by their module types, see `align`; one finding per container
   with the old->new index map of the layers holding keys; an append at the
   end is a plain addition; an ambiguous pairing is not guessed);
4. WL203 renames (removed and added modules of the same type and shapes pair
   up; a renamed subtree is one finding);
5. WL201 / WL202 for what is left;
6. WL206 behaviour-only changes (same keys and shapes, different
   behaviour arguments or layer class, or two layers that swapped
   definitions).
"""

from __future__ import annotations

from collections import Counter

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from wlint.compat import align, grouping, remap
from wlint.compat.remap import drops_of, rules_of  # noqa: F401  (re-exported)
from wlint.compat.codes import severity
from wlint.findings import Finding, Shape
from wlint.model.prediction import Entry, ModuleRecord, Prediction

# Constructor arguments that never change what a layer computes.
NON_BEHAVIOUR_ARGS = frozenset({"inplace", "device", "dtype"})
CONTAINERS = frozenset({"Sequential", "ModuleList"})

# Constructor arguments that act only in training mode: changing one loads, and inference
# (model.eval()) computes the same. layer type -> argument -> what it does.
_MOMENTUM = {"momentum": "it only sets how fast running_mean/running_var follow the batch "
                         "statistics while training"}
_DROPOUT = {"p": "dropout is active only while training; model.eval() makes the layer the "
                 "identity"}
_EMBEDDING = {"sparse": "it only changes the layout of the gradient",
              "scale_grad_by_freq": "it only scales the gradient"}
TRAINING_ONLY: Dict[str, Dict[str, str]] = {
    **{t: _MOMENTUM for t in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm",
                              "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
                              "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")},
    **{t: _DROPOUT for t in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                             "FeatureAlphaDropout")},
    "Embedding": _EMBEDDING, "EmbeddingBag": _EMBEDDING,
}
_INDEX = re.compile(r"^\d+$")


@dataclass
class CompareOptions:
    """What the caller knows beyond the two predictions."""

    affected_by: str = ""  # "Block (models/blocks.py)": this class only contains the change
    # per finding instead: a finding whose key lies inside a submodule of one of these
    # (changed) classes is marked affected; {class name: "Block (models/blocks.py)"}
    changed_types: Dict[str, str] = field(default_factory=dict)
    ignore_missing: Sequence[str] = ()  # HF `_keys_to_ignore_on_load_missing` patterns (head)
    ignore_unexpected: Sequence[str] = ()  # `_keys_to_ignore_on_load_unexpected` patterns
    anchor: Optional[Anchor] = None  # where to point findings of an affected class


@dataclass
class Anchor:
    """Maps a key to a line in the containing class's own file (affected findings)."""

    path: str
    line: int
    records: Dict[str, ModuleRecord] = field(default_factory=dict)


@dataclass
class _Shift:
    """One container whose children were aligned (head name, base name)."""

    container: str
    base: str
    kind: str
    ambiguous: bool = False
    moves: Dict[str, str] = field(default_factory=dict)  # keyed old child -> new child
    inserted: List[str] = field(default_factory=list)  # new children unpaired in every best pairing
    dropped: List[str] = field(default_factory=list)  # old children unpaired in every best pairing
    unsure_new: List[str] = field(default_factory=list)  # unpaired only because ambiguous
    unsure_old: List[str] = field(default_factory=list)
    renamed: Dict[str, str] = field(default_factory=dict)  # base key -> head key (final)
    drops: Set[str] = field(default_factory=set)  # base keys removed (the snippet drops them)


# -- small helpers -----------------------------------------------------------------


def shape_text(shape: Optional[Shape]) -> str:
    """`torch.Size([10, 512])` like torch prints it; symbolic dims as expressions."""
    if shape is None:
        return "an unknown shape"
    return "torch.Size([" + ", ".join(str(d) for d in shape) + "])"


def shapes_differ(old: Optional[Shape], new: Optional[Shape]) -> bool:
    """Definitely different: another rank, or a dimension that differs where both sides
    are concrete or both symbolic. A symbol against a number (a parameter that gained a
    default between revisions) is not comparable, so it is not reported (precision first)."""
    if old is None or new is None or old == new:
        return False
    if len(old) != len(new):
        return True
    return any(a != b and isinstance(a, str) == isinstance(b, str) for a, b in zip(old, new))


def _keys_text(keys: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f'"{k}"' for k in keys[:limit])
    if len(keys) > limit:
        shown += f", ... ({len(keys)} keys)"
    return shown


def owner_of(entry: Entry) -> str:
    """The module prefix holding the tensor ("" for the root)."""
    if entry.owner:
        return entry.owner
    return entry.key.rsplit(".", 1)[0] if "." in entry.key else ""


def _under(key: str, prefix: str) -> bool:
    return not prefix or key == prefix or key.startswith(prefix + ".")


def _rel(key: str, prefix: str) -> str:
    return key[len(prefix) + 1:] if prefix else key


def _join(prefix: str, rest: str) -> str:
    if not prefix:
        return rest
    return prefix + ("." + rest if rest else "")


class _Side:
    """One revision's view: entries, modules and non-persistent buffers by name."""

    def __init__(self, pred: Prediction) -> None:
        self.pred = pred
        self.entries: Dict[str, Entry] = {}
        for e in pred.entries:
            self.entries.setdefault(e.key, e)
        self.nonpersistent: Dict[str, Entry] = {e.key: e for e in pred.nonpersistent}
        self._sigs: Dict[str, Tuple[str, Tuple[Tuple[str, Optional[Shape]], ...]]] = {}
        self.modules: Dict[str, ModuleRecord] = {}
        for m in pred.modules:
            self.modules.setdefault(m.prefix, m)

    def path_of(self, path: str) -> str:
        return path or self.pred.path

    def children(self, prefix: str) -> List[str]:
        """Direct numeric children of a container prefix, by index."""
        found: Set[int] = set()
        start = prefix + "." if prefix else ""
        for name in list(self.modules) + list(self.entries):
            if name.startswith(start):
                first = name[len(start):].split(".", 1)[0]
                if _INDEX.match(first):
                    found.add(int(first))
        return [_join(prefix, str(i)) for i in sorted(found)]

    def signature(self, prefix: str) -> Tuple[str, Tuple[Tuple[str, Optional[Shape]], ...]]:
        """(type, sorted relative keys with shapes) of the module at prefix (memoised)."""
        hit = self._sigs.get(prefix)
        if hit is None:
            rec = self.modules.get(prefix)
            start = prefix + "." if prefix else ""
            keys = tuple(sorted((k[len(start):], e.shape) for k, e in self.entries.items()
                                if k.startswith(start)))
            hit = self._sigs[prefix] = (rec.type if rec else "?", keys)
        return hit

    def has_placeholder_child(self, prefix: str) -> bool:
        """A child named `{i}` / `{2*i + 1}`: the container repeats an unknown number of
        times, so its numeric indices are not positions."""
        start = prefix + "." if prefix else ""
        return any(name.startswith(start) and name[len(start):].startswith("{")
                   for name in list(self.modules) + list(self.entries))

    def child(self, prefix: str) -> align.Child:
        """What alignment compares: type, relative key names and kinds, shapes."""
        rec = self.modules.get(prefix)
        start = prefix + "."
        mine = [(k[len(start):], e) for k, e in self.entries.items() if k.startswith(start)]
        return align.Child(
            index=int(prefix.rsplit(".", 1)[-1]),
            type=rec.type if rec else align.UNKNOWN,
            names=frozenset((rel, e.kind) for rel, e in mine),
            shapes=tuple(sorted(((rel, e.shape) for rel, e in mine), key=lambda x: x[0])),
        )

    def has_keys(self, prefix: str) -> bool:
        return any(k.startswith(prefix + ".") for k in self.entries)

    def module_line(self, prefix: str) -> Tuple[str, int]:
        rec = self.modules.get(prefix)
        if rec is not None:
            return self.path_of(rec.path), rec.line
        for k, e in self.entries.items():
            if _under(k, prefix):
                return self.path_of(e.path), e.line
        return self.pred.path, 1


# -- the comparison -------------------------------------------------------------


class _Comparison:
    def __init__(self, base: Prediction, head: Prediction, opts: CompareOptions) -> None:
        self.b = _Side(base)
        self.h = _Side(head)
        self.opts = opts
        self.cls = head.cls or base.cls
        self.findings: List[Finding] = []
        self.removed: Dict[str, Entry] = {}
        self.added: Dict[str, Entry] = {}
        self.prefix_map: Dict[str, str] = {}  # base module prefix -> head prefix (renames, shifts)
        self.user_types: Set[str] = {c for _, c in getattr(base, "uses", []) or []}
        self.user_types |= {c for _, c in getattr(head, "uses", []) or []}
        self.user_types |= {base.cls, head.cls}

    # findings --------------------------------------------------------------
    def emit(self, code: str, side: _Side, path: str, line: int, message: str,
             scope: Optional[str] = None, **kw: object) -> None:
        """`scope`: the head prefix whose holder decides "affected" (a shift's container)
        instead of the finding's keys."""
        path = side.path_of(path)
        key = str(kw.get("key") or kw.get("old_key") or "")
        affected_by = self.opts.affected_by
        if self.opts.changed_types:
            if scope is not None:
                affected_by = self._changed_holder(scope, self.h)
            else:  # a new key lives in the head's tree, an old one in the base's
                affected_by = (self._changed_holder(str(kw.get("key") or ""), self.h)
                               or self._changed_holder(str(kw.get("old_key") or ""), self.b))
        affected = bool(affected_by)
        if affected and self.opts.anchor is not None:
            path, line = self._anchor_line(key, side, path, line)
        if affected:
            message += f" [affected: this class contains the changed {affected_by}]"
        message = f"{self.cls}: {message}"  # several classes report on one line
        self.findings.append(Finding(
            code=code, path=path, line=max(1, line), col=0, message=message, cls=self.cls,
            severity=str(kw.pop("severity", None) or severity(code)), affected=affected, **kw,  # type: ignore[arg-type]
        ))

    def _changed_holder(self, key: str, side: _Side) -> str:
        """Label of the innermost changed user class whose instance (in that side's module
        tree: after a shift the same name holds another layer) holds `key`."""
        if not key:
            return ""
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            rec = side.modules.get(".".join(parts[:n]))
            if rec is not None and rec.type != self.cls and rec.type in self.opts.changed_types:
                return self.opts.changed_types[rec.type]
        return ""

    def _anchor_line(self, key: str, side: _Side, path: str, line: int) -> Tuple[str, int]:
        anchor = self.opts.anchor
        assert anchor is not None
        best: Optional[ModuleRecord] = None
        for prefix, rec in side.modules.items():
            if (prefix and _under(key, prefix) and side.path_of(rec.path) == anchor.path
                    and (best is None or len(prefix) > len(best.prefix))):
                best = rec
        if best is not None:
            return anchor.path, best.line
        return anchor.path, anchor.line

    # steps -----------------------------------------------------------------
    def run(self) -> List[Finding]:
        self.persistence()
        self.removed = {k: e for k, e in self.b.entries.items() if k not in self.h.entries
                        and k not in self._handled_removed}
        self.added = {k: e for k, e in self.h.entries.items() if k not in self.b.entries
                      and k not in self._handled_added}
        self.key_map: Dict[str, str] = {}  # base key -> head key moved by an index shift
        self.dropped: Set[str] = set()  # base keys a shift left without a counterpart
        self.taken: Set[str] = set()  # head keys a moved layer's key now occupies
        self.shifts()
        mapping: Dict[str, str] = {}
        for k in self.b.entries:
            if k in self._handled_removed or k in self.dropped:
                continue
            if k in self.key_map:
                mapping[k] = self.key_map[k]
            elif k in self.h.entries and k not in self.taken:
                mapping[k] = k
        targets = set(mapping.values())
        self.removed = {k: e for k, e in self.b.entries.items() if k not in mapping
                        and k not in self._handled_removed}
        self.added = {k: e for k, e in self.h.entries.items() if k not in targets
                      and k not in self._handled_added}
        self.shapes(mapping)
        self.renames()
        self.leftovers()
        self.behaviour()
        return self.findings

    _handled_removed: Set[str]
    _handled_added: Set[str]

    def persistence(self) -> None:
        self._handled_removed = set()
        self._handled_added = set()
        for key, e in self.b.entries.items():
            np = self.h.nonpersistent.get(key)
            if np is not None and key not in self.h.entries:
                self._handled_removed.add(key)
                self.emit(
                    "WL207", self.h, np.path, np.line,
                    f'buffer "{key}" is no longer persistent (persistent=False): old checkpoints '
                    f'still carry it, so strict loading fails with "Unexpected key(s) in '
                    f'state_dict: "{key}""; drop it from old checkpoints '
                    f'(state_dict.pop("{key}")) or keep the buffer persistent',
                    key=None, old_key=key, old_shape=e.shape,
                )
        for key, e in self.h.entries.items():
            np = self.b.nonpersistent.get(key)
            if np is not None and key not in self.b.entries and e.kind == "buffer":
                self._handled_added.add(key)
                self.emit(
                    "WL207", self.h, e.path, e.line,
                    f'buffer "{key}" became persistent: old checkpoints lack it, so strict '
                    f'loading fails with "Missing key(s) in state_dict: "{key}""; register it '
                    f'with persistent=False again, or add it to old checkpoints before loading',
                    key=key, old_key=None, new_shape=e.shape,
                )

    def shapes(self, mapping: Dict[str, str]) -> None:
        for old_key, key in mapping.items():
            be, he = self.b.entries[old_key], self.h.entries.get(key)
            if he is None or not shapes_differ(be.shape, he.shape):
                continue
            ob, oh = self.b.modules.get(owner_of(be)), self.h.modules.get(owner_of(he))
            why = (f" (the layer changed from {ob.type} to {oh.type})"
                   if ob is not None and oh is not None and ob.type != oh.type else "")
            moved = (f" (\"{old_key}\" in old checkpoints: its layer moved by an index shift)"
                     if old_key != key else "")
            self.emit(
                "WL204", self.h, he.path, he.line,
                f"size mismatch for {key}{moved}: copying a param with shape {shape_text(be.shape)} "
                f"from checkpoint, the shape in current model is {shape_text(he.shape)}{why}; old "
                "checkpoints no longer load (keep the old size, or convert/retrain and version "
                "the checkpoint format)",
                key=key, old_key=old_key, old_shape=be.shape, new_shape=he.shape,
            )

    # WL205 ---------------------------------------------------------------
    def _containers(self) -> List[str]:
        names: Set[str] = set()
        for side in (self.h,):
            for name in list(side.modules) + list(side.entries):
                parts = name.split(".")
                for i, part in enumerate(parts):
                    if _INDEX.match(part):
                        names.add(".".join(parts[:i]))
        return sorted(names, key=lambda p: (p.count(".") if p else -1, p))

    def shifts(self) -> None:
        """Align the children of every container (parents first), then settle which old
        key feeds which new key and report one WL205 per container with moved layers."""
        self._explicit_owner: Dict[str, _Shift] = {}  # base key -> record that moved it
        self._unpaired: Dict[str, _Shift] = {}  # base key under an old child left unpaired
        self._fresh: List[str] = []  # head prefixes of new children left unpaired
        self._gone: List[str] = []  # base prefixes of old children left unpaired
        records: List[_Shift] = []
        for container in self._containers():
            inverse = {n: o for o, n in self.prefix_map.items()}
            bcont = _map_back(container, inverse)
            if any(_under(container, p) for p in self._fresh) or \
                    any(_under(bcont, p) for p in self._gone):
                continue  # inside a layer that has no counterpart: nothing to align with
            if not self._touches(container, bcont):
                continue
            rec = self._align_container(container, bcont)
            if rec is not None:
                records.append(rec)
        self._settle(records)
        for rec in records:
            if rec.moves:
                self._emit_shift(rec)
            else:
                self._sequential_drift(rec)

    def _touches(self, container: str, bcont: str) -> bool:
        return any(_under(k, bcont) and k != bcont for k in self.removed) or any(
            _under(k, container) and k != container for k in self.added) or (
            self._container_type(container) == "Sequential")

    def _container_type(self, container: str) -> str:
        rec = self.h.modules.get(container) or self.b.modules.get(container)
        return rec.type if rec else ""

    def _align_container(self, container: str, bcont: str) -> Optional[_Shift]:
        old = self.b.children(bcont)
        new = self.h.children(container)
        if not old or not new or self.b.has_placeholder_child(bcont) \
                or self.h.has_placeholder_child(container):
            return None  # an unknown number of repeats: indices cannot be compared
        oc = [self.b.child(c) for c in old]
        nc = [self.h.child(c) for c in new]
        if align.same_layout(oc, nc):
            return None
        al = align.align(oc, nc)
        rec = _Shift(container=container, base=bcont,
                     kind=self._container_type(container) or "Sequential/ModuleList",
                     ambiguous=al.ambiguous)
        paired_old = {i for i, _ in al.sure}
        paired_new = {j for _, j in al.sure}
        for i, j in al.sure:
            o, n = old[i], new[j]
            if oc[i].index == nc[j].index:
                continue
            self.prefix_map[o] = n  # WL206 compares a moved layer with its old self
            if not oc[i].keyed:
                continue
            rec.moves[o] = n
            for k in self.b.entries:
                if _under(k, o):
                    self.key_map[k] = _join(n, _rel(k, o))
                    self._explicit_owner[k] = rec
        rec.inserted = [new[j] for j in al.inserted]
        rec.dropped = [old[i] for i in al.dropped]
        rec.unsure_new = [new[j] for j in range(len(new)) if j not in paired_new
                          and j not in al.inserted]
        rec.unsure_old = [old[i] for i in range(len(old)) if i not in paired_old
                          and i not in al.dropped]
        for c in rec.dropped + rec.unsure_old:
            self._gone.append(c)
            for k in self.b.entries:
                if _under(k, c):
                    self._unpaired[k] = rec
                    self._explicit_owner.pop(k, None)
        self._fresh.extend(rec.inserted + rec.unsure_new)
        return rec

    def _settle(self, records: List[_Shift]) -> None:
        """Final old->new key map: keys under moved layers go where their layer went
        (if that key exists); keys of unpaired old layers keep their name unless a moved
        layer took it or it no longer exists (then they are removed, and the remap
        snippet drops them so nothing collides)."""
        targets: Set[str] = set()
        for k, rec in list(self._explicit_owner.items()):
            t = self.key_map[k]
            if t in self.h.entries:
                targets.add(t)
            else:
                del self.key_map[k]
                del self._explicit_owner[k]
                self.dropped.add(k)
                rec.drops.add(k)
        for k, rec in self._unpaired.items():
            t = self.key_map.get(k, k)  # a parent's move still applies to the name
            if t in self.h.entries and t not in targets:
                if t != k:
                    self.key_map[k] = t
                continue
            self.key_map.pop(k, None)
            self.dropped.add(k)
            rec.drops.add(k)
        self.taken = targets
        # every key under a moved layer, with its final name (an inner shift may have
        # moved it again; an inner layer left unpaired still follows the outer move)
        for rec in records:
            for o in rec.moves:
                for k in self.b.entries:
                    if _under(k, o) and k in self.key_map:
                        rec.renamed[k] = self.key_map[k]

    def _emit_shift(self, rec: _Shift) -> None:
        container, kind = rec.container, rec.kind
        index_map = {o.rsplit(".", 1)[-1]: n.rsplit(".", 1)[-1] for o, n in rec.moves.items()}
        at = rec.inserted[0] if rec.inserted else next(iter(rec.moves.values()))
        path, line = self.h.module_line(at)
        what = [f"{self.h.child(c).type} inserted at index {c.rsplit('.', 1)[-1]}"
                for c in rec.inserted]
        what += [f"{self.b.child(c).type} at index {c.rsplit('.', 1)[-1]} removed"
                 for c in rec.dropped]
        keys_moved = dict(rec.renamed)
        mapping = ", ".join(f"{o}->{n}" for o, n in index_map.items())
        new_names = sorted(nk for nk in keys_moved.values() if nk not in self.b.entries)
        old_names = sorted(k for k in keys_moved if k not in self.h.entries)
        fails = []
        if new_names:
            fails.append(f'"Missing key(s) in state_dict: {_keys_text(new_names, 2)}"')
        if old_names:
            fails.append(f'"Unexpected key(s) in state_dict: {_keys_text(old_names, 2)}"')
        resized = sorted(nk for k, nk in keys_moved.items()
                         if shapes_differ(self.b.entries[k].shape, self.h.entries[nk].shape))
        # keys that kept their name but now belong to a different layer (loads silently wrong)
        silent = sorted(k for k, nk in keys_moved.items() if k in self.h.entries
                        and self.h.entries[k].shape == self.b.entries[k].shape
                        and k not in resized)
        unsure = ""
        if rec.unsure_old or rec.unsure_new:
            places = sorted({c.rsplit(".", 1)[-1] for c in rec.unsure_old + rec.unsure_new},
                            key=int)
            unsure = (f"; where the layers at index {', '.join(places)} went is ambiguous, "
                      "so their keys are compared by name")
        msg = (
            f"index shift in nn.{kind} \"{container or '(root)'}\""
            + (f": {'; '.join(what)}" if what else "")
            + f"; old->new index {mapping}: old checkpoints fail with "
            + (" and ".join(fails) if fails else "size mismatches")
            + (f", or silently load into the wrong layer ({_keys_text(silent, 2)})"
               if silent else "")
            + (f"; {len(resized)} moved key(s) also changed shape (size mismatch for "
               f"{_keys_text(resized, 2)}, see WL204)" if resized else "")
            + unsure
            + "; remap the indices with the attached snippet, or append new layers at the end"
        )
        rules = sorted(rec.moves.items())
        drops = _drop_prefixes(rec, self.b)
        fix = remap.snippet(rules, {}, title=f"{self.cls}: {kind} {container or '(root)'} "
                            "index shift", drop=drops)
        first_old = sorted(rec.moves, key=lambda p: int(p.rsplit(".", 1)[-1]))[0]
        self.emit("WL205", self.h, path, line, msg, scope=container,
                  key=rec.moves[first_old], old_key=first_old,
                  fix=fix, extra={"index_map": index_map, "container": container,
                                  "renamed_keys": keys_moved, "rules": rules, "drop": drops})

    def _sequential_drift(self, rec: _Shift) -> None:
        """Parameterless layers added to / removed from an nn.Sequential with no key moving:
        it loads, but the forward pass now runs a different chain."""
        container = rec.container
        if self._container_type(container) != "Sequential":
            return
        keys_fail = any(_under(k, rec.base) for k in self.removed) or any(
            _under(k, container) for k in self.added) or any(
            _under(k, container) and k in self.b.entries
            and shapes_differ(self.b.entries[k].shape, e.shape) for k, e in self.h.entries.items())
        loads = ("the forward pass also computes something else" if keys_fail else
                 "old checkpoints load, but the forward pass now computes something else")
        for c in rec.inserted:
            if not self.h.has_keys(c):
                path, line = self.h.module_line(c)
                typ = self.h.child(c).type
                where = f"nn.Sequential \"{container or '(root)'}\" at index {c.rsplit('.', 1)[-1]}"
                self._drift(path, line, f"{typ} added to {where}", typ, loads,
                            key=c, old_key=None, extra={"change": f"{typ} added"})
        for c in rec.dropped:
            if not self.b.has_keys(c):
                path, line = self.h.module_line(container)
                typ = self.b.child(c).type
                where = (f"nn.Sequential \"{container or '(root)'}\" (was index "
                         f"{c.rsplit('.', 1)[-1]})")
                self._drift(path, line, f"{typ} removed from {where}", typ, loads,
                            key=None, old_key=c, extra={"change": f"{typ} removed"})

    def _drift(self, path: str, line: int, what: str, typ: str, loads: str,
               **kw: Any) -> None:
        """WL206 for a parameterless layer added or removed; a dropout layer only acts
        while training (info)."""
        if TRAINING_ONLY.get(typ) is _DROPOUT:
            self.emit("WL206", self.h, path, line,
                      f"{what}: dropout is active only while training, so inference "
                      "(model.eval()) computes the same; training resumed or fine-tuned from "
                      "old checkpoints is regularised differently", severity="info", **kw)
            return
        self.emit("WL206", self.h, path, line, f"{what}: {loads}; retrain or fine-tune", **kw)

    # WL203 ---------------------------------------------------------------
    def _owner_groups(self, entries: Dict[str, Entry], side: _Side) -> Dict[str, List[str]]:
        groups: Dict[str, List[str]] = {}
        for k, e in entries.items():
            groups.setdefault(owner_of(e), []).append(k)
        return groups

    def _owner_sig(self, side: _Side, owner: str, keys: List[str]) -> Tuple[object, ...]:
        rec = side.modules.get(owner)
        typ = rec.type if rec else (side.entries[keys[0]].layer or "?")
        return (typ, tuple(sorted((_rel(k, owner), side.entries[k].shape, side.entries[k].kind)
                                  for k in keys)))

    def renames(self) -> None:
        if not self.removed or not self.added:
            return
        old_groups = self._owner_groups(self.removed, self.b)
        new_groups = self._owner_groups(self.added, self.h)
        # a module only counts when every key it owns moved (no partial modules)
        owned_b = Counter(owner_of(e) for e in self.b.entries.values())
        owned_h = Counter(owner_of(e) for e in self.h.entries.values())
        old_groups = {o: ks for o, ks in old_groups.items() if o and len(ks) == owned_b[o]}
        new_groups = {o: ks for o, ks in new_groups.items() if o and len(ks) == owned_h[o]}
        pairs = self._pair_owners(old_groups, new_groups)
        # group the owner pairs into renamed subtrees (longest common suffix stripped)
        roots: Dict[Tuple[str, str], List[Tuple[str, str]]] = {}
        for o, n in pairs:
            roots.setdefault(_rename_root(o, n), []).append((o, n))
        for (old_root, new_root), members in sorted(roots.items()):
            self._emit_rename(old_root, new_root, members, old_groups, new_groups)
        self._param_renames()

    def _pair_owners(self, old_groups: Dict[str, List[str]],
                     new_groups: Dict[str, List[str]]) -> List[Tuple[str, str]]:
        by_sig: Dict[Tuple[object, ...], List[str]] = {}
        for n, ks in new_groups.items():
            by_sig.setdefault(self._owner_sig(self.h, n, ks), []).append(n)
        old_count: Dict[Tuple[object, ...], int] = {}
        for o, ks in old_groups.items():
            sig = self._owner_sig(self.b, o, ks)
            old_count[sig] = old_count.get(sig, 0) + 1
        pairs: List[Tuple[str, str]] = []
        taken: Set[str] = set()
        # prefer candidates sharing the most trailing path components, then order
        for o in old_groups:
            sig = self._owner_sig(self.b, o, old_groups[o])
            if old_count[sig] != len(by_sig.get(sig, ())):
                continue  # 3 LayerNorms gone, 2 appeared: which went where is a guess
            cands = [n for n in by_sig.get(sig, []) if n not in taken
                     and n.count("{i}") == o.count("{i}")]  # never guess a count
            if not cands:
                continue
            n = max(cands, key=lambda c: (_common_suffix(o, c), -list(new_groups).index(c)))
            taken.add(n)
            pairs.append((o, n))
        return pairs

    def _emit_rename(self, old_root: str, new_root: str, members: List[Tuple[str, str]],
                     old_groups: Dict[str, List[str]], new_groups: Dict[str, List[str]]) -> None:
        keys: Dict[str, str] = {}
        for o, n in members:
            for k in old_groups[o]:
                nk = _join(n, _rel(k, o))
                if nk in self.added:
                    keys[k] = nk
        if not keys:
            return
        # the whole subtree under old_root must map under new_root, else rename per module:
        # a key left in place under either root (a wrapper dropped while the wrapped module
        # gained a same-named child) would be moved by the lifted rule to where it never was
        renamed_new = set(keys.values())
        whole = bool(old_root and new_root) and all(
            _under(k, old_root) and keys[k] == _join(new_root, _rel(k, old_root)) for k in keys
        ) and all(k in keys for k in self.b.entries if _under(k, old_root)) and all(
            k in renamed_new for k in self.h.entries if _under(k, new_root))
        rules: List[Tuple[str, str]] = [(old_root, new_root)] if whole else \
            [(o, n) for o, n in members]
        for k, nk in keys.items():
            self.removed.pop(k, None)
            self.added.pop(nk, None)
        for o, n in rules:
            self.prefix_map[o] = n
        first_new = sorted(keys.values(), key=lambda k: self.h.entries[k].line)[0]
        he = self.h.entries[first_new]
        typ = self._owner_sig(self.h, members[0][1], new_groups[members[0][1]])[0]
        old_list = sorted(keys)
        new_list = [keys[k] for k in old_list]
        label = f'"{old_root}" renamed to "{new_root}"' if whole else \
            ", ".join(f'"{o}" renamed to "{n}"' for o, n in rules)
        what = f"{typ}, same shapes" if len(members) == 1 else f"{len(keys)} keys, same shapes"
        msg = (
            f"module {label} ({what}): old checkpoints fail with \"Missing key(s) in "
            f"state_dict: {_keys_text(new_list, 2)}\" and \"Unexpected key(s) in state_dict: "
            f"{_keys_text(old_list, 2)}\" (strict=False silently drops the trained weights); "
            "remap old keys with the attached snippet"
        )
        fix = remap.snippet(rules, {}, title=f"{self.cls}: {label}")
        self.emit("WL203", self.h, he.path, he.line, msg,
                  key=new_root if whole else rules[0][1], old_key=old_root if whole else rules[0][0],
                  fix=fix, extra={"renamed_keys": keys, "rules": rules})

    def _param_renames(self) -> None:
        """Direct parameters/buffers renamed on the same module with the same shape."""
        by_owner: Dict[Tuple[str, str, Optional[Shape]], List[str]] = {}
        for k, e in self.added.items():
            by_owner.setdefault((owner_of(e), e.kind, e.shape), []).append(k)
        for k, e in sorted(self.removed.items()):
            owner = owner_of(e)
            mapped_owner = self.prefix_map.get(owner, owner)
            rec_b, rec_h = self.b.modules.get(owner), self.h.modules.get(mapped_owner)
            if rec_b is None or rec_h is None or rec_b.type != rec_h.type:
                continue
            if rec_h.type not in self.user_types or e.shape is None:
                continue  # catalog layers do not rename their own tensors
            cands = by_owner.get((mapped_owner, e.kind, e.shape), [])
            olds = [x for x, xe in self.removed.items() if owner_of(xe) == owner
                    and xe.kind == e.kind and xe.shape == e.shape]
            if len(cands) != 1 or len(olds) != 1:
                continue  # ambiguous: leave as removed + added
            nk = cands.pop()
            ne = self.added.pop(nk)
            del self.removed[k]
            msg = (
                f'{e.kind} "{k}" renamed to "{nk}" (same shape {shape_text(e.shape)}): old '
                f'checkpoints fail with "Missing key(s) in state_dict: "{nk}"" and "Unexpected '
                f'key(s) in state_dict: "{k}""; remap old keys with the attached snippet'
            )
            fix = remap.snippet([], {k: nk}, title=f"{self.cls}: {k} -> {nk}")
            self.emit("WL203", self.h, ne.path, ne.line, msg, key=nk, old_key=k,
                      old_shape=e.shape, new_shape=ne.shape, fix=fix,
                      extra={"renamed_keys": {k: nk}, "exact": {k: nk}})

    # WL201 / WL202 -------------------------------------------------------
    def leftovers(self) -> None:
        for k, e in sorted(self.removed.items(), key=lambda kv: (kv[1].line, kv[0])):
            self.emit(
                "WL201", self.b, e.path, e.line,
                f'key "{k}" removed{_layer(e)}{_when(e, "was registered")}: old checkpoints '
                'still carry it, so strict '
                f'loading fails with "Unexpected key(s) in state_dict: "{k}""; drop it from old '
                f'checkpoints (state_dict.pop("{k}")) or keep the layer',
                key=None, old_key=k, old_shape=e.shape,
            )
        for k, e in sorted(self.added.items(), key=lambda kv: (kv[1].line, kv[0])):
            self.emit(
                "WL202", self.h, e.path, e.line,
                f'key "{k}" added{_layer(e)}{_when(e, "is registered")}: old checkpoints lack '
                'it, so strict loading fails '
                f'with "Missing key(s) in state_dict: "{k}""; load with strict=False and check '
                "that only the new keys are missing, or initialise them explicitly",
                key=k, old_key=None, new_shape=e.shape,
            )

    # WL206 ---------------------------------------------------------------
    def behaviour(self) -> None:
        inverse = {n: o for o, n in self.prefix_map.items()}
        swapped: Set[str] = set()
        for prefix, hrec in self.h.modules.items():
            if any(_under(prefix, p) for p in self._fresh):
                continue  # a layer a shift inserted has no old self (WL205 names it)
            oprefix = _map_back(prefix, inverse)
            brec = self.b.modules.get(oprefix)
            if brec is None or prefix in swapped:
                continue
            if self.b.signature(oprefix)[1] != self.h.signature(prefix)[1]:
                continue
            if _behaviour(brec) == _behaviour(hrec) and brec.type == hrec.type:
                continue
            if brec.type != hrec.type and {brec.type, hrec.type} <= self.user_types:
                continue  # a user class renamed or swapped: its own layers are compared
            partner = self._swap_partner(prefix, oprefix, brec, hrec)
            if partner is not None:
                swapped.update({prefix, partner})
                continue
            path, line = self.h.path_of(hrec.path), hrec.line
            if brec.type != hrec.type:
                change = f"layer class {brec.type} -> {hrec.type}"
            else:
                change = ", ".join(_arg_changes(brec, hrec))
            why = _training_only(brec, hrec)
            if why:
                self.emit(
                    "WL206", self.h, path, line,
                    f'"{prefix or "(root)"}" ({hrec.type}) {change}: a training-only setting '
                    f"({why}): old checkpoints load and inference computes the same; only "
                    "training resumed or fine-tuned from them behaves differently",
                    key=prefix or None, old_key=oprefix or None, severity="info",
                    extra={"old_type": brec.type, "new_type": hrec.type, "change": change,
                           "training_only": True},
                )
                continue
            self.emit(
                "WL206", self.h, path, line,
                f'"{prefix or "(root)"}" ({hrec.type}) {change}: same keys and shapes, old '
                "checkpoints load without error but the layer now computes something else; "
                "retrain or fine-tune, or keep the old setting for old checkpoints",
                key=prefix or None, old_key=oprefix or None,
                extra={"old_type": brec.type, "new_type": hrec.type, "change": change},
            )

    def _swap_partner(self, prefix: str, oprefix: str, brec: ModuleRecord,
                      hrec: ModuleRecord) -> Optional[str]:
        for other, hother in self.h.modules.items():
            if other == prefix:
                continue
            bother = self.b.modules.get(other)
            if bother is None or prefix != oprefix:
                continue
            if (_full(bother) == _full(hrec) and _full(brec) == _full(hother)
                    and self.b.signature(other)[1] == self.h.signature(prefix)[1]):
                path, line = self.h.path_of(hrec.path), hrec.line
                fix = remap.snippet(remap.rules_from_mapping({prefix: other, other: prefix}), {},
                                    title=f"{self.cls}: {prefix} <-> {other} swapped")
                self.emit(
                    "WL206", self.h, path, line,
                    f'"{prefix}" and "{other}" swapped definitions ({_describe(brec)} <-> '
                    f"{_describe(bother)}): old checkpoints load without error, but each "
                    "layer now gets the other one's weights; remap with the attached snippet "
                    "(swaps the keys) or restore the order",
                    key=prefix, old_key=other, fix=fix,
                    extra={"swapped_with": other},
                )
                return other
        return None

    # severity ----------------------------------------------------------------
    def finalize(self, head: Prediction) -> List[Finding]:
        # the same change in sibling copies (blocks.0.mlp, blocks.1.mlp, ...) is one finding
        normalizer = grouping.KeyNormalizer([self.b.pred, head])
        self.findings = grouping.merge_siblings(self.findings, normalizer)
        out = []
        for f in self.findings:
            if head.migrates_checkpoints:
                f = f.with_(severity="info", message=f.message + f" [info: {self.cls} migrates old "
                            "checkpoints itself (_load_from_state_dict / _version / load_state_dict "
                            "pre-hook); check that the migration covers this]")
            elif self._declared(f):
                f = f.with_(severity="info", message=f.message + " [info: declared expected by "
                            "_keys_to_ignore_on_load_* patterns]")
            out.append(f)
        return out

    def _declared(self, f: Finding) -> bool:
        if f.code in ("WL202",) or (f.code == "WL207" and f.key):
            pats, key = self.opts.ignore_missing, f.key
        elif f.code in ("WL201",) or (f.code == "WL207" and f.old_key):
            pats, key = self.opts.ignore_unexpected, f.old_key
        else:
            return False
        return bool(key) and any(_search(p, key or "") for p in pats)


def _search(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False


def _when(e: Entry, verb: str) -> str:
    return f" ({verb} only when `{e.condition}`)" if e.condition else ""


def _layer(e: Entry) -> str:
    return f" ({e.kind} of {e.layer})" if e.layer else f" ({e.kind})"


def _behaviour(rec: ModuleRecord) -> Tuple[Tuple[str, str], ...]:
    return tuple(sorted((k, _norm_arg(v)) for k, v in rec.args if k not in NON_BEHAVIOUR_ARGS))


def _norm_arg(text: str) -> str:
    """Spellings torch treats alike compare equal: `(1, 1)` and `1` (torch's _pair /
    _ntuple), `2` and `2.0`; anything that is not a literal stays as written."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if isinstance(value, (tuple, list)) and value and all(v == value[0] for v in value) \
            and all(type(v) is type(value[0]) for v in value):
        value = value[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    return repr(value)


def _training_only(old: ModuleRecord, new: ModuleRecord) -> str:
    """Why the arguments that changed only act while training ("" when one does more)."""
    known = TRAINING_ONLY.get(new.type) if old.type == new.type else None
    if not known:
        return ""
    o = {k: _norm_arg(v) for k, v in old.args if k not in NON_BEHAVIOUR_ARGS}
    n = {k: _norm_arg(v) for k, v in new.args if k not in NON_BEHAVIOUR_ARGS}
    changed = {name for name in set(o) | set(n) if o.get(name) != n.get(name)}
    if not changed or not changed <= set(known):
        return ""
    return "; ".join(dict.fromkeys(known[name] for name in sorted(changed)))


def _full(rec: ModuleRecord) -> Tuple[object, ...]:
    return (rec.type, _behaviour(rec))


def _describe(rec: ModuleRecord) -> str:
    args = ", ".join(f"{k}={v}" for k, v in rec.args if k not in NON_BEHAVIOUR_ARGS)
    return f"{rec.type}({args})" if args else rec.type


def _arg_changes(old: ModuleRecord, new: ModuleRecord) -> List[str]:
    """`stride 1 -> 2` for each behaviour argument that differs, as the source spells it."""
    o = {k: v for k, v in old.args if k not in NON_BEHAVIOUR_ARGS}
    n = {k: v for k, v in new.args if k not in NON_BEHAVIOUR_ARGS}
    out = []
    for name in sorted(set(o) | set(n)):
        if name not in o or name not in n or _norm_arg(o[name]) != _norm_arg(n[name]):
            out.append(f"{name} {o.get(name, '(default)')} -> {n.get(name, '(default)')}")
    return out or ["arguments changed"]


def _map_back(prefix: str, inverse: Dict[str, str]) -> str:
    best = ""
    for new in inverse:
        if _under(prefix, new) and len(new) > len(best):
            best = new
    if not best:
        return prefix
    return _join(inverse[best], prefix[len(best) + 1:] if prefix != best else "")


def _common_suffix(a: str, b: str) -> int:
    pa, pb = a.split("."), b.split(".")
    n = 0
    while n < min(len(pa), len(pb)) and pa[-1 - n] == pb[-1 - n]:
        n += 1
    return n


def _rename_root(old: str, new: str) -> Tuple[str, str]:
    n = _common_suffix(old, new)
    pa, pb = old.split("."), new.split(".")
    return ".".join(pa[:len(pa) - n]), ".".join(pb[:len(pb) - n])


def compare(base: Prediction, head: Prediction, options: Optional[CompareOptions] = None,
            **kw: object) -> List[Finding]:
    """WL2xx findings between two predictions of one class (pure; no git, no I/O).

    Keyword shortcuts: `affected_by`, `ignore_missing`, `ignore_unexpected`,
    `anchor` (see `CompareOptions`).
    """
    opts = options or CompareOptions(**kw)  # type: ignore[arg-type]
    comp = _Comparison(base, head, opts)
    comp.run()
    return comp.finalize(head)


def _drop_prefixes(rec: _Shift, side: _Side) -> List[str]:
    """The removed keys of a shift, a whole old layer as its prefix when all its keys go."""
    out: Set[str] = set()
    left = set(rec.drops)
    for c in rec.dropped + rec.unsure_old:
        mine = {k for k in side.entries if _under(k, c)}
        if mine and mine <= left:
            out.add(c)
            left -= mine
    return sorted(out | left)
