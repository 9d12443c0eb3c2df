"""torch.nn containers: Sequential, ModuleList, ModuleDict, ParameterList and
ParameterDict constructors and their append/extend/insert/update/keys/values/
items. Children are named by position; the items of a loop of unknown length
by their index expression (`{i}`, `{2*i + 1}`, `{i + c}`).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from wlint.model.conditions import TRUE
from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import Impl, module_class, register_methods
from wlint.model.overlays.torch_module import set_slot, unidentified_child
from wlint.model.symbolic import Sym
from wlint.model.values import (
    Conditional, ModuleInst, Repeated, Tensor, TrackedList, Unknown, sym_text, value_text
)


def add_children(it: Evaluator, inst: ModuleInst, items: List[Any], node: Any) -> None:
    """Append modules to a Sequential/ModuleList, naming them by position.

    Items of a loop of unknown length (`Repeated`) are named by their index
    expression: one item per pass `{i}`, two items per pass `{2*i}` and
    `{2*i + 1}`, after c known items `{i + c}`."""
    line = getattr(node, "lineno", 0)
    slots = inst.params if inst.kind in ("ParameterList", "ParameterDict") else inst.modules
    names = list(slots)
    pending_rep = any("{" in n for n in names)
    index = len(names)
    optional = any(is_optional(v) for v in slots.values())
    for item in items:
        if optional:
            it.note(line, f"index in {inst.type_name} depends on an unknown condition")
        optional = optional or is_optional(item)
        if isinstance(item, Repeated):
            inner = item.value
            while isinstance(inner, Repeated):
                inner = inner.value
            run = inst.run
            if run is not None and run[0] == item.pass_id and run[3] and run[3][-1] == list(
                    slots)[-1]:
                extend_run(it, inst, slots, inner, line)
                continue
            if pending_rep:
                it.note(line, "two runs of unknown length in one container")
            pending_rep = True
            base = len([n for n in slots if "{" not in n])
            name = "{" + sym_text(Sym.name(item.atom) + base) + "}"
            inst.run = (item.pass_id, item.atom, base, [name])
            add_child(it, inst, name, inner, line)
            continue
        if pending_rep:
            it.note(line, "module after a run of unknown length: its index is unknown")
            name = "{?}"
        else:
            name = str(index)
        index += 1
        add_child(it, inst, name, item, line)


def extend_run(it: Evaluator, inst: ModuleInst, slots: Dict[str, Any], value: Any, line: int) -> None:
    """One more item per pass of the current run: rename the run's keys."""
    pass_id, atom, base, names = inst.run
    count = len(names) + 1
    new_names = ["{" + sym_text(Sym.name(atom) * count + base + j) + "}" for j in range(count)]
    renamed = dict(zip(names, new_names))
    items = [(renamed.get(k, k), v) for k, v in slots.items()]
    slots.clear()
    slots.update(items)
    inst.run = (pass_id, atom, base, new_names)
    add_child(it, inst, new_names[-1], value, line)


def add_child(it: Evaluator, inst: ModuleInst, name: str, value: Any, line: int) -> None:
    if isinstance(value, Conditional):
        for cond, v in value.items:
            with it.in_branch(cond or TRUE):
                add_child(it, inst, name, v, line)
        return
    if isinstance(value, ModuleInst) or value is None:
        set_slot(it, inst.modules, name, value, owner=inst)
        return
    if isinstance(value, Tensor) and inst.kind in ("ParameterList", "ParameterDict"):
        set_slot(it, inst.params, name, value if value.param else value.as_param(
            value.line, value.path), owner=inst)
        return
    reason = value.reason if isinstance(value, Unknown) else f"not a module: {value_text(value)}"
    unidentified_child(it, inst, name, line, f"cannot tell what `{name}` of {inst.type_name} "
                       f"is: {reason}")


def container_extend(it: Evaluator, inst: ModuleInst, value: Any, node: Any) -> None:
    items: Optional[List[Any]]
    if isinstance(value, ModuleInst):
        items = list(value.modules.values())
    else:
        items = it.iterate(value, node)
        if items is None:
            it.note(getattr(node, "lineno", 0), "extends a container with unknown items")
            return
    add_children(it, inst, it.rep_wrap(inst, items), node)


def is_optional(v: Any) -> bool:
    """A container element that exists only under a condition."""
    while isinstance(v, Repeated):
        v = v.value
    return isinstance(v, Conditional) and len(v.items) == 1


def _sequential(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    if len(args) == 1 and isinstance(args[0], dict):
        for k, v in args[0].items():
            add_child(it, inst, str(k), v, getattr(node, "lineno", 0))
        return None
    add_children(it, inst, list(args), node)
    return None


def _module_list(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    src = args[0] if args else kw.get("modules")
    if src is None:
        return None
    items = it.iterate(src, node) if not isinstance(src, ModuleInst) else list(src.modules.values())
    if items is None:
        it.note(getattr(node, "lineno", 0), "ModuleList of unknown items")
        return None
    add_children(it, inst, items, node)
    return None


def _module_dict(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    src = args[0] if args else kw.get("modules", kw.get("parameters"))
    if src is None:
        return None
    dict_update(it, inst, src, node)
    return None


def dict_update(it: Evaluator, inst: ModuleInst, src: Any, node: Any) -> None:
    line = getattr(node, "lineno", 0)
    if isinstance(src, dict):
        pairs = list(src.items())
    elif isinstance(src, ModuleInst):
        pairs = list(src.modules.items())
    else:
        items = it.iterate(src, node)
        if items is None or any(isinstance(x, Repeated) for x in items):
            it.note(line, f"{inst.type_name} of unknown items")
            return
        pairs = list(items)
    for k, v in pairs:
        if not isinstance(k, str):
            it.note(line, f"{inst.type_name} key is unknown")
            continue
        add_child(it, inst, k, v, line)


def _append(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    add_children(it, inst, it.rep_wrap(inst, [args[0]]), node)
    return inst


def _extend(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    container_extend(it, inst, args[0], node)
    return inst


def _insert(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    index, module = args[0], args[1]
    names = list(inst.modules)
    if not isinstance(index, int) or any("{" in n for n in names) or it.frame.conds:
        it.note(getattr(node, "lineno", 0), "insert into a container at an unknown position")
        return None
    values = list(inst.modules.values())
    n = len(values)
    if index < 0:
        index += n
    index = max(0, min(index, n))
    values.insert(index, module)
    inst.modules.clear()
    for i, v in enumerate(values):
        inst.modules[str(i)] = v
    return None


def _update(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    dict_update(it, inst, args[0] if args else kw, node)
    return None


def _dict_view(which: str) -> Impl:
    def impl(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if which == "keys":
            return TrackedList(inst.modules.keys())
        if which == "values":
            return TrackedList(inst.modules.values())
        return TrackedList(inst.modules.items())
    return impl


module_class("torch.nn.Sequential")(_sequential)
module_class("torch.nn.ModuleList", "torch.nn.ParameterList")(_module_list)
module_class("torch.nn.ModuleDict", "torch.nn.ParameterDict")(_module_dict)
module_class("torch.nn.Module")(lambda it, inst, a, k, n: None)
register_methods(ModuleInst, {
    "append": _append, "extend": _extend, "insert": _insert, "update": _update,
    "keys": _dict_view("keys"), "values": _dict_view("values"), "items": _dict_view("items"),
})
