"""Named models over the revision cases: fixtures/revisions/<case>/expect.json "models".

Each listed model (`path`, `expr`) is passed to `diff_revisions` as a named model.
Truth comes from torch: the model is built on `meta` at both revisions and the keys
its findings remove, add and reshape must be exactly what changed between the two
real state_dicts, with full concrete keys (no `{i}`, no symbols); each finding
carries the model's name, and the verdict status is the case's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
from test_revisions import CASES, CASES_DIR, check_accounting, load_expect, make_repo, torch_state

from wlint.compat import diff_revisions
from wlint.named_models import ModelSpec

NAMED = [(case, m["name"]) for case in CASES for m in load_expect(case).get("models", [])]


def test_there_are_named_model_cases() -> None:
    assert len({case for case, _ in NAMED}) >= 3


def _specs(repo: Path, models: List[Dict[str, Any]]) -> List[ModelSpec]:
    return [ModelSpec(name=m["name"], path=m["path"], expr=m["expr"], root=str(repo))
            for m in models]


@pytest.mark.parametrize(("case", "name"), NAMED)
def test_named_model_case(case: str, name: str, tmp_path: Path) -> None:
    exp = load_expect(case)
    model = next(m for m in exp["models"] if m["name"] == name)
    repo = tmp_path / "repo"
    base, head = make_repo(CASES_DIR / case, repo, exp.get("head", "commit"))
    result = diff_revisions(str(repo), base, head, use_cache=False,
                            models=_specs(repo, exp["models"]))
    mine = [f for f in result.findings if f.extra.get("model") == name]
    detail = "\n".join(f"{f.path}:{f.line}: {f.code} {f.message}" for f in mine)
    assert sorted({f.code for f in mine}) == model["codes"], detail
    verdict = next(v for v in result.models if v.model.name == name)
    assert verdict.status == model["status"], detail
    for f in mine:
        for key in (f.key, f.old_key):
            assert key is None or "{i}" not in key, detail
        for shape in (f.old_shape, f.new_shape):
            assert shape is None or all(isinstance(d, int) for d in shape), detail
    old = torch_state(CASES_DIR / case / "before", model["path"], model["expr"])
    new = torch_state(CASES_DIR / case / "after", model["path"], model["expr"])
    check_accounting(old, new, mine, detail)
    # per-class findings are the same with or without the named models (except the
    # symbolic shape changes the models prove equal, which become info)
    plain = diff_revisions(str(repo), base, head, use_cache=False)
    per_class = [f for f in result.findings if "model" not in f.extra]
    assert {(f.key, f.old_key) for f in per_class} == {(f.key, f.old_key) for f in plain.findings}
