"""Every fixture model (fixtures/models, written for this project) and every
`# wlint-expr:` line in it: wlint's prediction must equal torch's real
state_dict on the meta device -- ordered keys, shapes, parameter vs buffer --
and the non-persistent buffers must match too.
"""

from __future__ import annotations

import os
import sys
from typing import List, Tuple

import pytest

from predict_truth import declared_unresolved, exprs_in, import_file, predicted_state, real_state
from wlint.model.api import predict

torch = pytest.importorskip("torch")

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "fixtures", "models")


def _cases() -> List[Tuple[str, str]]:
    cases = []
    for folder, _dirs, files in sorted(os.walk(ROOT)):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            for expr in exprs_in(path):
                cases.append((os.path.relpath(path, ROOT), expr))
    return cases


CASES = _cases()


def test_enough_fixtures() -> None:
    files = {rel for rel, _ in CASES}
    assert len(files) >= 40, len(files)


@pytest.mark.parametrize("rel,expr", CASES, ids=[f"{r}::{e}" for r, e in CASES])
def test_fixture_matches_torch(rel: str, expr: str) -> None:
    path = os.path.join(ROOT, rel)
    pred = predict(path, expr)
    modname = rel[:-3].replace(os.sep, ".").replace(".__init__", "")
    folder = os.path.dirname(path)
    if folder != ROOT and folder not in sys.path:
        sys.path.append(folder)  # script-style sibling imports
    module = import_file(path, modname, ROOT)
    want, want_nonp = real_state(vars(module), expr)
    got, got_nonp = predicted_state(pred)
    assert not declared_unresolved(pred), [u.reason for u in pred.unresolved]
    assert got == want
    assert sorted(got_nonp) == sorted(want_nonp)
    assert all(e.line > 0 for e in pred.entries)
