"""`wlint ckpt` and `wlint verify` from the command line: the JSON shape of DESIGN §2,
signature files standing in for checkpoints, exit codes, and no torch at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from ckpt_truth import saved_on, torch

from rule_fixtures import ROOT
from wlint.checkpoint import read_checkpoint
from wlint.cli import main

NET = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.stem = nn.Conv2d(3, hidden, 3)
        self.body = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 4))
        self.register_buffer("mask", torch.ones(2), persistent=False)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.wlint.models]\nsmall = "net.py:Net(hidden=8)"\nwide = "net.py:Net(hidden=16)"\n')
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib

        module = importlib.import_module("net")
        importlib.reload(module)
        state = module.Net(hidden=8).state_dict()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("net", None)
    torch.save({"model": state, "epoch": 3}, str(tmp_path / "run.pt"))
    torch.save({"module." + k: v for k, v in state.items()}, str(tmp_path / "ddp.pt"))
    return tmp_path


def _run(args: List[str], cwd: Path, capsys: Any) -> Any:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(args)
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    return code, out, err


def test_ckpt_json_shape(tmp_path: Path, capsys: Any) -> None:
    project = _project(tmp_path)
    code, out, _ = _run(["ckpt", "run.pt", "--format", "json"], project, capsys)
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {"path", "format", "state_dict_at", "entries", "other", "globals",
                         "findings"}
    assert data["format"] == "torch-zip" and data["state_dict_at"] == "['model']"
    assert data["other"] == ["epoch"]
    assert data["entries"][0] == {"key": "stem.weight", "shape": [8, 3, 3, 3],
                                  "dtype": "float32", "device": "cpu"}
    assert "torch._utils._rebuild_tensor_v2" in data["globals"]
    # one entry per line (the signature diffs key by key), the same JSON as to_json()
    assert out.count('{"key": ') == len(data["entries"])
    assert data == read_checkpoint(str(project / "run.pt")).to_json() | {"path": "run.pt"}


def test_ckpt_findings_and_exit_codes(tmp_path: Path, capsys: Any) -> None:
    with saved_on("cuda:0"):
        torch.save({"w": torch.zeros(1)}, str(tmp_path / "gpu.pt"))
    code, out, _ = _run(["ckpt", "gpu.pt"], tmp_path, capsys)
    assert code == 1 and "WL306" in out and "cuda:0" in out
    (tmp_path / "cut.pt").write_bytes((tmp_path / "gpu.pt").read_bytes()[:99])
    code, out, _ = _run(["ckpt", "cut.pt", "--format", "json"], tmp_path, capsys)
    assert code == 1 and json.loads(out)["findings"][0]["code"] == "WL309"
    code, out, err = _run(["ckpt", "missing.pt"], tmp_path, capsys)
    assert code == 2 and err.startswith("wlint: error:") and err.count("\n") == 1
    code, _, err = _run(["ckpt", "."], tmp_path, capsys)
    assert code == 2 and "directory" in err


def test_verify_named_models_and_signature(tmp_path: Path, capsys: Any) -> None:
    project = _project(tmp_path)
    code, out, _ = _run(["verify", "run.pt", "--model", "small"], project, capsys)
    assert code == 0 and "loads into small" in out
    code, out, _ = _run(["verify", "run.pt", "--model", "wide", "--format", "json"], project,
                        capsys)
    data = json.loads(out)
    assert code == 1 and not data["strict_load"]["loads"]
    assert {f["code"] for f in data["findings"]} == {"WL303"}
    assert all(f["model"] == "wide" for f in data["findings"])
    # the signature (JSON of `wlint ckpt`) stands for the checkpoint
    _run(["ckpt", "run.pt", "--format", "json", "-o", "run.sig.json"], project, capsys)
    os.remove(project / "run.pt")
    code, out, _ = _run(["verify", "run.sig.json", "--model", "small"], project, capsys)
    assert code == 0
    code, out, _ = _run(["verify", "run.sig.json", "--model", "net.py:Net(hidden=16)",
                         "--format", "json"], project, capsys)
    assert code == 1 and json.loads(out)["strict_load"]["size_mismatch"]


def test_verify_prefix_fix_and_usage_errors(tmp_path: Path, capsys: Any) -> None:
    project = _project(tmp_path)
    code, out, _ = _run(["verify", "ddp.pt", "--model", "small"], project, capsys)
    assert code == 1 and "WL304" in out and "def remap_state_dict" in out
    code, _, err = _run(["verify", "ddp.pt", "--model", "nosuch"], project, capsys)
    assert code == 2 and "nosuch" in err
    code, _, err = _run(["verify", "ddp.pt", "--model", "missing.py:Net()"], project, capsys)
    assert code == 2 and err.count("\n") == 1


NO_TORCH = """\
import sys
sys.modules["torch"] = None  # `import torch` raises ImportError from here on
sys.modules["numpy"] = None
from wlint.checkpoint import read_checkpoint
from wlint.cli import main
codes = [main(["ckpt", sys.argv[1], "--format", "json"]),
         main(["verify", sys.argv[1], "--model", "small"]),
         main(["verify", sys.argv[2], "--model", "small"])]
print("EXIT", codes)
"""


def test_ckpt_and_verify_without_torch(tmp_path: Path) -> None:
    project = _project(tmp_path)
    env: Dict[str, str] = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", NO_TORCH, "run.pt", "ddp.pt"], cwd=project,
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "EXIT [0, 0, 1]" in proc.stdout
    assert '"state_dict_at": "[\'model\']"' in proc.stdout and "WL304" in proc.stdout


@pytest.mark.parametrize("code", [f"WL30{i}" for i in range(1, 10)])
def test_rules_explain_checkpoint_codes(code: str, capsys: Any, tmp_path: Path) -> None:
    rc, out, _ = _run(["rules", code], tmp_path, capsys)
    assert rc == 0 and out.startswith(code)


def test_verify_every_named_signature(tmp_path: Path, capsys: Any) -> None:
    project = _project(tmp_path)
    _run(["ckpt", "run.pt", "--format", "json", "-o", "small.json"], project, capsys)
    (project / "pyproject.toml").write_text(
        '[tool.wlint.models]\n'
        'small = { spec = "net.py:Net(hidden=8)", signature = "small.json" }\n'
        'wide = { spec = "net.py:Net(hidden=16)", signature = "small.json" }\n'
        'other = "net.py:Net(hidden=4)"\n')
    code, out, _ = _run(["verify", "--model", "small"], project, capsys)
    assert code == 0 and "loads into small" in out
    code, out, _ = _run(["verify", "--format", "json"], project, capsys)
    data = json.loads(out)
    assert code == 1 and [c["name"] for c in data["checkpoints"]] == ["small", "wide"]
    assert {f["model"] for f in data["findings"]} == {"wide"}
    code, _, err = _run(["verify", "run.pt"], project, capsys)
    assert code == 2 and "--model" in err
