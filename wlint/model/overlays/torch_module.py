"""nn.Module semantics over `ModuleInst`: torch's `__setattr__` slot rules
(parameters, buffers, submodules, plain attributes; conditional slots under
unknown branches), attribute lookup, register_buffer / register_parameter /
add_module, modules()/children()/parameters(), hooks, and what marks a class
as migrating checkpoints (`_load_from_state_dict`, `_version`, load pre-hooks).
"""

from __future__ import annotations

import ast
from typing import Any, Dict, Iterator, List, Optional, Tuple

from wlint.model.conditions import TRUE, Not, conjunction
from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import (
    Impl, lookup_method, register_function, register_methods
)
from wlint.model.values import (
    Builtin, Conditional, MISSING, ModuleInst, Repeated, SymbolicObject, Tensor, TorchRef,
    TrackedList, Unknown, UserClass
)


def module_setattr(it: Evaluator, inst: ModuleInst, name: str, value: Any, node: ast.AST) -> None:
    """`inst.name = value` as Python runs it: a `__setattr__` the user's class defines
    (which usually ends in `super().__setattr__`), else torch's."""
    override = user_setattr(it, inst)
    if override is not None:
        it.call(it.bind_attr(override, inst, inst.cls), [name, value], {}, node)
        return
    torch_setattr(it, inst, name, value, node)


def user_setattr(it: Evaluator, inst: ModuleInst) -> Any:
    """The `__setattr__` a project class in `inst`'s MRO defines, or None."""
    if not isinstance(inst.cls, UserClass):
        return None
    found = it.class_attr(inst.cls, "__setattr__")
    return None if found is MISSING else found


def torch_setattr(it: Evaluator, inst: ModuleInst, name: str, value: Any, node: ast.AST) -> None:
    """torch's Module.__setattr__ over the abstract slots."""
    line = getattr(node, "lineno", 0)
    if isinstance(value, Conditional):
        for cond, v in value.items:
            with it.in_branch(cond or TRUE):
                torch_setattr(it, inst, name, v, node)
        return
    if isinstance(value, Tensor) and value.param:
        for d in (inst.attrs, inst.buffers, inst.modules):
            d.pop(name, None)
        inst.nonpersistent.discard(name)
        set_slot(it, inst.params, name, value, owner=inst)
    elif name in inst.params:
        if value is not None and not isinstance(value, Tensor):
            it.note(line, f"cannot tell what is assigned to parameter `{name}`")
        set_slot(it, inst.params, name, None if not isinstance(value, Tensor) else value, owner=inst)
    elif isinstance(value, ModuleInst):
        if _position_depends_on_condition(it, inst, inst.modules.get(name)):
            it.note(line, f"the position of submodule `{name}` in the state_dict depends on a "
                          "condition (it is not a submodule in every branch before this line)")
        for d in (inst.attrs, inst.params, inst.buffers):
            d.pop(name, None)
        inst.nonpersistent.discard(name)
        inst.unidentified.pop(name, None)
        set_slot(it, inst.modules, name, value, owner=inst)
    elif name in inst.modules:
        if value is not None:
            unidentified_child(it, inst, name, line, f"cannot tell what is assigned to submodule "
                               f"`{name}`" + (f": {value.reason}" if isinstance(value, Unknown)
                                              else ""))
        set_slot(it, inst.modules, name, None, owner=inst)
    elif name in inst.buffers:
        set_slot(it, inst.buffers, name, value if isinstance(value, Tensor) else None, owner=inst)
    else:
        if isinstance(value, Unknown) and value.may_module:
            unidentified_child(it, inst, name, line,
                               f"cannot tell whether `{name}` is a submodule: {value.reason}")
        elif isinstance(value, SymbolicObject) and value.may_module:
            # decided at the end: an argument also used as a number is no module
            it.maybe_module_args.append((value, it.frame.path, line, name, inst))
        elif isinstance(value, (list, tuple)) and any(isinstance(v, Repeated) for v in value):
            pass
        inst.attrs[name] = value


def unidentified_child(it: Evaluator, inst: ModuleInst, name: str, line: int,
                       reason: str) -> None:
    """Slot `name` of `inst` may hold a module the predictor cannot identify: a note, and
    the slot recorded (`Prediction.unidentified`) so a comparison knows its keys are
    unknown rather than added or removed."""
    it.note(line, reason)
    inst.unidentified[name] = (line, it.frame.path, reason)


def _position_depends_on_condition(it: Evaluator, inst: ModuleInst, old: Any) -> bool:
    """Re-registering a slot that holds no module in some branch: torch keeps the
    slot's first position only where it was already a submodule, and appends it
    elsewhere (`self.m = None` there was a plain attribute), so the key order forks."""
    if not isinstance(old, Conditional):
        return False
    here = conjunction(*it.frame.conds[inst.cond_depth:])
    return any(v is None and c != here for c, v in old.items)


def set_slot(it: Evaluator, slots: Dict[str, Any], name: str, value: Any,
             owner: Optional[ModuleInst] = None) -> None:
    """Store into a slot; inside unknown branches entered after `owner` was
    created, the slot becomes conditional (`Conditional`)."""
    base = owner.cond_depth if owner is not None else 0
    cond = conjunction(*it.frame.conds[base:])
    if cond is None:
        slots[name] = value
        return
    old = slots.get(name, MISSING)
    if old is MISSING:
        slots[name] = Conditional([(cond, value)])
    elif isinstance(old, Conditional):
        items = [(c, v) for c, v in old.items if c != cond]
        items.append((cond, value))
        slots[name] = Conditional(items)
    else:
        slots[name] = Conditional([(Not(cond), old), (cond, value)])


def module_getattr(it: Evaluator, inst: ModuleInst, name: str, line: int) -> Any:
    if name in inst.attrs:
        return inst.attrs[name]
    if name in _INTERNAL_DICTS:  # self.__dict__, self._modules, ...: the live slots
        return _INTERNAL_DICTS[name](inst)
    if inst.cls is not None:
        found = it.class_attr(inst.cls, name)
        if found is not MISSING:
            return it.bind_attr(found, inst, inst.cls)
    return torch_module_attr(it, inst, name, line)


def torch_module_attr(it: Evaluator, inst: ModuleInst, name: str, line: int) -> Any:
    """What nn.Module itself answers for `inst.name` (slots, its methods): also what
    `super().name` finds past the project classes."""
    for slots in (inst.params, inst.buffers, inst.modules):
        if name in slots:
            v = slots[name]
            if isinstance(v, Conditional):
                return Unknown(f"`{name}` depends on a condition", line, True)
            return v
    method = lookup_method(ModuleInst, name)
    if method is not None:
        return Builtin(name, method, inst)
    if name == "training":
        return True
    return Unknown(f"`{inst.type_name}` has no attribute `{name}`", line, True)


_INTERNAL_DICTS = {
    "__dict__": lambda inst: inst.attrs, "_modules": lambda inst: inst.modules,
    "_parameters": lambda inst: inst.params, "_buffers": lambda inst: inst.buffers,
}


def is_torch_module_ref(v: Any) -> bool:
    """Whether `v` names a torch.nn module class; memoised by dotted path (hot: every call)."""
    if not isinstance(v, TorchRef):
        return False
    hit = _MODULE_REF_CACHE.get(v.qual)
    if hit is None:
        hit = _MODULE_REF_CACHE[v.qual] = _torch_module_path(v.qual)
    return hit


_MODULE_REF_CACHE: Dict[str, bool] = {}


def _torch_module_path(qual: str) -> bool:
    parts = qual.split(".")
    return len(parts) >= 3 and parts[1] == "nn" and parts[-1][:1].isupper() and parts[-1] not in (
        "Parameter", "UninitializedParameter", "Buffer") and parts[2] not in ("init", "functional",
                                                                             "utils")


def defines_migration(cls: UserClass) -> bool:
    if "_load_from_state_dict" in cls.ns or "_version" in cls.ns:
        return True
    cached = getattr(cls.node, "_wlint_prehook", None)
    if cached is None and not cls.module.mentions("load_state_dict_pre_hook"):
        cached = False
    if cached is None:
        cached = any(isinstance(node, ast.Attribute) and node.attr in (
            "register_load_state_dict_pre_hook", "_register_load_state_dict_pre_hook")
            for node in ast.walk(cls.node))
        cls.node._wlint_prehook = cached  # type: ignore[attr-defined]
    return cached


def _add_module(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    name = args[0] if args else kw.get("name")
    module = args[1] if len(args) > 1 else kw.get("module")
    if not isinstance(name, str):
        it.note(getattr(node, "lineno", 0), "add_module with an unknown name")
        return None
    if isinstance(module, Repeated):
        module = module.value
    if module is None or isinstance(module, (ModuleInst, Conditional)):
        for d in (inst.attrs, inst.params, inst.buffers):
            d.pop(name, None)
        if isinstance(module, Conditional):
            torch_setattr(it, inst, name, module, node)
        else:
            set_slot(it, inst.modules, name, module, owner=inst)
        return None
    it.note(getattr(node, "lineno", 0), f"add_module `{name}`: cannot tell the module"
            + (f" ({module.reason})" if isinstance(module, Unknown) else ""))
    return None


def per_alternative(fn: Impl, it: Evaluator, inst: ModuleInst, args: List[Any],
                     kw: Dict[str, Any], node: Any, index: int, key: str) -> bool:
    """Call `fn` once per alternative of a conditional argument (`x if c else None`)."""
    value = args[index] if len(args) > index else kw.get(key)
    if not isinstance(value, Conditional):
        return False
    for cond, v in value.items:
        new_args = list(args)
        new_kw = dict(kw)
        if len(args) > index:
            new_args[index] = v
        else:
            new_kw[key] = v
        with it.in_branch(cond or TRUE):
            fn(it, inst, new_args, new_kw, node)
    return True


def _register_buffer(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                       node: Any) -> Any:
    if per_alternative(_register_buffer, it, inst, args, kw, node, 1, "tensor"):
        return None
    line = getattr(node, "lineno", 0)
    name = args[0] if args else kw.get("name")
    tensor = args[1] if len(args) > 1 else kw.get("tensor")
    persistent = args[2] if len(args) > 2 else kw.get("persistent", True)
    if not isinstance(name, str):
        it.note(line, "register_buffer with an unknown name")
        return None
    p = it.truth(persistent)
    if p is None:
        it.note(line, f"persistence of buffer `{name}` is unknown")
        p = True
    if tensor is not None and not isinstance(tensor, Tensor):
        it.note(line, f"buffer `{name}`: cannot tell the tensor")
        tensor = Tensor(None, line, it.frame.path)
    if isinstance(tensor, Tensor):
        if tensor.shape is None:
            it.note(line, f"shape of buffer `{name}` is unknown")
        tensor = Tensor(tensor.shape, tensor.line, tensor.path, False)
    for d in (inst.attrs, inst.params, inst.modules):
        d.pop(name, None)
    set_slot(it, inst.buffers, name, tensor, owner=inst)
    if p:
        inst.nonpersistent.discard(name)
    else:
        inst.nonpersistent.add(name)
    return None


def _register_parameter(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                          node: Any) -> Any:
    if per_alternative(_register_parameter, it, inst, args, kw, node, 1, "param"):
        return None
    line = getattr(node, "lineno", 0)
    name = args[0] if args else kw.get("name")
    param = args[1] if len(args) > 1 else kw.get("param")
    if not isinstance(name, str):
        it.note(line, "register_parameter with an unknown name")
        return None
    if param is not None and not isinstance(param, Tensor):
        it.note(line, f"parameter `{name}`: cannot tell the tensor")
        param = Tensor(None, line, it.frame.path, True)
    for d in (inst.attrs, inst.buffers, inst.modules):
        d.pop(name, None)
    set_slot(it, inst.params, name, param, owner=inst)
    return None


def _setattr_method(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                    node: Any) -> Any:
    """`self.__setattr__(name, value)`, `nn.Module.__setattr__(self, name, value)`."""
    name = args[0] if args else kw.get("name")
    value = args[1] if len(args) > 1 else kw.get("value")
    if not isinstance(name, str):
        it.note(getattr(node, "lineno", 0), "__setattr__ with an unknown name")
        return None
    torch_setattr(it, inst, name, value, node)
    return None


def unbound_setattr(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """`nn.Module.__setattr__(self, name, value)`: torch's rules on `self`."""
    if args and isinstance(args[0], ModuleInst):
        return _setattr_method(it, args[0], list(args[1:]), kw, node)
    return object_setattr(it, None, args, kw, node)


def object_setattr(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    """`object.__setattr__(obj, name, value)`: straight into the instance dict, so on an
    nn.Module a plain attribute (torch never sees it), whatever the value is."""
    if len(args) < 3 or not isinstance(args[1], str):
        it.note(getattr(node, "lineno", 0), "object.__setattr__ with an unknown name")
        return None
    obj, name, value = args[0], args[1], args[2]
    if isinstance(obj, ModuleInst):
        obj.attrs[name] = value
    else:
        it.setattr(obj, name, value, node)
    return None


def note_unanalysed_registration(it: Evaluator, callee: str, args: List[Any],
                                 kwargs: Dict[str, Any], node: Any) -> None:
    """A call the predictor does not follow that receives a module together with another
    module or a parameter (`register_into(self, "x", nn.Linear(2, 2))`) may put one on
    the other: say so at the call, never drop it silently."""
    values = list(args) + list(kwargs.values())
    held = [v for v in values if isinstance(v, ModuleInst) or (
        isinstance(v, Tensor) and v.param)]
    if len(held) >= 2 and any(isinstance(v, ModuleInst) for v in held):
        it.note(getattr(node, "lineno", 0), f"`{callee}(...)` is not analysed and receives "
                                            "modules: cannot tell whether it registers one")


def _set_submodule(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                   node: Any) -> Any:
    target = args[0] if args else kw.get("target")
    if isinstance(target, str) and "." not in target:
        return _add_module(it, inst, [target] + list(args[1:2]), {}, node)
    it.note(getattr(node, "lineno", 0), "set_submodule with a dotted or unknown target")
    return None


def _returns_self(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return inst


def _returns_none(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return None


def _prehook(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
               node: Any) -> Any:
    it.migrates = True
    return None


def walk_modules(inst: ModuleInst, prefix: str = "") -> Iterator[Tuple[str, ModuleInst]]:
    yield prefix, inst
    for name, child in inst.modules.items():
        if isinstance(child, ModuleInst):
            yield from walk_modules(child, f"{prefix}.{name}" if prefix else name)


def _modules(named: bool) -> Impl:
    def impl(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        pairs = list(walk_modules(inst))
        return TrackedList(pairs if named else [m for _, m in pairs])
    return impl


def _children(named: bool) -> Impl:
    def impl(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        pairs = [(n, m) for n, m in inst.modules.items() if isinstance(m, ModuleInst)]
        return TrackedList(pairs if named else [m for _, m in pairs])
    return impl


def _parameters(named: bool) -> Impl:
    def impl(it: Evaluator, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        out: List[Any] = []
        for prefix, m in walk_modules(inst):
            for n, p in m.params.items():
                if isinstance(p, Tensor):
                    out.append((f"{prefix}.{n}" if prefix else n, p))
        return TrackedList(out if named else [p for _, p in out])
    return impl


register_methods(ModuleInst, {
    "add_module": _add_module, "register_module": _add_module, "set_submodule": _set_submodule,
    "__setattr__": _setattr_method,
    "register_buffer": _register_buffer, "register_parameter": _register_parameter,
    "apply": _returns_self, "to": _returns_self, "cuda": _returns_self, "cpu": _returns_self, "float": _returns_self,
    "double": _returns_self, "half": _returns_self, "bfloat16": _returns_self, "train": _returns_self, "eval": _returns_self,
    "requires_grad_": _returns_self, "type": _returns_self, "to_empty": _returns_self, "share_memory": _returns_self,
    "zero_grad": _returns_none, "reset_parameters": _returns_none, "_reset_parameters": _returns_none,
    "register_forward_hook": _returns_none, "register_forward_pre_hook": _returns_none,
    "register_full_backward_hook": _returns_none, "register_backward_hook": _returns_none,
    "register_state_dict_pre_hook": _returns_none, "_register_state_dict_hook": _returns_none,
    "register_load_state_dict_pre_hook": _prehook, "_register_load_state_dict_pre_hook": _prehook,
    "register_load_state_dict_post_hook": _returns_none,
    "modules": _modules(False), "named_modules": _modules(True),
    "children": _children(False), "named_children": _children(True),
    "parameters": _parameters(False), "named_parameters": _parameters(True),
})
register_function("builtins.object.__setattr__", object_setattr)
register_function("torch.nn.Module.__setattr__", unbound_setattr)
register_function("torch.nn.modules.module.Module.__setattr__", unbound_setattr)
