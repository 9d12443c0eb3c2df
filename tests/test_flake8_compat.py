"""flake8 --wlint-base REV: WL2xx findings per checked file, flake8 in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

BLOCK = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim: int = 16):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)
"""

MODEL = """\
import torch.nn as nn

from block import Block


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(4, 16)
        self.block = Block(16)

    def forward(self, x):
        return self.block(self.embed(x))
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


def flake8(cwd: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**ENV, "WLINT_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "WL", *args],
                          cwd=cwd, capture_output=True, text=True, env=env)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "block.py").write_text(BLOCK)
    (root / "model.py").write_text(MODEL)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def lines(out: str) -> List[str]:
    return sorted(line for line in out.splitlines() if line.strip())


def test_no_base_no_wl2xx(repo: Path, tmp_path: Path) -> None:
    (repo / "block.py").write_text(BLOCK.replace("nn.Linear(dim, dim)", "nn.Linear(dim, 2 * dim)"))
    proc = flake8(repo, "block.py", "model.py", cache=tmp_path / "c")
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr


def test_wlint_base_reports_each_file_its_own_classes(repo: Path, tmp_path: Path) -> None:
    (repo / "block.py").write_text(BLOCK.replace("nn.Linear(dim, dim)", "nn.Linear(dim, 2 * dim)"))
    proc = flake8(repo, "--wlint-base", "HEAD", "block.py", "model.py", cache=tmp_path / "c")
    assert proc.returncode == 1, proc.stderr
    out = lines(proc.stdout)
    by_file: Dict[str, List[str]] = {}
    for line in out:
        by_file.setdefault(line.split(":", 1)[0], []).append(line)
    # Block's own keys in block.py, at the changed line (flake8 columns are 1-based)
    assert [line.split(" ", 2)[:2] for line in by_file["block.py"]] == [
        ["block.py:7:1:", "WL204"], ["block.py:7:1:", "WL204"]]
    assert any("size mismatch for fc.weight" in line for line in by_file["block.py"])
    # Model contains Block: full keys, at the line that builds the block, marked affected
    assert all(line.startswith("model.py:10:1: WL204 Model:") for line in by_file["model.py"])
    assert any("size mismatch for block.fc.weight" in line and "affected" in line
               for line in by_file["model.py"])


def test_wlint_base_in_config_file(repo: Path, tmp_path: Path) -> None:
    (repo / "setup.cfg").write_text("[flake8]\nwlint-base = HEAD\n")
    (repo / "model.py").write_text(MODEL.replace("nn.Linear(4, 16)", "nn.Linear(5, 16)"))
    env = {**ENV, "WLINT_CACHE_DIR": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "WL", "model.py"],
                          cwd=repo, capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "model.py:9:1: WL204 Model: size mismatch for embed.weight" in proc.stdout


def test_removed_key_is_placed_in_the_checked_file(repo: Path, tmp_path: Path) -> None:
    (repo / "model.py").write_text(MODEL.replace("        self.embed = nn.Linear(4, 16)\n", "")
                                   .replace("self.block(self.embed(x))", "self.block(x)"))
    proc = flake8(repo, "--wlint-base", "HEAD", "model.py", cache=tmp_path / "c")
    assert proc.returncode == 1, proc.stderr
    out = lines(proc.stdout)
    assert len(out) == 2 and all(" WL201 " in line for line in out)
    # the removed line is gone from the file: the class line is reported instead
    assert all(line.startswith("model.py:6:1:") for line in out)


def test_bad_base_is_one_clear_line_per_file_not_a_traceback(repo: Path, tmp_path: Path) -> None:
    proc = flake8(repo, "--wlint-base", "no-such-rev", "model.py", "block.py", cache=tmp_path / "c")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    out = lines(proc.stdout)
    assert len(out) == 2 and all(" WL290 --wlint-base no-such-rev: WL2xx not checked: unknown "
                                 "revision 'no-such-rev'" in line for line in out)
