"""Saving rules: WL104 (torch.save of a whole module), WL105 (state_dict of a
DataParallel / DDP / torch.compile wrapper).

Both need to know what a variable holds. Inside one function (or the module
body) a name is followed through its assignments: `m = Net()`, `m = m.to(dev)`,
`m = DDP(m)`, `sd = m.state_dict()`, `self.model = ...`, and through parameter
annotations (`model: nn.Module`). An attribute of `self` not assigned in the method itself is what every
`self.attr = ...` of the class's methods assigns, when they agree. Anything
else is unknown and never reported.
"""

from __future__ import annotations

import ast
from typing import Callable, Iterator, Optional, Set, Tuple

from wlint.codes import CodeDoc
from wlint.rules.base import MISSING, UNKNOWN, Context, Hit, Rule, argument, documented
from wlint.rules.names import ASSIGN, PARAM, Binding, CallSite, Scope, dotted

MODULE, WRAPPER, WRAPPED_STATE = "module", "wrapper", "wrapped-state"

WRAPPERS = {
    "torch.nn.DataParallel",
    "torch.nn.parallel.DistributedDataParallel",
    "torch.compile",
}
# Methods that return the module they are called on.
SAME_MODULE_METHODS = {
    "to", "cuda", "cpu", "eval", "train", "half", "float", "double", "bfloat16",
    "requires_grad_", "to_empty", "type", "share_memory", "apply", "xpu", "ipu",
}
NOT_MODULES = {"Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer"}
TORCHVISION_NOT_MODELS = {"get_weight", "get_model_weights", "list_models"}
_MAX_DEPTH = 24


def _is_module_class_name(qual: str) -> bool:
    """`torch.nn.Linear`, `torch.nn.modules.conv.Conv2d`; not Parameter or utils."""
    if not qual.startswith("torch.nn."):
        return False
    head, _, last = qual.rpartition(".")
    if not last[:1].isupper() or last in NOT_MODULES:
        return False
    return head in ("torch.nn", "torch.nn.parallel") or head.startswith("torch.nn.modules")


def _is_model_factory(qual: str) -> bool:
    """Library calls documented to return an nn.Module."""
    if qual.startswith("torchvision.models."):
        last = qual.rpartition(".")[2]
        return last not in TORCHVISION_NOT_MODELS and not last.endswith("Weights")
    if qual == "timm.create_model":
        return True
    if qual.startswith("transformers.") and qual.endswith(".from_pretrained"):
        owner = qual.rsplit(".", 2)[-2]
        return "Model" in owner or "For" in owner
    return False


class Values:
    """Classifies expressions as MODULE, WRAPPER, WRAPPED_STATE or None (unknown)."""

    def __init__(self, ctx: Context) -> None:
        self.info = ctx.info  # not ctx itself: ctx caches this object (no reference cycle)
        self.module_classes = self._module_classes()

    def _module_classes(self) -> Set[int]:
        """ids of ClassDefs in this file that subclass nn.Module (directly or not)."""
        found: Set[int] = set()
        changed = True
        while changed:
            changed = False
            for node, scope in self.info.classes:
                if id(node) in found:
                    continue
                if any(self._is_module_type(base, scope, found) for base in node.bases):
                    found.add(id(node))
                    changed = True
        return found

    def _is_module_type(self, expr: ast.expr, scope: Scope, found: Set[int]) -> bool:
        qual = self.info.qualname(expr, scope)
        if qual is not None:
            return qual == "torch.nn.Module" or _is_module_class_name(qual)
        cls = self.info.local_class(expr, scope)
        return cls is not None and id(cls) in found

    def type_kind(self, expr: Optional[ast.expr], scope: Scope) -> Optional[str]:
        """What an annotation says: `nn.Module` -> MODULE, `DDP` -> WRAPPER."""
        if expr is None:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                expr = ast.parse(expr.value, mode="eval").body
            except SyntaxError:
                return None
        qual = self.info.qualname(expr, scope)
        if qual in WRAPPERS:
            return WRAPPER
        if self._is_module_type(expr, scope, self.module_classes):
            return MODULE
        return None

    def kind(self, expr: ast.AST, scope: Scope, depth: int = 0) -> Optional[str]:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            return self._call_kind(expr, scope, depth)
        if isinstance(expr, (ast.Name, ast.Attribute)):
            name = dotted(expr)
            if name is None:
                return None
            pos = (expr.lineno, expr.col_offset)
            binding = self.info.lookup(name, scope, pos)
            if binding is None and "." in name:
                return self._self_attribute_kind(name, scope, pos, depth)
            return self._binding_kind(binding, depth) if binding else None
        return None

    def _self_attribute_kind(self, name: str, scope: Scope, pos: Tuple[int, int],
                             depth: int) -> Optional[str]:
        """`self.model` not assigned in this method: what every `self.model = ...` in the
        class's methods assigns, when they all agree (a bare module in __init__ wrapped in
        another method could be either at the time of the save: unknown)."""
        first, _, attr = name.partition(".")
        owner = self.info.lookup(first, scope, pos)
        if owner is None or owner.kind != PARAM or owner.self_of is None:
            return None
        kinds = {self._binding_kind(b, depth + 1)
                 for b in self.info.attribute_bindings(owner.self_of, attr)}
        return kinds.pop() if len(kinds) == 1 else None

    def _binding_kind(self, binding: Binding, depth: int) -> Optional[str]:
        scope = binding.scope
        if scope is None:
            return None
        if binding.kind == PARAM:
            if binding.self_of is not None and id(binding.self_of) in self.module_classes:
                return MODULE
            return self.type_kind(binding.annotation, scope)
        if binding.kind != ASSIGN:
            return None
        if binding.value is not None:
            found = self.kind(binding.value, scope, depth + 1)
            if found is not None:
                return found
        return self.type_kind(binding.annotation, scope)

    def _call_kind(self, call: ast.Call, scope: Scope, depth: int) -> Optional[str]:
        func = call.func
        qual = self.info.qualname(func, scope)
        if qual is not None:
            if qual in WRAPPERS:
                return WRAPPER
            if _is_module_class_name(qual) or _is_model_factory(qual):
                return MODULE
            return None
        cls = self.info.local_class(func, scope)
        if cls is not None:
            return MODULE if id(cls) in self.module_classes else None
        if isinstance(func, ast.Attribute):
            receiver = self.kind(func.value, scope, depth + 1)
            if func.attr in SAME_MODULE_METHODS and receiver in (MODULE, WRAPPER):
                return receiver
            if func.attr == "state_dict" and receiver == WRAPPER:
                return WRAPPED_STATE
        return None


def values(ctx: Context) -> Values:
    cached = ctx.cache.get("values")
    if cached is None:
        cached = ctx.cache["values"] = Values(ctx)
    return cached  # type: ignore[no-any-return]


def saved_object(site: CallSite, ctx: Context) -> Optional[ast.expr]:
    """The object passed to torch.save, or None when this is not torch.save."""
    if ctx.callee(site) != "torch.save":
        return None
    obj = argument(site.node, "obj", 0)
    return None if obj is MISSING or obj is UNKNOWN else obj


def saves_any(site: CallSite, ctx: Context, test: Callable[[ast.expr, Values], bool]) -> bool:
    """Is this torch.save, and does `test` hold for the saved object or a value of
    the dict/list/tuple literal saved?"""
    obj = saved_object(site, ctx)
    if obj is None:
        return False
    vals = values(ctx)
    items = list(_contained(obj))
    bound = _bound_literal(obj, site, ctx)  # checkpoint = {...}; torch.save(checkpoint, p)
    if bound is not None:
        items.extend(_contained(bound))
    return any(test(item, vals) for item in items)


def _bound_literal(obj: ast.expr, site: CallSite, ctx: Context) -> Optional[ast.expr]:
    """The dict/list/tuple literal a saved name was bound to in the same scope."""
    if not isinstance(obj, ast.Name):
        return None
    binding = ctx.info.lookup(obj.id, site.scope, (obj.lineno, obj.col_offset))
    if binding is None or binding.kind != ASSIGN or binding.scope is not site.scope:
        return None
    value = binding.value
    return value if isinstance(value, (ast.Dict, ast.List, ast.Tuple)) else None


def _contained(obj: ast.expr) -> Iterator[ast.expr]:
    """The object itself and the values of a dict/list/tuple literal around it."""
    yield obj
    if isinstance(obj, ast.Dict):
        yield from (v for v in obj.values if v is not None)
    elif isinstance(obj, (ast.List, ast.Tuple)):
        yield from obj.elts
    elif isinstance(obj, ast.Call) and isinstance(obj.func, ast.Name) and obj.func.id == "dict":
        yield from (kw.value for kw in obj.keywords if kw.arg is not None)


@documented
class WholeModuleSaved(Rule):
    doc = CodeDoc(
        code="WL104", name="save-whole-module", severity="warning",
        summary="torch.save of a whole nn.Module instead of its state_dict().",
        why=("Pickling a module stores its class by import path: the file loads only with the "
             "same code at the same place, needs weights_only=False (arbitrary code execution) "
             "and breaks on the next refactor. Reported when the saved object (or a value of a "
             "dict/list literal saved) is known to be a module: an nn layer, a class of this "
             "file that subclasses nn.Module, `self` in such a class, a DataParallel/DDP/"
             "torch.compile wrapper, a torchvision/timm/transformers model, or a parameter "
             "annotated as one, followed through assignments inside the function."),
        bad="torch.save(model, \"model.pt\")",
        good="torch.save(model.state_dict(), \"model.pt\")",
    )

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        def is_module(item: ast.expr, vals: Values) -> bool:
            return vals.kind(item, site.scope) in (MODULE, WRAPPER)

        if saves_any(site, ctx, is_module):
            yield self.hit(site, "torch.save of a whole nn.Module pickles its class by "
                                 "import path: loading needs the same code and "
                                 "weights_only=False (save model.state_dict())")


@documented
class WrapperStateSaved(Rule):
    doc = CodeDoc(
        code="WL105", name="save-wrapper-state-dict", severity="warning",
        summary="state_dict() of a DataParallel / DistributedDataParallel / torch.compile "
                "wrapper is saved: every key gains a 'module.' or '_orig_mod.' prefix.",
        why=("Loading that checkpoint into the bare model fails with 'Missing key(s) in "
             "state_dict' and 'Unexpected key(s) in state_dict: \"module.fc.weight\"...'. "
             "Save the inner module's state_dict (model.module / model._orig_mod), or strip "
             "the prefix; a dict comprehension that rewrites the keys is not reported. The "
             "wrapper is followed through assignments inside one function, and `self.x` "
             "through the `self.x = ...` assignments in every method of the class (reported "
             "when they all assign a wrapper: `self.model = DDP(model)` in __init__, saved in "
             "another method)."),
        bad=("model = nn.parallel.DistributedDataParallel(model)\n"
             "torch.save(model.state_dict(), \"ckpt.pt\")"),
        good="torch.save(model.module.state_dict(), \"ckpt.pt\")",
    )

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        if saves_any(site, ctx, lambda item, vals: (
                vals.kind(item, site.scope) == WRAPPED_STATE
                or self._unchanged_keys(item, site, vals))):
            yield self.hit(site, "state_dict() of a DataParallel/DDP/torch.compile wrapper: "
                                 "keys carry a 'module.'/'_orig_mod.' prefix and fail to "
                                 "load into the bare model (save model.module.state_dict())")

    @staticmethod
    def _unchanged_keys(item: ast.expr, site: CallSite, vals: Values) -> bool:
        """`{k: v for k, v in wrapper.state_dict().items()}` keeps the prefixes."""
        if not isinstance(item, ast.DictComp) or len(item.generators) != 1:
            return False
        gen = item.generators[0]
        it = gen.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute)
                and it.func.attr == "items" and not it.args):
            return False
        target = gen.target
        if not (isinstance(target, ast.Tuple) and target.elts
                and isinstance(target.elts[0], ast.Name) and isinstance(item.key, ast.Name)
                and item.key.id == target.elts[0].id):
            return False
        return vals.kind(it.func.value, site.scope) == WRAPPED_STATE


RULES = [WholeModuleSaved(), WrapperStateSaved()]
