"""Scopes and the dynamic context they run in.

`Scope` holds the variables of one module, class body or call. Items added to
a list that was created outside the current unknown branch or loop of unknown
length are wrapped (`Conditional`, `Repeated`) so the list remembers it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from wlint.model.evaluator import Evaluator
from wlint.model.symbolic import Sym
from wlint.model.values import (
    Conditional, EnumeratedRun, ModuleInst, ModuleNamespace, Repeated, SymbolicRange, Unknown,
    to_sym
)


class Scope:
    __slots__ = ("module", "parent", "vars")

    def __init__(self, vars: Dict[str, Any], parent: Optional[Scope], module: ModuleNamespace) -> None:
        self.vars = vars
        self.parent = parent
        self.module = module


def rep_wrap(it: Evaluator, container: Any, items: List[Any]) -> List[Any]:
    """Items appended inside a loop of unknown length to an outer container repeat."""
    depth = getattr(container, "depth", 0)
    if len(it.loop_atoms) > depth:
        atom, pid = it.loop_atoms[depth], it.pass_ids[depth]
        return [x if isinstance(x, Repeated) else Repeated(x, atom, pid) for x in items]
    return items


def list_wrap(it: Evaluator, lst: Any, items: List[Any]) -> List[Any]:
    """Items added to a list created outside the current unknown branch are
    conditional; inside a loop of unknown length they repeat."""
    items = rep_wrap(it, lst, items)
    base = getattr(lst, "cond_depth", 0)
    if len(it.conds) > base:
        cond = " and ".join(it.conds[base:])
        items = [Repeated(Conditional([(cond, x.value)]), x.atom, x.pass_id) if isinstance(x, Repeated) else
                 Conditional([(cond, x)]) for x in items]
    return items


def list_extend(it: Evaluator, lst: List[Any], value: Any) -> None:
    items = it.iterate(value, None) if not isinstance(value, ModuleInst) else list(
        value.modules.values())
    if items is None:
        lst.append(Repeated(Unknown("unknown items", 0, True), "?"))
        return
    lst.extend(list_wrap(it, lst, items))


def loop_value(item: Repeated, atom: str) -> Any:
    """The loop variable's value for one symbolic pass over `item`."""
    if isinstance(item.value, EnumeratedRun):
        return (Sym.name(atom) + item.value.start, loop_value(item.value.rep, atom))
    if item.atom == "#":
        rng = item.value
        index: Any = Sym.name(atom)
        if isinstance(rng, SymbolicRange):
            step, start = to_sym(rng.step), to_sym(rng.start)
            if isinstance(step, (int, Sym)) and isinstance(start, (int, Sym)):
                return index * step + start
            return Unknown("loop variable of an unknown range")
        return index
    return item.value
