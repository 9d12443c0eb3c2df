"""`infer("… #@")` for the interpreter's unit tests (astroid's extract_node idiom).

A snippet is a module whose last line ends in `#@`; `infer` runs the lines above
it as the predictor does and returns the abstract value of the marked
expression (notes in `infer.notes`). `real` runs the same snippet with Python
(and torch, on the meta device) and returns the concrete value, so a test can
compare the two instead of a hand-typed answer. The `state` fixture gives the
state_dict rows of either side, (key, shape, parameter/buffer); `conditions`
the condition text of each key of an abstract module.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from wlint.model.flatten import flatten
from wlint.model.interp import Interpreter
from wlint.model.prediction import Prediction
from wlint.model.resolve import tree_for_path
from wlint.model.values import ModuleInst

MARK = "#@"
Row = Tuple[str, Any, str]


def _split(code: str) -> Tuple[str, str]:
    """(module source above the marked line, the marked expression)."""
    lines = textwrap.dedent(code).strip("\n").split("\n")
    assert lines[-1].rstrip().endswith(MARK), "the last line must end in #@"
    marked = lines[-1].rstrip()[: -len(MARK)].strip()
    return "\n".join(lines[:-1]) + "\n", marked


class Infer:
    """Callable fixture: infer(code) -> abstract value; .notes of the last call."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.notes: List[str] = []
        self.count = 0

    def __call__(self, code: str) -> Any:
        """The value of the marked expression."""
        interp, expr = self._load(code)
        value = interp.evaluate(expr)
        interp.finish()
        self.notes = [reason for _, _, reason in interp.notes]
        return value

    def build(self, code: str) -> Any:
        """What the predictor builds for the marked expression: a call as written, a
        bare class with its required parameters as symbols (`Interpreter.run`)."""
        interp, expr = self._load(code)
        callee = interp.evaluate(expr.func if isinstance(expr, ast.Call) else expr)
        value = interp.run(expr, callee, 1, ast.unparse(expr))
        self.notes = [reason for _, _, reason in interp.notes]
        return value

    def _load(self, code: str) -> Tuple[Interpreter, ast.expr]:
        body, marked = _split(code)
        self.count += 1
        path = self.folder / f"snippet_{self.count}.py"
        path.write_text(body, encoding="utf-8")
        tree, relpath, extra = tree_for_path(str(path))
        interp = Interpreter(tree, relpath, extra)
        interp.load_module(relpath)
        return interp, ast.parse(marked, mode="eval").body


@pytest.fixture
def infer(tmp_path: Path) -> Infer:
    return Infer(tmp_path)


@pytest.fixture
def real() -> Callable[[str], Any]:
    """real(code) -> the marked expression's value, run by Python (torch on meta)."""
    def run(code: str) -> Any:
        torch = pytest.importorskip("torch")
        body, marked = _split(code)
        namespace: Dict[str, Any] = {}
        with torch.device("meta"):
            exec(compile(body, "<snippet>", "exec"), namespace)
            return eval(marked, namespace)
    return run


def _state(value: Any) -> List[Row]:
    """State_dict rows of an abstract ModuleInst or of a real torch module."""
    if isinstance(value, ModuleInst):
        pred = Prediction(path="", expr="", cls="")
        flatten(value, pred, "")
        return [(e.key, tuple(e.shape) if e.shape is not None else None, e.kind)
                for e in pred.entries]
    rows: List[Row] = []
    for key, tensor in value.state_dict(keep_vars=True).items():
        prefix, _, name = key.rpartition(".")
        owner = value.get_submodule(prefix) if prefix else value
        rows.append((key, tuple(tensor.shape), "parameter" if name in owner._parameters else "buffer"))
    return rows


def _conditions(value: ModuleInst) -> Dict[str, Any]:
    """key -> condition text of an abstract module's state_dict entries."""
    pred = Prediction(path="", expr="", cls="")
    flatten(value, pred, "")
    return {e.key: e.condition for e in pred.entries}


@pytest.fixture
def state() -> Callable[[Any], List[Row]]:
    return _state


@pytest.fixture
def conditions() -> Callable[[ModuleInst], Dict[str, Any]]:
    return _conditions


def _expand(rows: List[Row], env: Dict[str, int], atom: str, count: int) -> List[Row]:
    """Symbolic rows (`body.{2*i + 1}.weight`, shape `(dim, 4)`) for `atom` = 0..count-1,
    with the parameters in `env`: comparable with torch's rows for those values."""
    import re

    out: List[Row] = []
    for i in range(count):
        scope = dict(env, **{atom: i})
        for key, shape, kind in rows:
            key = re.sub(r"\{([^}]*)\}", lambda m, env=scope: str(eval(m.group(1), {}, env)), key)
            dims = None if shape is None else tuple(
                d if isinstance(d, int) else eval(str(d), {}, scope) for d in shape)
            out.append((key, dims, kind))
    return sorted(set(out), key=lambda r: (r[0].count("."), r[0]))


@pytest.fixture
def expand() -> Callable[..., List[Row]]:
    return _expand
