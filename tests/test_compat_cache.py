"""The per-blob prediction cache: keys, dependency checks, atomic files, location."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, Optional

import pytest

from wlint import __version__
from wlint.cache import Cache, RecordingTree, default_dir
from wlint.git import git_blob_id


class DictTree:
    """A SourceTree over a dict, with git-style blob ids."""

    def __init__(self, files: Dict[str, str]) -> None:
        self.root = "/nowhere"
        self.files = dict(files)

    def read(self, relpath: str) -> Optional[str]:
        return self.files.get(relpath)

    def blob_id(self, relpath: str) -> Optional[str]:
        text = self.files.get(relpath)
        return None if text is None else git_blob_id(text.encode())


def test_recording_tree_records_reads_and_misses() -> None:
    tree = DictTree({"a.py": "x = 1\n", "b.py": "y = 2\n"})
    rec = RecordingTree(tree)
    assert rec.read("a.py") == "x = 1\n"
    assert rec.read("missing.py") is None
    assert rec.reads == {"a.py": git_blob_id(b"x = 1\n"), "missing.py": None}
    assert rec.root == tree.root


def test_prediction_hit_only_when_every_dependency_matches(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path))
    tree = DictTree({"model.py": "M", "config.py": "C1"})
    rec = RecordingTree(tree)
    rec.read("model.py")
    rec.read("config.py")
    rec.read("pkg/__init__.py")  # probed, absent
    cache.put_prediction(tree, "model.py", "Net", {"v": 1}, rec.reads)
    assert cache.get_prediction(tree, "model.py", "Net") == {"v": 1}
    assert cache.get_prediction(tree, "model.py", "Other") is None  # another class
    tree.files["config.py"] = "C2"  # an imported file changed
    assert cache.get_prediction(tree, "model.py", "Net") is None
    tree.files["config.py"] = "C1"
    tree.files["pkg/__init__.py"] = ""  # a probed file appeared: imports may resolve differently
    assert cache.get_prediction(tree, "model.py", "Net") is None
    del tree.files["pkg/__init__.py"]
    assert cache.get_prediction(tree, "model.py", "Net") == {"v": 1}
    tree.files["model.py"] = "M2"  # the file itself
    assert cache.get_prediction(tree, "model.py", "Net") is None


def test_variants_for_different_dependencies_coexist(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path))
    tree = DictTree({"model.py": "M", "config.py": "C1"})
    for cfg, value in (("C1", 1), ("C2", 2)):
        tree.files["config.py"] = cfg
        rec = RecordingTree(tree)
        rec.read("model.py")
        rec.read("config.py")
        cache.put_prediction(tree, "model.py", "Net", {"v": value}, rec.reads)
    tree.files["config.py"] = "C1"
    assert cache.get_prediction(tree, "model.py", "Net") == {"v": 1}
    tree.files["config.py"] = "C2"
    assert cache.get_prediction(tree, "model.py", "Net") == {"v": 2}


def test_files_are_written_atomically_and_corruption_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path))
    cache.store("classes", "blob1", {"classes": []})
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and not files[0].name.startswith(".tmp-")
    assert f"v{__version__}" in str(files[0])
    assert json.loads(files[0].read_text()) == {"classes": []}
    files[0].write_text("{not json")
    assert cache.load("classes", "blob1") is None
    cache.store("classes", "blob2", {"bad": object()})  # not serialisable: nothing left behind
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_disabled_cache_reads_and_writes_nothing(tmp_path: Path) -> None:
    on = Cache(str(tmp_path))
    on.store("classes", "k", [1])
    off = Cache(str(tmp_path), enabled=False)
    assert off.load("classes", "k") is None
    off.store("classes", "k2", [2])
    assert on.load("classes", "k2") is None


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == os.path.join(str(tmp_path / "xdg"), "wlint")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == os.path.join(str(tmp_path / "home"), ".cache", "wlint")
    monkeypatch.setenv("WLINT_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_dir() == str(tmp_path / "explicit")


def test_code_stamp_changes_with_the_code(tmp_path: Path) -> None:
    """A cache written by other wlint code (same version, edited predictor) is not reused."""
    from wlint.cache import code_stamp

    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    before = code_stamp(str(pkg))
    assert code_stamp(str(pkg)) == before
    (pkg / "sub" / "b.py").write_text("y = 22\n")
    assert code_stamp(str(pkg)) != before
    (pkg / "notes.txt").write_text("not code\n")
    after = code_stamp(str(pkg))
    (pkg / "notes.txt").write_text("still not code\n")
    assert code_stamp(str(pkg)) == after
