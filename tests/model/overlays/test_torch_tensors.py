"""overlays/torch_tensors.py: factories, nn.Parameter and the shape rules (truth: torch)."""

from __future__ import annotations

import pytest

HEAD = "import torch\nimport torch.nn as nn\nx = torch.zeros(2, 3, 4)\n"


@pytest.mark.parametrize("expr", [
    "torch.zeros(2, 3)", "torch.ones((4,))", "torch.arange(1, 10, 2)", "torch.eye(3, 5)",
    "torch.full((2, 2), 7.0)", "torch.tensor([[1, 2], [3, 4]])", "torch.randn_like(x)",
    "x.view(6, -1)", "x.reshape(-1)", "x.transpose(0, 2)", "x.permute(2, 0, 1)",
    "x.unsqueeze(1)", "x.flatten(1)", "x[None, :, 1:3]", "x[..., 0]", "x.sum(1)",
    "x.mean(dim=-1, keepdim=True)", "torch.cat([x, x], dim=1)", "torch.stack([x, x])",
    "x + torch.ones(4)", "x.expand(5, 2, 3, 4)", "torch.FloatTensor([0.5])", "torch.zeros(2, 5).T",
])
def test_shapes_match_torch(infer, real, expr: str) -> None:
    code = HEAD + expr + "  #@"
    assert tuple(infer(code).shape) == tuple(real(code).shape)


def test_parameter_is_a_parameter(infer, real) -> None:
    code = HEAD + "nn.Parameter(torch.randn(3, 1))  #@"
    got, want = infer(code), real(code)
    assert got.param and isinstance(want, nn_parameter())
    assert tuple(got.shape) == tuple(want.shape)


def nn_parameter() -> type:
    import torch

    return torch.nn.Parameter


def test_size_and_numel(infer, real) -> None:
    code = HEAD + "(x.size(1), x.numel(), x.dim(), x.shape)  #@"
    got, want = infer(code), real(code)
    assert (got[0], got[1], got[2], tuple(got[3])) == (want[0], want[1], want[2], tuple(want[3]))
