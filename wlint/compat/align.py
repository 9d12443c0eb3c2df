"""Order-preserving alignment of the old and new children of a container.

The children of an `nn.Sequential` / `ModuleList` are paired by their module
TYPE sequence (an LCS over types), because an inserted Dropout or a widened
layer must not hide that `head.1` became `head.2`; shapes only break ties and
decide WL204 afterwards. Among all pairings with the most same-type pairs,
the best one has, in this order: the most pairs with the same key-name set
(structure), the most pairs with identical shapes, the most pairs that kept
their index (claim no move without evidence).

Precision first: when several pairings are equally good, only the pairs that
every one of them contains are returned (`sure`); the other children are left
to name-by-name comparison (removed / added / size mismatch), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import FrozenSet, List, Optional, Sequence, Set, Tuple

from wlint.findings import Shape

UNKNOWN = "?"  # a child without a module record: paired only with the same index


@dataclass(frozen=True)
class Child:
    """What alignment looks at: type, relative key names, shapes, index."""

    index: int
    type: str
    names: FrozenSet[Tuple[str, str]]  # (relative key, kind)
    shapes: Tuple[Tuple[str, Optional[Shape]], ...]  # sorted (relative key, shape)

    @property
    def keyed(self) -> bool:
        return bool(self.names)


@dataclass
class Alignment:
    """`sure`: (old position, new position) pairs contained in every best pairing;
    `inserted` / `dropped`: positions unpaired in every best pairing;
    `ambiguous`: more than one best pairing existed."""

    sure: List[Tuple[int, int]] = field(default_factory=list)
    inserted: List[int] = field(default_factory=list)
    dropped: List[int] = field(default_factory=list)
    ambiguous: bool = False


def same_layout(old: Sequence[Child], new: Sequence[Child]) -> bool:
    """Nothing moved: same types, key names and shapes at every index."""
    return len(old) == len(new) and all(
        (o.type, o.names, o.shapes) == (n.type, n.names, n.shapes) for o, n in zip(old, new))


def align(old: Sequence[Child], new: Sequence[Child]) -> Alignment:
    """The sure pairs of the best type alignment (see the module docstring)."""
    m, n = len(old), len(new)
    if m == n and all(o.type == c.type for o, c in zip(old, new)):
        # the only pairing of every child is index to index
        return Alignment(sure=[(i, i) for i in range(m)])
    base = max(m, n) + 1  # each tie-break sum stays below `base`
    weight = [[_weight(o, c, base) for c in new] for o in old]
    fwd = _table(weight, m, n)
    bwd = _table([row[::-1] for row in weight[::-1]], m, n)
    best, total = fwd[m][n]
    through_any: Set[Tuple[int, int]] = set()
    sure: List[Tuple[int, int]] = []
    for i in range(m):
        for j in range(n):
            w = weight[i][j]
            if w is None:
                continue
            s1, c1 = fwd[i][j]  # old[:i] with new[:j]
            s2, c2 = bwd[m - i - 1][n - j - 1]  # old[i+1:] with new[j+1:]
            if s1 + w + s2 != best:
                continue
            through_any.add((i, j))
            if c1 * c2 == total:
                sure.append((i, j))
    paired_old = {i for i, _ in through_any}
    paired_new = {j for _, j in through_any}
    return Alignment(sure=sure, inserted=[j for j in range(n) if j not in paired_new],
                     dropped=[i for i in range(m) if i not in paired_old],
                     ambiguous=total > 1)


def _weight(o: Child, c: Child, base: int) -> Optional[int]:
    """Score of pairing o with c (None: different types, or unknown ones that moved)."""
    if o.type != c.type or (o.type == UNKNOWN and o.index != c.index):
        return None
    structure = int(o.names == c.names)
    shapes = int(structure == 1 and o.keyed and o.shapes == c.shapes
                 and all(s is not None for _, s in o.shapes))
    same_index = int(o.index == c.index)
    return ((base + structure) * base + shapes) * base + same_index


def _table(weight: Sequence[Sequence[Optional[int]]], m: int, n: int) -> List[List[Tuple[int, int]]]:
    """(best score, number of distinct best pairings) of every prefix pair old[:i], new[:j].

    Pairings (not paths) are counted: the ones using neither old[i-1] nor new[j-1]
    are in both smaller tables and are subtracted once."""
    table = [[(0, 1)] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        row, prev = table[i], table[i - 1]
        wrow = weight[i - 1]
        for j in range(1, n + 1):
            s1, c1 = prev[j]
            s2, c2 = row[j - 1]
            s0, c0 = prev[j - 1]
            best = max(s1, s2)
            count = (c1 if s1 == best else 0) + (c2 if s2 == best else 0) \
                - (c0 if s0 == best else 0)
            w = wrow[j - 1]
            if w is not None:
                s3 = s0 + w
                if s3 > best:
                    best, count = s3, c0
                elif s3 == best:
                    count += c0
            row[j] = (best, count)
    return table
