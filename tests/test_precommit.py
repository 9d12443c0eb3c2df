"""The `wlint` pre-commit hook, end to end with `pre-commit try-repo`.

pre-commit builds the hook's virtualenv from this repository; the test lets
that environment see the already installed dependencies (system site-packages)
and forbids the package index, so it runs offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from offline_env import offline_install_env
from rule_fixtures import ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _env(tmp_path: Path) -> Dict[str, str]:
    env = offline_install_env()  # the hook's virtualenv sees this interpreter's packages
    env.update({
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    })
    return env


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _try_repo(repo: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    cmd: List[str] = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "wlint", *args]
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_hook_end_to_end(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    env = _env(tmp_path)
    _git(repo, "init", "-q")
    (repo / "README.md").write_text("# project\n")
    (repo / "good.py").write_text("import torch\n\nx = torch.load('a', map_location='cpu', "
                                  "weights_only=True)\n")
    (repo / "bad.py").write_text("import torch\n\nx = torch.load('a')\n")

    # A commit with no Python files: the hook has nothing to check and passes.
    _git(repo, "add", "README.md")
    proc = _try_repo(repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no files to check" in proc.stdout.lower()
    _git(repo, "commit", "-q", "-m", "readme")

    # Staged clean Python file: passes.
    _git(repo, "add", "good.py")
    proc = _try_repo(repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout

    # The risky file fails the hook with wlint's findings.
    proc = _try_repo(repo, env, "--files", "bad.py", "good.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "bad.py:3:5: WL101" in proc.stdout and "bad.py:3:5: WL102" in proc.stdout
    assert "good.py" not in proc.stdout.replace("Failed", "")
