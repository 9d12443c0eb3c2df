"""overlays/torch_module.py: nn.Module __setattr__ slots, register_buffer/parameter,
add_module, iteration over modules and parameters."""

from __future__ import annotations

HEAD = "import torch\nimport torch.nn as nn\n"


def test_slots_buffers_and_parameters(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(3))
        self.register_buffer("scratch", torch.zeros(5), persistent=False)
        self.register_parameter("scale", nn.Parameter(torch.ones(3)))
        self.add_module("head", nn.Linear(3, 2))
        self.bias = nn.Parameter(torch.zeros(2))
        self.plain = 4
Net()  #@"""
    got = infer(code)
    assert state(got) == state(real(code))
    assert got.nonpersistent == {"scratch"}


def test_reassigning_a_submodule_replaces_it(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.fc = nn.Linear(5, 1)
        self.norm = nn.LayerNorm(4)
        del self.norm
Net()  #@"""
    assert state(infer(code)) == state(real(code))


def test_parameters_and_modules_iterate_the_tree(infer, real) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 3)
        self.b = nn.Sequential(nn.Linear(3, 1))
        self.names = [n for n, _ in self.named_parameters()]
        self.count = len(list(self.modules()))
Net()  #@"""
    got, want = infer(code), real(code)
    assert list(got.attrs["names"]) == want.names
    assert got.attrs["count"] == want.count


def test_a_submodule_under_an_unknown_condition_is_conditional(infer, conditions) -> None:
    value = infer.build(HEAD + """
class Net(nn.Module):
    def __init__(self, use_norm):
        super().__init__()
        if use_norm:
            self.norm = nn.LayerNorm(4)
Net  #@""")
    assert conditions(value) == {"norm.weight": "use_norm", "norm.bias": "use_norm"}


def test_load_state_dict_hooks_mark_migration(infer) -> None:
    from wlint.model.overlays.torch_module import defines_migration

    cls = infer(HEAD + """
class Old(nn.Module):
    def _load_from_state_dict(self, *args):
        pass
Old  #@""")
    assert defines_migration(cls)


def test_slot_that_is_no_submodule_in_one_branch_forks_the_key_order(infer, real, state) -> None:
    # torch: `self.m = None` on a fresh name is a plain attribute, so re-registering
    # `m` keeps its first position only where the branch made it a submodule.
    code = HEAD + """
class Net(nn.Module):
    def __init__(self, flag):
        super().__init__()
        if flag:
            self.m = nn.BatchNorm1d(2)
        else:
            self.m = None
        self.n = nn.Linear(1, 1)
        self.m = nn.Linear(2, 3)
"""
    orders = {[k for k, _, _ in state(real(code + f"Net({flag})  #@"))].index("m.weight")
              for flag in (True, False)}
    assert len(orders) == 2  # the premise: torch's key order really depends on `flag`
    infer.build(code + "Net  #@")
    assert any("position of submodule `m`" in note for note in infer.notes)
    for flag in (True, False):  # known branch: no note, torch's order
        call = code + f"Net({flag})  #@"
        assert state(infer(call)) == state(real(call))
        assert not any("position" in note for note in infer.notes)
