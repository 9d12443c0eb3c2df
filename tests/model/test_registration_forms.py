"""Every way real code puts a submodule on an nn.Module, checked against torch on
meta: modelled exactly, or the line that does it is in `unresolved` -- never a
dropped key (issue 12, deliverable 1).

The property test generates classes that register modules through `setattr`,
aliases of it, `self.__setattr__`, `nn.Module.__setattr__`, `object.__setattr__`,
`vars(self)` / `self.__dict__` / `self._modules` writes, `add_module`, in loops and
behind an optional third-party import, and checks two things on each: every key
torch has is predicted or its registering line is declared, and no key is
predicted unconditionally that torch does not have.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import List, Set, Tuple

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from predict_truth import import_file, real_state
from wlint.model.api import predict

torch = pytest.importorskip("torch")

HEAD = "import torch\nimport torch.nn as nn\n"

# (statement template, registers a state_dict key in torch?) -- {n}: the name expression
FORMS = [
    "self.{attr} = nn.Linear(2, 3)",
    "setattr(self, {n}, nn.Linear(2, 3))",
    "self.__setattr__({n}, nn.Linear(2, 3))",
    "nn.Module.__setattr__(self, {n}, nn.Linear(2, 3))",
    "torch.nn.Module.__setattr__(self, {n}, nn.Linear(2, 3))",
    "object.__setattr__(self, {n}, nn.Linear(2, 3))",
    "vars(self)[{n}] = nn.Linear(2, 3)",
    "self.__dict__[{n}] = nn.Linear(2, 3)",
    "self._modules[{n}] = nn.Linear(2, 3)",
    "self.add_module({n}, nn.Linear(2, 3))",
    "self.register_module({n}, nn.Linear(2, 3))",
    "put(self, {n}, nn.Linear(2, 3))",
    "self_set({n}, nn.Linear(2, 3))",
]
ALIASES = "        put = setattr\n        self_set = self.__setattr__\n"


def name_expr(style: int, base: str, index: str) -> str:
    return [f"'{base}_%d' % {index}", f"f'{base}_{{{index}}}'", f"'{base}_{{}}'.format({index})",
            f"'{base}_' + str({index})"][style]


@st.composite
def classes(draw: st.DrawFn) -> Tuple[str, List[int]]:
    """(source of class Net, lines that register something)."""
    lines = [HEAD, "try:", "    from wlint_not_installed_pkg import FastLinear",
             "except ImportError:", "    FastLinear = None", "",
             "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()"]
    lines += ALIASES.rstrip("\n").split("\n")
    marked: List[int] = []
    for k in range(draw(st.integers(1, 4))):
        form = draw(st.sampled_from(FORMS))
        style = draw(st.integers(0, 3))
        looped = draw(st.booleans()) and "{attr}" not in form
        optional = draw(st.booleans())
        indent = "        "
        if optional:
            lines.append(indent + "if FastLinear is not None:")
            lines.append(indent + f"    self.fast_{k} = nn.Linear(1, 1)")
            lines.append(indent + "else:")
            indent += "    "
        if looped:
            lines.append(indent + f"for i in range({draw(st.integers(1, 3))}):")
            indent += "    "
            stmt = form.format(n=name_expr(style, f"m{k}", "i"), attr=f"m{k}")
        else:
            stmt = form.format(n=repr(f"m{k}"), attr=f"m{k}")
        lines.append(indent + stmt)
        marked.append(len(lines))
    return "\n".join(lines) + "\n", marked


def _owner_line(marked: List[int], key: str) -> int:
    """Line of the statement that registers the submodule of `key` (`m2_1.weight` -> form 2)."""
    found = re.match(r"m(\d+)", key)
    return marked[int(found.group(1))] if found else 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(classes())
def test_every_registration_form_is_predicted_or_declared(case: Tuple[str, List[int]]) -> None:
    source, marked = case
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "gen_forms.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(source)
        pred = predict(path, "Net()")
        module = import_file(path, "gen_forms")
        want, _ = real_state(vars(module), "Net()")
    declared: Set[int] = {u.line for u in pred.unresolved if not u.path}
    got = {e.key: e for e in pred.entries}
    for key, shape, kind in want:
        entry = got.get(key)
        if entry is not None and entry.condition is None:
            assert (tuple(entry.shape or ()), entry.kind) == (shape, kind), (key, source)
            continue
        line = _owner_line(marked, key)
        assert entry is not None or line in declared, (key, line, declared, source)
    keys = {k for k, _, _ in want}
    extra = [e.key for e in pred.entries if e.condition is None and e.key not in keys]
    assert not extra, (extra, source)
