"""einops over the value lattice: the shape of `rearrange`, `repeat` and `reduce`
from the pattern, the input shape and the axis lengths given as keywords
(`rearrange(t, 'i j c -> (i j) c')`, `repeat(t, 'n d -> b n d', b=2)`), so a
buffer or parameter built with them keeps its shape. A pattern the rules do not
cover (an unknown input shape, an axis whose length cannot be told) is an
unknown shape, never a guess. The layer wrappers (`Rearrange`, `Reduce`) are in
the layer catalog.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import register_functions
from wlint.model.symbolic import Sym
from wlint.model.values import Tensor, to_sym

Group = List[str]  # the axes of one position: ['i', 'j'] for `(i j)`, ['1'] for `1`


def parse_side(text: str) -> Optional[List[Group]]:
    """One side of a pattern: positions of axis names, `(...)` groups and `1`s;
    None for what the rules do not cover (ellipsis, nested or unclosed groups)."""
    out: List[Group] = []
    group: Optional[Group] = None
    for token in text.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            if group is not None:
                return None
            group = []
        elif token == ")":
            if group is None:
                return None
            out.append(group)
            group = None
        elif token == "..." or not (token.isidentifier() or token.isdigit()):
            return None
        elif group is not None:
            group.append(token)
        else:
            out.append([token])
    return None if group is not None else out


def _product(values: List[Any]) -> Any:
    total: Any = 1
    for v in values:
        total = total * v
    return total


def _is_size(v: Any) -> bool:
    return isinstance(v, (int, Sym)) and not isinstance(v, bool)


def axis_lengths(left: List[Group], shape: Tuple[Any, ...], given: Dict[str, Any]
                 ) -> Optional[Dict[str, Any]]:
    """Length of every axis of the input side (one unknown axis per group is solved)."""
    if len(left) != len(shape):
        return None
    sizes = {k: to_sym(v) for k, v in given.items()}
    for group, dim in zip(left, shape):
        dim = to_sym(dim)
        unknown = [a for a in group if a not in sizes and not a.isdigit()]
        known = [int(a) if a.isdigit() else sizes[a] for a in group if a not in unknown]
        if len(unknown) > 1 or not all(_is_size(v) for v in known) or not _is_size(dim):
            return None
        if unknown:
            rest = _product(known)
            if isinstance(dim, int) and isinstance(rest, int):
                if rest == 0 or dim % rest:
                    return None
                sizes[unknown[0]] = dim // rest
            elif rest == 1:
                sizes[unknown[0]] = dim
            else:
                return None
    return sizes


def output_shape(pattern: Any, shape: Optional[Tuple[Any, ...]], given: Dict[str, Any]
                 ) -> Optional[Tuple[Any, ...]]:
    """The result shape of an einops pattern, or None when it cannot be told."""
    if shape is None or not isinstance(pattern, str) or pattern.count("->") != 1:
        return None
    left_text, right_text = pattern.split("->")
    left, right = parse_side(left_text), parse_side(right_text)
    if left is None or right is None:
        return None
    sizes = axis_lengths(left, shape, given)
    if sizes is None:
        return None
    out: List[Any] = []
    for group in right:
        values = [int(a) if a.isdigit() else sizes.get(a) for a in group]
        if any(v is None for v in values):
            return None
        out.append(_product(values))
    return tuple(out)


def einops_call(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """rearrange / repeat / reduce(tensor, pattern, [reduction], **axis_lengths)."""
    tensor = args[0] if args else kw.get("tensor")
    pattern = args[1] if len(args) > 1 else kw.get("pattern")
    axes = {k: v for k, v in kw.items() if k not in ("tensor", "pattern", "reduction")}
    shape = output_shape(pattern, tensor.shape, axes) if isinstance(tensor, Tensor) else None
    return Tensor(shape, getattr(node, "lineno", 0), it.frame.path)


register_functions("einops", {"rearrange": einops_call, "repeat": einops_call, "reduce": einops_call})
