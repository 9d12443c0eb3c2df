"""Lazy import resolution (wlint.model.interp.lazy) never changes a prediction.

Every fixture model and generated packages of re-exports are predicted eagerly
(`WLINT_EAGER_IMPORTS=1`) and lazily; the two must be identical, and the lazy
one must equal torch's state_dict on meta where the model builds. Laziness
itself is checked by what gets loaded: a re-export nobody uses stays unread, a
registry filled at import time is filled before it is read.
"""

from __future__ import annotations

import os
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predict_truth import exprs_in, import_file, predicted_state, real_state
from wlint.model.api import predict
from wlint.model.exports import declared_all, star_names
from wlint.model.interp import core
from wlint.model.reach import executed, read_only_uses, refers
from wlint.source import parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
PROJ = FIXTURES / "proj_lazy"


def _fixture_cases() -> List[Tuple[str, str]]:
    cases = []
    for folder, _dirs, files in sorted(os.walk(FIXTURES)):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                cases.extend((path, expr) for expr in exprs_in(path))
    return cases


def _both(monkeypatch: pytest.MonkeyPatch, path: str, expr: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    monkeypatch.setenv("WLINT_EAGER_IMPORTS", "1")
    eager = predict(path, expr).to_json()
    monkeypatch.delenv("WLINT_EAGER_IMPORTS")
    lazy = predict(path, expr).to_json()
    return eager, lazy


def _loaded(monkeypatch: pytest.MonkeyPatch, path: str, expr: str, eager: bool) -> List[str]:
    """The modules a prediction loads."""
    seen: List[str] = []
    original = core.Interpreter.load_module

    def recording(self: Any, relpath: str) -> Any:
        if relpath not in self.modules:
            seen.append(relpath.rsplit("/", 1)[-1] if "proj_lazy/" not in relpath
                        else relpath.split("proj_lazy/", 1)[1])
        return original(self, relpath)

    monkeypatch.setattr(core.Interpreter, "load_module", recording)
    if eager:
        monkeypatch.setenv("WLINT_EAGER_IMPORTS", "1")
    else:
        monkeypatch.delenv("WLINT_EAGER_IMPORTS", raising=False)
    predict(path, expr)
    return seen


@pytest.mark.parametrize("path,expr", _fixture_cases(),
                         ids=[f"{os.path.relpath(p, FIXTURES)}::{e}" for p, e in _fixture_cases()])
def test_eager_and_lazy_predictions_are_identical(monkeypatch: pytest.MonkeyPatch, path: str, expr: str) -> None:
    eager, lazy = _both(monkeypatch, path, expr)
    assert lazy == eager


def test_an_unused_reexport_is_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    model = str(PROJ / "light.py")
    eager = _loaded(monkeypatch, model, "Light()", eager=True)
    lazy = _loaded(monkeypatch, model, "Light()", eager=False)
    assert "heavy.py" in eager and "zoo.py" in eager
    assert not {"heavy.py", "zoo.py", "tuned.py", "blocks_a.py", "registry.py", "catalog.py", "extra.py",
                "entries_b.py"} & set(lazy)
    assert "layers/conv.py" in lazy and "layers/norm.py" in lazy  # what Light uses
    assert "blocks_b.py" in lazy  # `Alias = Block` in the __init__ reads the later Block


def _matches_torch(path: Path, expr: str) -> None:
    pytest.importorskip("torch")
    module = import_file(str(path), f"proj_lazy.{path.stem}", str(FIXTURES))
    assert predicted_state(predict(str(path), expr)) == real_state(vars(module), expr)


def test_a_registry_filled_at_import_is_filled_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    model = PROJ / "model.py"
    assert "zoo.py" in _loaded(monkeypatch, str(model), "build('NetB', dim=3)", eager=False)
    _matches_torch(model, "build('NetB', dim=3)")
    assert "zoo.py" in _loaded(monkeypatch, str(model), "Zoo()", eager=False)  # iterated, len()
    _matches_torch(model, "Zoo()")


def test_a_setting_changed_at_import_through_a_function_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    model = PROJ / "model.py"
    assert "tuned.py" in _loaded(monkeypatch, str(model), "Net()", eager=False)
    _matches_torch(model, "Net()")


# -- generated packages: star imports with and without __all__, names defined twice ---------


def _module(width: int, names: List[str], declared: List[str], star_of: str) -> str:
    """A module defining each name as a Linear of its own width; `__all__` when
    `declared` is non-empty; a star import of a sibling first when `star_of` is set."""
    lines = ["import torch.nn as nn", ""]
    if star_of:
        lines.append(f"from .{star_of} import *")
    if declared:
        lines.append(f"__all__ = {declared!r}")
    for i, name in enumerate(names):
        lines += ["", "", f"class {name}(nn.Module):", "    def __init__(self):",
                  "        super().__init__()", f"        self.fc = nn.Linear({width + i}, 2)"]
    return "\n".join(lines) + "\n"


NAMES = ["Alpha", "Beta", "Gamma", "_Hidden"]


@st.composite
def packages(draw: Any) -> Dict[str, Any]:
    n = draw(st.integers(2, 4))
    modules = []
    for i in range(n):
        names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
        declared = draw(st.one_of(st.just([]), st.lists(st.sampled_from(names), min_size=1, unique=True)))
        star_of = draw(st.sampled_from([""] + [f"m{j}" for j in range(i)]))
        modules.append((f"m{i}", _module(10 * (i + 1), names, declared, star_of)))
    order = draw(st.permutations([name for name, _ in modules]))
    forms = draw(st.lists(st.sampled_from(["star", "explicit"]), min_size=n, max_size=n))
    return {"modules": modules, "order": order, "forms": forms}


def _write_package(root: Path, spec: Dict[str, Any]) -> str:
    pkg = "gen_" + uuid.uuid4().hex[:10]
    folder = root / pkg
    folder.mkdir()
    init = []
    for (name, source) in spec["modules"]:
        (folder / f"{name}.py").write_text(source)
    for name, form in zip(spec["order"], spec["forms"]):
        defined = [n for n in NAMES if f"class {n}(" in dict(spec["modules"])[name]]
        init.append(f"from .{name} import *" if form == "star" else
                    f"from .{name} import {', '.join(defined)}")
    (folder / "__init__.py").write_text("\n".join(init) + "\n")
    return pkg


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=packages())
def test_reexported_names_resolve_as_python_imports_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         spec: Dict[str, Any]) -> None:
    """Whichever module Python binds a re-exported name from, both ways agree with it
    (the shape of the Linear tells which module's class was bound)."""
    pytest.importorskip("torch")
    root = tmp_path / uuid.uuid4().hex[:8]
    root.mkdir()
    pkg = _write_package(root, spec)
    model = root / f"main_{pkg}.py"
    model.write_text(f"from {pkg} import *\nimport {pkg}\n")
    module = import_file(str(model), model.stem, str(root))
    try:
        for name in NAMES:
            expr = f"{pkg}.{name}()"
            if not hasattr(getattr(module, pkg), name):
                continue
            eager, lazy = _both(monkeypatch, str(model), expr)
            assert lazy == eager, expr
            got, _ = predicted_state(predict(str(model), expr))
            want, _ = real_state(vars(module), expr)
            assert got == want, expr
    finally:
        for key in [k for k in sys.modules if k.startswith(pkg) or k == model.stem]:
            del sys.modules[key]
        if str(root) in sys.path:
            sys.path.remove(str(root))


def test_star_names_follow_all_and_refuse_what_cannot_be_told() -> None:
    def names(source: str) -> Any:
        text = textwrap.dedent(source)
        module, _ = parse(text)
        return star_names(text, module, lambda dotted, level: frozenset({"Inner"}))

    assert names("__all__ = ['A', '_b']\nclass A: pass\nclass C: pass\n") == {"A", "_b"}
    assert names("__all__ = ['A']\n__all__ += ['B']\n__all__.append('C')\n") == {"A", "B", "C"}
    assert names("import os\nfrom x import y as z\nclass A: pass\n_p = 1\n") == {"os", "z", "A"}
    assert names("if X:\n    def f(): pass\nelse:\n    g = 1\n") == {"f", "g"}
    assert names("from .inner import *\nA = 1\n") == {"Inner", "A"}
    assert names("__all__ = make()\n") is None
    assert names("def f():\n    global G\n    G = 1\n") is None
    assert names("globals()['X'] = 1\n") is None


# -- who can change a registry: names are a module's own unless it can reach another's -----


def test_a_registry_is_filled_only_by_modules_that_can_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    model = PROJ / "model.py"
    loaded = _loaded(monkeypatch, str(model), "build('NetC')", eager=False)
    assert "extra.py" in loaded  # imports MODELS by name and fills it at import
    assert "catalog.py" not in loaded  # a MODELS of its own
    eager, lazy = _both(monkeypatch, str(model), "build('NetC')")
    assert lazy == eager
    _matches_torch(model, "build('NetC')")


def test_a_bare_function_decorator_of_an_unloaded_module_has_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    path = PROJ / "entries_a.py"
    assert "entries_b.py" not in _loaded(monkeypatch, str(path), "small()", eager=False)
    eager, lazy = _both(monkeypatch, str(path), "small()")
    assert lazy == eager
    _matches_torch(path, "small()")


def test_executed_words_leave_out_bare_decorators_of_functions() -> None:
    text = textwrap.dedent("""\
        @register
        def f():
            body_word()

        @register  # a comment
        @other.deco
        async def g():
            pass

        @register_class
        class C:
            attr = class_word

        @register_call("x")
        def h():
            pass
        """)
    run = executed(text)
    assert {"register_class", "class_word", "register_call"} <= run
    assert not {"register", "other", "deco", "body_word"} & run


def test_a_module_refers_to_another_modules_name_only_through_imports_attributes_or_dynamic_access() -> None:
    token = ("MODELS", "pkg/registry.py")
    assert refers("pkg/registry.py", "MODELS = {}\n", token)
    assert not refers("pkg/other.py", "MODELS = {}\nMODELS.update(a=1)\n", token)
    assert refers("pkg/other.py", "from .registry import MODELS\nMODELS.update(a=1)\n", token)
    assert refers("pkg/other.py", "from . import registry\nregistry.MODELS.update(a=1)\n", token)
    assert refers("pkg/other.py", "from .registry import *\nMODELS.update(a=1)\n", token)
    assert refers("pkg/other.py", "import registry\ngetattr(registry, 'MO' + 'DELS')\n", token)
    assert refers("pkg/other.py", "import sys\nsys.modules['pkg.registry'].MODELS\n", token)
    assert not refers("pkg/other.py", "MODELS = {}\nmodel.eval()\nself.modules()\n", token)


@pytest.mark.parametrize("text", [
    "__all__ = ['A', \"B\"]  # public\nclass A: pass\nB = 1\n",
    "__all__ = (\n    'A',  # the class\n    'B',\n)\nA = B = 1\n",
    "__all__ = []\n",
    "__all__ = ['A']\n__all__ += ['B']\n",
    "__all__ = ['A']\nif x:\n    __all__ = ['B']\n",
    "__all__ = ['A']\ndef f():\n    global A\n",
    "__all__ = ['A']\nexec('A = 1')\n",
    "__all__ = ['A']\ndel A\n",
    "__all__ = ['A']\nimport sys\nsys.modules[__name__].B = 1\n",
    "__all__ = [name for name in ('A',)]\n",
    "__all__ = ['A', *OTHER]\n",
    "x = 1\n",
])
def test_all_told_from_text_agrees_with_the_parsed_reading(text: str) -> None:
    plain = declared_all(text)
    if plain is not None:
        module, _ = parse(text)
        assert module is not None
        assert plain == star_names(text, module, lambda dotted, level: None)


def test_all_told_from_text_over_the_fixtures() -> None:
    told = 0
    for folder, _dirs, files in os.walk(FIXTURES.parent):
        for name in files:
            if name.endswith(".py"):
                text = Path(folder, name).read_text()
                plain = declared_all(text)
                if plain is not None:
                    module, _ = parse(text)
                    assert module is not None
                    assert plain == star_names(text, module, lambda dotted, level: None), name
                    told += 1
    assert told >= 5


def test_a_registry_only_read_by_the_functions_that_use_it_loads_only_its_writers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = PROJ / "kinds_model.py"
    loaded = _loaded(monkeypatch, str(model), "Normed()", eager=False)
    assert "kinds_extra.py" in loaded  # calls add_kind, which adds to the set at import
    assert "kinds_users.py" not in loaded  # calls norm_for, which only tests membership
    eager, lazy = _both(monkeypatch, str(model), "Normed()")
    assert lazy == eager
    _matches_torch(model, "Normed()")


@pytest.mark.parametrize("body, expected", [
    ("def f(k):\n    return k in REG", True),
    ("def f(k):\n    for x in REG:\n        print(x)", True),
    ("def f(k):\n    return REG[k]", True),
    ("def f(k):\n    return REG.get(k), len(REG), sorted(REG)", True),
    ("def f(k):\n    REG = {}\n    REG[k] = 1", False),  # the store is indistinguishable
    ("REG = {1: 2}", True),
    ("def f(k):\n    REG[k] = 1", False),
    ("def f(k):\n    REG[k] += 1", False),
    ("def f(k):\n    REG[k].append(1)", False),
    ("def f(k):\n    REG.add(k)", False),
    ("def f(k):\n    REG.setdefault(k, 1)", False),
    ("def f(k):\n    del REG[k]", False),
    ("def f(k):\n    REG += [k]", False),
    ("def f(k):\n    other = REG", False),
    ("def f(k):\n    helper(REG)", False),
    ("def f(k):\n    return REG", False),
    ("def f(k):\n    global REG\n    REG = {}", False),
    ("def f(k):\n    from m import REG as R\n    R[k] = 1", False),
    ("def f(k):\n    s = 'REG[k] = 1'\n    return k in REG", True),  # strings are no code
    ("def f(k):\n    REG[k], b = 1, 2", False),
    ("def f(k):\n    REG[k]: int = 1", False),
    ("def f(k):\n    for REG[k] in range(3):\n        pass", False),
    ("def f(k):\n    return k in REG.pop(k)", False),
    ("def f(k):\n    return REG[k] == 1 or REG[k] >= 2", True),
    ("def f(k):\n    return g(REG[k], a=1)", False),  # a keyword after it: maybe a target
])
def test_read_only_uses_of_a_container_name(body: str, expected: bool) -> None:
    assert read_only_uses(body, "REG") is expected
