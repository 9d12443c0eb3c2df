"""`wlint diff` with a required config parameter: `Net(Cfg())` is compared too, only when
the config class resolves on both sides under one name and needs no arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from wlint.compat import diff_revisions
from wlint.findings import Finding

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

MODEL = """\
from dataclasses import dataclass

import torch.nn as nn


@dataclass
class Cfg:
    vocab: int = 10


class Net(nn.Module):
    def __init__(self, cfg: "Cfg"):
        super().__init__()
        self.emb = nn.Embedding(cfg.vocab, 4)
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


def run(tmp_path: Path, before: str, after: str) -> List[Finding]:
    root = tmp_path / "r"
    root.mkdir()
    (root / "model.py").write_text(before)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "model.py").write_text(after)
    return diff_revisions(str(root), "HEAD", None, use_cache=False).findings


def torch_shapes(text: str, expr: str) -> Dict[str, Tuple[int, ...]]:
    torch = pytest.importorskip("torch")
    namespace: Dict[str, object] = {"__name__": "wlint_cfg_case"}
    sys.modules["wlint_cfg_case"] = type(sys)("wlint_cfg_case")  # for @dataclass
    try:
        exec(compile(text, "model.py", "exec"), namespace)
        with torch.device("meta"):
            model = eval(expr, namespace)
    finally:
        del sys.modules["wlint_cfg_case"]
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_a_default_change_of_a_required_config_is_found(tmp_path: Path) -> None:
    after = MODEL.replace("vocab: int = 10", "vocab: int = 16")
    found = run(tmp_path, MODEL, after)
    old, new = torch_shapes(MODEL, "Net(Cfg())"), torch_shapes(after, "Net(Cfg())")
    changed = sorted(k for k in new if old.get(k) != new[k])
    assert changed == ["emb.weight"]
    assert [(f.code, f.key, f.old_key) for f in found] == [("WL204", "emb.weight", "emb.weight")]
    assert "with the default Cfg()" in found[0].message
    assert str(list(new["emb.weight"])).replace(" ", "") in found[0].message.replace(" ", "")


@pytest.mark.parametrize("after", [
    # the config class renamed: no common expression for both sides
    MODEL.replace("vocab: int = 10", "vocab: int = 16").replace("Cfg", "Config"),
    # a field without default: Cfg() cannot be built
    MODEL.replace("    vocab: int = 10", "    name: str\n    vocab: int = 16"),
])
def test_no_variant_without_one_default_constructible_config(tmp_path: Path, after: str) -> None:
    found = run(tmp_path, MODEL, after)
    assert all(f.severity == "info" for f in found)  # no claim
    if "Config" not in after:  # Cfg.vocab's default changed: what was not compared is said
        assert [f.code for f in found] == ["WL290"] and "Cfg.vocab" in found[0].message
    else:
        assert found == []


def test_other_required_params_keep_the_bare_name_only(tmp_path: Path) -> None:
    before = MODEL.replace('cfg: "Cfg"):', 'cfg: "Cfg", dim: int):').replace(
        "nn.Embedding(cfg.vocab, 4)", "nn.Embedding(cfg.vocab, dim)")
    after = before.replace("vocab: int = 10", "vocab: int = 16")
    found = run(tmp_path, before, after)
    assert [(f.code, f.severity) for f in found] == [("WL290", "info")]
    assert "`cfg.vocab`" in found[0].message and "(10 -> 16)" in found[0].message


UNANNOTATED = MODEL.replace('cfg: "Cfg"', "cfg").replace(
    "self.emb = nn.Embedding(cfg.vocab, 4)",
    "self.emb = nn.Embedding(cfg.vocab, 4)\n        self.drop = nn.Dropout(cfg.p)").replace(
    "vocab: int = 10", "vocab: int = 10\n    p: float = 0.1")


def test_a_default_change_behind_an_unannotated_config_is_a_note_not_silence(tmp_path: Path) -> None:
    after = UNANNOTATED.replace("vocab: int = 10", "vocab: int = 16")
    old, new = torch_shapes(UNANNOTATED, "Net(Cfg())"), torch_shapes(after, "Net(Cfg())")
    assert old["emb.weight"] != new["emb.weight"]  # a model built with the default changes
    found = run(tmp_path, UNANNOTATED, after)
    assert [(f.code, f.severity, f.cls) for f in found] == [("WL290", "info", "Net")]
    assert "`Cfg.vocab` changed (10 -> 16)" in found[0].message and "--model" in found[0].message
    assert found[0].line == after.splitlines().index("    vocab: int = 16") + 1


def test_a_default_no_shape_reads_changes_nothing(tmp_path: Path) -> None:
    after = UNANNOTATED.replace("p: float = 0.1", "p: float = 0.2")
    assert torch_shapes(UNANNOTATED, "Net(Cfg())") == torch_shapes(after, "Net(Cfg())")
    assert run(tmp_path, UNANNOTATED, after) == []
