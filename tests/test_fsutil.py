"""write_atomic: all or nothing, and permissions as a plain write would leave them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wlint.fsutil import write_atomic


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
