"""einops' parameter-free layers (`Rearrange`, `Reduce`) are catalogued by class path:
a model using them predicts exactly torch's state_dict, with no unresolved notes.
Skipped when einops is not installed (it is never a wlint dependency)."""

from __future__ import annotations

import textwrap

import pytest

from predict_truth import import_file, predicted_state, real_state
from wlint.model.api import predict

pytest.importorskip("torch")
pytest.importorskip("einops")

MODEL = textwrap.dedent('''\
    import torch.nn as nn
    from einops.layers.torch import Rearrange, Reduce
    import einops.layers.torch as elt


    class Patches(nn.Module):
        def __init__(self, dim: int = 32, patch: int = 4, classes: int = 10):
            super().__init__()
            self.to_patches = nn.Sequential(
                Rearrange("b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch, p2=patch),
                nn.LayerNorm(patch * patch * 3),
                nn.Linear(patch * patch * 3, dim),
            )
            self.pool = Reduce("b n d -> b d", "mean")
            self.split = elt.Rearrange("b n (h d) -> b h n d", h=4)
            self.head = nn.Sequential(Reduce("b c h w -> b c", reduction="max"),
                                      nn.Linear(dim, classes))
''')


@pytest.mark.parametrize("expr", ["Patches()", "Patches(dim=48, patch=2, classes=3)"])
def test_einops_layers_match_torch(tmp_path, expr: str) -> None:
    path = tmp_path / "einops_model.py"
    path.write_text(MODEL)
    pred = predict(str(path), expr)
    assert not pred.unresolved, [u.reason for u in pred.unresolved]
    got, got_nonp = predicted_state(pred)
    want, want_nonp = real_state(vars(import_file(str(path), "einops_model")), expr)
    assert got == want
    assert got_nonp == want_nonp
    types = {m.prefix: m.type for m in pred.modules}
    assert types["pool"] == "Reduce" and types["to_patches.0"] == "Rearrange"


def test_einops_pattern_is_behaviour(tmp_path) -> None:
    """The pattern is recorded as a behaviour argument (a changed pattern is WL206)."""
    path = tmp_path / "einops_model.py"
    path.write_text(MODEL)
    pred = predict(str(path), "Patches()")
    args = {m.prefix: dict(m.args) for m in pred.modules}
    assert "b n d -> b d" in args["pool"]["pattern"]
    assert "mean" in args["pool"]["reduction"]
