"""overlays/torch_containers.py: Sequential, ModuleList, ModuleDict and their methods."""

from __future__ import annotations

HEAD = "import torch.nn as nn\n"


def test_sequential_names_children_by_position(infer, real, state) -> None:
    code = HEAD + "nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))  #@"
    assert state(infer(code)) == state(real(code))


def test_sequential_of_an_ordered_dict_keeps_the_names(infer, real, state) -> None:
    code = HEAD + ("from collections import OrderedDict\n"
                   "nn.Sequential(OrderedDict([('fc', nn.Linear(2, 3)), ('out', nn.Linear(3, 1))]))  #@")
    assert state(infer(code)) == state(real(code))


def test_module_list_append_extend_insert(infer, real, state) -> None:
    code = HEAD + """
def build():
    layers = nn.ModuleList([nn.Linear(1, 2)])
    layers.append(nn.Linear(2, 3))
    layers.extend([nn.Linear(3, 4), nn.Linear(4, 5)])
    layers.insert(1, nn.Linear(9, 9))
    return layers
build()  #@"""
    assert state(infer(code)) == state(real(code))


def test_module_dict_update_and_parameter_list(infer, real, state) -> None:
    code = HEAD + """
def build():
    d = nn.ModuleDict({"a": nn.Linear(1, 2)})
    d.update({"b": nn.Conv2d(1, 2, 3)})
    d["p"] = nn.ParameterList([nn.Parameter(nn.init.zeros_(nn.Linear(2, 2).weight))])
    return d
build()  #@"""
    assert [r[0] for r in state(infer(code))] == [r[0] for r in state(real(code))]


def test_two_modules_per_pass_of_a_loop_of_unknown_length(infer, real, state, expand) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self, depth):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4))
        for _ in range(depth):
            self.body.append(nn.Linear(4, 8))
            self.body.append(nn.Linear(8, 4))
Net  #@"""
    rows = state(infer.build(code))
    assert any("{" in key for key, _, _ in rows)  # one symbolic pass, not a guessed count
    want = state(real(code.replace("Net  #@", "Net(3)  #@")))
    fixed = [r for r in rows if "{" not in r[0]]
    got = fixed + expand([r for r in rows if "{" in r[0]], {}, "i", 3)
    assert sorted(got) == sorted(want)
