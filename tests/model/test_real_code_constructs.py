"""Constructs of real model code (issue 12, deliverable 2), each compared with Python
and torch on meta: class tests and names (`issubclass`, `__name__`), stdlib values
(`os.environ.get`, `re.split`, namespaces, `dataclasses.fields/replace/asdict`),
builder objects with `__call__`, and tensor values read as Python numbers."""

from __future__ import annotations

import os

import pytest

HEAD = ("import argparse, dataclasses, os, re, types\nimport torch\nimport torch.nn as nn\n"
        "class Base(nn.Module):\n    pass\nclass Child(Base):\n    pass\nclass Plain:\n    pass\n")

CLASSES = ["Base", "Child", "Plain", "nn.Linear", "nn.Module"]


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("base", CLASSES + ["(Plain, Base)"])
def test_issubclass_of_known_classes(infer, real, cls: str, base: str) -> None:
    code = HEAD + f"issubclass({cls}, {base})  #@"
    assert infer(code) is real(code)


@pytest.mark.parametrize("cls", CLASSES)
def test_class_name(infer, real, cls: str) -> None:
    code = HEAD + f"{cls}.__name__.lower()  #@"
    assert infer(code) == real(code)


def test_unset_environment_variable_gives_the_default(infer, real, state) -> None:
    # a plain run leaves the variable unset: the default decides (no fork, no note)
    assert "WLINT_TEST_NEVER_SET" not in os.environ
    code = HEAD + """
USE_OTHER = os.environ.get('WLINT_TEST_NEVER_SET', 'false').lower() == 'true'
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1) if USE_OTHER else nn.Linear(2, 3)
        if os.getenv('WLINT_TEST_NEVER_SET_EITHER') is None:
            self.extra = nn.Linear(3, 3)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes


@pytest.mark.parametrize("namespace", ["types.SimpleNamespace", "argparse.Namespace"])
def test_namespace_built_in_expr(infer, real, state, namespace: str) -> None:
    code = HEAD + f"""
class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fc = nn.Linear(cfg.dim, cfg.dim * cfg.ratio)
        cfg.extra = 2
        self.out = nn.Linear(cfg.extra, 1)
Net({namespace}(dim=4, ratio=3))  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes


def test_re_split_parses_an_architecture_string(infer, real) -> None:
    code = HEAD + "[re.split(r'(\\d.*)', op)[:2] for op in 'ir_r2_k3_s2_e6'.split('_')]  #@"
    assert list(map(list, infer(code))) == real(code)


DATACLASS = HEAD + """
@dataclasses.dataclass
class Cfg:
    dim: int = 8
    depth: int = 2
    input_size: tuple = (3, 32, 32)
    def __post_init__(self):
        self.hidden = self.dim * 4
@dataclasses.dataclass
class BigCfg(Cfg):
    heads: int = 2
    dim: int = 16
"""


def test_dataclass_fields_in_python_order(infer, real) -> None:
    code = DATACLASS + "[f.name for f in dataclasses.fields(BigCfg())]  #@"
    assert list(infer(code)) == real(code)


def test_dataclass_replace_reruns_post_init(infer, real) -> None:
    code = DATACLASS + "vars(dataclasses.replace(BigCfg(), dim=4, depth=3))  #@"
    assert infer(code) == real(code)


def test_dataclass_asdict_to_model(infer, real, state) -> None:
    code = DATACLASS + """
def build(cfg):
    kwargs = dataclasses.asdict(cfg)
    in_chans = kwargs.get('input_size')[0]
    return nn.Sequential(*[nn.Conv2d(in_chans if i == 0 else kwargs['dim'], kwargs['dim'], 3)
                           for i in range(kwargs['depth'])])
build(BigCfg(depth=3))  #@"""
    assert state(infer(code)) == state(real(code))


def test_builder_object_with_call(infer, real, state) -> None:
    code = HEAD + """
class Builder:
    def __init__(self, width):
        self.width = width
    def __call__(self, in_chs, depths):
        stages = []
        for d in depths:
            stages.append(nn.Sequential(*[nn.Linear(in_chs, self.width) for _ in range(d)]))
            in_chs = self.width
        return stages
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        builder = Builder(6)
        self.blocks = nn.Sequential(*builder(3, [1, 2]))
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes


def test_tensor_values_are_numbers_not_modules(infer, real, state) -> None:
    # stochastic-depth rates from torch.linspace(...).item(): a float attribute, no note
    code = HEAD + """
class DropPath(nn.Module):
    def __init__(self, drop_prob=0.):
        super().__init__()
        self.drop_prob = drop_prob
class Net(nn.Module):
    def __init__(self, depth=3, rate=0.1):
        super().__init__()
        dpr = [x.item() for x in torch.linspace(0, rate, depth, device='cpu')]
        self.rates = torch.linspace(0, rate, depth, device='cpu').tolist()
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(2, 2), DropPath(p)) for p in dpr])
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes


def test_stagewise_rates_from_split_and_tolist(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self, depths=(1, 2), rate=0.1):
        super().__init__()
        dpr = [x.tolist() for x in torch.linspace(0, rate, sum(depths), device='cpu').split(depths)]
        halves = torch.zeros(6, 4).chunk(2, dim=0)
        self.p = nn.Parameter(torch.cat([halves[0], halves[1][:1]]))
        self.stages = nn.ModuleList([nn.ModuleList([DropPath(dpr[s][b]) for b in range(d)])
                                     for s, d in enumerate(depths)])
class DropPath(nn.Module):
    def __init__(self, drop_prob=0.):
        super().__init__()
        self.drop_prob = drop_prob
        self.w = nn.Linear(1, 1)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes


def test_legacy_constructor_of_an_unknown_number(infer, real, state) -> None:
    # torch.FloatTensor([x]) is [1] whatever number x is; math.log of a symbol is a number
    code = HEAD + """
import math
class Net(nn.Module):
    def __init__(self, init_scale, n=3):
        super().__init__()
        self.a = nn.Parameter(torch.FloatTensor([init_scale]))
        self.b = nn.Parameter(torch.tensor([math.log(init_scale), n * 2.0]))
        self.c = nn.Parameter(torch.FloatTensor([math.sqrt(n) / 2]))
"""
    assert state(infer.build(code + "Net  #@")) == state(real(code + "Net(0.5)  #@"))
    assert not infer.notes


def test_module_dict_as_a_registry(infer, real, state, tmp_path) -> None:
    (tmp_path / "zoo.py").write_text(
        "import torch.nn as nn\n"
        "def small(**kw):\n    return nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))\n",
        encoding="utf-8")
    code = HEAD + f"""
import sys
sys.path.insert(0, {str(tmp_path)!r})
import zoo
arch = 'small'
zoo.__dict__[arch]()  #@"""
    assert state(infer(code)) == state(real(code))


def test_a_factory_that_raises_is_declared(tmp_path) -> None:
    # `return build(...)` where build raises: no module and a note saying so (was an
    # empty prediction when another note existed)
    from wlint.model.api import predict

    path = tmp_path / "zoo.py"
    path.write_text(HEAD + """
REGISTRY = {}
def build(name):
    if name not in REGISTRY:
        raise KeyError(name)
    return REGISTRY[name]()
def factory():
    for x in undefined_name:
        pass
    return build('missing')
""", encoding="utf-8")
    pred = predict(str(path), "factory()")
    assert not pred.entries
    assert any("raise" in u.reason for u in pred.unresolved), pred.unresolved


def test_filter_and_next_on_known_values(infer, real, state) -> None:
    code = HEAD + """
def exists(v):
    return v is not None
cfg = [1, 3, 5]
first_big = next((i for i, x in enumerate(cfg) if x > 2), None)
none_big = next((i for i in cfg if i > 9), -1)
nn.Sequential(*filter(exists, [nn.Linear(2, first_big + 2), None, nn.Linear(3, 1 - none_big)]))  #@"""
    assert state(infer(code)) == state(real(code))
    assert not infer.notes


def test_one_note_per_root_cause(infer) -> None:
    # the first statement that cannot be followed is noted, and so is the registration
    # it costs; statements in between that fail only because they read its unknown
    # results add no note of their own (issue 12 D5)
    code = HEAD + """
def stage_widths(n):
    starts, ends = object()
    pairs = list(zip(starts, ends))
    widths = [e - s for s, e in pairs]
    for w in widths:
        pass
    return [max(w, 1) for w in widths]
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        widths = stage_widths(3)
        self.stages = nn.ModuleList([nn.Linear(w, w) for w in widths])
Net()  #@"""
    infer.build(code)
    followed = [n for n in infer.notes if n.startswith(("cannot interpret", "cannot iterate"))]
    assert len(followed) == 2, infer.notes
    assert "pairs = list(zip(starts, ends))" in followed[0]
    assert "self.stages = " in followed[1]


@pytest.mark.parametrize("value", ["nn.Linear", "Base", "len", "(lambda: 1)", "3", "None", "'s'",
                                   "nn.Linear(2, 2)", "torch.zeros(2)", "Plain()"])
@pytest.mark.parametrize("test", ["callable", "inspect.isfunction", "inspect.isclass"])
def test_callable_and_inspect_predicates(infer, real, value: str, test: str) -> None:
    code = HEAD + f"import inspect\n{test}({value})  #@"
    assert infer(code) is real(code)


def test_default_helper_with_a_factory(infer, real, state) -> None:
    # stable-diffusion's default(val, d): d() if isfunction(d) else d
    code = HEAD + """
from inspect import isfunction
def default(val, d):
    if val is not None:
        return val
    return d() if isfunction(d) else d
class Attn(nn.Module):
    def __init__(self, query_dim, context_dim=None, inner=8):
        super().__init__()
        context_dim = default(context_dim, query_dim)
        self.to_k = nn.Linear(context_dim, inner)
        self.to_v = nn.Linear(default(None, lambda: inner * 2), inner)
Attn(4)  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes


def test_sinusoid_table_from_a_module_level_helper(infer, real, state) -> None:
    # whisper's sinusoids(): numpy scalars, np.newaxis, a buffer registered in __init__
    pytest.importorskip("numpy")
    code = HEAD + """
import math
import numpy as np
def sinusoids(length, channels, max_timescale=10000):
    log_timescale_increment = np.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-log_timescale_increment * torch.arange(channels // 2))
    scaled_time = torch.arange(length)[:, np.newaxis] * inv_timescales[np.newaxis, :]
    return torch.cat([torch.sin(scaled_time), torch.cos(scaled_time)], dim=1)
class Encoder(nn.Module):
    def __init__(self, n_ctx=6, n_state=8):
        super().__init__()
        self.register_buffer("positional_embedding", sinusoids(n_ctx, n_state))
        self.scale = nn.Parameter(torch.ones(1) * math.pi)
Encoder()  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes
