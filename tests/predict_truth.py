"""Shared helpers: compare a wlint prediction with torch's real state_dict on `meta`.

Used by the fixture test, the hypothesis property test and bench/predict_accuracy.py.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, Dict, List, Optional, Tuple

Row = Tuple[str, Tuple[Any, ...], str]


def import_file(path: str, modname: str, root: Optional[str] = None) -> Any:
    """Import `path` as module `modname`, with `root` on sys.path (for project imports)."""
    if root is not None and root not in sys.path:
        sys.path.insert(0, root)
    if modname in sys.modules:
        del sys.modules[modname]
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return module


def real_state(module_ns: Dict[str, Any], expr: str) -> Tuple[List[Row], List[Row]]:
    """(state_dict rows, non-persistent buffer rows) of `expr` built on the meta device."""
    import torch

    with torch.device("meta"):
        model = eval(expr, module_ns)
    rows: List[Row] = []
    for key, tensor in model.state_dict(keep_vars=True).items():
        prefix, _, name = key.rpartition(".")
        owner = model.get_submodule(prefix) if prefix else model
        kind = "parameter" if name in owner._parameters else "buffer"
        rows.append((key, tuple(tensor.shape), kind))
    nonpersistent: List[Row] = []
    for prefix, mod in model.named_modules(remove_duplicate=False):
        for name in mod._non_persistent_buffers_set:
            buf = mod._buffers.get(name)
            if buf is not None:
                key = f"{prefix}.{name}" if prefix else name
                nonpersistent.append((key, tuple(buf.shape), "buffer"))
    return rows, nonpersistent


def predicted_state(pred: Any) -> Tuple[List[Row], List[Row]]:
    rows = [(e.key, tuple(e.shape) if e.shape is not None else None, e.kind) for e in pred.entries]
    nonp = [(e.key, tuple(e.shape) if e.shape is not None else None, e.kind)
            for e in pred.nonpersistent]
    return rows, nonp  # type: ignore[return-value]


def declared_unresolved(pred: Any) -> bool:
    """wlint says it does not know the exact answer."""
    return bool(pred.unresolved) or any(e.condition for e in pred.entries) or any(
        e.shape is None for e in pred.entries)


def exprs_in(path: str) -> List[str]:
    """`# wlint-expr: EXPR` lines of a fixture file."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("# wlint-expr:"):
                out.append(line[len("# wlint-expr:"):].strip())
    return out


def symbolic_matches(pred: Any, real: List[Row], scope: Dict[str, Any]) -> Optional[str]:
    """None when the symbolic prediction, evaluated in `scope` (symbol values;
    `{i}` standing for any index; conditional entries kept when their condition
    holds), describes exactly torch's state_dict `real`; else what differs."""
    import math
    import re

    scope = {**scope, "ceil": math.ceil, "floor": math.floor}
    patterns = []
    for e in pred.entries:
        if e.condition is not None and not eval(e.condition, scope):
            continue
        parts = re.split(r"(\{[a-z]\})", e.key)
        regex = "".join(f"(?P<{p[1]}>\\d+)" if re.fullmatch(r"\{[a-z]\}", p) else re.escape(p)
                        for p in parts)
        patterns.append((re.compile(regex + "$"), e))
    matched = set()
    last = -1
    for key, shape, kind in real:
        hits = [(i, p, e) for i, (p, e) in enumerate(patterns) if p.match(key)]
        if len(hits) != 1:
            return f"{key}: matched by {[e.key for _, _, e in hits]}"
        index, pat, entry = hits[0]
        if index < last:
            return f"{key}: out of order"
        last = index
        m = pat.match(key)
        assert m is not None
        local = {**scope, **{k: int(v) for k, v in m.groupdict().items()}}
        if entry.shape is None:
            return f"{key}: shape unknown"
        got = tuple(d if isinstance(d, int) else eval(d, local) for d in entry.shape)
        if got != shape or entry.kind != kind:
            return f"{key}: {got} {entry.kind} != {shape} {kind}"
        matched.add(entry.key)
    for _pat, entry in patterns:
        if "{" not in entry.key and entry.key not in matched:
            return f"{entry.key}: predicted, not in torch"
    return None
