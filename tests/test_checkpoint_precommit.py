"""The `wlint-ckpt` pre-commit hook end to end (`pre-commit try-repo`, offline), and
`wlint check` given checkpoint files."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from ckpt_truth import saved_on, torch
from test_precommit import _env, _git

from rule_fixtures import ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


class _Evil:
    def __reduce__(self) -> object:
        return os.system, ("echo pwned",)


def _files(repo: Path) -> None:
    torch.save({"model": {"w": torch.zeros(2)}}, str(repo / "good.pt"))
    with saved_on("cuda:0"):
        torch.save({"w": torch.zeros(2)}, str(repo / "gpu.pth"))
    (repo / "evil.bin").write_bytes(pickle.dumps(_Evil(), protocol=2))
    (repo / "cut.ckpt").write_bytes((repo / "good.pt").read_bytes()[:200])


def _wlint(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "wlint", *args], capture_output=True,
                          text=True, env=env, check=False)


def test_check_given_checkpoint_files(tmp_path: Path) -> None:
    _files(tmp_path)
    names = ["good.pt", "gpu.pth", "evil.bin", "cut.ckpt"]
    proc = _wlint("check", "--format", "json", *[str(tmp_path / n) for n in names])
    assert proc.returncode == 1, proc.stderr
    by_file = {}
    for f in json.loads(proc.stdout)["findings"]:
        by_file.setdefault(os.path.basename(f["path"]), set()).add(f["code"])
    assert by_file == {"gpu.pth": {"WL306"}, "evil.bin": {"WL308", "WL309"},
                       "cut.ckpt": {"WL309"}}
    assert _wlint("check", str(tmp_path / "good.pt")).returncode == 0
    proc = _wlint("check", "-q", "--ignore", "WL306", str(tmp_path / "gpu.pth"))
    assert proc.returncode == 0 and not proc.stdout


def _try_repo(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    cmd: List[str] = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "wlint-ckpt",
                      *args]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def test_wlint_ckpt_hook_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    repo = tmp_path / "project"
    repo.mkdir()
    env = _env(tmp_path)
    _git(repo, "init", "-q")
    _files(repo)
    (repo / "train.py").write_text("import torch\nx = torch.load('a')\n")
    _git(repo, "add", "good.pt", "train.py")
    proc = _try_repo(repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout and "train.py" not in proc.stdout
    _git(repo, "add", "gpu.pth", "evil.bin", "cut.ckpt")
    proc = _try_repo(repo, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "evil.bin:1:1: WL308" in proc.stdout
    assert "gpu.pth:1:1: WL306" in proc.stdout and "cut.ckpt:1:1: WL309" in proc.stdout
    assert "good.pt" not in proc.stdout.replace("Failed", "")
