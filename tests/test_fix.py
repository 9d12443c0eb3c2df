"""`wlint check --fix` / `--diff`: safe argument additions, layout kept, idempotent."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List, Optional

import pytest

from wlint import fix as fix_module
from wlint.check import check_source
from wlint.cli import main
from wlint.config import Config
from wlint.fix import fix_source

BEFORE = '''\
import pickle
import torch
from torch.hub import load_state_dict_from_url as lsd


def f(path, **kw):
    a = torch.load(path)
    c = torch.load(
        path,
    )
    d = torch.load(
        path,  # the file
        weights_only=True  # safe
    )
    e = torch.load(path,
                   mmap=True)
    g = torch.load(path, pickle_module=pickle)
    h = torch.load(path, map_location=None)
    i = torch.load(path, **kw)
    j = torch.jit.load(path)
    k = lsd("http://x", progress=False)
    m = torch.load(path, "cpu", pickle)
    s = torch.load("\\u00e9.pt")  # \\u00e9
    return a, c, d, e, g, h, i, j, k, m, s
'''

AFTER = '''\
import pickle
import torch
from torch.hub import load_state_dict_from_url as lsd


def f(path, **kw):
    a = torch.load(path, map_location="cpu", weights_only=True)
    c = torch.load(
        path,
        map_location="cpu",
        weights_only=True,
    )
    d = torch.load(
        path,  # the file
        weights_only=True,  # safe
        map_location="cpu"
    )
    e = torch.load(path,
                   mmap=True,
                   map_location="cpu",
                   weights_only=True)
    g = torch.load(path, pickle_module=pickle, map_location="cpu")
    h = torch.load(path, map_location=None, weights_only=True)
    i = torch.load(path, **kw)
    j = torch.jit.load(path, map_location="cpu")
    k = lsd("http://x", progress=False, map_location="cpu", weights_only=True)
    m = torch.load(path, "cpu", pickle)
    s = torch.load("\\u00e9.pt", map_location="cpu", weights_only=True)  # \\u00e9
    return a, c, d, e, g, h, i, j, k, m, s
'''


def _fix(text: str, config: Optional[Config] = None) -> str:
    return fix_source(text, check_source("m.py", text, config or Config())).text


def test_fix_adds_arguments_and_keeps_layout() -> None:
    before = BEFORE.encode().decode("unicode_escape")
    after = AFTER.encode().decode("unicode_escape")
    assert _fix(before) == after
    ast.parse(after)


def test_fix_is_idempotent() -> None:
    once = _fix(BEFORE)
    assert _fix(once) == once


def test_fix_leaves_what_it_cannot_fix_reported() -> None:
    remaining = {(f.line, f.code) for f in check_source("m.py", _fix(BEFORE), Config())}
    # pickle_module passed: WL102 stays; map_location=None: WL101 stays; m: pickle positional
    codes = sorted(code for _, code in remaining)
    assert codes == ["WL101", "WL102", "WL102"]


def test_select_limits_the_fix() -> None:
    text = "import torch\nx = torch.load('p')\n"
    only_map = _fix(text, Config(select=["WL101"]))
    assert only_map == "import torch\nx = torch.load('p', map_location=\"cpu\")\n"


def test_noqa_is_respected() -> None:
    text = "import torch\nx = torch.load('p')  # noqa: WL102\n"
    assert _fix(text) == "import torch\nx = torch.load('p', map_location=\"cpu\")  # noqa: WL102\n"


def test_crlf_and_tabs_survive() -> None:
    text = "import torch\r\nif True:\r\n\tx = torch.load(\r\n\t\t'p',\r\n\t)\r\n"
    new = _fix(text)
    assert new == ("import torch\r\nif True:\r\n\tx = torch.load(\r\n\t\t'p',\r\n"
                   "\t\tmap_location=\"cpu\",\r\n\t\tweights_only=True,\r\n\t)\r\n")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_cli_fix_writes_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "import torch\nx = torch.load('p')\n")
    writes: List[str] = []
    real = fix_module.write_atomic

    def spy(target: str, text: bytes, expected: bytes) -> None:
        writes.append(target)
        real(target, text, expected=expected)

    monkeypatch.setattr(fix_module, "write_atomic", spy)
    assert main(["check", "--no-config", "--fix", str(path)]) == 0
    assert writes == [str(path)]
    fixed = "import torch\nx = torch.load('p', map_location=\"cpu\", weights_only=True)\n"
    assert path.read_text() == fixed
    assert "added 2 argument(s) in 1 file(s)" in capsys.readouterr().err
    assert main(["check", "--no-config", "--fix", str(path)]) == 0
    assert writes == [str(path)]  # second run: nothing to write


def test_cli_diff_writes_nothing_and_applies(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        import torch

        state = torch.load(
            "ckpt.pt",  # trained on the cluster
        )
        """)
    original = path.read_text()
    proc = subprocess.run([sys.executable, "-m", "wlint", "check", "--no-config", "--diff",
                           "model.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert path.read_text() == original
    assert proc.stdout.startswith("--- a/model.py\n+++ b/model.py\n")
    subprocess.run(["git", "apply", "-"], input=proc.stdout, cwd=tmp_path, text=True, check=True)
    assert path.read_text() == original.replace(
        '"ckpt.pt",  # trained on the cluster\n',
        '"ckpt.pt",  # trained on the cluster\n    map_location="cpu",\n    weights_only=True,\n')
    again = subprocess.run([sys.executable, "-m", "wlint", "check", "--no-config", "--diff",
                            "model.py"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout) == (0, "")
