"""overlays/stdlib.py: functools, copy, math, collections, itertools, typing."""

from __future__ import annotations

HEAD = "import copy, functools, math, itertools, typing\nimport torch.nn as nn\n"


def test_partial_of_a_layer(infer, real, state) -> None:
    code = HEAD + "functools.partial(nn.Linear, bias=False)(3, 4)  #@"
    assert state(infer(code)) == state(real(code))


def test_deepcopy_copies_the_module_tree(infer, real, state) -> None:
    code = HEAD + """
block = nn.Sequential(nn.Linear(2, 2))
nn.ModuleList([block, copy.deepcopy(block)])  #@"""
    value = infer(code)
    first, second = value.modules["0"], value.modules["1"]
    assert first is not second
    assert state(value) == state(real(code))


def test_math_and_itertools_on_known_values(infer) -> None:
    expr = "(math.ceil(7 / 2), math.floor(2.5), math.gcd(12, 18), itertools.repeat(1, 3))"
    namespace: dict = {}
    exec(HEAD.split("\n")[0], namespace)
    got = infer(HEAD + expr + "  #@")
    want = eval(expr.replace("itertools.repeat(1, 3)", "list(itertools.repeat(1, 3))"), namespace)
    assert (got[0], got[1], got[2], list(got[3])) == want


def test_typing_cast_returns_its_value(infer) -> None:
    assert infer(HEAD + "typing.cast(int, 5)  #@") == 5


def test_nested_partials_flatten_as_in_cpython(infer, real) -> None:
    code = HEAD + """
inner = functools.partial(nn.LayerNorm, eps=1e-6)
outer = functools.partial(inner, elementwise_affine=False)
(outer.func is nn.LayerNorm, outer.keywords, outer.args)  #@"""
    assert infer(code) == real(code)
