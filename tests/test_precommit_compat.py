"""The `wlint-compat` pre-commit hook end to end: `pre-commit try-repo` in a throwaway
repository with a commit and a staged change (offline: the hook's virtualenv sees the
installed dependencies, the package index is forbidden)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from offline_env import offline_install_env

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

NET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())
"""


def _env(tmp_path: Path) -> Dict[str, str]:
    env = offline_install_env()  # the hook's virtualenv sees this interpreter's packages
    env.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "WLINT_CACHE_DIR": str(tmp_path / "wlint-cache"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    })
    return env


def _git(repo: Path, env: Dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def _try_repo(repo: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "wlint-compat"]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def test_wlint_compat_hook_compares_staged_with_head(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    env = _env(tmp_path)
    _git(repo, env, "init", "-q")
    (repo / "net.py").write_text(NET)
    _git(repo, env, "add", "net.py")
    _git(repo, env, "commit", "-qm", "base")

    # a staged compatible edit (forward only): passes
    (repo / "net.py").write_text(NET.replace(".relu()", ".tanh()"))
    _git(repo, env, "add", "net.py")
    proc = _try_repo(repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout

    # a staged incompatible edit fails with the finding; an unstaged fix does not count
    (repo / "net.py").write_text(NET.replace("nn.Linear(16, 2)", "nn.Linear(16, 3)"))
    _git(repo, env, "add", "net.py")
    (repo / "net.py").write_text(NET)
    proc = _try_repo(repo, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "net.py:8:1: WL204 Net: size mismatch for fc2.weight" in proc.stdout
    assert "WL204 Net: size mismatch for fc2.bias" in proc.stdout
