"""Conditions as values (pytype's flow/conditions.py): what a branch of the analysed
code, and so a key registered in it, depends on.

A condition is a frozen tree of `Text` (the Python text of one unknown test, in
terms of the symbols: `config.bias`, `d > 3`), `Not`, `And` and `Or`, with the
singletons `TRUE` and `FALSE`. `render()` gives the text users see in `wlint
keys`, WL2xx messages and JSON (`config.bias and not (d > 3)`); two conditions
are the same when they render the same, which is also how they compare across
revisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple


@dataclass(frozen=True, eq=False)
class Condition:
    """Base of the condition tree; equality and hashing go by the rendered text."""

    text: str = field(init=False, repr=False, compare=False)

    def render(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, eq=False)
class Text(Condition):
    """One unknown test, as Python text."""

    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self.source)


@dataclass(frozen=True, eq=False)
class Not(Condition):
    operand: Condition = field(default_factory=lambda: Text("True"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", f"not ({self.operand.text})")


@dataclass(frozen=True, eq=False)
class And(Condition):
    """All parts hold (build with `conjunction`, which flattens nested Ands)."""

    parts: Tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", " and ".join(p.text for p in self.parts))


@dataclass(frozen=True, eq=False)
class Or(Condition):
    parts: Tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", " or ".join(p.text for p in self.parts))


TRUE = Text("True")
FALSE = Text("False")


def conjunction(*parts: Optional[Condition]) -> Optional[Condition]:
    """`a and b …` over the given parts (None parts are dropped; None when none is left;
    a single part is itself)."""
    flat: list = []
    for part in parts:
        if part is None:
            continue
        flat.extend(part.parts if isinstance(part, And) else (part,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def render(cond: Optional[Condition]) -> Optional[str]:
    """The text of a condition, None for "always"."""
    return None if cond is None else cond.text
