"""overlays/builtins.py: Python builtins over the value lattice (truth: Python itself)."""

from __future__ import annotations

import pytest

from wlint.model.symbolic import Sym
from wlint.model.values import Conditional, TrackedList


@pytest.mark.parametrize("expr", [
    "len(range(3, 10, 2))", "min(4, 2, 9)", "max([1, 5])", "sum([1, 2, 3], 10)",
    "list(zip([1, 2], 'ab'))", "[(i, x) for i, x in enumerate('xy', 1)]", "int('7') + int(2.9)",
    "sorted({3, 1, 2})", "isinstance(3, (str, int))", "dict(a=1, **{'b': 2})",
    "getattr(C, 'missing', 5)", "hasattr(C, 'x')", "str(12) + repr('a')", "divmod(7, 2)",
])
def test_known_values_compute_as_in_python(infer, expr: str) -> None:
    code = f"class C:\n    x = 1\n{expr}  #@"
    namespace: dict = {}
    exec("class C:\n    x = 1\n", namespace)
    value = infer(code)
    assert (list(value) if isinstance(value, TrackedList) else value) == eval(expr, namespace)


def test_unknown_arguments_give_symbols_not_guesses(infer) -> None:
    value = infer.build("""
import torch.nn as nn
class Net(nn.Module):
    def __init__(self, n, m):
        super().__init__()
        self.fc = nn.Linear(min(n, m), len(range(n)) * 2)
Net  #@""")
    weight = value.modules["fc"].params["weight"]
    assert all(isinstance(d, Sym) for d in weight.shape)
    assert {str(d) for d in weight.shape} == {"2*n", "min(m, n)"}


def test_append_under_an_unknown_condition_is_conditional(infer) -> None:
    value = infer("""
def f(flag):
    out = []
    if flag:
        out.append(1)
    return out
f(bool(len(__file__)))  #@""")
    assert isinstance(value, TrackedList) and len(value) == 1
    assert isinstance(value[0], Conditional)
