"""What the interpreter knows of libraries: one module per library, found by
qualified name through `registry` (astroid's brain plugins, pytype's overlays).

    builtins.py          range, len, int, min/max, zip, enumerate, list/dict, isinstance, getattr…
    stdlib.py            functools.partial, copy.copy/deepcopy, math.*, operator, itertools, typing
    dataclasses.py       @dataclass, field(), the generated __init__ and __post_init__
    torch_tensors.py     torch factories, nn.Parameter, Tensor attributes and shape rules
    torch_module.py      nn.Module: __setattr__ slot rules, register_buffer/parameter, add_module…
    torch_containers.py  Sequential/ModuleList/ModuleDict/Parameter*: constructors and methods
    torch_layers.py      the bridge to the layer catalog (layers.py): torch calls, base __init__
    torch_versions.py    torch-version branches: names per torch release, torch.__version__
    einops.py            einops.rearrange/repeat/reduce: result shapes from the pattern
    torch_distributed.py get_world_size/get_rank of a one-process run (1 and 0)

`load_all()` imports each of them explicitly, so the registrations run once and
no module is found by import-time magic.
"""

from __future__ import annotations

OVERLAYS = ("builtins", "stdlib", "dataclasses", "torch_tensors", "torch_module",
            "torch_containers", "torch_layers", "torch_versions", "einops",
            "torch_distributed")

_loaded = False


def load_all() -> None:
    """Import every overlay module (idempotent, cheap after the first call)."""
    global _loaded
    if _loaded:
        return
    from wlint.model.overlays import (  # noqa: F401
        builtins, dataclasses, einops, stdlib, torch_containers, torch_distributed, torch_layers,
        torch_module, torch_tensors, torch_versions,
    )
    _loaded = True
