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


def _key_pattern(key: str) -> Tuple[Any, List[str]]:
    """A regex for a predicted key whose `{expr}` parts stand for indices."""
    import re

    exprs: List[str] = []
    regex = ""
    for part in re.split(r"(\{[^{}]*\})", key):
        if part.startswith("{") and part.endswith("}"):
            exprs.append(part[1:-1])
            regex += "(\\d+)"
        else:
            regex += re.escape(part)
    return re.compile(regex + "$"), exprs


def _solve(exprs: List[str], numbers: List[int]) -> Optional[Dict[str, int]]:
    """Values of the index atoms making every `expr` equal its number (small search)."""
    import re

    atoms = sorted({a for e in exprs for a in re.findall(r"\b[a-z]\b", e)})
    if len(atoms) > 2:
        return None
    bound = max(numbers, default=0) + 1
    ranges = [range(bound)] * len(atoms)
    import itertools

    for values in itertools.product(*ranges):
        env = dict(zip(atoms, values))
        if all(eval(e, {}, env) == n for e, n in zip(exprs, numbers)):
            return env
    return None


def symbolic_matches(pred: Any, real: List[Row], scope: Dict[str, Any]) -> Optional[str]:
    """None when the symbolic prediction, evaluated in `scope` (symbol values;
    `{i}`, `{2*i + 1}` standing for indices; conditional entries kept when their
    condition holds), describes exactly torch's state_dict `real`; else what differs."""
    import math

    scope = {**scope, "ceil": math.ceil, "floor": math.floor}
    patterns = []
    for e in pred.entries:
        if e.condition is not None and not eval(e.condition, scope):
            continue
        regex, exprs = _key_pattern(e.key)
        patterns.append((regex, exprs, e))
    matched = set()
    last: Dict[Any, int] = {}  # per binding of the index placeholders: last pattern index
    for key, shape, kind in real:
        hits = []
        for i, (regex, exprs, e) in enumerate(patterns):
            m = regex.match(key)
            if m is None:
                continue
            env = _solve(exprs, [int(g) for g in m.groups()])
            if env is not None:
                hits.append((i, e, env))
        if len(hits) != 1:
            return f"{key}: matched by {[e.key for _, e, _ in hits]}"
        index, entry, env = hits[0]
        binding = tuple(sorted(env.items()))
        if index < last.get(binding, -1) or (not binding and index < max(last.values(), default=-1)):
            return f"{key}: out of order"
        last[binding] = index
        local = {**scope, **env}
        if entry.shape is None:
            return f"{key}: shape unknown"
        got = tuple(d if isinstance(d, int) else eval(d, local) for d in entry.shape)
        if got != shape or entry.kind != kind:
            return f"{key}: {got} {entry.kind} != {shape} {kind}"
        matched.add(entry.key)
    for _regex, _exprs, entry in patterns:
        if "{" not in entry.key and entry.key not in matched:
            return f"{entry.key}: predicted, not in torch"
    return None
