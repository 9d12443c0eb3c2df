"""TorchScript archives (`torch.jit.save`): the module's state without running it.

The archive is a torch zip whose `data.pkl` pickles the scripted module object:
each module is `NEWOBJ` of its TorchScript class (`__torch__.<path> <Name>`)
with a `BUILD` dict of every attribute in slot order (tensors, submodules,
plain values). Which tensors are parameters and which buffers is not in the
pickle but in the class's declaration under `code/`:

    class Net(Module):
      __parameters__ = ["weight", "bias", ]
      __buffers__ = ["running_mean", ]

`torch.jit.load(f).state_dict()` is then what `Module.state_dict()` walks:
own parameters, own buffers (TorchScript keeps no persistent=False flag:
every buffer is saved), then submodules (attributes whose class derives from
Module), in slot order; `None` values are skipped. The result is described as
a pickled module (`_parameters` / `_buffers` / `_modules`) so the rest of the
reader treats it like `torch.save(model)`. The declarations are read with a
regular expression over the bounded `code/` records, never executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Dict, Optional, Set

from wlint.checkpoint.values import CorruptError, ODict, Opaque, TensorRef

_CLASS = re.compile(r"^class ([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\):", re.M)
_NAMES = {"__parameters__": re.compile(r"^  __parameters__ = \[(.*?)\]", re.M),
          "__buffers__": re.compile(r"^  __buffers__ = \[(.*?)\]", re.M)}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
TORCHSCRIPT_ROOT = "__torch__"


@dataclass(frozen=True)
class Declaration:
    """One TorchScript class as its code/ file declares it."""

    is_module: bool
    parameters: frozenset
    buffers: frozenset


def declarations(text: str) -> Dict[str, Declaration]:
    """Class name -> declaration, for every class of one code/ file."""
    out: Dict[str, Declaration] = {}
    heads = list(_CLASS.finditer(text))
    for i, head in enumerate(heads):
        body = text[head.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        lists = {}
        for field, pattern in _NAMES.items():
            found = pattern.search(body)
            lists[field] = frozenset(_QUOTED.findall(found.group(1))) if found else frozenset()
        out[head.group(1)] = Declaration(head.group(2).strip() == "Module",
                                         lists["__parameters__"], lists["__buffers__"])
    return out


class Classes:
    """The declarations of the classes a pickle names, read from code/ on demand."""

    def __init__(self, read_code: Callable[[str], Optional[str]]) -> None:
        self._read = read_code  # "code/__torch__/x.py" -> its text (None: no such record)
        self._files: Dict[str, Dict[str, Declaration]] = {}

    def of(self, qualified: str) -> Declaration:
        module, _, name = qualified.rpartition(".")
        if not module.startswith(TORCHSCRIPT_ROOT):
            raise CorruptError(f"TorchScript archive: {qualified} is not a TorchScript class")
        path = "code/" + module.replace(".", "/") + ".py"
        if path not in self._files:
            text = self._read(path)
            self._files[path] = declarations(text) if text is not None else {}
        found = self._files[path].get(name)
        if found is None:
            raise CorruptError(f"TorchScript archive: class {qualified} is not declared in {path}")
        return found


def as_module(top: object, classes: Classes) -> Opaque:
    """The scripted module as a pickled nn.Module description."""
    if not isinstance(top, Opaque) or top.how != "new":
        raise CorruptError("TorchScript archive: data.pkl does not hold a module object")
    return _module(top, classes, set())


def _module(obj: Opaque, classes: Classes, seen: Set[int]) -> Opaque:
    if id(obj) in seen or len(seen) > 10_000:
        raise CorruptError("TorchScript archive: a module contains itself")
    seen.add(id(obj))
    declared = classes.of(obj.func)
    attrs = obj.state_dict() or {}
    params: ODict = ODict()
    buffers: ODict = ODict()
    children: ODict = ODict()
    for name, value in attrs.items():
        if name in declared.parameters:
            params[name] = replace(value, parameter=True) if isinstance(value, TensorRef) else value
        elif name in declared.buffers:
            buffers[name] = value
        elif isinstance(value, Opaque) and value.how == "new" and \
                value.func.startswith(TORCHSCRIPT_ROOT + ".") and classes.of(value.func).is_module:
            children[name] = _module(value, classes, seen)
    seen.discard(id(obj))
    return Opaque(obj.func, how="new", state={"_parameters": params, "_buffers": buffers,
                                              "_modules": children})
