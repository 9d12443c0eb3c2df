"""Registration forms and optional imports, focused (issue 12 deliverable 1):
each snippet is built by the predictor and by torch on meta, and the rows are
compared; where the predictor cannot follow, the note must be there."""

from __future__ import annotations

HEAD = "import torch\nimport torch.nn as nn\n"


def test_setattr_method_in_a_loop(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        for i in range(n):
            self.__setattr__('level_%d' % i, nn.Linear(2, 2))
        f = self.__setattr__
        f('last', nn.Linear(2, 1))
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))


def test_module_and_object_setattr(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        nn.Module.__setattr__(self, 'a', nn.Linear(2, 3))
        torch.nn.Module.__setattr__(self, 'b', nn.Linear(3, 3))
        object.__setattr__(self, 'hidden', nn.Linear(3, 4))
        object.__setattr__(self, 'scale', 2)
        self.c = nn.Linear(self.scale, 1)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))


def test_dict_writes_bypass_registration(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        vars(self)['plain'] = nn.Linear(2, 2)
        self.__dict__['other'] = nn.Linear(2, 2)
        self._modules['reg'] = nn.Linear(2, 5)
        self.head = nn.Linear(5, 1)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))


def test_setattr_through_aliases(infer, real, state) -> None:
    code = HEAD + """
def attach(module, name, child):
    setattr(module, name, child)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        put = setattr
        put(self, 'a', nn.Linear(2, 2))
        attach(self, 'b', nn.Linear(2, 3))
        reg = self.add_module
        reg('c', nn.Linear(3, 1))
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))


def test_user_setattr_override_is_called(infer, real, state) -> None:
    code = HEAD + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def __setattr__(self, name, value):
        super().__setattr__('wrapped_' + name, value)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))


def test_unknown_registration_call_is_declared(infer) -> None:
    infer.build(HEAD + """
from somewhere_else import register_into

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        register_into(self, 'x', nn.Linear(2, 2))
Net()  #@""")
    assert any("register_into" in n for n in infer.notes), infer.notes


def test_optional_import_forks(infer, conditions) -> None:
    value = infer.build(HEAD + """
try:
    from wlint_not_installed_pkg.ops import fused_mlp
except ImportError:
    fused_mlp = None

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if fused_mlp is not None:
            self.fast = nn.Linear(2, 2)
        else:
            self.slow = nn.Linear(2, 2)
        self.head = nn.Linear(2, 1)
Net()  #@""")
    conds = conditions(value)
    assert conds["head.weight"] is None
    assert conds["fast.weight"] and conds["slow.weight"]
    assert conds["fast.weight"] != conds["slow.weight"]


def test_optional_stdlib_and_torch_imports_follow_the_body(infer, real, state) -> None:
    code = HEAD + """
try:
    from functools import cached_property
    from torch.nn import LayerNorm
    HAS = True
except ImportError:
    HAS = False

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if HAS:
            self.norm = LayerNorm(4)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))
