"""isinstance on values the interpreter knows (classes, strings, partials, functions,
third-party classes), compared with Python and torch: the layer-factory idiom
`if isinstance(norm_layer, functools.partial): ... elif isinstance(norm_layer, str): ...`."""

from __future__ import annotations

import pytest

HEAD = "import functools\nimport types\nimport torch\nimport torch.nn as nn\n"

VALUES = ["nn.BatchNorm2d", "'batchnorm'", "functools.partial(nn.LayerNorm, eps=1e-6)",
          "(lambda n: nn.LayerNorm(n))", "3", "None", "nn.Linear(2, 2)"]
TYPES = ["type", "str", "functools.partial", "types.FunctionType", "(type, str)",
         "(types.FunctionType, functools.partial)", "nn.Module"]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("kind", TYPES)
def test_isinstance_of_known_values(infer, real, value: str, kind: str) -> None:
    code = HEAD + f"isinstance({value}, {kind})  #@"
    assert infer(code) is real(code)


def test_norm_layer_factory_by_string_class_and_partial(infer, real, state) -> None:
    code = HEAD + """
_NORMS = dict(batchnorm=nn.BatchNorm2d, layernorm=nn.LayerNorm)

def get_norm_layer(norm_layer):
    kwargs = {}
    if isinstance(norm_layer, functools.partial):
        kwargs.update(norm_layer.keywords)
        norm_layer = norm_layer.func
    if isinstance(norm_layer, str):
        norm_layer = _NORMS[norm_layer.replace('_', '').lower()]
    if kwargs:
        norm_layer = functools.partial(norm_layer, **kwargs)
    return norm_layer

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = get_norm_layer('batch_norm')(4)
        self.b = get_norm_layer(nn.BatchNorm2d)(5)
        self.c = get_norm_layer(functools.partial(nn.LayerNorm, eps=1e-6))(6)
Net()  #@"""
    assert state(infer.build(code)) == state(real(code))
    assert not infer.notes
