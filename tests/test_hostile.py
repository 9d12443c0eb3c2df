"""Regression tests, one per hostile input of issue 11 in these areas: `--fix`
(positions, races, links, modes, line endings, failures mid-run), reading only
regular files inside the tree, the cache directory and entries, and the review
bot's client against a hostile server. (Worker death: tests/test_workers.py.)"""

from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Tuple

import pytest

import fuzzgen
from wlint import fix as fix_module
from wlint.cache import Cache, default_dir
from wlint.check import check_source
from wlint.cli import main
from wlint.config import Config
from wlint.fix import fix_source
from wlint.fsutil import UnsafeFile, read_regular, write_atomic
from wlint.integrations import github_api as gh

FIXED = 'torch.load(p, map_location="cpu", weights_only=True)'


def _fix_text(text: str) -> str:
    return fix_source(text, check_source("m.py", text, Config())).text


def _fix_cli(capsys: pytest.CaptureFixture[str], *paths: Path) -> Tuple[int, str, str]:
    code = main(["check", "--no-config", "--fix", *map(str, paths)])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ --fix positions
@pytest.mark.parametrize("odd", ["\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\v"])
def test_odd_line_breaks_before_the_call_do_not_move_the_edit(odd: str) -> None:
    text = f"import json, torch\n# é{odd}é\ns = 'é{odd}€'; x = json.load(torch.load(p))\n"
    assert _fix_text(text) == text.replace("torch.load(p)", FIXED)


def test_nested_call_gets_the_arguments_on_torch_load() -> None:
    text = "import json, torch\nx = json.load(torch.load(p))\ny = torch.load(torch.load(q))\n"
    assert _fix_text(text) == (
        "import json, torch\nx = json.load(" + FIXED + ")\n"
        'y = torch.load(torch.load(q, map_location="cpu", weights_only=True), '
        'map_location="cpu", weights_only=True)\n')


def test_form_feed_starting_a_line_survives_the_fix() -> None:
    """libcst drops such form feeds when it prints a module: they are put back."""
    text = ("import torch\n\x0cx = torch.load(p)\n\x0c\x0cy = torch.load(\n    q,\n)\n"
            "\x0cz = 1  # \x0c\n")
    assert _fix_text(text) == (
        "import torch\n\x0cx = " + FIXED + "\n\x0c\x0cy = torch.load(\n    q,\n"
        '    map_location="cpu",\n    weights_only=True,\n)\n\x0cz = 1  # \x0c\n')


def test_file_libcst_cannot_parse_is_left_alone_and_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(LOAD)

    def too_deep(*_: object, **__: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")  # what libcst hits on deep code

    monkeypatch.setattr(fix_module, "fix_source", too_deep)
    code, _, err = _fix_cli(capsys, path)
    assert code == 1 and path.read_bytes() == LOAD
    assert f"wlint: {path}: not fixed: libcst cannot parse this file" in err


def test_crlf_first_line_does_not_put_crlf_into_an_lf_file() -> None:
    text = "import torch\r\nx = torch.load(\n    p,\n)\n"
    assert _fix_text(text) == ("import torch\r\nx = torch.load(\n    p,\n"
                               '    map_location="cpu",\n    weights_only=True,\n)\n')


def test_crlf_lines_get_crlf() -> None:
    text = "import torch\nx = torch.load(\r\n    p,\r\n)\r\n"
    assert _fix_text(text) == ("import torch\nx = torch.load(\r\n    p,\r\n"
                               '    map_location="cpu",\r\n    weights_only=True,\r\n)\r\n')


# ------------------------------------------------------------------ --fix on disk
LOAD = b"import torch\nx = torch.load(p)\n"
LOAD_FIXED = ("import torch\nx = " + FIXED + "\n").encode()


def test_file_changed_after_the_read_is_skipped_and_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(LOAD)
    real = fix_module.fix_source
    theirs = LOAD + b"# edited by someone else meanwhile\n"

    def racing(*args, **kwargs):  # type: ignore[no-untyped-def]
        path.write_bytes(theirs)  # between wlint's read and its write
        return real(*args, **kwargs)

    monkeypatch.setattr(fix_module, "fix_source", racing)
    code, _, err = _fix_cli(capsys, path)
    assert code == 2 and path.read_bytes() == theirs
    assert "changed while wlint was fixing it; not written" in err and "Traceback" not in err


def test_symlink_target_is_fixed_and_the_link_kept(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "real.py").write_bytes(LOAD)
    link = tmp_path / "link.py"
    link.symlink_to("real.py")
    assert _fix_cli(capsys, link)[0] == 0
    assert link.is_symlink() and (tmp_path / "real.py").read_bytes() == LOAD_FIXED


def test_hard_links_stay_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_bytes(LOAD)
    os.link(a, b)
    assert _fix_cli(capsys, b)[0] == 0
    assert os.stat(a).st_ino == os.stat(b).st_ino and a.read_bytes() == LOAD_FIXED


def test_read_only_file_is_reported_not_rewritten(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(LOAD)
    path.chmod(0o444)
    code, out, err = _fix_cli(capsys, path)
    assert code == 2 and path.read_bytes() == LOAD and path.stat().st_mode & 0o777 == 0o444
    assert err.splitlines()[0] == f"wlint: cannot fix {path}: file is read-only; not written"
    assert "WL101" in out  # its findings stay in the report


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_owner_and_mode_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(LOAD)
    os.chown(path, 4321, 4321)
    path.chmod(0o664)
    assert _fix_cli(capsys, path)[0] == 0
    info = path.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (4321, 4321, 0o664)
    assert path.read_bytes() == LOAD_FIXED


def test_unwritable_folder_is_reported_without_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(LOAD)

    def denied(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("wlint.fsutil.tempfile.mkstemp", denied)
    code, _, err = _fix_cli(capsys, path)
    assert code == 2 and path.read_bytes() == LOAD
    assert err == f"wlint: cannot fix {path}: cannot write: Permission denied\n"


def test_file_vanishing_mid_run_is_one_line_and_the_others_are_fixed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_bytes(LOAD)
    b.write_bytes(LOAD)
    real = fix_module.read_regular

    def vanishing(path: str, **kwargs):  # type: ignore[no-untyped-def]
        if path.endswith("b.py"):
            os.unlink(path)
        return real(path, **kwargs)

    monkeypatch.setattr(fix_module, "read_regular", vanishing)
    code, _, err = _fix_cli(capsys, tmp_path)
    assert code == 2 and a.read_bytes() == LOAD_FIXED
    assert f"wlint: cannot fix {b}: cannot read: No such file or directory" in err.splitlines()
    assert "Traceback" not in err


def test_no_weights_only_on_a_file_the_project_saves_as_a_whole_module(tmp_path: Path) -> None:
    """Issue 13: torch really refuses weights_only=True on a pickled module, so the fix
    leaves it out there (and says why in the patch) while the other load gets it."""
    torch = pytest.importorskip("torch")
    (tmp_path / "train.py").write_text(
        "import torch\nfrom torch import nn\n\nmodel = nn.Linear(2, 3)\n"
        "torch.save(model, 'whole.pt')\ntorch.save(model.state_dict(), 'weights.pt')\n")
    infer = tmp_path / "infer.py"
    infer.write_text("import torch\n\nmodel = torch.load('whole.pt')\n"
                     "weights = torch.load('weights.pt')\n")
    proc = subprocess.run([sys.executable, "-m", "wlint", "check", "--no-config", "--diff",
                           "train.py", "infer.py"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    notes = [ln for ln in proc.stdout.splitlines() if ln.startswith("# wlint:")]
    assert notes == ["# wlint: infer.py: line 3: weights_only=True not added: 'whole.pt' is "
                     "written by torch.save of a whole module at train.py:5, which "
                     "weights_only=True cannot load (save and load the state_dict() instead)"]
    subprocess.run(["git", "apply", "-"], input=proc.stdout, cwd=tmp_path, text=True, check=True)
    fixed = infer.read_text()
    assert "torch.load('whole.pt', map_location=\"cpu\")" in fixed
    assert "torch.load('weights.pt', map_location=\"cpu\", weights_only=True)" in fixed
    # what torch does with the saved file: weights_only=True refuses it, while the fixed
    # line (weights_only left to the default, False before torch 2.6) loads it
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        exec(compile((tmp_path / "train.py").read_text(), "train.py", "exec"), {})
        assert isinstance(torch.load("whole.pt", map_location="cpu", weights_only=False),
                          torch.nn.Linear)
        with pytest.raises(Exception, match=r"[Ww]eights only load failed"):
            torch.load("whole.pt", map_location="cpu", weights_only=True)
        torch.load("weights.pt", map_location="cpu", weights_only=True)
    finally:
        os.chdir(cwd)


# ------------------------------------------------------------------ reading
def test_fifo_is_not_read_and_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.py"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(UnsafeFile, match="not a regular file"):
        read_regular(fifo)
    assert time.monotonic() - start < 5


def test_device_link_size_cap_and_outside_link(tmp_path: Path) -> None:
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    with pytest.raises(UnsafeFile, match="not a regular file"):
        read_regular(tmp_path / "zero.py")
    big = tmp_path / "big.py"
    big.write_bytes(b"#" * 2048)
    with pytest.raises(UnsafeFile, match="larger than"):
        read_regular(big, limit=1024)
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_text("x = 1\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside)
    with pytest.raises(UnsafeFile, match="outside the analysed tree"):
        read_regular(tree / "link.py", root=tree)
    assert read_regular(tree / "link.py") == b"x = 1\n"  # no root given: allowed


def test_check_skips_special_files_and_links_out_of_the_tree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    os.mkfifo(tree / "fifo.py")
    (tree / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "outside.py").write_text("import torch\nx = torch.load(p)\n")
    (tree / "out.py").symlink_to(tmp_path / "outside.py")
    assert main(["check", "--no-config", "-q", str(tree)]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["check", "--no-config", str(tree / "zero.py")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_oversized_file_is_a_wl901_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.py"
    path.write_bytes(LOAD + b"#" * 4096)
    monkeypatch.setattr("wlint.fsutil.MAX_FILE_BYTES", 1024)
    monkeypatch.setattr(read_regular, "__defaults__", (None, 1024))
    assert main(["check", "--no-config", str(path)]) == 1
    assert "WL901" in capsys.readouterr().out


@pytest.mark.parametrize("kind", [0, 1, 2, 3], ids=["fifo", "dev-zero", "outside", "socket"])
@pytest.mark.parametrize("which", [0, 1, 2, 3], ids=["check", "fix", "keys", "diff"])
def test_special_imports_are_never_read(tmp_path: Path, kind: int, which: int) -> None:
    """A FIFO, a link to /dev/zero, a link out of the tree or a socket imported by the
    model: check / --fix / keys / diff answer (no hang, no MemoryError) and never show
    the outside file's content or rewrite it."""
    assert fuzzgen.fs_special(random.Random(kind), tmp_path, kind, which) is None


def test_committed_link_to_dev_zero_is_not_read_by_diff(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@x", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    git("init", "-q")
    model = tmp_path / "model.py"
    model.write_text("from torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                     "        super().__init__()\n        self.fc = nn.Linear(2, 3)\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    model.write_text(model.read_text().replace("import nn", "import nn\nimport zero"))
    git("add", "-A")
    git("commit", "-qm", "head")
    code, _, _, failure = fuzzgen.run_cli(["diff", "--no-cache", "--base", "HEAD~1",
                                           "--format", "json"], cwd=tmp_path, timeout=30)
    assert failure is None and code in (0, 1)


# ------------------------------------------------------------------ cache
def test_cache_dir_is_absolute_and_relative_values_are_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert default_dir() == str(tmp_path / "home" / ".cache" / "wlint")
    monkeypatch.setenv("WLINT_CACHE_DIR", "also/relative")
    assert default_dir() == str(tmp_path / "home" / ".cache" / "wlint")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == str(tmp_path / "xdg" / "wlint")


def test_cache_inside_the_work_tree_moves_out(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WLINT_CACHE_DIR", str(tmp_path / "repo" / ".cache"))
    cache = Cache(tree_root=str(tmp_path / "repo"))
    assert not cache.directory.startswith(str(tmp_path / "repo"))
    assert cache.directory.startswith(str(tmp_path / "home"))


WRONG_SHAPES = [[1], [None], ["x"], [{"deps": 1}], [{"deps": [1]}], [{"deps": [[1, 2, 3]]}],
                [{"deps": "ab"}], [{"value": 1}], {"a": 1}, 3, "s", [[]],
                [{"deps": [], "value": {"prediction": {"entries": 5}}}],
                [{"deps": [], "value": {"prediction": 7}}]]


@pytest.mark.parametrize("entry", WRONG_SHAPES, ids=[str(i) for i in range(len(WRONG_SHAPES))])
def test_wrong_shape_cache_entries_are_misses_in_a_real_diff(
        tmp_path: Path, entry: object, capsys: pytest.CaptureFixture[str]) -> None:
    """Poison every prediction and class-list entry wlint will look up, then diff."""
    repo = tmp_path / "repo"
    repo.mkdir()
    fuzzgen._git(repo, "init", "-q")
    model = repo / "model.py"
    model.write_text("from torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                     "        super().__init__()\n        self.fc = nn.Linear(2, 3)\n")
    fuzzgen._git(repo, "add", "-A")
    fuzzgen._git(repo, "commit", "-qm", "base")
    model.write_text(model.read_text().replace("(2, 3)", "(2, 4)"))
    cache_dir = tmp_path / "cache"
    os.environ["WLINT_CACHE_DIR"] = str(cache_dir)
    try:
        first = fuzzgen.run_cli(["diff", "--base", "HEAD", "--format", "json"], cwd=repo)
        assert first[3] is None and first[0] == 1
        for path in cache_dir.rglob("*.json"):
            path.write_text(__import__("json").dumps(entry))
        again = fuzzgen.run_cli(["diff", "--base", "HEAD", "--format", "json"], cwd=repo)
    finally:
        del os.environ["WLINT_CACHE_DIR"]
    assert again[3] is None and (again[0], again[1]) == (first[0], first[1])


def test_cache_key_with_a_non_utf8_file_name(tmp_path: Path) -> None:
    cache = Cache(str(tmp_path))
    name = os.fsdecode(b"m\xff.py")
    cache.store("pred", f"{name}\0abc\0Net()", [])
    assert cache.load("pred", f"{name}\0abc\0Net()") == []


# ------------------------------------------------------------------ the review bot
@pytest.mark.parametrize("kind", fuzzgen.GITHUB_KINDS)
def test_hostile_github_answers_are_one_line_errors(kind: str, tmp_path: Path) -> None:
    """Marker without id, a stranger's marker, a 40-digit X-RateLimit-Reset,
    `Retry-After: ²`, the token in an error body, non-JSON, junk lists, 24 MB, a body
    dripped byte by byte, GITHUB_EVENT_PATH=/dev/zero."""
    start = time.monotonic()
    assert fuzzgen.github_hostile(random.Random(0), tmp_path, kind) is None
    assert time.monotonic() - start < 12


def test_drip_hits_the_request_deadline_not_the_receive_timeout() -> None:
    server = fuzzgen._Hostile("drip")  # one byte every 0.5 s, 100 bytes
    try:
        client = gh.GitHubClient(fuzzgen.TOKEN, server.url, timeout=5.0, max_retries=0,
                                 deadline=1.5)
        start = time.monotonic()
        with pytest.raises(gh.GitHubError, match="did not answer in time"):
            client.request("GET", "/repos/o/r/issues/1/comments")
        assert time.monotonic() - start < 4
    finally:
        server.close()


def test_run_deadline_bounds_all_requests_together() -> None:
    server = fuzzgen._Hostile("drip")
    try:
        client = gh.GitHubClient(fuzzgen.TOKEN, server.url, timeout=5.0, max_retries=10,
                                 deadline=1.0, run_deadline=2.5, sleep=lambda s: None)
        start = time.monotonic()
        with pytest.raises(gh.GitHubError):
            client.request("GET", "/repos/o/r/issues/1/comments")
        assert time.monotonic() - start < 5
    finally:
        server.close()


def test_oversized_answer_is_refused() -> None:
    server = fuzzgen._Hostile("oversized")
    try:
        client = gh.GitHubClient(fuzzgen.TOKEN, server.url, max_retries=0, max_bytes=1 << 20)
        with pytest.raises(gh.GitHubError, match="more than the 1 MiB"):
            client.request("GET", "/repos/o/r/issues/1/comments")
    finally:
        server.close()


def test_event_payload_fifo_is_not_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "event.json"
    os.mkfifo(fifo)
    with pytest.raises(gh.GitHubError, match="cannot read the event payload"):
        gh.pull_request_from_env({"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": str(fifo)})


def test_write_atomic_report_errors_are_one_line(tmp_path: Path) -> None:
    from wlint.fsutil import WriteError

    with pytest.raises(WriteError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "out.json", "{}")
    with pytest.raises(WriteError, match="is a directory"):
        write_atomic(tmp_path, "{}")


def test_fuzzgen_oracle_catches_a_wrong_rewrite() -> None:
    """The fix oracle is not vacuous: arguments on json.load are caught."""
    before = "import json, torch\nx = json.load(torch.load(p))\n"
    wrong = 'import json, torch\nx = json.load(torch.load(p), map_location="cpu")\n'
    assert "to json.load()" in (fuzzgen.fix_edit_failure(before, wrong) or "")
    assert fuzzgen.fix_edit_failure(before, _fix_text(before)) is None
    ast.parse(_fix_text(before))


# ------------------------------------------------------------------ output paths
def _renamed_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    fuzzgen._git(repo, "init", "-q")
    model = repo / "model.py"
    model.write_text("import torch\nfrom torch import nn\nclass Net(nn.Module):\n"
                     "    def __init__(self):\n        super().__init__()\n"
                     "        self.fc = nn.Linear(2, 3)\n")
    fuzzgen._git(repo, "add", "-A")
    fuzzgen._git(repo, "commit", "-qm", "base")
    model.write_text(model.read_text().replace("self.fc", "self.head")
                     + "x = torch.load('p')\n")
    return repo


@pytest.mark.parametrize("where", ["missing", "directory"])
@pytest.mark.parametrize("option", ["-o", "--emit-remap", "--sarif"])
def test_unwritable_output_is_one_line_and_exit_2(tmp_path: Path, where: str,
                                                  option: str) -> None:
    repo = _renamed_repo(tmp_path)
    target = tmp_path / "nowhere" / "out" if where == "missing" else tmp_path
    argv = {"-o": ["check", "--no-config", str(repo / "model.py"), "-o", str(target)],
            "--emit-remap": ["diff", "--no-cache", "--base", "HEAD", "--emit-remap", str(target)],
            "--sarif": ["review", "--no-cache", "--base", "HEAD", "--sarif", str(target)]}[option]
    code, _, err, failure = fuzzgen.run_cli(argv, cwd=repo)
    assert failure is None and code == 2
    assert err.startswith("wlint: error: ") and err.count("\n") == 1
    assert ("does not exist" if where == "missing" else "is a directory") in err


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab", "text"])
def test_non_utf8_file_name_in_every_report(tmp_path: Path, fmt: str) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/m\xff.py"
    with open(raw, "wb") as handle:
        handle.write(LOAD)
    name = os.fsdecode(raw)
    code, out, _, failure = fuzzgen.run_cli(["check", "--no-config", "--format", fmt, name])
    assert failure is None and code == 1
    if fmt == "json":
        import json

        assert {f["path"] for f in json.loads(out)["findings"]} == {name}  # lossless
    out_file = tmp_path / "report"
    code, _, _, failure = fuzzgen.run_cli(["check", "--no-config", "--format", fmt, name,
                                           "-o", str(out_file)])
    assert failure is None and code == 1
    if fmt == "text":
        assert out_file.read_bytes().startswith(raw + b":2:")  # the name's own bytes
