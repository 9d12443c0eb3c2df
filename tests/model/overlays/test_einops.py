"""overlays/einops.py: the shapes of einops.rearrange/repeat/reduce. Each pattern is
paired with the torch ops computing the same result (torch truth on meta, always
run); with einops installed, einops itself is the truth too."""

from __future__ import annotations

import importlib.util

import pytest

HAS_EINOPS = importlib.util.find_spec("einops") is not None

HEAD = "import torch\nfrom einops import rearrange, repeat, reduce\nt = torch.zeros({shape})\n"

CASES = [
    ((4, 4, 2), "rearrange(t, 'i j c -> (i j) c')", "t.flatten(0, 1)"),
    ((2, 3, 8, 12), "rearrange(t, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=4, p2=4)",
     "t.reshape(2, 3, 2, 4, 3, 4).permute(0, 2, 4, 3, 5, 1).reshape(2, 6, 48)"),
    ((5, 6), "rearrange(t, 'n (h d) -> h n d', h=2)", "t.reshape(5, 2, 3).transpose(0, 1)"),
    ((7, 3), "repeat(t, 'n d -> b n d', b=2)", "t.unsqueeze(0).expand(2, 7, 3)"),
    ((4, 5), "repeat(t, 'n d -> n (d r)', r=3)", "t.repeat_interleave(3, dim=1)"),
    ((2, 6, 4), "reduce(t, 'b n d -> b d', 'mean')", "t.mean(1)"),
    ((2, 3, 8, 8), "reduce(t, 'b c (h h2) (w w2) -> b c h w', 'max', h2=2, w2=2)",
     "torch.nn.functional.max_pool2d(t, 2)"),
    ((3, 4), "rearrange(t, 'h w -> 1 h w 1')", "t[None, :, :, None]"),
]


@pytest.mark.parametrize("shape,call,torch_expr", CASES, ids=[c[1] for c in CASES])
def test_einops_shape_matches_the_torch_equivalent(infer, real, shape, call, torch_expr) -> None:
    head = HEAD.format(shape=shape)
    got = infer(head + call + "  #@")
    want = real(head.replace("from einops import rearrange, repeat, reduce\n", "")
                + torch_expr + "  #@")
    assert got.shape == tuple(want.shape)
    if HAS_EINOPS:
        assert got.shape == tuple(real(head + call + "  #@").shape)


def test_unknown_pattern_or_shape_is_unknown(infer) -> None:
    head = HEAD.format(shape=(4, 4))
    assert infer(head + "rearrange(t, 'a ... -> ... a')  #@").shape is None
    assert infer(head + "rearrange(t, 'a b c -> c b a')  #@").shape is None  # rank mismatch


def test_position_table_buffer(infer, real, state) -> None:
    # vit-pytorch LeViT: relative position indices through meshgrid + rearrange
    code = """
import torch
import torch.nn as nn
from einops import rearrange
class Attention(nn.Module):
    def __init__(self, fmap_size=4, downsample=True):
        super().__init__()
        q_range = torch.arange(0, fmap_size, step=(2 if downsample else 1))
        k_range = torch.arange(fmap_size)
        q_pos = torch.stack(torch.meshgrid(q_range, q_range, indexing='ij'), dim=-1)
        k_pos = torch.stack(torch.meshgrid(k_range, k_range, indexing='ij'), dim=-1)
        q_pos, k_pos = map(lambda t: rearrange(t, 'i j c -> (i j) c'), (q_pos, k_pos))
        rel_pos = (q_pos[:, None, ...] - k_pos[None, :, ...]).abs()
        x_rel, y_rel = rel_pos.unbind(dim=-1)
        self.register_buffer('pos_indices', (x_rel * fmap_size) + y_rel)
Attention()  #@"""
    got = state(infer.build(code))
    assert not infer.notes
    want = real(code.replace("from einops import rearrange", "rearrange = lambda t, p: t.flatten(0, 1)"))
    assert got == state(want)
    if HAS_EINOPS:
        assert got == state(real(code))
