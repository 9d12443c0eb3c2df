"""Bad input never crashes `wlint check`: each case has a defined outcome."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import pytest

from wlint.cli import main

LOADS = "import torch\nstate = torch.load('ckpt.pt')\n"


def _check(capsys: pytest.CaptureFixture[str], *paths: str) -> Tuple[int, str, str]:
    code = main(["check", "--no-config", "--quiet", *paths])
    out, err = capsys.readouterr()
    return code, out, err


def _codes(out: str) -> list:
    return [line.split()[1] for line in out.splitlines()]


def test_syntax_error_is_wl901_and_run_continues(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a_broken.py").write_text("import torch\ndef f(:\n    torch.load(p)\n")
    (tmp_path / "b_good.py").write_text(LOADS)
    code, out, err = _check(capsys, str(tmp_path))
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith(os.path.join(str(tmp_path), "a_broken.py") + ":2:")
    assert _codes(out) == ["WL901", "WL101", "WL102"]


def test_non_utf8_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "latin.py").write_bytes(b"import torch\n# caf\xe9\nx = torch.load('p')\n")
    (tmp_path / "declared.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport torch\n# caf\xe9\nx = torch.load('p')\n")
    code, out, _ = _check(capsys, str(tmp_path / "latin.py"), str(tmp_path / "declared.py"))
    assert code == 1
    by_file = {}
    for line in out.splitlines():
        by_file.setdefault(os.path.basename(line.split(":")[0]), []).append(line.split()[1])
    assert by_file == {"latin.py": ["WL901"], "declared.py": ["WL101", "WL102"]}


def test_binary_file_named_py(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blob.py").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "blob_torch.py").write_bytes(b"\x00\x01torch.load\x00\xff\xfe" * 100)
    code, out, err = _check(capsys, str(tmp_path))
    assert err == ""
    assert code == 1 and _codes(out) == ["WL901"]
    assert "blob_torch.py:1:1: WL901" in out


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.py").write_bytes(b"")
    assert _check(capsys, str(tmp_path / "empty.py")) == (0, "", "")


def test_five_megabyte_generated_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A generated table (the usual shape of a 5 MB .py file) plus a few real calls.
    rows = "".join(f"    ({i}, {i * 0.5!r}, 'layer_{i}.weight'),\n" for i in range(160_000))
    text = ("import torch\n\nTABLE = [\n" + rows + "]\n\n"
            "def restore(p):\n    return torch.load(p, map_location='cpu', weights_only=True)\n\n"
            "bad = torch.load('x')\n")
    path = tmp_path / "huge.py"
    path.write_text(text)
    assert path.stat().st_size > 5_000_000
    code, out, _ = _check(capsys, str(path))
    assert code == 1 and _codes(out) == ["WL101", "WL102"]
    assert out.startswith(f"{path}:{text.count(chr(10))}:7: WL101")


def test_symlink_loop_in_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text(LOADS)
    os.symlink(str(pkg), str(pkg / "loop"))          # a folder that contains itself
    os.symlink("self.py", str(pkg / "self.py"))       # a file link pointing at itself
    os.symlink("missing.py", str(pkg / "dangling.py"))
    code, out, err = _check(capsys, str(tmp_path))
    assert (code, err) == (1, "")
    assert _codes(out) == ["WL101", "WL102"]


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "wlint", "check", str(tmp_path / "nowhere")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "nowhere" in proc.stderr


@pytest.mark.parametrize("terms", [2000, 20000])
def test_deeply_nested_expression(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  terms: int) -> None:
    """2000 terms parse but are too deep to walk; 20000 do not even parse.
    Either way: one WL901, no traceback."""
    path = tmp_path / "deep.py"
    path.write_text("import torch\nx = " + "+".join(["torch.load(p)"] * terms) + "\n")
    code, out, err = _check(capsys, str(path))
    assert (code, err) == (1, "")
    assert _codes(out) == ["WL901"] and out.startswith(f"{path}:1:1: WL901")
