"""The optional torch fallback: torch.nn layers on meta, concrete arguments only."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from test_layers import ARGSETS, catalog_rows, for_catalog  # noqa: E402
from wlint.model.layers import CATALOG  # noqa: E402
from wlint.model.symbolic import Sym  # noqa: E402
from wlint.model.torch_fallback import build_with_torch, is_concrete  # noqa: E402


def rows(built: Any) -> list:
    return [(t.name, t.shape, t.kind) for t in built.tensors if t.persistent]


CONCRETE = [
    (name, i) for name in sorted(CATALOG) for i, (args, kwargs) in enumerate(ARGSETS[name])
    if is_concrete(args) and is_concrete(kwargs) and not CATALOG[name].torch_path
]


@pytest.mark.parametrize("name,index", CONCRETE, ids=[f"{n}-{i}" for n, i in CONCRETE])
def test_fallback_agrees_with_catalog(name: str, index: int) -> None:
    args, kwargs = ARGSETS[name][index]
    built = build_with_torch(name, args, kwargs)
    assert built is not None
    expected, unresolved = catalog_rows(name, for_catalog(args), dict(kwargs))
    assert rows(built) == expected
    assert bool(built.unresolved) == bool(unresolved)


def test_fallback_refuses_non_concrete_arguments() -> None:
    assert build_with_torch("Linear", (Sym.name("d"), 4), {}) is None
    assert build_with_torch("Linear", (3, 4), {"bias": object()}) is None
    assert build_with_torch("LayerNorm", ([Sym.name("d")],), {}) is None


def test_fallback_refuses_what_is_not_a_torch_nn_layer() -> None:
    assert build_with_torch("functional", (), {}) is None
    assert build_with_torch("Parameter", (), {}) is None
    assert build_with_torch("MyUserNet", (), {}) is None
    assert build_with_torch("__class__", (), {}) is None
    assert build_with_torch("os.system", ("true",), {}) is None


def test_fallback_returns_none_when_torch_rejects_the_call() -> None:
    assert build_with_torch("Linear", (3,), {}) is None
    assert build_with_torch("Conv2d", (3, 4, 3), {"groups": 2}) is None


def test_fallback_forces_meta_device() -> None:
    built = build_with_torch("Linear", (3, 4), {"device": "cuda:7"})
    assert built is not None and rows(built)[0] == ("weight", (4, 3), "parameter")
    built = build_with_torch("Linear", (3, 4, True, "cuda:7"), {})
    assert built is not None and rows(built)[1] == ("bias", (4,), "parameter")
    built = build_with_torch("LSTM", (3, 4), {"device": "cuda:7"})
    assert built is not None and rows(built)[0] == ("weight_ih_l0", (16, 3), "parameter")
    # a *args constructor: the position of a device argument is unknown -> refuse
    assert build_with_torch("LSTM", (3, 4, 1, True, False, 0.0, False, 0, "cuda:7"), {}) is None
    assert build_with_torch("RNN", (3, 4, 1, "relu"), {}) is not None


def test_fallback_flattens_children_in_state_dict_order() -> None:
    built = build_with_torch("Transformer", (8, 2, 1, 1, 16), {})
    assert built is not None
    with torch.device("meta"):
        reference = torch.nn.Transformer(8, 2, 1, 1, 16)
    assert [t.name for t in built.tensors] == list(reference.state_dict())
    assert all(t.persistent for t in built.tensors)


def test_fallback_reports_lazy_tensors() -> None:
    built = build_with_torch("LazyLinear", (3,), {})
    assert built is not None and built.unresolved
    assert [t.shape for t in built.tensors] == [None, None]


def test_lint_path_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import wlint.model.layers, wlint.model.torch_fallback\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
