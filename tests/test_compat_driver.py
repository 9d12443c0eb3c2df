"""diff_revisions plumbing: robustness to predictor failures, paths, DiffResult shape."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from wlint.compat import diff_revisions
from wlint.git import GitError

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

TWO = """\
import torch.nn as nn


class Good(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)


class Bad(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    root.mkdir()
    (root / "m.py").write_text(TWO)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "m.py").write_text(TWO.replace("nn.Linear(4, 4)", "nn.Linear(4, 8)"))
    return root


def test_a_predictor_crash_is_wl290_for_that_class_only(repo: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from wlint.model import api

    real = api.predict_in_tree

    def flaky(tree: Any, relpath: str, expr: str, *a: Any, **kw: Any) -> Any:
        if expr == "Bad":
            raise RuntimeError("boom")
        return real(tree, relpath, expr, *a, **kw)

    monkeypatch.setattr(api, "predict_in_tree", flaky)
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False)
    by_class = {(f.cls, f.code) for f in result.findings}
    assert ("Good", "WL204") in by_class
    assert ("Bad", "WL290") in by_class and ("Bad", "WL204") not in by_class
    bad = next(f for f in result.findings if f.cls == "Bad")
    assert "RuntimeError: boom" in bad.message and bad.severity == "info"


def test_diff_result_shape(repo: Path) -> None:
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False)
    assert result.changed_files == ["m.py"]
    assert set(result.predictions) == {"m.py::Good", "m.py::Bad"}
    good = result.predictions["m.py::Good"]
    assert good.base is not None and good.head is not None
    assert good.base.shapes()["fc.weight"] == (4, 4) and good.head.shapes()["fc.weight"] == (8, 4)
    assert not good.affected
    assert result.remap_snippet() is None
    assert result.root == str(repo)


def test_paths_may_be_absolute_or_repo_relative(repo: Path) -> None:
    for paths in ([str(repo / "m.py")], ["m.py"], [str(repo)]):
        result = diff_revisions(str(repo), "HEAD", None, paths=paths, use_cache=False)
        assert {f.cls for f in result.findings} == {"Good", "Bad"}, paths
    # a path that exists nowhere is an error, never an all-clear
    with pytest.raises(GitError, match=r"no such path: elsewhere\.py"):
        diff_revisions(str(repo), "HEAD", None, paths=["elsewhere.py"], use_cache=False)
    (repo / "other.py").write_text("x = 1\n")
    assert diff_revisions(str(repo), "HEAD", None, paths=["other.py"], use_cache=False).findings == []


BLOCK = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
"""


def test_candidates_are_importers_not_mere_mentions(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from .blocks import Block\n")
    (root / "pkg" / "blocks.py").write_text(BLOCK)
    (root / "via_package.py").write_text(
        "import torch.nn as nn\nfrom pkg import Block\n\n\nclass A(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.b = Block()\n")
    (root / "relative.py").write_text("")
    (root / "pkg" / "rel.py").write_text(
        "import torch.nn as nn\nfrom . import blocks\n\n\nclass R(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.b = blocks.Block()\n")
    (root / "mentions.py").write_text(
        "import torch.nn as nn\n\n# blocks are great; see pkg/blocks.py\n\n\nclass M(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 2)\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "pkg" / "blocks.py").write_text(BLOCK.replace("nn.Linear(4, 4)", "nn.Linear(4, 6)"))
    result = diff_revisions(str(root), "HEAD", None, use_cache=False)
    assert set(result.predictions) == {"pkg/blocks.py::Block", "via_package.py::A",
                                       "pkg/rel.py::R"}
    # one change, one finding: Block's, listing the classes that contain it
    (finding,) = [f for f in result.findings if f.code == "WL204" and f.key == "fc.weight"]
    assert finding.cls == "Block"
    assert {c["class"]: c["key"] for c in finding.extra["containers"]} == {
        "A": "b.fc.weight", "R": "b.fc.weight"}
    assert not [f for f in result.findings if f.cls in ("A", "R")]


def test_worker_processes_give_the_same_result(repo: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    (repo / "extra.py").write_text(TWO.replace("Good", "Third").replace("Bad", "Fourth"))
    monkeypatch.setenv("WLINT_JOBS", "1")
    one = diff_revisions(str(repo), "HEAD", None, use_cache=False)
    monkeypatch.setenv("WLINT_JOBS", "2")
    cache = tmp_path / "cache"
    two = diff_revisions(str(repo), "HEAD", None, use_cache=True, cache_dir=str(cache))
    assert [f.to_json() for f in two.findings] == [f.to_json() for f in one.findings]
    assert any(cache.rglob("*.json"))  # the parent stored what the workers predicted
    monkeypatch.setenv("WLINT_JOBS", "1")
    warm = diff_revisions(str(repo), "HEAD", None, use_cache=True, cache_dir=str(cache))
    assert [f.to_json() for f in warm.findings] == [f.to_json() for f in one.findings]
    assert warm.cache_misses == 0 and warm.cache_hits > 0


UNRESOLVED = """\
import torch.nn as nn
from thirdparty import build_backbone


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = build_backbone("resnet")
        self.fc = nn.Linear(4, 4)
"""


def test_wl290_only_qualifies_findings_or_new_unknowns(tmp_path: Path) -> None:
    root = tmp_path / "u"
    root.mkdir()
    (root / "net.py").write_text(UNRESOLVED)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    # reformatting a class with an unresolved part: nothing to say
    (root / "net.py").write_text(UNRESOLVED.replace('build_backbone("resnet")',
                                                    'build_backbone(\n            "resnet"\n        )'))
    result = diff_revisions(str(root), "HEAD", None, use_cache=False)
    assert result.findings == []
    # a real change: the finding, plus an info note that part of the class is unknown
    (root / "net.py").write_text(UNRESOLVED.replace("nn.Linear(4, 4)", "nn.Linear(4, 5)"))
    result = diff_revisions(str(root), "HEAD", None, use_cache=False)
    assert sorted(f.code for f in result.findings) == ["WL204", "WL204", "WL290"]
    note = next(f for f in result.findings if f.code == "WL290")
    assert note.severity == "info" and note.line == 8


def commit_then_edit(root: Path, files: Dict[str, str], edits: Dict[str, str]) -> None:
    """A repository with `files` committed and `edits` left in the working tree."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    for name, text in edits.items():
        (root / name).write_text(text)


LOOPED = """\
import torch.nn as nn
from thirdparty import settings


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        for width in settings.widths:
            layers.append(nn.Linear(width, width))
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(4, 2)
"""


def test_an_unseen_part_is_noted_even_when_it_reads_the_same(tmp_path: Path) -> None:
    after = LOOPED.replace("            layers.append(nn.Linear(width, width))\n",
                           "            layers.append(nn.Linear(width, width))\n"
                           "            layers.append(nn.Dropout(0.1))\n")
    commit_then_edit(tmp_path / "r", {"net.py": LOOPED}, {"net.py": after})
    result = diff_revisions(str(tmp_path / "r"), "HEAD", None, use_cache=False)
    assert [f.code for f in result.findings] == ["WL290"]
    assert "settings" in result.findings[0].message


BUDGET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        i = 0
        while i < 200000:
            i += 1
        self.fc = nn.Linear(2, 3)
"""


def test_budget_exhaustion_is_never_an_all_clear(tmp_path: Path) -> None:
    commit_then_edit(tmp_path / "r", {"net.py": BUDGET},
                     {"net.py": BUDGET.replace("Linear(2, 3)", "Linear(2, 300)")})
    result = diff_revisions(str(tmp_path / "r"), "HEAD", None, use_cache=False)
    assert result.findings and {f.code for f in result.findings} <= {"WL290", "WL204"}
    assert any(f.code == "WL290" and "budget" in f.message for f in result.findings)


APEX = """\
import torch.nn as nn
from apex.normalization import FusedLayerNorm


class Net(nn.Module):
    def __init__(self, d=4):
        super().__init__()
        self.ln = FusedLayerNorm(d)
        self.fc = nn.Linear(d, d)
"""


def test_an_unidentified_layer_is_never_added_or_removed(tmp_path: Path) -> None:
    after = APEX.replace("FusedLayerNorm(d)", "nn.LayerNorm(d)")
    for name, (before, head) in {"swap": (APEX, after), "back": (after, APEX)}.items():
        commit_then_edit(tmp_path / name, {"net.py": before}, {"net.py": head})
        result = diff_revisions(str(tmp_path / name), "HEAD", None, use_cache=False)
        codes = [f.code for f in result.findings]
        assert "WL290" in codes and not {"WL201", "WL202"} & set(codes), name
        assert any("`ln`" in f.message for f in result.findings), name


RENAMED = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, in_planes, planes):
        super().__init__()
        self.conv = nn.Conv2d(in_planes, planes * 4, 3)
"""


def test_a_renamed_parameter_with_the_same_formula_is_not_a_shape_change(tmp_path: Path) -> None:
    after = RENAMED.replace("in_planes", "in_channels")
    commit_then_edit(tmp_path / "r", {"b.py": RENAMED}, {"b.py": after})
    assert diff_revisions(str(tmp_path / "r"), "HEAD", None, use_cache=False).findings == []
    wider = after.replace("planes * 4", "planes * 2")
    commit_then_edit(tmp_path / "w", {"b.py": RENAMED}, {"b.py": wider})
    found = diff_revisions(str(tmp_path / "w"), "HEAD", None, use_cache=False).findings
    assert sorted(f.code for f in found) == ["WL204", "WL204"]


def test_a_missing_blob_of_the_changed_file_is_said(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "head")
    oid = subprocess.run(["git", "rev-parse", "HEAD:m.py"], cwd=repo, check=True,
                         capture_output=True, text=True).stdout.strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    result = diff_revisions(str(repo), "HEAD~1", "HEAD", use_cache=False)
    assert [f.code for f in result.findings] == ["WL290"]
    assert "not in this clone" in result.findings[0].message


def test_a_file_with_a_backslash_in_its_name_is_compared(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "head")
    (repo / "m\\v.py").write_text(TWO)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "odd name")
    (repo / "m\\v.py").write_text(TWO.replace("nn.Linear(4, 4)", "nn.Linear(4, 9)"))
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False)
    assert {f.path for f in result.findings} == {"m\\v.py"}
    assert {f.code for f in result.findings} == {"WL204"}


FORMULA = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
"""


def test_a_formula_equal_under_the_named_models_is_no_shape_error(tmp_path: Path) -> None:
    from wlint.named_models import ModelSpec

    root = tmp_path / "r"
    commit_then_edit(root, {"b.py": FORMULA},
                     {"b.py": FORMULA.replace("nn.Linear(dim, dim)", "nn.Linear(dim, max(dim, 16))")})
    plain = diff_revisions(str(root), "HEAD", None, use_cache=False)
    assert sorted(f.code for f in plain.findings) == ["WL204", "WL204"]
    big = ModelSpec(name="big", path="b.py", expr="Block(32)", root=str(root))
    result = diff_revisions(str(root), "HEAD", None, use_cache=False, models=[big])
    assert [(f.code, f.severity) for f in result.findings] == [("WL206", "info")] * 2
    assert [v.status for v in result.models] == ["loads"]
    small = ModelSpec(name="small", path="b.py", expr="Block(8)", root=str(root))
    result = diff_revisions(str(root), "HEAD", None, use_cache=False, models=[big, small])
    assert sorted((f.code, f.extra.get("model", "")) for f in result.findings) == [
        ("WL204", ""), ("WL204", ""), ("WL204", "small"), ("WL204", "small")]
    assert [v.status for v in result.models] == ["loads", "breaks"]


def test_a_model_that_names_nothing_is_an_error(repo: Path) -> None:
    from wlint.named_models import ModelSpec

    for spec, match in ((ModelSpec("x", "nowhere.py", "Net()", root=str(repo)), "no such file"),
                        (ModelSpec("y", "m.py", "Nope()", root=str(repo)), "Nope")):
        with pytest.raises(GitError, match=match):
            diff_revisions(str(repo), "HEAD", None, use_cache=False, models=[spec])


def test_a_model_untouched_by_the_change_is_not_predicted_at_base(repo: Path) -> None:
    from wlint.named_models import ModelSpec

    (repo / "other.py").write_text(TWO.replace("Good", "Other"))
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "other")
    spec = ModelSpec("o", "other.py", "Other()", root=str(repo))
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False, models=[spec])
    assert [v.status for v in result.models] == ["unchanged"]
    assert not any(f.extra.get("model") for f in result.findings)
