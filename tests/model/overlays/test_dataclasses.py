"""overlays/dataclasses.py: @dataclass fields, field(), __post_init__, super() to the
generated __init__."""

from __future__ import annotations

HEAD = """
import dataclasses
from dataclasses import dataclass, field
import torch.nn as nn

@dataclass
class Cfg:
    width: int = 4
    depth: int = field(default=2)
    sizes: list = field(default_factory=lambda: [3, 5])

    def __post_init__(self):
        self.total = self.width * self.depth
"""


def test_defaults_factories_and_post_init(infer, real) -> None:
    code = HEAD + "Cfg(depth=3)  #@"
    got, want = infer(code), real(code)
    assert {k: list(v) if isinstance(v, list) else v for k, v in got.attrs.items()} == vars(want)


def test_positional_fields_in_order(infer, real) -> None:
    code = HEAD + "Cfg(6, 1)  #@"
    assert infer(code).attrs["total"] == real(code).total


def test_dataclass_config_builds_the_model(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self, cfg: Cfg):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(cfg.width, s) for s in cfg.sizes)
Net(Cfg(width=7))  #@"""
    assert state(infer(code)) == state(real(code))


def test_a_missing_required_field_is_an_error_not_a_guess(infer) -> None:
    import pytest

    from wlint.model.signals import CannotInterpret

    with pytest.raises(CannotInterpret, match="missing required argument `n`"):
        infer("""
from dataclasses import dataclass
@dataclass
class Need:
    n: int
Need()  #@""")
