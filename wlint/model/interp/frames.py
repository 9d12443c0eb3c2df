"""Scopes and the dynamic context they run in (pytype's frame state).

`Scope` holds the variables of one module, class body or call, and what
Python keeps lexically next to them: the class a method belongs to and its
`self` (for zero-argument super(), which Python also resolves lexically) and
the list a generator's yields go to.

`Frame` is the dynamic context: the file being run, the unknown conditions of
the current branch, the atoms (and pass ids) of the enclosing loops of unknown
length. It changes only through the context managers `in_module`, `in_file`,
`in_call`, `in_branch` and `in_loop`, so every change is undone on the way out.

Items added to a list that was created outside the current unknown branch or
loop of unknown length are wrapped (`Conditional`, `Repeated`) so the list
remembers it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from wlint.model.conditions import Condition, conjunction
from wlint.model.evaluator import LOOP_ATOMS, MAX_ITEMS, Evaluator
from wlint.model.signals import TooLarge
from wlint.model.symbolic import Sym
from wlint.model.values import (
    MISSING, Conditional, EnumeratedRun, ModuleInst, ModuleNamespace, Repeated, SymbolicRange, Unknown,
    TrackedList, to_sym
)


class Scope:
    """Variables of one module, class body or call (`parent`: the enclosing scope)."""

    __slots__ = ("module", "owner", "parent", "self_value", "vars", "yield_sink")

    def __init__(self, vars: Dict[str, Any], parent: Optional[Scope], module: ModuleNamespace,
                 owner: Any = None) -> None:
        self.vars = vars
        self.parent = parent
        self.module = module
        self.owner = owner  # the UserClass of a class body or of a method's call
        self.self_value: Any = MISSING  # a method call's first argument
        self.yield_sink: Optional[TrackedList] = None  # where a generator's yields go


class Frame:
    """The dynamic context: current file, conditions, loops of unknown length."""

    __slots__ = ("comp_atoms", "conds", "loop_atoms", "pass_ids", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.conds: List[Condition] = []  # unknown conditions of the current branch
        self.loop_atoms: List[str] = []  # index symbols of the enclosing unknown-length loops
        self.pass_ids: List[int] = []  # parallel to loop_atoms
        self.comp_atoms: List[Tuple[str, int]] = []  # (atom, pass id) of comprehension loops


class _InModule:
    """Run a module's top level: a fresh frame for `relpath`, notes muted."""

    __slots__ = ("frame", "it", "saved")

    def __init__(self, it: Evaluator, relpath: str) -> None:
        self.it, self.frame = it, Frame(relpath)

    def __enter__(self) -> Frame:
        self.saved = self.it.frame
        self.it.frame = self.frame
        self.it.loading += 1
        return self.frame

    def __exit__(self, *exc: Any) -> None:
        self.it.loading -= 1
        self.it.frame = self.saved


class _InFile:
    """Run code defined in another file (a class body, a function): notes name it."""

    __slots__ = ("frame", "path", "saved")

    def __init__(self, frame: Frame, path: str) -> None:
        self.frame, self.path = frame, path

    def __enter__(self) -> None:
        self.saved = self.frame.path
        self.frame.path = self.path

    def __exit__(self, *exc: Any) -> None:
        self.frame.path = self.saved


class _InCall:
    """Run a function body: its file, one call deeper (hot: every call)."""

    __slots__ = ("frame", "it", "path", "saved")

    def __init__(self, it: Evaluator, path: str) -> None:
        self.it, self.frame, self.path = it, it.frame, path

    def __enter__(self) -> None:
        self.saved = self.frame.path
        self.frame.path = self.path
        self.it.depth += 1

    def __exit__(self, *exc: Any) -> None:
        self.it.depth -= 1
        self.frame.path = self.saved


class _InBranch:
    """Run one arm of a branch on an unknown condition."""

    __slots__ = ("cond", "conds")

    def __init__(self, conds: List[Condition], cond: Condition) -> None:
        self.conds, self.cond = conds, cond

    def __enter__(self) -> None:
        self.conds.append(self.cond)

    def __exit__(self, *exc: Any) -> None:
        self.conds.pop()


class _InLoop:
    """Run one symbolic pass of a loop of unknown length (index symbol `atom`)."""

    __slots__ = ("atom", "comprehension", "frame", "it")

    def __init__(self, it: Evaluator, atom: str, comprehension: bool) -> None:
        self.it, self.frame, self.atom, self.comprehension = it, it.frame, atom, comprehension

    def __enter__(self) -> int:
        self.it.pass_counter += 1
        pass_id = self.it.pass_counter
        self.frame.loop_atoms.append(self.atom)
        self.frame.pass_ids.append(pass_id)
        if self.comprehension:
            self.frame.comp_atoms.append((self.atom, pass_id))
        return pass_id

    def __exit__(self, *exc: Any) -> None:
        self.frame.loop_atoms.pop()
        self.frame.pass_ids.pop()
        if self.comprehension:
            self.frame.comp_atoms.pop()


def in_module(it: Evaluator, relpath: str) -> _InModule:
    return _InModule(it, relpath)


def in_file(it: Evaluator, path: str) -> _InFile:
    return _InFile(it.frame, path)


def in_call(it: Evaluator, path: str) -> _InCall:
    return _InCall(it, path)


def in_branch(it: Evaluator, cond: Condition) -> _InBranch:
    return _InBranch(it.frame.conds, cond)


def in_loop(it: Evaluator, atom: str, comprehension: bool = False) -> _InLoop:
    return _InLoop(it, atom, comprehension)


def next_atom(it: Evaluator) -> str:
    """The index symbol of a new loop of unknown length (`i`, then `j`, `k`…)."""
    depth = len(it.frame.loop_atoms)
    return LOOP_ATOMS[min(depth, len(LOOP_ATOMS) - 1)]


def rep_wrap(it: Evaluator, container: Any, items: List[Any]) -> List[Any]:
    """Items appended inside a loop of unknown length to an outer container repeat."""
    depth = getattr(container, "depth", 0)
    if len(it.frame.loop_atoms) > depth:
        atom, pid = it.frame.loop_atoms[depth], it.frame.pass_ids[depth]
        return [x if isinstance(x, Repeated) else Repeated(x, atom, pid) for x in items]
    return items


def list_wrap(it: Evaluator, lst: Any, items: List[Any]) -> List[Any]:
    """Items added to a list created outside the current unknown branch are
    conditional; inside a loop of unknown length they repeat."""
    items = rep_wrap(it, lst, items)
    base = getattr(lst, "cond_depth", 0)
    if len(it.frame.conds) > base:
        cond = conjunction(*it.frame.conds[base:])
        items = [Repeated(Conditional([(cond, x.value)]), x.atom, x.pass_id) if isinstance(x, Repeated) else
                 Conditional([(cond, x)]) for x in items]
    return items


def list_extend(it: Evaluator, lst: List[Any], value: Any) -> None:
    items = it.iterate(value, None) if not isinstance(value, ModuleInst) else list(
        value.modules.values())
    if items is None:
        lst.append(Repeated(Unknown("unknown items", 0, True), "?"))
        return
    if len(lst) + len(items) > MAX_ITEMS:
        raise TooLarge()
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
