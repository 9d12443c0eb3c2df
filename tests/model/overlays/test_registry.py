"""overlays/__init__.py and registry.py: every overlay module is loaded by load_all()
and registers knowledge; lookups by qualified name and by (value type, method)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import wlint.model.overlays as overlays
from wlint.model.overlays import registry
from wlint.model.values import ModuleInst, Tensor


def _overlay_modules() -> set:
    return {m.name for m in pkgutil.iter_modules(overlays.__path__) if m.name != "registry"}


def test_every_overlay_module_is_loaded_by_load_all() -> None:
    overlays.load_all()
    assert set(overlays.OVERLAYS) == _overlay_modules()
    for name in overlays.OVERLAYS:
        assert f"wlint.model.overlays.{name}" in sys.modules


def test_load_all_imports_each_module_explicitly() -> None:
    source = importlib.import_module("inspect").getsource(overlays.load_all)
    for name in _overlay_modules():
        assert name in source


def test_the_questions_have_file_answers() -> None:
    overlays.load_all()
    where = {
        "torch.zeros": registry.lookup_function("torch.zeros"),
        "dataclasses.dataclass": registry.lookup_function("dataclasses.dataclass"),
        "builtins.len": registry.lookup_function("builtins.len"),
        "copy.deepcopy": registry.lookup_function("copy.deepcopy"),
        "register_buffer": registry.lookup_method(ModuleInst, "register_buffer"),
        "append": registry.lookup_method(ModuleInst, "append"),
        "Sequential": registry.MODULE_CLASSES["torch.nn.Sequential"],
        "Tensor attributes": registry.ATTRIBUTES[Tensor],
    }
    modules = {k: v.__module__.rsplit(".", 1)[-1] for k, v in where.items()}
    assert modules == {
        "torch.zeros": "torch_tensors", "dataclasses.dataclass": "dataclasses",
        "builtins.len": "builtins", "copy.deepcopy": "stdlib",
        "register_buffer": "torch_module", "append": "torch_containers",
        "Sequential": "torch_containers", "Tensor attributes": "torch_tensors",
    }


def test_builtin_namespace_comes_from_the_registry() -> None:
    overlays.load_all()
    names = registry.builtin_namespace()
    assert names["None"] is None and names["len"].name == "len"
    assert set(names) >= {n.split(".", 1)[1] for n in registry.FUNCTIONS if n.startswith("builtins.")}
