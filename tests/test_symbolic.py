"""Symbolic predictions: normalisation of `Sym`, and bare-class predictions
checked against torch by substituting concrete values for the symbols.

A fixture line `# wlint-sym: Net ;; dim=40` means: predict `Net` with its
required parameters as symbols, then build `Net(dim=40)` on meta with torch
and check that the symbolic keys/shapes/conditions, evaluated with dim=40
(`{i}` standing for any index), describe exactly torch's state_dict.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Dict, List, Tuple

import pytest

from predict_truth import import_file, real_state, symbolic_matches
from wlint.model.api import predict
from wlint.model.symbolic import Sym, render, shape_item

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "fixtures", "models")


def test_normalised_products_compare_equal() -> None:
    n = Sym.name("n_embd")
    assert 4 * n == n * 4
    assert hash(4 * n) == hash(n * 4)
    assert shape_item(4 * n) == shape_item(n * 4) == "4*n_embd"
    a, b = Sym.name("a"), Sym.name("b")
    assert a * (b + 1) == a * b + a
    assert render((a + b) * (a - b)) == "a**2 - b**2"
    assert (n * 4) // 4 == n
    assert shape_item(n - n + 3) == 3


def test_opaque_atoms_render_as_python() -> None:
    n = Sym.name("dim")
    text = shape_item((n // 3) * 2 + 1)
    assert eval(text, {"dim": 10}) == (10 // 3) * 2 + 1
    assert shape_item(n % 7 + 1) == "(dim%7) + 1"


def _sym_cases() -> List[Tuple[str, str, str]]:
    out = []
    for name in sorted(os.listdir(ROOT)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("# wlint-sym:"):
                    expr, _, binds = line[len("# wlint-sym:"):].partition(";;")
                    out.append((name, expr.strip(), binds.strip()))
    return out


SYM_CASES = _sym_cases()


def test_symbolic_cases_exist() -> None:
    assert len(SYM_CASES) >= 8


def _pattern(key: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z]\})", key)
    regex = "".join(f"(?P<{p[1]}>\\d+)" if re.fullmatch(r"\{[a-z]\}", p) else re.escape(p)
                    for p in parts)
    return re.compile(regex + "$")


@pytest.mark.parametrize("name,expr,binds", SYM_CASES, ids=[f"{n}::{e}" for n, e, _ in SYM_CASES])
def test_symbolic_prediction_matches_torch(name: str, expr: str, binds: str) -> None:
    pytest.importorskip("torch")
    path = os.path.join(ROOT, name)
    pred = predict(path, expr)
    assert not pred.unresolved, [u.reason for u in pred.unresolved]
    module = import_file(path, name[:-3], ROOT)
    ns: Dict[str, Any] = dict(vars(module))
    env: Dict[str, Any] = eval(f"dict({binds})", ns)
    real, _ = real_state(ns, f"{expr}(**{env!r})" if "(" not in binds else f"{expr}({binds})")
    mismatch = symbolic_matches(pred, real, {**ns, **env})
    assert mismatch is None, mismatch
    assert "torch" in sys.modules  # the test itself used torch; the predictor did not need it
