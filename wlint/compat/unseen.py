"""What a comparison could not see, said as WL290 (DESIGN §5: never silent, never
guessing): unresolved parts of either side, and layers one side cannot identify."""

from __future__ import annotations

from typing import List, Set, Tuple

from wlint.compat.codes import WL290
from wlint.findings import Finding
from wlint.model.prediction import Prediction


def incomplete(base: Prediction, head: Prediction, hpath: str, name: str,
               model: str = "") -> List[Finding]:
    """WL290 (info): a comparison that may have changed could not see part of the class
    at head or at base, so the absence of a finding there is no proof of compatibility,
    even where the unseen part reads the same on both sides."""
    notes = list(head.unresolved)
    where = ""
    if not notes:
        notes, where = list(base.unresolved), " at base"
    if not notes:
        return []
    first = notes[0]
    more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
    who = f"model {model} ({name})" if model else name
    return [Finding.of(
        WL290, path=first.path or (hpath if not where else base.path or hpath),
        line=max(1, first.line), col=0, cls=name,
        message=f"{who}: state_dict comparison incomplete{where}: {first.reason}{more}; keys "
                "under unresolved constructs were not compared",
        extra={"model": model} if model else {},
    )]


def unidentified_layers(findings: List[Finding], base: Prediction, head: Prediction,
                        name: str) -> List[Finding]:
    """A layer one side could not identify (an unresolved import, a third-party class;
    `Prediction.unidentified`) is not "removed" or "added" on the side that knows it:
    its WL201/WL202 become one WL290 per layer saying what is unknown."""
    out: List[Finding] = []
    noted: Set[str] = set()
    for f in findings:
        if f.code not in ("WL201", "WL202") or f.extra.get("removed_class"):
            out.append(f)
            continue
        added = f.code == "WL202"
        key = f.key if added else f.old_key
        slot = (base if added else head).unidentified_at(_owner(head if added else base,
                                                                key or ""))
        if slot is None:
            out.append(f)
            continue
        if slot.prefix in noted:
            continue
        noted.add(slot.prefix)
        side = "base" if added else "head"
        out.append(Finding.of(
            WL290, path=f.path if added else (slot.path or head.path), col=0, cls=name,
            line=f.line if added else max(1, slot.line), key=f.key, old_key=f.old_key,
            message=(f"{name}: cannot tell whether `{slot.prefix}` keeps its keys: the {side} "
                     f"revision's layer there is unidentified ({slot.reason})"),
            extra=dict(f.extra)))
    return out


def _owner(pred: Prediction, key: str) -> str:
    for e in pred.entries:
        if e.key == key:
            return e.owner or (key.rsplit(".", 1)[0] if "." in key else "")
    return key.rsplit(".", 1)[0] if "." in key else ""


def same_state(base: Prediction, head: Prediction) -> bool:
    return (base.entries == head.entries and base.nonpersistent == head.nonpersistent
            and module_args(base) == module_args(head))


def module_args(p: Prediction) -> List[Tuple[str, str, Tuple[Tuple[str, str], ...]]]:
    return [(m.prefix, m.type, m.args) for m in p.modules]
