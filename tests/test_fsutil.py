"""write_atomic: all or nothing, and permissions as a plain write would leave them;
read_regular: the file opened inside a root is the one checked (no swapped link)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Tuple

import pytest

from wlint.fsutil import UnsafeFile, read_regular, write_atomic


def test_new_file_gets_umask_permissions_not_mkstemps(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    old = os.umask(0o022)
    try:
        write_atomic(target, "{}")
    finally:
        os.umask(old)
    assert target.read_text() == "{}"
    assert target.stat().st_mode & 0o777 == 0o644


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text("old")
    target.chmod(0o750)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o750


def test_failed_write_leaves_the_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    target.write_text("keep me")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "\udcff", encoding="utf-8")
    assert target.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


# ------------------------------------------------------------------ a link swapped mid-read
def _swap_after_check(monkeypatch: pytest.MonkeyPatch, target: Path, swap: Callable[[], None]) -> None:
    """`realpath(target)` answers as before the swap, then the swap happens: the race
    between read_regular's check and its open."""
    real = os.path.realpath

    def racing(p: Any, *args: Any, **kwargs: Any) -> str:
        out = real(p, *args, **kwargs)
        if os.fspath(p) == str(target):
            swap()
        return out
    monkeypatch.setattr(os.path, "realpath", racing)


def _tree(tmp_path: Path) -> Tuple[Path, Path]:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "pkg").mkdir(parents=True)
    (outside / "pkg").mkdir(parents=True)
    (tree / "pkg" / "m.py").write_text("inside = 1\n")
    (outside / "pkg" / "m.py").write_text("SECRET = 1\n")
    return tree, outside


def test_file_swapped_for_a_link_out_of_the_tree_is_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, outside = _tree(tmp_path)
    target = tree / "pkg" / "m.py"

    def swap() -> None:
        target.unlink()
        target.symlink_to(outside / "pkg" / "m.py")
    _swap_after_check(monkeypatch, target, swap)
    with pytest.raises(UnsafeFile, match="changed while it was opened"):
        read_regular(target, root=tree)


def test_folder_swapped_for_a_link_out_of_the_tree_is_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, outside = _tree(tmp_path)
    target = tree / "pkg" / "m.py"

    def swap() -> None:
        (tree / "pkg").rename(tree / "old")
        (tree / "pkg").symlink_to(outside / "pkg")
    _swap_after_check(monkeypatch, target, swap)
    with pytest.raises(UnsafeFile, match="changed while it was opened"):
        read_regular(target, root=tree)


def test_file_replaced_after_the_check_is_not_read(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The opened file must be the one stat saw at the checked path (st_dev, st_ino)."""
    tree, _ = _tree(tmp_path)
    target = tree / "pkg" / "m.py"
    real_stat = os.stat

    def stat_then_replace(p: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        out = real_stat(p, *args, **kwargs)
        if os.fspath(p) == str(target):
            (tree / "new.py").write_text("other = 1\n")
            os.replace(tree / "new.py", target)
        return out
    monkeypatch.setattr(os, "stat", stat_then_replace)
    with pytest.raises(UnsafeFile, match="changed while it was opened"):
        read_regular(target, root=tree)


def test_links_inside_the_tree_are_still_read(tmp_path: Path) -> None:
    tree, _ = _tree(tmp_path)
    (tree / "alias.py").symlink_to(tree / "pkg" / "m.py")
    (tree / "dir").symlink_to(tree / "pkg")
    assert read_regular(tree / "alias.py", root=tree) == b"inside = 1\n"
    assert read_regular(tree / "dir" / "m.py", root=tree) == b"inside = 1\n"
    assert read_regular(tmp_path / "outside" / "pkg" / "m.py") == b"SECRET = 1\n"  # no root
