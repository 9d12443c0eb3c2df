"""Hunk parsing and filter modes, on diff text made by real git in a tmp repo."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wlint.findings import Finding
from wlint.git import GitRepo
from wlint.integrations.hunks import (
    comment_anchor,
    filter_findings,
    in_filter,
    parse_unified_diff,
    unquote_path,
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.test")
    git(tmp_path, "config", "user.name", "t")
    git(tmp_path, "config", "core.quotePath", "true")
    base = [f"line{i}" for i in range(1, 31)]
    (tmp_path / "m.py").write_text("\n".join(base) + "\n")
    (tmp_path / "gone.py").write_text("a\nb\n")
    (tmp_path / "old_name.py").write_text("".join(f"x{i}\n" for i in range(1, 21)))
    (tmp_path / "dashes.py").write_text("keep\n-- a comment\nkeep2\n")
    (tmp_path / "nonl.py").write_text("one\ntwo")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    # m.py: line 10 modified, two lines inserted after line 28
    head = list(base)
    head[9] = "line10 changed"
    head[28:28] = ["new29", "new30"]
    (tmp_path / "m.py").write_text("\n".join(head) + "\n")
    (tmp_path / "gone.py").unlink()
    git(tmp_path, "mv", "old_name.py", "new_name.py")
    text = (tmp_path / "new_name.py").read_text().replace("x5\n", "x5 edited\n")
    (tmp_path / "new_name.py").write_text(text)
    (tmp_path / "dashes.py").write_text("keep\nkeep2\n")
    (tmp_path / "nonl.py").write_text("one\ntwo\nthree")
    (tmp_path / "tést.py").write_text("alpha\nbeta\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "head")
    return tmp_path


def test_parse_real_git_diff(repo: Path) -> None:
    text = git(repo, "diff", "-M", "-U3", "HEAD~1", "HEAD")
    diffs = parse_unified_diff(text)
    assert set(diffs) == {"m.py", "gone.py", "new_name.py", "dashes.py", "nonl.py", "tést.py"}
    m = diffs["m.py"]
    assert m.added == {10, 29, 30}
    assert m.context == set(range(7, 14)) | set(range(26, 33))
    assert m.removed == {10}
    gone = diffs["gone.py"]
    assert gone.new_path is None and gone.removed == {1, 2} and not gone.added
    ren = diffs["new_name.py"]
    assert ren.old_path == "old_name.py" and ren.added == {5} and ren.removed == {5}
    # a removed line reading "-- a comment" shows as "--- a comment": not a header
    assert diffs["dashes.py"].removed == {2} and diffs["dashes.py"].added == set()
    assert diffs["dashes.py"].new_path == "dashes.py"
    # "\ No newline at end of file"
    assert diffs["nonl.py"].added == {2, 3} and diffs["nonl.py"].removed == {2}
    new = diffs["tést.py"]
    assert new.old_path is None and new.added == {1, 2}


def test_git_layer_unified_diff_working_tree(repo: Path) -> None:
    (repo / "m.py").write_text((repo / "m.py").read_text() + "tail\n")
    (repo / "untracked.py").write_text("u1\nu2\nu3\n")
    with GitRepo.open(str(repo)) as g:
        diffs = parse_unified_diff(g.unified_diff("HEAD", None, context=0))
    assert diffs["m.py"].added == {33}
    assert diffs["m.py"].context == {33}
    assert diffs["untracked.py"].added == {1, 2, 3}


def test_filter_modes(repo: Path) -> None:
    diffs = parse_unified_diff(git(repo, "diff", "-M", "-U3", "HEAD~1", "HEAD"))

    def f(path: str, line: int) -> Finding:
        return Finding("WL101", path, line, 0, "torch.load without map_location", severity="warning")

    cases = [f("m.py", 10), f("m.py", 12), f("m.py", 20), f("unchanged.py", 1),
             f("new_name.py", 5)]
    expect = {
        "added": [("m.py", 10), ("new_name.py", 5)],
        "diff_context": [("m.py", 10), ("m.py", 12), ("new_name.py", 5)],
        "file": [("m.py", 10), ("m.py", 12), ("m.py", 20), ("new_name.py", 5)],
        "nofilter": [(x.path, x.line) for x in cases],
    }
    for mode, want in expect.items():
        kept, dropped = filter_findings(cases, diffs, mode)
        assert [(x.path, x.line) for x in kept] == want, mode
        assert len(kept) + len(dropped) == len(cases)
    assert not in_filter(diffs, "gone.py", 1, "file")
    with pytest.raises(ValueError):
        in_filter(diffs, "m.py", 10, "everything")


def test_comment_anchor_sides(repo: Path) -> None:
    diffs = parse_unified_diff(git(repo, "diff", "-M", "-U3", "HEAD~1", "HEAD"))
    added = Finding("WL204", "m.py", 29, 0, "m", cls="Net", key="k", old_key="k", severity="error")
    assert comment_anchor(diffs, added) == ("m.py", 29, "RIGHT")
    outside = added.with_(line=20)
    assert comment_anchor(diffs, outside) is None
    removed = Finding("WL201", "old_name.py", 5, 0, "m", cls="Net", key=None, old_key="k", severity="error")
    assert comment_anchor(diffs, removed) == ("new_name.py", 5, "LEFT")


def test_unquote_path() -> None:
    assert unquote_path('"t\\303\\251st.py"') == "tést.py"
    assert unquote_path('"a\\"b\\\\c\\tq"') == 'a"b\\c\tq'
    assert unquote_path("plain.py") == "plain.py"
