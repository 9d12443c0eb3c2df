"""`wlint diff` end to end: a subprocess per run, in throwaway git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

CONFIG = """\
from dataclasses import dataclass


@dataclass
class Config:
    width: int = 16
"""

MODEL = """\
import torch.nn as nn

from config import Config


class Net(nn.Module):
    def __init__(self, cfg: Config = Config()):
        super().__init__()
        self.features = nn.Sequential(
            nn.Linear(8, cfg.width),
            nn.ReLU(),
            nn.Linear(cfg.width, cfg.width),
        )
        self.conv1 = nn.Conv1d(cfg.width, cfg.width, 3)
        self.head = nn.Linear(cfg.width, 2)

    def forward(self, x):
        return self.head(self.features(x))
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=ENV).stdout


def wlint(cwd: Path, *args: str, cache: Path) -> Tuple[int, str, str]:
    env = {**ENV, "WLINT_CACHE_DIR": str(cache)}
    proc = subprocess.run([sys.executable, "-m", "wlint", "diff", *args], cwd=cwd,
                          capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "config.py").write_text(CONFIG)
    (root / "model.py").write_text(MODEL)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def as_json(out: str) -> List[Dict[str, object]]:
    data = json.loads(out)
    assert set(data) >= {"version", "findings"}
    return data["findings"]  # type: ignore[no-any-return]


def test_clean_tree_exits_0(repo: Path, tmp_path: Path) -> None:
    # a clean run says what it compared (as mypy's "Success: ... in 41 source files")
    assert wlint(repo, cache=tmp_path / "c") == (
        0, "No checkpoint-compatibility problems: 0 model classes compared in 0 changed files "
           "(base HEAD → working tree).\n", "")
    assert wlint(repo, "-q", cache=tmp_path / "c") == (0, "", "")


def test_working_tree_change_text_and_json(repo: Path, tmp_path: Path) -> None:
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    rc, out, err = wlint(repo, cache=tmp_path / "c")
    assert rc == 1 and err == ""
    assert "model.py:15:1: WL204 Net: size mismatch for head.weight" in out
    rc, out, _ = wlint(repo, "--format", "json", cache=tmp_path / "c")
    findings = as_json(out)
    assert {f["key"] for f in findings} == {"head.weight", "head.bias"}
    for f in findings:
        for field in ("code", "severity", "path", "line", "col", "message", "class", "key",
                      "old_key", "old_shape", "new_shape", "fix", "fingerprint"):
            assert field in f
        assert f["class"] == "Net" and f["severity"] == "error"
    weight = next(f for f in findings if f["key"] == "head.weight")
    assert weight["old_shape"] == [2, 16] and weight["new_shape"] == [3, 16]


def test_head_commit_and_staged(repo: Path, tmp_path: Path) -> None:
    edit(repo / "model.py", "self.head = nn.Linear", "self.classifier = nn.Linear")
    edit(repo / "model.py", "return self.head(", "return self.classifier(")
    git(repo, "commit", "-qam", "rename head")
    rc, out, _ = wlint(repo, "--base", "HEAD~1", "--head", "HEAD", cache=tmp_path / "c")
    assert rc == 1 and "WL203" in out and '"head" renamed to "classifier"' in out
    # staged vs unstaged
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 5)")
    git(repo, "add", "model.py")
    edit(repo / "config.py", "width: int = 16", "width: int = 32")
    rc, out, _ = wlint(repo, "--staged", "--format", "json", cache=tmp_path / "c")
    keys = {f["key"] for f in as_json(out)}
    assert keys == {"classifier.weight", "classifier.bias"}  # config.py is not staged
    rc, out, _ = wlint(repo, "--head", ":index", "--format", "json", cache=tmp_path / "c")
    assert {f["key"] for f in as_json(out)} == keys


def test_emit_remap_makes_old_checkpoint_load(repo: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    edit(repo / "model.py", "            nn.ReLU(),\n", "            nn.ReLU(),\n            nn.Dropout(0.1),\n")
    edit(repo / "model.py", "self.conv1 = ", "self.conv_in = ")
    remap_file = tmp_path / "remap.py"
    rc, out, _ = wlint(repo, "--emit-remap", str(remap_file), cache=tmp_path / "c")
    assert rc == 1 and "WL205" in out and "WL203" in out
    namespace: Dict[str, object] = {}
    exec(compile(remap_file.read_text(), str(remap_file), "exec"), namespace)
    old_state = meta_state(torch, repo, "HEAD")
    sys.path.insert(0, str(repo))
    try:
        import importlib

        for mod in ("model", "config"):
            sys.modules.pop(mod, None)
        importlib.invalidate_caches()
        model_mod = importlib.import_module("model")
        with torch.device("meta"):
            model = model_mod.Net()
        remapped = namespace["remap_state_dict"](old_state)  # type: ignore[operator]
        model.load_state_dict(remapped, strict=True, assign=True)
    finally:
        sys.path.remove(str(repo))
        for mod in ("model", "config"):
            sys.modules.pop(mod, None)


def meta_state(torch: object, repo: Path, rev: str, expr: str = "Net()") -> Dict[str, object]:
    """state_dict of `expr` (in model.py) at a revision, built on meta from `git show`
    sources."""
    import importlib
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name in ("model.py", "config.py"):
            Path(tmp, name).write_text(git(repo, "show", f"{rev}:{name}"))
        sys.path.insert(0, tmp)
        try:
            for mod in ("model", "config"):
                sys.modules.pop(mod, None)
            importlib.invalidate_caches()
            mod = importlib.import_module("model")
            with torch.device("meta"):  # type: ignore[attr-defined]
                return dict(eval(expr, vars(mod)).state_dict())
        finally:
            sys.path.remove(tmp)
            for m in ("model", "config"):
                sys.modules.pop(m, None)


def test_rev_path_form(repo: Path, tmp_path: Path) -> None:
    edit(repo / "model.py", "nn.Conv1d(cfg.width, cfg.width, 3)", "nn.Conv1d(cfg.width, cfg.width, 3, stride=2)")
    rc, out, _ = wlint(repo, "HEAD:model.py", cache=tmp_path / "c")
    assert rc == 1 and "WL206" in out and "stride 1 -> 2" in out
    # against another file: the old class vs a copy elsewhere
    (repo / "model_copy.py").write_text(MODEL)
    rc, out, _ = wlint(repo, "HEAD:model.py", "model_copy.py", cache=tmp_path / "c")
    assert rc == 0 and out.startswith("No checkpoint-compatibility problems: 1 model class ")
    rc, _, err = wlint(repo, "HEAD:nope.py", cache=tmp_path / "c")
    assert rc == 2 and err.count("\n") == 1


def test_rev_path_form_compares_named_models(repo: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    spec = "model.py:Net(Config(width=4))"
    before = _model_keys(torch, repo, "Net(Config(width=4))")
    edit(repo / "model.py", "nn.Conv1d(cfg.width, cfg.width, 3)", "nn.Conv1d(cfg.width, cfg.width, 5)")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "kernel 5")
    after = _model_keys(torch, repo, "Net(Config(width=4))")
    changed = sorted(k for k in after if before.get(k) != after[k])
    rc, out, _ = wlint(repo, "HEAD~1:model.py", "--model", spec, "--format", "json",
                       cache=tmp_path / "c")
    mine = [f for f in as_json(out) if f.get("model") == spec]
    assert rc == 1 and sorted(str(f["key"]) for f in mine) == changed == ["conv1.weight"]
    assert [f["new_shape"] for f in mine] == [list(after["conv1.weight"])]
    # the configured models too, as in the two-revision form
    (repo / "pyproject.toml").write_text(f'[tool.wlint.models]\ntiny = "{spec}"\n')
    rc, out, _ = wlint(repo, "HEAD~1:model.py", "--format", "json", cache=tmp_path / "c")
    assert rc == 1 and {f["key"] for f in as_json(out) if f.get("model") == "tiny"} == {
        "conv1.weight"}
    rc, out, err = wlint(repo, "HEAD~1:model.py", "--model", "huge", cache=tmp_path / "c")
    assert (rc, out) == (2, "") and "huge" in err and err.count("\n") == 1


def test_select_ignore_and_noqa(repo: Path, tmp_path: Path) -> None:
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    edit(repo / "model.py", "nn.Conv1d(cfg.width, cfg.width, 3)", "nn.Conv1d(cfg.width, cfg.width, 3, padding=1)")
    rc, out, _ = wlint(repo, "--select", "WL206", cache=tmp_path / "c")
    assert rc == 1 and "WL206" in out and "WL204" not in out
    rc, out, _ = wlint(repo, "-q", "--ignore", "WL204,WL206", cache=tmp_path / "c")
    assert (rc, out) == (0, "")
    edit(repo / "model.py", "nn.Linear(cfg.width, 3)", "nn.Linear(cfg.width, 3)  # noqa: WL204")
    rc, out, _ = wlint(repo, cache=tmp_path / "c")
    assert "WL204" not in out and "WL206" in out


def test_paths_restrict_reported_classes(repo: Path, tmp_path: Path) -> None:
    (repo / "other.py").write_text(MODEL.replace("class Net", "class Other"))
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "other")
    edit(repo / "config.py", "width: int = 16", "width: int = 24")
    _, out, _ = wlint(repo, "--format", "json", cache=tmp_path / "c")
    assert {f["class"] for f in as_json(out)} == {"Net", "Other"}
    _, out, _ = wlint(repo, "other.py", "--format", "json", cache=tmp_path / "c")
    assert {f["class"] for f in as_json(out)} == {"Other"}


def test_cache_is_used_and_never_stale(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    first = wlint(repo, "--format", "json", cache=cache)
    assert any(cache.rglob("*.json"))
    assert wlint(repo, "--format", "json", cache=cache) == first
    # a change in an imported file only: the cached prediction read config.py
    edit(repo / "config.py", "width: int = 16", "width: int = 20")
    _, out, _ = wlint(repo, "--format", "json", cache=cache)
    shapes = {f["key"]: f["new_shape"] for f in as_json(out) if f["code"] == "WL204"}
    assert shapes["head.weight"] == [3, 20]
    assert shapes["features.0.weight"] == [20, 8]


def test_no_cache_writes_nothing(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    rc, out, _ = wlint(repo, "--no-cache", cache=cache)
    assert rc == 1 and "WL204" in out
    assert not cache.exists() or not any(cache.rglob("*.json"))


def test_concurrent_runs_share_the_cache(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    env = {**ENV, "WLINT_CACHE_DIR": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-m", "wlint", "diff", "--format", "json"],
                              cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(4)]
    outs = [p.communicate() for p in procs]
    assert all(p.returncode == 1 for p in procs)
    assert len({o for o, _ in outs}) == 1 and all(e == "" for _, e in outs)
    assert not list(cache.rglob(".tmp-*"))


def test_not_a_repository_and_bad_base(tmp_path: Path) -> None:
    rc, out, err = wlint(tmp_path, cache=tmp_path / "c")
    assert rc == 2 and out == "" and "not a git repository" in err and err.count("\n") == 1


def test_syntax_error_at_head_is_wl901(repo: Path, tmp_path: Path) -> None:
    (repo / "model.py").write_text(MODEL.replace("def forward(self, x):", "def forward(self, x)"))
    rc, out, _ = wlint(repo, cache=tmp_path / "c")
    assert rc == 1 and "WL901" in out and "model.py:17:" in out
    # what an unparsable file holds is unknown: its classes are not "removed"
    assert [line.split()[1] for line in out.splitlines() if "WL2" in line] == []


def test_diff_never_imports_torch_or_libcst(repo: Path, tmp_path: Path) -> None:
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    env = {**ENV, "WLINT_CACHE_DIR": str(tmp_path / "c")}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "wlint", "diff"], cwd=repo,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "WL204" in proc.stdout
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "wlint.compat.driver" in names
    assert {n for n in names if n.split(".")[0] in ("torch", "libcst")} == set()


BLOCKS = """\
import torch.nn as nn


class FFN(nn.Module):
    def __init__(self, dim: int = 8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([FFN() for _ in range(3)])
        self.head = nn.Linear(8, 2)
"""


def test_emit_remap_covers_containers_of_a_changed_class(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    root = tmp_path / "tower"
    root.mkdir()
    (root / "tower.py").write_text(BLOCKS)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "tower.py").write_text(BLOCKS.replace("nn.ReLU(), nn.Linear", "nn.ReLU(), nn.Dropout(0.1), nn.Linear"))
    remap_file = tmp_path / "remap.py"
    rc, out, _ = wlint(root, "--emit-remap", str(remap_file), cache=tmp_path / "c")
    assert rc == 1 and "WL205" in out
    namespace: Dict[str, object] = {}
    exec(compile(remap_file.read_text(), str(remap_file), "exec"), namespace)
    remap = namespace["remap_state_dict"]
    old: Dict[str, object] = {}
    exec(compile(BLOCKS, "old_tower", "exec"), old)
    new: Dict[str, object] = {}
    exec(compile((root / "tower.py").read_text(), "new_tower", "exec"), new)
    with torch.device("meta"):
        for cls in ("Tower", "FFN"):  # a checkpoint of either class loads after remapping
            state = old[cls]().state_dict()  # type: ignore[operator]
            new[cls]().load_state_dict(remap(state), strict=True)  # type: ignore[operator]


def test_a_missing_path_is_exit_2(repo: Path, tmp_path: Path) -> None:
    rc, out, err = wlint(repo, "--base", "HEAD", "nope.py", cache=tmp_path / "c")
    assert (rc, out) == (2, "") and "no such path: nope.py" in err and err.count("\n") == 1
    (repo / "model.py").unlink()  # deleted in the working tree: still a path at base
    rc, out, _ = wlint(repo, "--base", "HEAD", "model.py", cache=tmp_path / "c")
    assert rc == 1 and "WL201" in out


def test_naming_only_the_model_file_sees_a_change_in_another_file(repo: Path,
                                                                  tmp_path: Path) -> None:
    edit(repo / "config.py", "width: int = 16", "width: int = 24")
    rc, out, _ = wlint(repo, "model.py", "--format", "json", cache=tmp_path / "c")
    found = as_json(out)
    assert rc == 1 and {f["code"] for f in found} == {"WL204"}
    assert {f["class"] for f in found} == {"Net"}


def _model_keys(torch: object, repo: Path, expr: str) -> Dict[str, Tuple[int, ...]]:
    state = meta_state(torch, repo, "HEAD", expr)
    return {k: tuple(v.shape) for k, v in state.items()}  # type: ignore[attr-defined]


def test_named_models_from_the_command_line_and_the_config(repo: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    spec = "model.py:Net(Config(width=4))"
    before = _model_keys(torch, repo, "Net(Config(width=4))")
    edit(repo / "model.py", "nn.Conv1d(cfg.width, cfg.width, 3)", "nn.Conv1d(cfg.width, cfg.width, 5)")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "kernel 5")
    after = _model_keys(torch, repo, "Net(Config(width=4))")
    changed = sorted(k for k in after if before.get(k) != after[k])
    rc, out, _ = wlint(repo, "--base", "HEAD~1", "--head", "HEAD", "--model", spec,
                       "--format", "json", cache=tmp_path / "c")
    mine = [f for f in as_json(out) if f.get("model") == spec]
    assert rc == 1 and sorted(str(f["key"]) for f in mine) == changed == ["conv1.weight"]
    assert [f["new_shape"] for f in mine] == [list(after["conv1.weight"])]
    # configured models are compared without --model (what the pre-commit hook runs)
    (repo / "pyproject.toml").write_text(
        '[tool.wlint.models]\ntiny = "model.py:Net(Config(width=4))"\n')
    edit(repo / "model.py", "nn.Conv1d(cfg.width, cfg.width, 5)", "nn.Conv1d(cfg.width, cfg.width, 7)")
    git(repo, "add", "-A")
    rc, out, _ = wlint(repo, "--staged", "--format", "json", cache=tmp_path / "c")
    assert rc == 1 and {f["key"] for f in as_json(out) if f.get("model") == "tiny"} == {
        "conv1.weight"}
    rc, out, _ = wlint(repo, "--staged", "--model", "tiny", "model.py", cache=tmp_path / "c")
    assert rc == 1 and "model tiny:" in out
    rc, out, err = wlint(repo, "--staged", "--model", "huge", cache=tmp_path / "c")
    assert (rc, out) == (2, "") and "huge" in err and err.count("\n") == 1
    rc, out, err = wlint(repo, "--staged", "--model", "model.py:Nope()", cache=tmp_path / "c")
    assert (rc, out) == (2, "") and "Nope" in err and err.count("\n") == 1


def test_review_has_a_verdict_line_per_named_model(repo: Path, tmp_path: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.wlint.models]\nwide = "model.py:Net(Config(width=32))"\n'
        'narrow = "model.py:Net(Config(width=4))"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "models")
    edit(repo / "config.py", "width: int = 16", "width: int = 12")  # a default both override
    edit(repo / "model.py", "nn.Linear(cfg.width, 2)", "nn.Linear(cfg.width, 3)")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "three classes")
    proc = subprocess.run([sys.executable, "-m", "wlint", "review", "--base", "HEAD~1",
                           "--head", "HEAD", "--no-cache"], cwd=repo, capture_output=True,
                          text=True, env=ENV)
    assert proc.returncode == 1, proc.stderr
    verdicts = [line for line in proc.stdout.splitlines() if line.startswith("- ") and "`" in line
                and ("`wide`" in line or "`narrow`" in line)]
    assert len(verdicts) == 2 and all("no longer load" in line for line in verdicts), proc.stdout
