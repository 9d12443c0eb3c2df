"""`wlint diff --emit-remap` on a multi-class change, checked by torch.

Truth: for every class of the change, a real state_dict built from the base
source (on `meta`), remapped by the emitted script, must load with
`load_state_dict(strict=True)` into the class built from the head source;
also when saved from a `DataParallel`/`torch.compile` wrapper (`module.`,
`_orig_mod.` prefixes), and when two classes renamed the same attribute
differently.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from wlint.compat import diff_revisions

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

BLOCKS = """\
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)


class MLP(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))


class Block(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.ln = nn.LayerNorm(dim)
        self.attn = Attention(dim)
        self.mlp = MLP(dim)


class Left(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)


class Right(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)
"""

MODEL = """\
import torch.nn as nn

from blocks import Block, Left, Right


class Transformer(nn.Module):
    def __init__(self, n_layer: int = 12, dim: int = 16):
        super().__init__()
        self.layers = nn.ModuleList([Block(dim) for _ in range(n_layer)])
        self.left = Left()
        self.right = Right()


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = Transformer()
        self.head = nn.Linear(16, 10)
"""

CLASSES = {"Attention": "Attention(16)", "MLP": "MLP(16)", "Block": "Block(16)",
           "Left": "Left()", "Right": "Right()", "Transformer": "Transformer()",
           "LanguageModel": "LanguageModel()"}


def after(blocks: str) -> str:
    return (blocks.replace("self.proj = ", "self.out_proj = ")
            .replace("nn.GELU(), ", "nn.GELU(), nn.Dropout(0.1), ")
            .replace("self.linear = nn.Linear(4, 4)", "self.fc = nn.Linear(4, 4)", 1)
            .replace("self.linear = nn.Linear(4, 4)", "self.proj = nn.Linear(4, 4)", 1))


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "blocks.py").write_text(BLOCKS)
    (root / "model.py").write_text(MODEL)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    (root / "blocks.py").write_text(after(BLOCKS))
    return root


def build(torch: Any, sources: Dict[str, str], expr: str) -> Any:
    """Evaluate `expr` in the given modules (imported from strings, no files)."""
    import types

    modules = {}
    for name in ("blocks", "model"):
        module = types.ModuleType(name)
        sys.modules[name] = module
        exec(compile(sources[name], f"<{name}>", "exec"), vars(module))
        modules[name] = module
    try:
        with torch.device("meta"):
            return eval(expr, {**vars(modules["blocks"]), **vars(modules["model"])})
    finally:
        for name in ("blocks", "model"):
            sys.modules.pop(name, None)


def test_one_finding_per_change_with_containers(repo: Path) -> None:
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False)
    by_class = sorted((f.code, f.cls) for f in result.findings)
    assert by_class == [("WL203", "Attention"), ("WL203", "Left"), ("WL203", "Right"),
                        ("WL205", "MLP")]
    attn = next(f for f in result.findings if f.cls == "Attention")
    containers = {c["class"]: (c["old_key"], c["key"]) for c in attn.extra["containers"]}
    assert containers == {
        "Block": ("attn.proj", "attn.out_proj"),
        "Transformer": ("layers.{i}.attn.proj", "layers.{i}.attn.out_proj"),
        "LanguageModel": ("transformer.layers.{i}.attn.proj",
                          "transformer.layers.{i}.attn.out_proj")}
    full = next(c for c in attn.extra["containers"] if c["class"] == "LanguageModel")
    assert full["renamed_keys"]["transformer.layers.11.attn.proj.weight"] == \
        "transformer.layers.11.attn.out_proj.weight"


@pytest.mark.parametrize("wrapper", ["", "module.", "_orig_mod.", "module._orig_mod."])
def test_emitted_remap_loads_old_checkpoints_of_every_class(repo: Path, tmp_path: Path,
                                                            wrapper: str) -> None:
    torch = pytest.importorskip("torch")
    result = diff_revisions(str(repo), "HEAD", None, use_cache=False)
    script = result.remap_snippet()
    assert script is not None
    namespace: Dict[str, Any] = {}
    exec(compile(script, "remap.py", "exec"), namespace)
    remap = namespace["remap_state_dict"]
    old_src = {"blocks": BLOCKS, "model": MODEL}
    new_src = {"blocks": after(BLOCKS), "model": MODEL}
    for cls, expr in CLASSES.items():
        old_state = build(torch, old_src, expr).state_dict()
        saved = type(old_state)((wrapper + k, v) for k, v in old_state.items())
        new_model = build(torch, new_src, expr)
        remapped = remap(saved, cls)
        stripped = type(remapped)((k[len(wrapper):], v) for k, v in remapped.items())
        assert all(k.startswith(wrapper) for k in remapped), cls
        new_model.load_state_dict(stripped, strict=True)
        by_instance = remap(saved, new_model)  # the model itself picks its class
        assert list(by_instance) == list(remapped), cls
        assert namespace["remap_" + cls](saved) == remapped


def test_same_attribute_renamed_differently_needs_the_class(repo: Path) -> None:
    pytest.importorskip("torch")
    script = diff_revisions(str(repo), "HEAD", None, use_cache=False).remap_snippet() or ""
    namespace: Dict[str, Any] = {}
    exec(compile(script, "remap.py", "exec"), namespace)
    state = {"linear.weight": 1, "linear.bias": 2}
    assert list(namespace["remap_state_dict"](state, "Left")) == ["fc.weight", "fc.bias"]
    assert list(namespace["remap_state_dict"](state, "Right")) == ["proj.weight", "proj.bias"]
    with pytest.raises(ValueError, match="pass model="):
        namespace["remap_state_dict"](state)  # Left or Right: never guessed
    # a MLP checkpoint is recognised by its keys
    assert "net.3.weight" in namespace["remap_state_dict"]({"net.2.weight": 0, "net.0.weight": 1})
