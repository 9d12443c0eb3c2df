"""The bridge to the layer catalog (`layers.py`): calls of torch names (layers,
functions, `Embedding.from_pretrained`, `_pair`/`_ntuple`), the __init__ of a
torch base class run on a subclass instance, and building a catalog layer's
tensors and children onto a `ModuleInst`. Classes outside torch.nn that the
catalog knows are found by qualified name.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Dict, List

from wlint.model.budget import MAX_EXPANSION
from wlint.model.conditions import Text
from wlint.model.evaluator import Evaluator
from wlint.model.layers import Layer, lookup
from wlint.model.overlays.registry import MODULE_CLASSES, lookup_function
from wlint.model.overlays.stdlib import clone
from wlint.model.overlays.torch_module import is_torch_module_ref, set_slot, unbound_setattr
from wlint.model.overlays.torch_tensors import norm_dim, norm_shape
from wlint.model.signals import TOO_LARGE, CannotInterpret
from wlint.model.symbolic import Sym
from wlint.model.text import short_error
from wlint.model.values import (
    Conditional, ModuleInst, SymbolicBool, SymbolicFloat, SymbolicObject, Tensor, TorchRef,
    TrackedList, Unknown, value_text
)


def torch_call(it: Evaluator, ref: TorchRef, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
    line = getattr(node, "lineno", 0)
    qual, last = ref.qual, ref.last
    if last == "__setattr__":
        return unbound_setattr(it, None, args, kwargs, node)
    if last == "__init__":
        base = TorchRef(qual.rsplit(".", 1)[0])
        if not args:
            raise CannotInterpret("__init__ without self")
        return torch_base_init(it, (base, args[0]), args[1:], kwargs, node)
    if is_torch_module_ref(ref):
        inst = ModuleInst(last, None, line, it.frame.path, "layer")
        inst.cond_depth = len(it.frame.conds)
        inst.depth = len(it.frame.loop_atoms)
        result = torch_init(it, ref, inst, args, kwargs, node)
        if isinstance(result, Unknown):
            return result
        return inst
    fn = lookup_function("torch." + last) if qual.count(".") == 1 or qual.startswith(
        "torch.Tensor") else None
    fn = lookup_function(qual) or fn  # torch.nn.Parameter and other full paths
    if qual.startswith("torch.nn.init."):
        return None
    if last == "from_pretrained" and qual.rsplit(".", 2)[-2] in ("Embedding", "EmbeddingBag"):
        emb = args[0] if args else kwargs.get("embeddings")
        layer = lookup(qual.rsplit(".", 2)[-2])
        if isinstance(emb, Tensor) and emb.shape is not None and len(emb.shape) == 2 and layer:
            inst = ModuleInst(layer.name, None, line, it.frame.path, "layer")
            inst.cond_depth = len(it.frame.conds)
            inst.torch_bases = (layer.name, "Module")
            extra = {k: v for k, v in kwargs.items() if k not in ("embeddings", "freeze")}
            build_layer(it, layer, inst, list(emb.shape), extra, node)
            return inst
    if last in NTUPLE and ("utils" in qual or "modules" in qual):
        return ntuple_call(args, NTUPLE[last])
    if fn is not None:
        return fn(it, None, args, kwargs, node)
    return Unknown(f"`{qual}(...)` is not modelled", line, may_return_module(qual))


def torch_init(it: Evaluator, ref: TorchRef, inst: ModuleInst, args: List[Any], kwargs: Dict[str, Any],
               node: Any) -> Any:
    """Run torch class `ref`'s __init__ on `inst` (a fresh layer or a subclass instance)."""
    line = getattr(node, "lineno", 0)
    last = ref.last
    container = MODULE_CLASSES.get("torch.nn." + last)
    if container is not None:
        if (inst.kind in ("layer", "user") and inst.cls is None) or inst.kind == "user":
            inst.kind = last
        inst.torch_bases = tuple(dict.fromkeys(inst.torch_bases + (last, "Module")))
        return container(it, inst, args, kwargs, node)
    layer = lookup(last)
    if layer is None:
        reason = f"torch.nn.{last} is not in the layer catalog"
        it.note(line, reason)
        return Unknown(reason, line, True)
    if not inst.torch_bases:
        inst.torch_bases = (last, "Module")
    build_layer(it, layer, inst, args, kwargs, node)
    return None


def build_layer(it: Evaluator, layer: Layer, inst: ModuleInst, args: List[Any], kwargs: Dict[str, Any],
                node: Any) -> None:
    line = getattr(node, "lineno", 0)
    args = [layer_arg(a) for a in args]
    kwargs = {k: layer_arg(v) for k, v in kwargs.items()}
    try:
        bound = layer.bind(args, kwargs)
    except TypeError as exc:
        it.note(line, f"{layer.name}: {exc}")
        return
    for k, v in bound.items():
        if k not in inst.attrs:
            inst.attrs[k] = v
    inst.args = tuple((name, value_text(bound.get(name))) for name in layer.behaviour)
    try:
        build = layer.build(bound)
    except Exception as exc:
        it.note(line, f"cannot compute the tensors of {layer.name}: {short_error(exc)}")
        return
    for reason in build.unresolved:
        it.note(line, f"{layer.name}: {reason}")
    for spec in build.tensors:
        when = it.truth(spec.when) if not isinstance(spec.when, bool) else spec.when
        if when is False:
            continue
        shape = norm_shape(spec.shape)
        if shape is None:
            it.note(line, f"shape of {layer.name}.{spec.name} is unknown")
        tensor = Tensor(shape, line, it.frame.path, spec.kind == "parameter")
        with it.in_branch(Text(cond_text(spec.when))) if when is None else nullcontext():
            if spec.kind == "parameter":
                set_slot(it, inst.params, spec.name, tensor, owner=inst)
            else:
                set_slot(it, inst.buffers, spec.name, tensor, owner=inst)
                if not spec.persistent:
                    inst.nonpersistent.add(spec.name)
    for child in build.children:
        build_child(it, layer, inst, child, node)


def build_child(it: Evaluator, layer: Layer, inst: ModuleInst, child: Any, node: Any) -> None:
    """Register one catalog ChildSpec on `inst` (layer, caller's value, or container)."""
    line = getattr(node, "lineno", 0)
    when = it.truth(child.when) if not isinstance(child.when, bool) else child.when
    if when is False:
        return
    value: Any
    if child.layer in ("ModuleList", "Sequential"):
        value = ModuleInst(child.layer, None, line, it.frame.path, child.layer)
        value.cond_depth = len(it.frame.conds)
        value.torch_bases = (child.layer, "Module")
        if child.repeat is not None:
            count = norm_dim(child.repeat)
            proto = child_value(it, layer, child.from_value, line, node)
            if proto is None:
                return
            if isinstance(count, int):
                if count > MAX_EXPANSION:
                    it.note(line, f"{layer.name}: {TOO_LARGE}: {child.name} × {count}")
                    return
                for i in range(count):
                    value.modules[str(i)] = clone(it, proto)
            elif isinstance(count, Sym):
                value.modules["{" + it.next_atom() + "}"] = clone(it, proto)
            else:
                it.note(line, f"{layer.name}: number of `{child.name}` is unknown")
                return
        else:
            for sub in child.children:
                build_child(it, layer, value, sub, node)
    elif child.layer is not None:
        sub_layer = lookup(child.layer)
        if sub_layer is None:
            it.note(line, f"{layer.name}: child layer {child.layer} not in the catalog")
            return
        value = ModuleInst(sub_layer.name, None, line, it.frame.path, "layer")
        value.cond_depth = len(it.frame.conds)
        value.torch_bases = (sub_layer.name, "Module")
        build_layer(it, sub_layer, value, [], dict(child.args), node)
    else:
        if getattr(child, "if_module", False) and not isinstance(
                child.from_value, (ModuleInst, Conditional, Unknown, SymbolicObject)) and not is_layer_call(
                child.from_value):
            return
        value = child_value(it, layer, child.from_value, line, node)
        if value is None:
            return
    with it.in_branch(Text(cond_text(child.when))) if when is None else nullcontext():
        set_slot(it, inst.modules, child.name, value, owner=inst)


def child_value(it: Evaluator, layer: Layer, src: Any, line: int, node: Any) -> Any:
    if isinstance(src, ModuleInst):
        return clone(it, src)
    if is_layer_call(src):
        sub_layer = lookup(src.layer)
        if sub_layer is None:
            it.note(line, f"{layer.name}: {src.layer} not in the catalog")
            return None
        value = ModuleInst(sub_layer.name, None, line, it.frame.path, "layer")
        value.cond_depth = len(it.frame.conds)
        value.torch_bases = (sub_layer.name, "Module")
        build_layer(it, sub_layer, value, [], dict(src.args), node)
        return value
    if isinstance(src, Conditional):
        return Conditional([(c, clone(it, v)) for c, v in src.items])
    reason = src.reason if isinstance(src, Unknown) else value_text(src)
    it.note(line, f"{layer.name}: submodule argument is unknown ({reason})")
    return None


def is_layer_call(v: Any) -> bool:
    return type(v).__name__ == "LayerCall" and hasattr(v, "layer") and hasattr(v, "args")


def cond_text(v: Any) -> str:
    if isinstance(v, (Sym, SymbolicObject, Unknown, SymbolicBool)) or v is None or isinstance(
            v, (int, float, str)):
        return value_text(v)
    return str(v)


def layer_arg(v: Any) -> Any:
    if isinstance(v, SymbolicObject):
        v.may_module = False
        return v.sym()
    if isinstance(v, SymbolicFloat):
        return v.sym if v.exact else Unknown("non-integral symbolic value")
    if isinstance(v, TrackedList):
        return list(v)
    return v


NTUPLE = {"_single": 1, "_pair": 2, "_triple": 3, "_quadruple": 4}


_MODULE_NAMESPACES = ("torch.nn.", "torch.jit.", "torch.ao.", "torch.quantization.", "torch.fx.",
                      "torch.export.", "torch.compile", "torch.hub.", "torch.load")


def catalog_by_qualname() -> Dict[str, Layer]:
    """Catalog entries by their full class path (for classes outside torch.nn)."""
    from wlint.model.layers import CATALOG

    if len(_QUALNAMES) != len(CATALOG):
        _QUALNAMES.clear()
        for layer in CATALOG.values():
            _QUALNAMES[getattr(layer, "qualname", f"torch.nn.{layer.name}")] = layer
    return _QUALNAMES


_QUALNAMES: Dict[str, Layer] = {}


def may_return_module(qual: str) -> bool:
    """Unmodelled torch calls that can return a module (weight_norm, jit.script,
    Embedding.from_pretrained, compile, hub.load); tensor functions cannot."""
    if qual.startswith("torch.nn.functional.") or qual.startswith("torch.nn.init."):
        return False
    return qual.startswith(_MODULE_NAMESPACES)


def ntuple_call(args: List[Any], n: int) -> Any:
    if not args:
        return Unknown("ntuple without argument")
    v = args[0]
    if isinstance(v, (list, tuple)):
        return tuple(v)
    if isinstance(v, (int, float, Sym, SymbolicObject)) and not isinstance(v, bool):
        return tuple([v] * n)
    return Unknown("ntuple of an unknown value")


def torch_base_init(it: Evaluator, selfpair: Any, args: List[Any], kw: Dict[str, Any],
                     node: Any) -> Any:
    base, inst = selfpair
    if not isinstance(inst, ModuleInst):
        return None
    if base.last == "Module" or base.qual in ("torch.nn.Module",):
        return None
    result = torch_init(it, base, inst, args, kw, node)
    if isinstance(result, Unknown):
        return None
    return None


def external_base_init(it: Evaluator, selfpair: Any, args: List[Any], kw: Dict[str, Any],
                        node: Any) -> Any:
    base, _inst = selfpair
    it.note(getattr(node, "lineno", 0), f"base class `{base.qual}` is third-party (not analysed)")
    return None
