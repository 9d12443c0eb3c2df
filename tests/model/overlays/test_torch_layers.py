"""overlays/torch_layers.py: the bridge to the layer catalog (truth: torch)."""

from __future__ import annotations

import pytest

HEAD = "import torch\nimport torch.nn as nn\n"


@pytest.mark.parametrize("expr", [
    "nn.Linear(3, 4)", "nn.Linear(3, 4, bias=False)", "nn.Conv2d(3, 8, 3)",
    "nn.BatchNorm1d(5)", "nn.LayerNorm([4, 2])", "nn.Embedding(10, 3)",
    "nn.MultiheadAttention(8, 2)", "nn.LSTM(4, 6, num_layers=2)",
    "nn.Embedding.from_pretrained(torch.zeros(7, 3))",
])
def test_catalog_layers_match_torch(infer, real, state, expr: str) -> None:
    code = HEAD + expr + "  #@"
    assert state(infer(code)) == state(real(code))


def test_subclass_of_a_torch_layer_runs_its_init(infer, real, state) -> None:
    code = HEAD + """
class Wide(nn.Linear):
    def __init__(self):
        super().__init__(6, 2)
        self.extra = nn.Parameter(torch.zeros(1))
Wide()  #@"""
    assert state(infer(code)) == state(real(code))


def test_ntuple_helpers(infer) -> None:
    assert infer("from torch.nn.modules.utils import _pair\n_pair(3)  #@") == (3, 3)


def test_a_layer_missing_from_the_catalog_is_a_note(infer) -> None:
    value = infer(HEAD + "nn.NoSuchLayerEver(3)  #@")
    assert value.reason == "torch.nn.NoSuchLayerEver is not in the layer catalog"
