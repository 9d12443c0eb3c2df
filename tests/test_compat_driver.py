"""diff_revisions plumbing: robustness to predictor failures, paths, DiffResult shape."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wlint.compat import diff_revisions

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
    result = diff_revisions(str(repo), "HEAD", None, paths=["elsewhere.py"], use_cache=False)
    assert result.findings == []


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
    assert {f.cls for f in result.findings if f.affected} == {"A", "R"}


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
