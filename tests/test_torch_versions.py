"""Torch-version branches (target-torch): the table of torch names against the
installed torch, and predictions against torch itself at several simulated targets.

An older torch is not installable next to torch 2.13, so it is simulated: the
installed torch with `torch.__version__` set to the target and every name the
table says came later removed. The model code then takes its old-torch branches
*in Python*, and its state_dict on `meta` is the truth the prediction made with
that target must equal.
"""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path
from typing import Any, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predict_truth import declared_unresolved, exprs_in, import_file, predicted_state, real_state
from wlint.compat import diff_revisions
from wlint.config import Config
from wlint.model.api import predict
from wlint.model.overlays.torch_versions import INTRODUCED, exists, render
from wlint.model.values import Unknown
from wlint.torch_target import CHECKED_TORCH, allows

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
BRANCHES = FIXTURES / "m70_torch_version_branches.py"
INSTALLED = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])


def _resolve(qual: str) -> Tuple[Any, str]:
    """(parent object, attribute name) of a dotted torch name, importing submodules."""
    parent_name, _, attr = qual.rpartition(".")
    parts = parent_name.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:i + 1]))
    return obj, attr


def test_the_catalog_torch_is_the_installed_torch() -> None:
    assert CHECKED_TORCH == INSTALLED, "the catalog and the version table were checked " \
        "against another torch: re-check them and update layers.CHECKED_TORCH"


@pytest.mark.parametrize("qual", sorted(INTRODUCED))
def test_every_name_of_the_table_exists_in_the_installed_torch(qual: str) -> None:
    assert INTRODUCED[qual] <= INSTALLED
    parent, attr = _resolve(qual)
    if not hasattr(parent, attr):
        importlib.import_module(qual)  # a submodule not imported by its package
    assert exists(CHECKED_TORCH, qual) is True


def _simulate(monkeypatch: pytest.MonkeyPatch, target: Tuple[int, ...]) -> None:
    """The installed torch as torch `target` looks to model code: its version, and the
    torch.nn names of the table it lacks (names elsewhere stay: torch itself uses them)."""
    fake = torch.torch_version.TorchVersion(render(target))
    monkeypatch.setattr(torch, "__version__", fake)
    monkeypatch.setattr(torch.version, "__version__", fake)
    for qual, introduced in INTRODUCED.items():
        if introduced > target and qual.startswith("torch.nn."):
            parent, attr = _resolve(qual)
            monkeypatch.delattr(parent, attr, raising=False)


TARGETS = [(1, 9), (1, 13), (2, 0), (2, 3), (2, 4), CHECKED_TORCH]


@pytest.mark.parametrize("target", TARGETS, ids=[render(t) for t in TARGETS])
@pytest.mark.parametrize("expr", exprs_in(str(BRANCHES)))
def test_branches_are_taken_as_the_target_torch_takes_them(
        monkeypatch: pytest.MonkeyPatch, target: Tuple[int, ...], expr: str) -> None:
    pred = predict(str(BRANCHES), expr, torch_version=target)
    with monkeypatch.context() as patch:
        _simulate(patch, target)
        module = import_file(str(BRANCHES), f"m70_at_{'_'.join(map(str, target))}")
        want, want_nonp = real_state(vars(module), expr)
    got, got_nonp = predicted_state(pred)
    assert not declared_unresolved(pred), [u.reason for u in pred.unresolved]
    assert got == want
    assert sorted(got_nonp) == sorted(want_nonp)


def test_the_targets_really_differ() -> None:
    """The fixture is a test of branches only if the targets build different models."""
    keys = {tuple(e.key for e in predict(str(BRANCHES), "Block()", torch_version=t).entries)
            for t in TARGETS}
    assert len(keys) >= 4


UNKNOWN_NAME = """\
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if hasattr(F, "not_a_function_torch_has"):
            self.a = nn.Linear(2, 2)
        if getattr(nn, "NotALayerTorchHas", None) is not None:
            self.b = nn.Linear(2, 2)
        if hasattr(nn, "LayerNorm"):
            self.c = nn.Linear(2, 2)
"""


def test_a_name_the_table_does_not_know_is_unknown_before_the_catalog_torch(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    path.write_text(UNKNOWN_NAME)
    pred = predict(str(path), "Net()", torch_version=(1, 13))
    conditions = {e.key.split(".")[0]: e.condition for e in pred.entries}
    assert conditions["a"] == "hasattr(F, 'not_a_function_torch_has')"
    assert conditions["b"] == "getattr(nn, 'NotALayerTorchHas', None) is not None"
    # a catalog layer exists in the catalog's torch; in an older one it is not known
    assert conditions["c"] is not None


def test_at_the_catalog_torch_the_snapshot_decides_names_outside_the_table(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    path.write_text(UNKNOWN_NAME)
    pred = predict(str(path), "Net()", torch_version=CHECKED_TORCH)
    module = import_file(str(path), "unknown_name_net")
    assert not declared_unresolved(pred), [u.reason for u in pred.unresolved]
    assert predicted_state(pred) == real_state(vars(module), "Net()")


IMPORTS = FIXTURES / "m73_torch_version_imports.py"


@pytest.mark.parametrize("expr", exprs_in(str(IMPORTS)))
def test_try_imports_and_probes_are_decided_at_the_catalog_torch(expr: str) -> None:
    pred = predict(str(IMPORTS), expr, torch_version=CHECKED_TORCH)
    module = import_file(str(IMPORTS), "m73_at_catalog")
    assert not declared_unresolved(pred), [u.reason for u in pred.unresolved]
    assert all(e.condition is None for e in pred.entries)
    assert predicted_state(pred) == real_state(vars(module), expr)


def test_a_try_import_of_a_later_torch_name_takes_the_handler_in_an_older_target(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pred = predict(str(IMPORTS), "Block()", torch_version=(1, 13))
    with monkeypatch.context() as patch:
        _simulate(patch, (1, 13))
        module = import_file(str(IMPORTS), "m73_at_1_13")
        want, _ = real_state(vars(module), "Block()")
    norm = {e.key: tuple(e.shape) for e in pred.entries if e.key.startswith("norm.")}
    assert all(e.condition is None for e in pred.entries if e.key.startswith("norm."))
    assert norm == {key: shape for key, shape, _kind in want if key.startswith("norm.")}
    assert "norm.bias" in norm  # nn.LayerNorm, the fallback: torch 1.13 has no RMSNorm


def test_the_names_snapshot_is_the_catalog_torch() -> None:
    """wlint/model/overlays/torch_names.json is what `hasattr` sees in the installed torch
    (regenerate: python tests/torch_names_snapshot.py --write)."""
    import json

    from torch_names_snapshot import SNAPSHOT, snapshot

    assert json.loads(SNAPSHOT.read_text()) == snapshot()


def test_an_unknown_name_is_unknown_not_absent() -> None:
    assert exists((1, 13), "torch.nn.functional.not_a_function") is None
    assert exists((1, 13), "torch.nn.RMSNorm") is False
    assert exists((2, 4), "torch.nn.RMSNorm") is True
    assert not isinstance(exists(CHECKED_TORCH, "torch.nn.Linear"), Unknown)


def _config(tmp_path: Path, pyproject: str, requirements: str = "") -> Config:
    from wlint.config import load_config

    (tmp_path / "pyproject.toml").write_text(pyproject)
    if requirements:
        (tmp_path / "requirements.txt").write_text(requirements)
    return load_config(str(tmp_path))


@pytest.mark.parametrize("pyproject,requirements,want", [
    ("[tool.wlint]\ntarget-torch = '1.13'\n", "torch==2.1.0\n", (1, 13)),
    ("[tool.wlint]\n", "torch==1.13.1\n", (1, 13, 1)),
    ("[tool.wlint]\n", "torch>=1.8\n", CHECKED_TORCH),
    ("[tool.wlint]\n", "torch>=1.8,<2.0\n", (1, 8)),
    ("[tool.wlint]\n", "", CHECKED_TORCH),
], ids=["target-torch", "exact-pin", "lower-bound", "range-below", "nothing"])
def test_the_target_torch_of_the_predictor(tmp_path: Path, pyproject: str, requirements: str,
                                           want: Tuple[int, ...]) -> None:
    assert _config(tmp_path, pyproject, requirements).model_torch == want


_VERSION = st.tuples(st.integers(0, 3), st.integers(0, 14), st.integers(0, 3))
_CLAUSE = st.tuples(st.sampled_from(["==", "!=", ">=", ">", "<=", "<", "~="]), _VERSION)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_VERSION, st.lists(_CLAUSE, min_size=1, max_size=3))
def test_allows_agrees_with_packaging(version: Tuple[int, ...], clauses: Any) -> None:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    spec = ",".join(f"{op}{'.'.join(map(str, v))}" for op, v in clauses)
    assert allows(spec, version) == (Version(".".join(map(str, version))) in SpecifierSet(spec))


BEFORE = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
"""

AFTER = BEFORE + """\
        if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
            self.register_buffer("bias", torch.ones(4, 4))
"""


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_a_branch_no_target_torch_takes_is_no_change(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(BEFORE)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "net.py").write_text(AFTER)
    assert diff_revisions(str(tmp_path), "HEAD", None, use_cache=False).findings == []
    old = diff_revisions(str(tmp_path), "HEAD", None, use_cache=False, torch_version=(1, 13))
    assert [(f.code, f.key) for f in old.findings] == [("WL202", "bias")]
