"""Text of source nodes and errors, as notes and conditions show them (dotted names:
`wlint.source.dotted_name`)."""

from __future__ import annotations

import ast


def source_text(node: ast.AST) -> str:
    """The Python source of `node` (its type name if it cannot be unparsed)."""
    try:
        return ast.unparse(node)
    except Exception:
        return type(node).__name__


def short_error(exc: BaseException) -> str:
    """An exception as one note-sized line."""
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."


def short_source(node: ast.AST, limit: int = 80) -> str:
    """`source_text` cut to one note-sized piece."""
    text = " ".join(source_text(node).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
