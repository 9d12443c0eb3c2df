"""`verify` against torch: the strict-load verdict key for key, and every fix snippet
really makes `load_state_dict(strict=True)` succeed.

Model pairs are generated (hypothesis): a random model A (its state_dict is
saved by torch.save, maybe under a wrapper prefix) and a mutation B (a renamed,
resized, inserted or deleted layer, a buffer whose persistence flipped, tied
weights); B's source is what wlint predicts, B's instance what torch loads into.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from ckpt_truth import torch, torch_verdict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlint.checkpoint import read_checkpoint
from wlint.checkpoint.verify import verify
from wlint.model.api import predict

_counter = itertools.count()

# one layer: (kind, args) rendered as nn.<kind>(<args>)
Layer = Tuple[str, Tuple[Any, ...]]


def _render(layer: Layer) -> str:
    kind, args = layer
    if kind == "Sequential":
        return "nn.Sequential(" + ", ".join(_render(x) for x in args) + ")"
    if kind == "Linear" and len(args) == 3:
        return f"nn.Linear({args[0]}, {args[1]}, bias={args[2]})"
    return f"nn.{kind}(" + ", ".join(str(a) for a in args) + ")"


dims = st.integers(1, 5)
leaf = st.one_of(
    st.tuples(st.just("Linear"), st.tuples(dims, dims, st.booleans())),
    st.tuples(st.just("Conv2d"), st.tuples(dims, dims, st.integers(1, 3))),
    st.tuples(st.just("LayerNorm"), st.tuples(dims)),
    st.tuples(st.just("BatchNorm1d"), st.tuples(dims)),
    st.tuples(st.just("Embedding"), st.tuples(dims, dims)),
)
free = st.sampled_from([("ReLU", ()), ("Dropout", (0.1,)), ("Identity", ())])
seq = st.tuples(st.just("Sequential"), st.lists(st.one_of(leaf, free), min_size=1, max_size=4)
                .map(tuple))
names = st.sampled_from(["fc", "conv", "norm", "stem", "head", "blocks", "proj", "emb", "body"])


@st.composite
def models(draw: Any) -> Dict[str, Any]:
    children = draw(st.lists(st.tuples(names, st.one_of(leaf, seq)), min_size=1, max_size=4,
                             unique_by=lambda c: c[0]))
    buffers = draw(st.lists(st.tuples(st.sampled_from(["scale", "mask", "pos"]), dims,
                                      st.booleans()), max_size=2, unique_by=lambda b: b[0]))
    return {"children": children, "buffers": buffers, "tie": draw(st.booleans())}


def _mutate(model: Dict[str, Any], how: str, data: Any) -> Dict[str, Any]:
    children: List[Tuple[str, Layer]] = list(model["children"])
    buffers = list(model["buffers"])
    i = data.draw(st.integers(0, len(children) - 1))
    name, layer = children[i]
    if how == "rename":
        fresh = [n for n in ("renamed", "new_name", "layer_x") if n not in dict(children)]
        children[i] = (fresh[0], layer)
    elif how == "resize" and layer[0] != "Sequential":
        args = list(layer[1])
        args[0] = args[0] + 1
        children[i] = (name, (layer[0], tuple(args)))
    elif how == "insert" and layer[0] == "Sequential":
        items = list(layer[1])
        at = data.draw(st.integers(0, len(items)))
        items.insert(at, data.draw(st.one_of(leaf, free)))
        children[i] = (name, ("Sequential", tuple(items)))
    elif how == "delete" and len(children) > 1:
        del children[i]
    elif how == "add":
        children.append(("extra", data.draw(leaf)))
    elif how == "persistence" and buffers:
        b = buffers[0]
        buffers[0] = (b[0], b[1], not b[2])
    return {"children": children, "buffers": buffers, "tie": model["tie"]}


def _tie(children: List[Tuple[str, Layer]]) -> Optional[Tuple[str, str]]:
    """Two layers whose weights can be tied: an Embedding(n, d) and a Linear(d, n, False)."""
    for (a, la), (b, lb) in itertools.permutations(children, 2):
        if la[0] == "Embedding" and lb[0] == "Linear" and lb[1] == (la[1][1], la[1][0], False):
            return a, b
    return None


def _source(model: Dict[str, Any]) -> str:
    lines = ["import torch", "import torch.nn as nn", "", "", "class Net(nn.Module):",
             "    def __init__(self):", "        super().__init__()"]
    for name, layer in model["children"]:
        lines.append(f"        self.{name} = {_render(layer)}")
    for name, size, persistent in model["buffers"]:
        flag = "" if persistent else ", persistent=False"
        lines.append(f'        self.register_buffer("{name}", torch.ones({size}){flag})')
    tie = _tie(model["children"]) if model["tie"] else None
    if tie:
        lines.append(f"        self.{tie[1]}.weight = self.{tie[0]}.weight")
    return "\n".join(lines) + "\n"


def _load_class(path: Path) -> Any:
    name = f"_verify_model_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    sys.modules.pop(name, None)
    return module.Net


def _check(tmp: Path, a: Dict[str, Any], b: Dict[str, Any], prefix: str) -> None:
    a_path, b_path = tmp / "a.py", tmp / "b.py"
    a_path.write_text(_source(a))
    b_path.write_text(_source(b))
    torch.manual_seed(0)
    state = _load_class(a_path)().state_dict()
    saved = type(state)((prefix + k, v) for k, v in state.items())
    ckpt_path = tmp / "a.pt"
    torch.save(saved, str(ckpt_path))
    model_b = _load_class(b_path)()
    pred = predict(str(b_path), "Net()")
    assert pred.keys() == list(model_b.state_dict()), "the predictor itself is wrong here"
    result = verify(read_checkpoint(str(ckpt_path)), pred)
    loaded = torch.load(str(ckpt_path), weights_only=True)
    missing, unexpected, sizes = torch_verdict(model_b, loaded)
    strict = result.strict
    assert set(strict.missing) == missing
    assert set(strict.unexpected) == unexpected
    assert {k: (list(a), list(b)) for k, a, b in strict.mismatched} == sizes
    assert strict.ok == (not missing and not unexpected and not sizes)
    fixes = {f.code: f.fix for f in result.findings if f.code in ("WL304", "WL305")}
    if not fixes:
        assert result.after_fix.to_json() == strict.to_json()
        left = {f.code: set() for f in result.findings}
        for f in result.findings:
            left[f.code].add(f.key or f.old_key)
        assert left.get("WL301", set()) == missing
        assert left.get("WL302", set()) == unexpected
        assert left.get("WL303", set()) == set(sizes)
        return
    scope: Dict[str, Any] = {}
    exec(fixes.get("WL305") or fixes["WL304"], scope)  # our own generated snippet
    remapped = scope["remap_state_dict"](loaded)
    after = torch_verdict(_load_class(b_path)(), remapped)
    fixed = result.after_fix
    assert (set(fixed.missing), set(fixed.unexpected)) == after[:2]
    assert {k: (list(a), list(b)) for k, a, b in fixed.mismatched} == after[2]
    if fixed.ok:
        _load_class(b_path)().load_state_dict(remapped, strict=True)


MUTATIONS = ["same", "rename", "resize", "insert", "delete", "add", "persistence"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(a=models(), how=st.sampled_from(MUTATIONS),
       prefix=st.sampled_from(["", "", "module.", "_orig_mod.", "module._orig_mod."]),
       data=st.data())
def test_verify_equals_torch_strict_load(tmp_path_factory: Any, a: Dict[str, Any], how: str,
                                         prefix: str, data: Any) -> None:
    b = _mutate(a, how, data)
    _check(tmp_path_factory.mktemp("v"), a, b, prefix)


CASES = {
    "renamed": ({"children": [("conv1", ("Conv2d", (3, 4, 3))), ("fc", ("Linear", (4, 2, True)))],
                 "buffers": [], "tie": False},
                {"children": [("stem", ("Conv2d", (3, 4, 3))), ("fc", ("Linear", (4, 2, True)))],
                 "buffers": [], "tie": False}),
    "index-shift": ({"children": [("body", ("Sequential", (("Linear", (3, 3, True)),
                                                           ("Linear", (3, 2, True)))))],
                     "buffers": [], "tie": False},
                    {"children": [("body", ("Sequential", (("Linear", (3, 3, True)),
                                                           ("Dropout", (0.1,)),
                                                           ("Linear", (3, 2, True)))))],
                     "buffers": [], "tie": False}),
    "tied-and-nonpersistent": (
        {"children": [("emb", ("Embedding", (5, 3))), ("head", ("Linear", (3, 5, False)))],
         "buffers": [("mask", 2, True)], "tie": True},
        {"children": [("emb", ("Embedding", (5, 3))), ("head", ("Linear", (3, 5, False)))],
         "buffers": [("mask", 2, False)], "tie": True}),
}


@pytest.mark.parametrize("prefix", ["", "module.", "_orig_mod."])
@pytest.mark.parametrize("name", sorted(CASES))
def test_named_cases(tmp_path: Path, name: str, prefix: str) -> None:
    a, b = CASES[name]
    _check(tmp_path, a, b, prefix)


def test_renames_and_prefix_give_wl304_and_wl305(tmp_path: Path) -> None:
    a, b = CASES["renamed"]
    _check(tmp_path, a, b, "module.")
    pred = predict(str(tmp_path / "b.py"), "Net()")
    result = verify(read_checkpoint(str(tmp_path / "a.pt")), pred)
    assert [f.code for f in result.findings] == ["WL304", "WL305"]
    assert result.after_fix.ok and not result.strict.ok
    wl305 = result.findings[1]
    assert wl305.extra["renamed_keys"]["module.conv1.weight"] == "stem.weight"


def test_nonpersistent_buffer_is_named(tmp_path: Path) -> None:
    a, b = CASES["tied-and-nonpersistent"]
    _check(tmp_path, a, b, "")
    result = verify(read_checkpoint(str(tmp_path / "a.pt")), predict(str(tmp_path / "b.py"),
                                                                      "Net()"))
    (wl302,) = [f for f in result.findings if f.code == "WL302"]
    assert wl302.old_key == "mask" and "persistent=False" in wl302.message
