"""WL102 says which torch version it assumes and where that came from."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List

import pytest

from wlint.config import load_config
from wlint.rules import analyze
from wlint.config import project_torch_target as detect
from wlint.torch_target import lowest_allowed, pins_in

LOAD = "import pickle\nimport torch\n\ndef f(p):\n    return torch.load(p, map_location='cpu')\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # without a pyproject.toml, pins are looked for here
    detect.cache_clear()


def wl102(root: Path, source: str = LOAD) -> List[str]:
    config = load_config(str(root))
    found = analyze(ast.parse(source), config.torch_target)
    return [message for _, _, code, message in found if code == "WL102"]


@pytest.mark.parametrize("spec, low", [
    ("==2.1.0", (2, 1, 0)), (">=2.6", (2, 6)), ("~=2.4.0", (2, 4, 0)), (">=2.6,<3", (2, 6)),
    ("<2.6", None), ("", None), ("!=2.5.0", None), ("==2.5.*", (2, 5)),
])
def test_lowest_allowed_version(spec: str, low: object) -> None:
    assert lowest_allowed(spec) == low


def test_only_torch_itself_is_a_pin() -> None:
    lines = ["torchvision==0.20", "torch-geometric>=2", "torch>=2.6 ; python_version>'3.8'",
             "# torch==1.0", "numpy"]
    assert pins_in(lines) == [("torch>=2.6", (2, 6))]


def test_default_is_below_2_6_and_says_so(tmp_path: Path) -> None:
    (message,) = wl102(tmp_path)
    assert "torch < 2.6" in message and "no torch pin found" in message
    assert "target-torch" in message


def test_requirements_pin_is_named(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy\ntorch==2.1.2\n")
    (message,) = wl102(tmp_path)
    assert "torch 2.1.2 (the torch==2.1.2 pin in requirements.txt)" in message


def test_pyproject_pin_at_2_6_makes_the_default_safe(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["torch>=2.6", "numpy"]\n')
    assert wl102(tmp_path) == []


def test_configured_target_wins_and_is_named(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["torch>=2.6"]\n'
        '[tool.wlint]\ntarget-torch = "2.4"\n')
    (message,) = wl102(tmp_path)
    assert "torch 2.4 (target-torch in pyproject.toml)" in message


def test_pickle_module_never_suggests_weights_only(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.wlint]\ntarget-torch = "2.7"\n')
    source = LOAD.replace("map_location='cpu'", "map_location='cpu', pickle_module=pickle")
    (message,) = wl102(tmp_path, source)
    assert "pickle_module" in message and "pass weights_only=True" not in message
    assert "drop pickle_module" in message


def test_no_config_reads_no_torch_pin(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """--no-config reads no project file: a requirements pin of torch 2.8 (which makes the
    default weights_only=True) no longer counts, and WL102 says why it assumes < 2.6."""
    from wlint.cli import main

    (tmp_path / "requirements.txt").write_text("torch==2.8.0\n")
    (tmp_path / "load.py").write_text(LOAD)
    assert main(["check", "--select", "WL102", "load.py"]) == 0
    capsys.readouterr()
    assert main(["check", "--no-config", "--select", "WL102", "load.py"]) == 1
    out = capsys.readouterr().out
    assert "WL102" in out and "--no-config" in out
