"""The composite GitHub Action (action.yml), its steps run by bash as the runner would,
offline: install into a virtual environment of its own from the action's checkout, then
`wlint review` on a repository with a change; and the workflow settings that a fresh
runner needs (current action versions, SARIF only when asked, with the PR head sha)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from offline_env import offline_install_env

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = {s["name"]: s for s in ACTION["runs"]["steps"]}
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

MODEL = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
"""


def run_step(name: str, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """The step's script under `bash -e {0}` (what `shell: bash` runs)."""
    script = cwd / f"{name.replace(' ', '_')}.sh"
    script.write_text(STEPS[name]["run"])
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def read_kv(path: Path) -> Dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def test_versions_and_sarif_settings() -> None:
    uses = [s.get("uses", "") for s in ACTION["runs"]["steps"]]
    assert "actions/setup-python@v5" in uses
    assert "github/codeql-action/upload-sarif@v4" in uses
    assert ACTION["inputs"]["upload-sarif"]["default"] == "false"  # not every repo has code scanning
    upload = STEPS["Upload SARIF to code scanning"]
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    assert "github.event.pull_request.head.sha" in upload["with"]["sha"]
    assert "working-directory" in ACTION["inputs"]
    assert STEPS["wlint review"]["working-directory"] == "${{ inputs.working-directory }}"
    install = STEPS["Install wlint"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert "-m venv" in install["run"]  # never into the runner's (externally managed) Python


def test_install_and_review_steps_run_offline(tmp_path: Path) -> None:
    repo = tmp_path / "work" / "project"
    repo.mkdir(parents=True)
    env = {**offline_install_env(), **GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, env=env)
    (repo / "net.py").write_text(MODEL)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "base"], cwd=repo, check=True, env=env)
    (repo / "net.py").write_text(MODEL.replace("nn.Linear(4, 4)", "nn.Linear(4, 8)"))
    subprocess.run(["git", "commit", "-qam", "wider"], cwd=repo, check=True, env=env)

    files = {name: tmp_path / name for name in ("path", "env", "output", "summary.md")}
    for f in files.values():
        f.write_text("")
    # setup-python: false on a runner: python3 is whatever is on PATH (here: this one)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to(sys.executable)
    env.update({"PATH": f"{bindir}{os.pathsep}{env['PATH']}", "RUNNER_TEMP": str(tmp_path),
                "GITHUB_PATH": str(files["path"]), "GITHUB_ENV": str(files["env"]),
                "GITHUB_OUTPUT": str(files["output"]),
                "GITHUB_STEP_SUMMARY": str(files["summary.md"]),
                "WLINT_SPEC": "", "ACTION_PATH": str(ROOT),
                "WLINT_VENV": str(tmp_path / "wlint-venv")})
    done = run_step("Install wlint", env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "wlint-venv" / "bin" / "wlint").exists()
    exported = read_kv(files["env"])
    assert exported["WLINT"] == str(tmp_path / "wlint-venv" / "bin" / "wlint")

    env.update({"WLINT": exported["WLINT"], "GITHUB_TOKEN": "", "WLINT_BASE": "HEAD~1",
                "WLINT_FILTER_MODE": "added", "WLINT_SARIF": "wlint.sarif",
                "WLINT_POST": "false", "WLINT_INLINE": "false"})
    env.pop("PYTHONPATH")  # the review runs wlint from its own environment
    env["PYTHONPATH"] = offline_install_env()["PYTHONPATH"].split(os.pathsep, 1)[0]
    review = run_step("wlint review", env, repo)
    assert review.returncode == 0, review.stdout + review.stderr  # findings: exit code, not failure
    outputs = read_kv(files["output"])
    assert outputs["exit-code"] == "1"
    assert outputs["sarif-file"] == str(repo / "wlint.sarif") and (repo / "wlint.sarif").exists()
    assert re.search(r"^::error file=net.py,line=7,.*title=WL204 Net", review.stdout, re.M)
    assert "| `fc.weight` |" in files["summary.md"].read_text()  # the full report
