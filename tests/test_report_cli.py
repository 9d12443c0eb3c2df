"""`wlint check` and `wlint diff` produce every --format through the reporters."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from wlint.cli import main
from wlint.report import FORMATS

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())

SCRIPT = 'import torch\n\nstate = torch.load("ckpt.pt")\nmodel = torch.load("m.pt", map_location="cpu", weights_only=True)\n'


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def check_output(fmt: str, out: str) -> None:
    if fmt == "sarif":
        log = json.loads(out)
        assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(log))
        assert log["runs"][0]["results"]
    elif fmt == "gitlab":
        assert json.loads(out) and all(i["severity"] for i in json.loads(out))
    elif fmt == "github":
        assert all(line.startswith("::") for line in out.splitlines()) and out
    elif fmt == "markdown":
        assert out.startswith("## wlint")


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_formats(tmp_path: Path, monkeypatch, capsys, fmt: str) -> None:
    (tmp_path / "train.py").write_text(SCRIPT)
    monkeypatch.chdir(tmp_path)
    code = main(["check", "train.py", "--no-config", "--format", fmt])
    out = capsys.readouterr().out
    assert code == 1
    check_output(fmt, out)
    if fmt in ("sarif", "gitlab", "github", "markdown", "text"):
        assert "train.py" in out


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab", "markdown"])
def test_diff_formats(tmp_path: Path, monkeypatch, capsys, fmt: str) -> None:
    pytest.importorskip("wlint.model.api")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.test")
    git(tmp_path, "config", "user.name", "t")
    model = ("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
             "        super().__init__()\n        self.fc = nn.Linear(4, 3)\n")
    (tmp_path / "net.py").write_text(model)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "net.py").write_text(model.replace("Linear(4, 3)", "Linear(4, 6)"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WLINT_CACHE_DIR", str(tmp_path / ".cache"))
    code = main(["diff", "--format", fmt])
    out = capsys.readouterr().out
    assert code == 1
    check_output(fmt, out)
    assert "net.py" in out
    if fmt == "markdown":
        assert "1 model class breaks checkpoint loading" in out
        torch = pytest.importorskip("torch")
        with torch.device("meta"):
            old, new = torch.nn.Linear(4, 3).weight.shape, torch.nn.Linear(4, 6).weight.shape
        cell = "({}, {})".format
        assert f"| `fc.weight` | {cell(*old)} | `fc.weight` | {cell(*new)} | WL204 |" in out
