"""One decoder, one parse, one `# noqa` for every command (wlint.source, wlint.noqa).

Each case runs the real commands (`check`, `keys`, `diff`, `review`) in-process
through `wlint.cli.main` on files and git revisions written here.
"""

from __future__ import annotations

import ast
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import List, Tuple

import pytest

from wlint import source
from wlint.cli import main
from wlint.compat import diff_revisions

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

NET = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)


def load(path):
    return torch.load(path)
"""

DEEP = "x = " + "-" * 200_000 + "1\n"  # parses on no CPython: the parser's stack runs out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


def repo_with(tmp_path: Path, base: bytes, head: bytes, name: str = "net.py") -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / name).write_bytes(base)
    git(root, "add", name)
    git(root, "commit", "-qm", "base")
    (root / name).write_bytes(head)
    git(root, "commit", "-qam", "head")
    return root


# ------------------------------------------------------------------ decoding
@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + NET.encode(),  # UTF-8 BOM
    b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + NET.encode(),  # PEP 263 cookie
    b"\xef\xbb\xbf# coding: utf-8\n" + NET.encode(),  # both
])
def test_every_command_reads_bom_and_cookie_files(tmp_path: Path, data: bytes,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.py").write_text(NET, encoding="utf-8")
    (tmp_path / "net.py").write_bytes(data)
    code, out, err = run(capsys, "check", "--select", "WL101", str(tmp_path / "net.py"))
    assert (code, err) == (1, "") and "WL101" in out and "WL901" not in out
    code, keys, err = run(capsys, "keys", str(tmp_path / "net.py"), "Net()")
    assert (code, err) == (0, "")  # a BOM used to exit 2 here (U+FEFF is no Python)
    _, plain, _ = run(capsys, "keys", str(tmp_path / "plain.py"), "Net()")
    assert [line.split()[:3] for line in keys.splitlines()] == \
        [line.split()[:3] for line in plain.splitlines()]
    assert "fc.weight" in keys


def test_a_bom_and_a_cookie_in_git_blobs_are_read_too(tmp_path: Path) -> None:
    base = b"\xef\xbb\xbf" + NET.encode()
    head = b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + NET.replace("(4, 2)", "(4, 3)").encode()
    root = repo_with(tmp_path, base, head)
    result = diff_revisions(str(root), "HEAD~1", "HEAD", use_cache=False)
    assert [f.code for f in result.findings] == ["WL204", "WL204"]


def test_undecodable_bytes_are_wl901_in_check_and_diff_and_one_line_in_keys(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = b"# caf\xe9\n" + NET.encode()
    (tmp_path / "net.py").write_bytes(bad)
    code, out, err = run(capsys, "check", str(tmp_path / "net.py"))
    assert (code, err) == (1, "") and "WL901" in out and "not valid UTF-8" in out
    code, out, err = run(capsys, "keys", str(tmp_path / "net.py"), "Net()")
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("wlint: error: ") and "not valid UTF-8" in err and "0xe9" in err
    root = repo_with(tmp_path, NET.encode(), bad)
    result = diff_revisions(str(root), "HEAD~1", "HEAD", use_cache=False)
    wl901 = [f for f in result.findings if f.code == "WL901"]
    assert len(wl901) == 1 and "not valid UTF-8" in wl901[0].message


# ------------------------------------------------------------- deep nesting
def test_code_nested_too_deeply_for_the_parser_is_wl901_everywhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = NET + DEEP
    (tmp_path / "net.py").write_text(text)
    code, out, err = run(capsys, "check", str(tmp_path / "net.py"))
    assert (code, err) == (1, "") and "WL901" in out
    code, out, err = run(capsys, "keys", str(tmp_path / "net.py"), "Net()")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "cannot parse" in err
    root = repo_with(tmp_path, NET.encode(), text.encode())
    code, out, err = run(capsys, "diff", "--base", "HEAD~1", "--head", "HEAD", "--no-cache",
                         str(root))
    assert (code, err) == (1, "") and "WL901" in out
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "review", "--base", "HEAD~1", "--head", "HEAD", "--no-cache",
                         "--format", "text")
    assert code == 1 and "WL901" in out and "Traceback" not in err


@pytest.mark.parametrize("text, kind", [
    ("x = (\n", "SyntaxError"),
    ("x = 1\0\n", None),  # NUL bytes: ValueError before 3.12, SyntaxError since
    (DEEP, None),  # RecursionError or MemoryError, depending on the CPython
])
def test_parse_never_raises(text: str, kind: str) -> None:
    module, error = source.parse(text, cache=False)
    assert module is None and error is not None and error.line >= 1
    assert kind is None or error.kind == kind


# --------------------------------------------------------- one parse per blob
def test_one_wlint_diff_parses_each_blob_once(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lib = "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, d=4):\n" \
          "        super().__init__()\n        self.fc = nn.Linear(d, d)\n"
    net = "from lib import Block\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n" \
          "    def __init__(self):\n        super().__init__()\n        self.b = Block(8)\n"
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "lib.py").write_text(lib)
    (root / "net.py").write_text(net)
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    (root / "lib.py").write_text(lib.replace("(d, d)", "(d, 3 * d)"))  # the working tree
    parsed: List[str] = []
    real = ast.parse

    def counting(text: str, *args: object, **kw: object) -> object:
        if kw.get("mode", "exec") == "exec":  # files, not the EXPR `Net` in mode="eval"
            parsed.append(text)
        return real(text, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(source.ast, "parse", counting)
    monkeypatch.setenv("WLINT_JOBS", "1")
    source._CACHE.clear()
    result = diff_revisions(str(root), "HEAD", None, use_cache=False)
    assert {f.code for f in result.findings} == {"WL204"}
    assert {f.cls for f in result.findings} >= {"Block", "Net"}
    counts = Counter(parsed)
    assert len(counts) >= 3  # lib.py at both sides, net.py
    assert max(counts.values()) == 1, [(t.splitlines()[-1], n) for t, n in counts.items()]


# --------------------------------------------------------- noqa comments
@pytest.mark.parametrize("comment, silenced", [
    ("# noqa", True),
    ("# noqa: WL204", True),
    ("# noqa: WL2", True),  # a prefix, as for WL1xx (it used to be ignored for WL2xx)
    ("# noqa:WL20", True),
    ("# NOQA: E501,WL204", True),
    ("# noqa: WL206", False),
    ("# noqa: WL1", False),
])
def test_noqa_for_wl2xx_follows_the_wl1xx_rules(tmp_path: Path, comment: str,
                                                silenced: bool) -> None:
    head = NET.replace("nn.Linear(4, 2)", f"nn.Linear(4, 3)  {comment}")
    root = repo_with(tmp_path, NET.encode(), head.encode())
    result = diff_revisions(str(root), "HEAD~1", "HEAD", use_cache=False)
    assert bool(result.findings) is not silenced, [f.code for f in result.findings]


def test_noqa_inside_a_multiline_call_silences_wl2xx_like_flake8(tmp_path: Path) -> None:
    head = NET.replace("nn.Linear(4, 2)", 'nn.Linear(\n            4, 3)  # noqa: WL204')
    root = repo_with(tmp_path, NET.encode(), head.encode())
    result = diff_revisions(str(root), "HEAD~1", "HEAD", use_cache=False)
    lines = head.splitlines()
    reported = [(f.code, lines[f.line - 1]) for f in result.findings]
    assert all("noqa" not in line for _, line in reported), reported
