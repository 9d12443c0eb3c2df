"""wlint.git against real throwaway repositories."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from wlint.git import GitError, GitRepo, git_blob_id, git_root


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    (root / "pkg").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "pkg" / "a.py").write_text("x = 1\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "old_name.py").write_text("class A:\n    '''a fairly long body so -M pairs it'''\n"
                                      "    value = 1\n    other = 2\n")
    (root / "gone.py").write_text("y = 1\n")
    (root / "notes.txt").write_text("hi\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "one")
    return root


def test_open_outside_a_repository_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        GitRepo.open(str(tmp_path))


def test_unknown_revision(repo: Path) -> None:
    with GitRepo.open(str(repo)) as r, pytest.raises(GitError, match="unknown revision 'nope'"):
        r.rev_parse("nope")


def test_option_like_revision_is_rejected(repo: Path) -> None:
    with GitRepo.open(str(repo)) as r, pytest.raises(GitError):
        r.rev_parse("--output=/tmp/x")


def test_trees_at_commit_index_and_worktree(repo: Path) -> None:
    (repo / "pkg" / "a.py").write_text("x = 2\n")
    git(repo, "add", "pkg/a.py")
    (repo / "pkg" / "a.py").write_text("x = 3\n")
    with GitRepo.open(str(repo / "pkg")) as r:
        assert r.root == str(repo)
        assert r.tree("HEAD").read("pkg/a.py") == "x = 1\n"
        assert r.tree(":index").read("pkg/a.py") == "x = 2\n"
        assert r.tree("--staged").read("pkg/a.py") == "x = 2\n"
        assert r.tree(None).read("pkg/a.py") == "x = 3\n"
        assert r.tree("HEAD").read("missing.py") is None
        assert r.tree("HEAD").read("pkg") is None  # a folder is not a file
        # blob ids agree with git's own
        assert r.tree(None).blob_id("pkg/a.py") == git(repo, "hash-object", "pkg/a.py").strip()
        assert r.tree(":index").blob_id("pkg/a.py") == git_blob_id(b"x = 2\n")


def test_many_reads_share_one_cat_file_process(repo: Path) -> None:
    with GitRepo.open(str(repo)) as r:
        tree = r.tree("HEAD")
        for _ in range(50):
            assert tree.read("pkg/a.py") == "x = 1\n"
            assert r.read_object("HEAD:gone.py") == b"y = 1\n"
        cat = r._cat
        assert cat is not None
        r.read_object("HEAD:pkg/a.py")
        assert r._cat is cat


def test_changed_files_with_renames_staged_and_untracked(repo: Path) -> None:
    git(repo, "mv", "old_name.py", "new_name.py")
    git(repo, "rm", "-q", "gone.py")
    (repo / "pkg" / "a.py").write_text("x = 2\n")
    (repo / "fresh.py").write_text("z = 1\n")
    (repo / "notes.txt").write_text("changed\n")
    with GitRepo.open(str(repo)) as r:
        wt = {(c.status, c.old_path, c.new_path) for c in r.changed_files("HEAD")}
        assert wt == {("R", "old_name.py", "new_name.py"), ("D", "gone.py", None),
                      ("M", "pkg/a.py", "pkg/a.py"), ("A", None, "fresh.py")}
        staged = {(c.status, c.old_path, c.new_path) for c in r.changed_files("HEAD", ":index")}
        assert staged == {("R", "old_name.py", "new_name.py"), ("D", "gone.py", None)}
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    with GitRepo.open(str(repo)) as r:
        commits = {(c.status, c.old_path, c.new_path) for c in r.changed_files("HEAD~1", "HEAD")}
        assert ("R", "old_name.py", "new_name.py") in commits and len(commits) == 4


def test_unified_diff(repo: Path) -> None:
    git(repo, "config", "diff.noprefix", "true")  # a user setting must not change the format
    (repo / "pkg" / "a.py").write_text("x = 2\n")
    (repo / "fresh.py").write_text("z = 1\n")
    with GitRepo.open(str(repo)) as r:
        text = r.unified_diff("HEAD", None, context=0)
    assert "+++ b/pkg/a.py" in text and "-x = 1" in text and "+x = 2" in text
    assert "+++ b/fresh.py" in text and "+z = 1" in text


def test_shallow_clone_without_base_says_fetch_depth(repo: Path, tmp_path: Path) -> None:
    (repo / "pkg" / "a.py").write_text("x = 2\n")
    git(repo, "commit", "-qam", "two")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    base = git(repo, "rev-parse", "HEAD~1").strip()
    with GitRepo.open(str(clone)) as r, pytest.raises(GitError, match="fetch-depth: 0"):
        r.rev_parse(base)
    proc = subprocess.run(["python", "-m", "wlint", "diff", "--base", base], cwd=clone,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "fetch-depth: 0" in proc.stderr


def test_cli_exit_2_on_bad_revision(repo: Path) -> None:
    proc = subprocess.run(["python", "-m", "wlint", "diff", "--base", "nope"], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown revision" in proc.stderr


def test_cli_exit_2_outside_a_repository(tmp_path: Path) -> None:
    proc = subprocess.run(["python", "-m", "wlint", "diff"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not a git repository" in proc.stderr


def test_first_commit_compares_with_nothing(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "m.py").write_text("x = 1\n")
    git(root, "add", "m.py")
    with GitRepo.open(str(root)) as r:
        changes = r.changed_files("HEAD", ":index")
        assert [(c.status, c.new_path) for c in changes] == [("A", "m.py")]
        assert r.tree("HEAD").read("m.py") is None
    # pre-commit's wlint-compat hook on the very first commit: nothing to report, exit 0
    proc = subprocess.run(["python", "-m", "wlint", "diff", "--staged", "-q"], cwd=root,
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_grep_files_with_unusual_names(repo: Path) -> None:
    (repo / "pkg" / "ünï côde.py").write_text("from pkg import zyxw\n")
    (repo / "other.py").write_text("# nothing here\n")
    with GitRepo.open(str(repo)) as r:
        assert r.grep_files(None, ["zyxw"]) == ["pkg/ünï côde.py"]
        git(repo, "add", "-A")
        assert r.grep_files(":index", ["zyxw"]) == ["pkg/ünï côde.py"]
        git(repo, "commit", "-qm", "two")
        assert r.grep_files("HEAD", ["zyxw"]) == ["pkg/ünï côde.py"]
        assert r.grep_files("HEAD", ["nowhere_to_be_found"]) == []


def _drop_object(root: Path, oid: str) -> None:
    """Delete a loose object: the tree still lists the file, its blob is gone (what a
    partial clone or an unfetched large file looks like to git)."""
    (root / ".git" / "objects" / oid[:2] / oid[2:]).unlink()


def test_a_backslash_is_part_of_the_name(repo: Path) -> None:
    (repo / "m\\v.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    (repo / "m\\v.py").write_text("x = 2\n")
    with GitRepo.open(str(repo)) as r:
        assert [c.path for c in r.changed_files("HEAD")] == ["m\\v.py"]
        assert r.tree("HEAD").read("m\\v.py") == "x = 1\n"
        assert r.tree(None).read("m\\v.py") == "x = 2\n"
        assert r.tree("HEAD").read("m/v.py") is None


def test_listing_sees_only_python_files_under_the_paths(repo: Path) -> None:
    (repo / "notes.txt").write_text("changed\n")
    (repo / "pkg" / "a.py").write_text("x = 2\n")
    (repo / "gone.py").write_text("y = 2\n")
    with GitRepo.open(str(repo)) as r:
        assert [c.path for c in r.changed_files("HEAD")] == ["gone.py", "pkg/a.py"]
        assert [c.path for c in r.changed_files("HEAD", paths=["pkg"])] == ["pkg/a.py"]
        assert [c.path for c in r.changed_files("HEAD", paths=["gone.py"])] == ["gone.py"]


def test_a_missing_blob_of_another_file_never_fails(repo: Path) -> None:
    big = repo / "weights.bin"
    big.write_bytes(b"\0" * 100_000)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    big.write_bytes(b"\1" * 100_000)
    git(repo, "mv", "old_name.py", "new_name.py")
    (repo / "lost.py").write_text("lost = 1\n")
    (repo / "pkg" / "a.py").write_text("from pkg import zyxw\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "three")
    for rev in ("HEAD~1", "HEAD"):
        _drop_object(repo, git(repo, "rev-parse", f"{rev}:weights.bin").strip())
    _drop_object(repo, git(repo, "rev-parse", "HEAD:lost.py").strip())
    with GitRepo.open(str(repo)) as r:
        changes = r.changed_files("HEAD~1", "HEAD")
        assert ("R", "old_name.py", "new_name.py") in [(c.status, c.old_path, c.new_path)
                                                      for c in changes]
        tree = r.tree("HEAD")
        assert tree.read("lost.py") is None and tree.missing == {"lost.py"}
        assert tree.read("gone.py") == "y = 1\n"
        # git grep cannot read lost.py: the readable files are searched instead
        assert r.grep_files("HEAD", ["zyxw"]) == ["pkg/a.py"]
        assert "weights.bin" not in r.unified_diff("HEAD~1", "HEAD")


def test_a_blob_past_the_size_cap_is_refused_not_read(repo: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Committed content has the cap of work-tree files; the huge blob is streamed past
    (the next reads of the same cat-file process still work) and the refusal recorded."""
    import wlint.git as wlint_git

    model = "from torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n" \
            "        super().__init__()\n        self.fc = nn.Linear(2, 3)\n"
    (repo / "model.py").write_text(model)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    (repo / "model.py").write_text(model + "# " + "x" * 5000 + "\n")
    git(repo, "commit", "-qam", "three")
    monkeypatch.setattr(wlint_git, "MAX_FILE_BYTES", 4096)
    with GitRepo.open(str(repo)) as r:
        tree = r.tree("HEAD")
        assert tree.read("model.py") is None and tree.missing == {"model.py"}
        assert "larger than" in tree.refused["model.py"]
        assert tree.read("pkg/a.py") == "x = 1\n"
        assert r.tree("HEAD~1").read("model.py") == model
    from fuzzgen import run_cli

    code, out, _, failure = run_cli(["diff", "--no-cache", "--base", "HEAD~1", "--head", "HEAD",
                                     "--format", "json"], cwd=repo)
    assert failure is None and code == 0  # WL290 is information, not silence
    found = [f for f in json.loads(out)["findings"] if f["path"] == "model.py"]
    assert [f["code"] for f in found] == ["WL290"]
    assert "blob larger than" in found[0]["message"]


def test_git_root_of_files_in_and_outside_a_repository(repo: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "pkg").mkdir(exist_ok=True)
    assert git_root(str(repo / "pkg" / "any.py")) == str(repo)
    outside = tmp_path / "loose"
    outside.mkdir()
    (outside / "m.py").write_text("x = 1\n")
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.setattr(subprocess, "run", _no_process)  # decided without running git
    if not any((p / ".git").exists() for p in outside.parents):
        assert git_root(str(outside / "m.py")) is None
    monkeypatch.undo()
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo))
    assert os.path.realpath(git_root(str(outside / "m.py")) or "") == os.path.realpath(repo)


def _no_process(*args: object, **kwargs: object) -> None:
    raise AssertionError("git_root ran a process")
