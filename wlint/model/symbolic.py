"""Symbolic integer expressions for shapes over unknown constructor arguments.

A `Sym` is a polynomial with integer coefficients over *atoms*. An atom is a
name (`n_embd`) or an opaque, already-normalised sub-expression that is not a
polynomial (`n_embd//n_head`). Polynomials are kept in a canonical form, so
`4*n_embd == n_embd*4` and `a*(b+1) == a*b + a` compare and hash equal, and
render as Python expressions (the JSON shape items of `wlint keys`).
"""

from __future__ import annotations

from typing import Dict, Iterable, Tuple, Union

from wlint.model.signals import TooLarge

MAX_TERMS = 512  # terms of one polynomial
MAX_DEGREE = 256  # atoms in one monomial
MAX_WORK = 1 << 16  # term pairs one multiplication may form
MAX_ATOM_TEXT = 4096  # characters of one opaque atom

Monomial = Tuple[str, ...]  # sorted atom names, repeated for powers
IntLike = Union[int, "Sym"]


class Sym:
    """An integer-valued polynomial over named atoms (immutable, hashable)."""

    __slots__ = ("_hash", "terms")

    def __init__(self, terms: Dict[Monomial, int]) -> None:
        self.terms: Dict[Monomial, int] = {m: c for m, c in terms.items() if c != 0}
        self._hash = hash(frozenset(self.terms.items()))

    # construction ---------------------------------------------------------
    @classmethod
    def name(cls, atom: str) -> Sym:
        return cls({(atom,): 1})

    @classmethod
    def const(cls, value: int) -> Sym:
        return cls({(): value})

    @staticmethod
    def lift(value: IntLike) -> Sym:
        if isinstance(value, Sym):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"cannot lift {value!r} into a symbolic integer")
        return Sym.const(value)

    def simplify(self) -> IntLike:
        """A plain int when no atom is left, else self."""
        if not self.terms:
            return 0
        if list(self.terms) == [()]:
            return self.terms[()]
        return self

    # arithmetic -------------------------------------------------------------
    def __add__(self, other: IntLike) -> IntLike:
        other_s = Sym.lift(other)
        terms = dict(self.terms)
        for mono, coef in other_s.terms.items():
            terms[mono] = terms.get(mono, 0) + coef
        return Sym(terms).simplify()

    __radd__ = __add__

    def __neg__(self) -> IntLike:
        return Sym({m: -c for m, c in self.terms.items()}).simplify()

    def __sub__(self, other: IntLike) -> IntLike:
        return self + (-Sym.lift(other))

    def __rsub__(self, other: IntLike) -> IntLike:
        return Sym.lift(other) + (-self)

    def __mul__(self, other: IntLike) -> IntLike:
        other_s = Sym.lift(other)
        if len(self.terms) * len(other_s.terms) > MAX_WORK or \
                self.degree() + other_s.degree() > MAX_DEGREE:
            raise TooLarge()
        terms: Dict[Monomial, int] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other_s.terms.items():
                mono = tuple(sorted(m1 + m2))
                terms[mono] = terms.get(mono, 0) + c1 * c2
        if len(terms) > MAX_TERMS:
            raise TooLarge()
        return Sym(terms).simplify()

    __rmul__ = __mul__

    def __pow__(self, exponent: int) -> IntLike:
        if isinstance(exponent, bool) or not isinstance(exponent, int) or exponent < 0:
            return opaque("**", self, exponent)
        if self.degree() * exponent > MAX_DEGREE:
            raise TooLarge()
        result: IntLike = 1
        for _ in range(exponent):
            result = Sym.lift(result) * self
        return result

    def __floordiv__(self, other: IntLike) -> IntLike:
        if isinstance(other, int) and not isinstance(other, bool) and other != 0 and all(
                c % other == 0 for c in self.terms.values()):
            return Sym({m: c // other for m, c in self.terms.items()}).simplify()
        if isinstance(other, Sym) and other == self:
            return 1
        return opaque("//", self, other)

    def __rfloordiv__(self, other: IntLike) -> IntLike:
        return opaque("//", other, self)

    def __mod__(self, other: IntLike) -> IntLike:
        return opaque("%", self, other)

    def __rmod__(self, other: IntLike) -> IntLike:
        return opaque("%", other, self)

    # comparison -------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sym):
            return self.terms == other.terms
        if isinstance(other, int) and not isinstance(other, bool):
            return self.simplify() == other if not isinstance(self.simplify(), Sym) else False
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __bool__(self) -> bool:
        raise TypeError(f"truth value of symbolic {render(self)} is unknown")

    def degree(self) -> int:
        return max((len(m) for m in self.terms), default=0)

    def atoms(self) -> Iterable[str]:
        for mono in self.terms:
            yield from mono

    # rendering --------------------------------------------------------------
    def __str__(self) -> str:
        return render(self)

    def __repr__(self) -> str:
        return f"Sym({render(self)!r})"


def _mono_key(item: Tuple[Monomial, int]) -> Tuple[int, Monomial]:
    mono, _ = item
    return (-len(mono), mono)


def _render_mono(mono: Monomial) -> str:
    parts = []
    i = 0
    while i < len(mono):
        atom = mono[i]
        power = 1
        while i + power < len(mono) and mono[i + power] == atom:
            power += 1
        text = atom if _is_simple(atom) else f"({atom})"
        parts.append(text if power == 1 else f"{text}**{power}")
        i += power
    return "*".join(parts)


def _is_simple(atom: str) -> bool:
    """A name (`n_embd`, `config.n_embd`) or a call (`max(a, b)`): needs no parentheses."""
    if atom.replace("_", "a").replace(".", "a").isalnum():
        return True
    head, paren, rest = atom.partition("(")
    if not paren or not head or not head.replace("_", "a").replace(".", "a").isalnum():
        return False
    if not rest.endswith(")"):
        return False
    depth = 1
    for ch in rest[:-1]:
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        if depth == 0:
            return False
    return True


def render(sym: Sym) -> str:
    """Canonical Python-syntax text: highest degree first, then by name."""
    pieces = []
    for mono, coef in sorted(sym.terms.items(), key=_mono_key):
        if not mono:
            body = str(abs(coef))
        elif abs(coef) == 1:
            body = _render_mono(mono)
        else:
            body = f"{abs(coef)}*{_render_mono(mono)}"
        sign = "-" if coef < 0 else "+"
        pieces.append((sign, body))
    if not pieces:
        return "0"
    first_sign, first = pieces[0]
    text = ("-" if first_sign == "-" else "") + first
    for sign, body in pieces[1:]:
        text += f" {sign} {body}"
    return text


def _operand_text(value: IntLike) -> str:
    if isinstance(value, Sym):
        text = render(value)
        if len(value.terms) == 1 and _is_simple(text.replace("*", "")):
            return text
        return f"({text})"
    return str(value)


def opaque(op: str, left: IntLike, right: IntLike) -> Sym:
    """A non-polynomial expression kept as one canonical atom."""
    text = f"{_operand_text(left)}{op}{_operand_text(right)}"
    if len(text) > MAX_ATOM_TEXT:
        raise TooLarge()
    return Sym.name(text)


def shape_item(value: IntLike) -> Union[int, str]:
    """JSON form of one dimension: an int, or the canonical expression text."""
    if isinstance(value, Sym):
        simple = value.simplify()
        return simple if isinstance(simple, int) else render(value)
    return value
