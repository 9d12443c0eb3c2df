"""Name resolution for the WL1xx rules: scopes, bindings and an import-alias table.

One walk over a module's `ast` records, per scope, every binding of a name
(import, assignment, parameter, def, class) with its position, and every call
with the scope it sits in. A name resolves to the latest binding before its use
in the nearest scope that binds it (class bodies are skipped for nested
functions, as in Python). That is enough to tell `torch.load` from `pickle.load`,
a shadowed `torch`, or a local function named `load`, without qualified-name
metadata (DESIGN §5: the alias table matched it on every torch call in timm).
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from wlint.source import dotted_name as dotted  # re-exported: the rules' name for it

Pos = Tuple[int, int]
_END: Pos = (1 << 62, 0)
# Every rule's call mentions one of these (torch.load, load_state_dict, torch.save ...).
HOT_WORDS = ("load", "save")

# Spellings that are the same object as the canonical name on the right.
CANONICAL: Dict[str, str] = {
    "torch.serialization.load": "torch.load",
    "torch.serialization.save": "torch.save",
    "torch.jit._serialization.load": "torch.jit.load",
    "torch.utils.model_zoo.load_url": "torch.hub.load_state_dict_from_url",
    "torch.nn.parallel.DataParallel": "torch.nn.DataParallel",
    "torch.nn.parallel.data_parallel.DataParallel": "torch.nn.DataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel":
        "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.modules.module.Module": "torch.nn.Module",
    "torch.nn.modules.Module": "torch.nn.Module",
}

IMPORT, ASSIGN, PARAM, DEF, CLASS, OTHER = "import", "assign", "param", "def", "class", "other"


class Binding:
    """One place where a name gets a value."""

    __slots__ = ("annotation", "guarded", "kind", "pos", "qualname", "scope", "self_of", "value")

    def __init__(self, pos: Pos, kind: str, qualname: Optional[str] = None,
                 value: Optional[ast.AST] = None, annotation: Optional[ast.expr] = None,
                 guarded: bool = False, self_of: Optional[ast.ClassDef] = None) -> None:
        self.pos = pos
        self.kind = kind
        self.qualname = qualname
        self.value = value
        self.annotation = annotation
        self.guarded = guarded  # bound inside an `except` handler (fallback import pattern)
        self.self_of = self_of  # first parameter of a method of this class
        self.scope: Optional[Scope] = None  # set by Scope.bind: where `value` is evaluated


class Scope:
    __slots__ = ("bindings", "kind", "owner", "parent")

    def __init__(self, kind: str, parent: Optional[Scope],
                 owner: Optional[ast.ClassDef] = None) -> None:
        self.kind = kind
        self.parent = parent
        self.owner = owner  # the ClassDef of a class-body scope
        self.bindings: Dict[str, List[Binding]] = {}

    def bind(self, name: str, binding: Binding) -> None:
        binding.scope = self
        self.bindings.setdefault(name, []).append(binding)


class CallSite:
    """A call, its scope, and whether its value is thrown away (a bare statement)."""

    __slots__ = ("discarded", "node", "scope")

    def __init__(self, node: ast.Call, scope: Scope, discarded: bool) -> None:
        self.node = node
        self.scope = scope
        self.discarded = discarded


def _is_none(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _end(node: ast.AST) -> Pos:
    return (getattr(node, "end_lineno", None) or node.lineno,  # type: ignore[attr-defined]
            getattr(node, "end_col_offset", None) or 0)


def _start(node: ast.AST) -> Pos:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


class ModuleInfo:
    """Everything the rules need about one module: its calls and its names."""

    def __init__(self, tree: ast.Module, text: Optional[str] = None) -> None:
        """`text`, the module's source, lets the walk skip the bodies of functions and
        classes whose lines mention none of HOT_WORDS (nor a from-import alias):
        no rule can fire inside them, and their local names are invisible outside."""
        self._scopes: List[Scope] = []
        self.module_scope = self._scope("module", None)
        self.calls: List[CallSite] = []
        self.classes: List[Tuple[ast.ClassDef, Scope]] = []
        # id(ClassDef) -> (method scope, name of its `self` parameter)
        self.methods: Dict[int, List[Tuple[Scope, str]]] = {}
        self._discarded: Set[int] = set()
        self._lines = _split_lines(text)
        self._hot = set(HOT_WORDS)
        self._walk_body(tree.body, self.module_scope, False)

    def _scope(self, kind: str, parent: Optional[Scope],
               owner: Optional[ast.ClassDef] = None) -> Scope:
        scope = Scope(kind, parent, owner)
        self._scopes.append(scope)
        return scope

    def release(self) -> None:
        """Break the scope <-> binding reference cycles once the rules are done, so
        the tree is freed at once instead of by a (costly) garbage collection."""
        for scope in self._scopes:
            scope.bindings = {}
        self._scopes = []

    # ----------------------------------------------------------------- lookup
    def lookup(self, name: str, scope: Scope, pos: Pos) -> Optional[Binding]:
        """The binding `name` refers to at `pos` in `scope` (None: builtin/unknown)."""
        current: Optional[Scope] = scope
        immediate = True  # comprehensions run at once; function bodies run later
        while current is not None:
            if current.kind == "class" and current is not scope:
                current = current.parent
                continue
            found = current.bindings.get(name)
            if found:
                # An enclosing scope has finished running by the time a nested
                # function body executes: its final binding is the one seen.
                return _pick(found, pos if immediate else _END)
            immediate = immediate and current.kind == "comprehension"
            current = current.parent
        return None

    def attribute_bindings(self, cls: ast.ClassDef, attr: str) -> List[Binding]:
        """Every `self.<attr> = ...` in the methods of `cls` (attr: "model" or "a.b")."""
        found: List[Binding] = []
        for scope, self_name in self.methods.get(id(cls), []):
            found.extend(scope.bindings.get(f"{self_name}.{attr}", []))
        return found

    def qualname(self, expr: ast.AST, scope: Scope) -> Optional[str]:
        """Canonical dotted name of `expr` through imports (`T.load` -> `torch.load`)."""
        parts: List[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        binding = self.lookup(expr.id, scope, _start(expr))
        if binding is None or binding.kind != IMPORT or binding.qualname is None:
            return None
        name = ".".join([binding.qualname] + list(reversed(parts)))
        return CANONICAL.get(name, name)

    def local_class(self, expr: ast.AST, scope: Scope) -> Optional[ast.ClassDef]:
        """The ClassDef a bare name refers to, when it is defined in this file."""
        if not isinstance(expr, ast.Name):
            return None
        binding = self.lookup(expr.id, scope, _start(expr))
        if binding is not None and binding.kind == CLASS:
            return binding.value  # type: ignore[return-value]
        return None

    # ------------------------------------------------------------------ walk
    def _walk_body(self, body: List[ast.stmt], scope: Scope, guarded: bool) -> None:
        for stmt in body:
            self._stmt(stmt, scope, guarded)

    def _stmt(self, node: ast.stmt, scope: Scope, guarded: bool) -> None:
        handler = _STMT_HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, scope, guarded)
            return
        self._generic(node, scope, guarded)

    def _generic(self, node: ast.AST, scope: Scope, guarded: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self._stmt(child, scope, guarded)
            elif isinstance(child, ast.excepthandler):
                self._except(child, scope)  # type: ignore[arg-type]
            elif _MATCH_CASE is not None and isinstance(child, _MATCH_CASE):
                self._expr(child.pattern, scope)
                if child.guard is not None:
                    self._expr(child.guard, scope)
                self._walk_body(child.body, scope, guarded)
            else:
                self._expr(child, scope)

    def _expr(self, node: ast.AST, scope: Scope) -> None:
        kind = type(node)
        if kind is ast.Call:
            self.calls.append(CallSite(node, scope, id(node) in self._discarded))  # type: ignore[arg-type]
        elif kind is ast.Lambda:
            self._lambda(node, scope)  # type: ignore[arg-type]
            return
        elif kind in _COMPREHENSIONS:
            self._comprehension(node, scope)
            return
        elif kind is ast.NamedExpr:
            target = node.target  # type: ignore[attr-defined]
            self._expr(node.value, scope)  # type: ignore[attr-defined]
            scope.bind(target.id, Binding(_end(node), ASSIGN, value=node.value))  # type: ignore[attr-defined]
            return
        elif kind is ast.Name or kind is ast.Constant:
            return
        for child in ast.iter_child_nodes(node):
            self._expr(child, scope)

    # statements -------------------------------------------------------------
    def _import(self, node: ast.Import, scope: Scope, guarded: bool) -> None:
        pos = _end(node)
        for alias in node.names:
            if alias.asname:
                scope.bind(alias.asname, Binding(pos, IMPORT, alias.name, guarded=guarded))
            else:
                top = alias.name.split(".", 1)[0]
                scope.bind(top, Binding(pos, IMPORT, top, guarded=guarded))

    def _import_from(self, node: ast.ImportFrom, scope: Scope, guarded: bool) -> None:
        pos = _end(node)
        base = node.module if not node.level else None
        for alias in node.names:
            if alias.name == "*":
                continue
            qual = f"{base}.{alias.name}" if base else None
            scope.bind(alias.asname or alias.name, Binding(pos, IMPORT, qual, guarded=guarded))
            if alias.asname:
                self._hot.add(alias.asname)  # `from torch import load as tl`: tl(...) is hot

    def _assign(self, node: ast.Assign, scope: Scope, guarded: bool) -> None:
        self._expr(node.value, scope)
        for target in node.targets:
            self._target(target, scope, _end(node), node.value, None, guarded)

    def _ann_assign(self, node: ast.AnnAssign, scope: Scope, guarded: bool) -> None:
        self._expr(node.annotation, scope)
        if node.value is not None:
            self._expr(node.value, scope)
        self._target(node.target, scope, _end(node), node.value, node.annotation, guarded)

    def _target(self, target: ast.expr, scope: Scope, pos: Pos, value: Optional[ast.expr],
                annotation: Optional[ast.expr], guarded: bool) -> None:
        if isinstance(target, ast.Name):
            kind = OTHER if value is None and annotation is None else ASSIGN
            scope.bind(target.id, Binding(pos, kind, value=value, annotation=annotation,
                                          guarded=guarded))
        elif isinstance(target, ast.Attribute):
            self._expr(target.value, scope)
            name = dotted(target)
            if name is not None:
                scope.bind(name, Binding(pos, ASSIGN, value=value, annotation=annotation,
                                         guarded=guarded))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(elt, scope, pos, None, None, guarded)
        elif isinstance(target, ast.Starred):
            self._target(target.value, scope, pos, None, None, guarded)
        else:
            self._expr(target, scope)

    def _aug_assign(self, node: ast.AugAssign, scope: Scope, guarded: bool) -> None:
        self._expr(node.value, scope)
        self._target(node.target, scope, _end(node), None, None, guarded)

    def _for(self, node: ast.For, scope: Scope, guarded: bool) -> None:
        self._expr(node.iter, scope)
        self._target(node.target, scope, _start(node), None, None, guarded)
        self._walk_body(node.body, scope, guarded)
        self._walk_body(node.orelse, scope, guarded)

    def _with(self, node: ast.With, scope: Scope, guarded: bool) -> None:
        for item in node.items:
            self._expr(item.context_expr, scope)
            if item.optional_vars is not None:
                self._target(item.optional_vars, scope, _start(node), None, None, guarded)
        self._walk_body(node.body, scope, guarded)

    def _except(self, node: ast.ExceptHandler, scope: Scope) -> None:
        if node.type is not None:
            self._expr(node.type, scope)
        if node.name:
            scope.bind(node.name, Binding(_start(node), OTHER, guarded=True))
        self._walk_body(node.body, scope, True)

    def _expr_stmt(self, node: ast.Expr, scope: Scope, guarded: bool) -> None:
        if isinstance(node.value, ast.Call):
            self._discarded.add(id(node.value))
        self._expr(node.value, scope)

    def _function(self, node: ast.FunctionDef, scope: Scope, guarded: bool) -> None:
        for deco in node.decorator_list:
            self._expr(deco, scope)
        self._arguments(node.args, scope)
        if node.returns is not None:
            self._expr(node.returns, scope)
        scope.bind(node.name, Binding(_start(node), DEF, value=node, guarded=guarded))
        inner = self._scope("function", scope)
        self_of = _method_class(node, scope)
        self._bind_params(node.args, inner, _start(node), self_of)
        params = _all_params(node.args)
        if self_of is not None and params:
            self.methods.setdefault(id(self_of), []).append((inner, params[0].arg))
        # every method of a (hot) class is walked: `self.model = DDP(...)` in __init__
        # decides what `self.model.state_dict()` saves in another method
        if self_of is not None or not self._cold(node):
            self._walk_body(node.body, inner, False)

    def _class(self, node: ast.ClassDef, scope: Scope, guarded: bool) -> None:
        for deco in node.decorator_list:
            self._expr(deco, scope)
        for base in node.bases:
            self._expr(base, scope)
        for kw in node.keywords:
            self._expr(kw.value, scope)
        scope.bind(node.name, Binding(_start(node), CLASS, value=node, guarded=guarded))
        inner = self._scope("class", scope, node)
        self.classes.append((node, scope))
        if not self._cold(node):
            self._walk_body(node.body, inner, False)

    def _cold(self, node: ast.stmt) -> bool:
        """No hot word anywhere in the lines of this def/class: nothing to find inside."""
        if self._lines is None:
            return False
        segment = "".join(self._lines[node.lineno - 1:node.end_lineno])
        return not any(word in segment for word in self._hot)

    # expressions with scopes ------------------------------------------------
    def _arguments(self, args: ast.arguments, scope: Scope) -> None:
        for default in list(args.defaults) + [d for d in args.kw_defaults if d is not None]:
            self._expr(default, scope)
        for arg in _all_params(args):
            if arg.annotation is not None:
                self._expr(arg.annotation, scope)

    def _bind_params(self, args: ast.arguments, inner: Scope, pos: Pos,
                     self_of: Optional[ast.ClassDef]) -> None:
        for index, arg in enumerate(_all_params(args)):
            inner.bind(arg.arg, Binding(pos, PARAM, annotation=arg.annotation,
                                        self_of=self_of if index == 0 else None))

    def _lambda(self, node: ast.Lambda, scope: Scope) -> None:
        self._arguments(node.args, scope)
        inner = self._scope("function", scope)
        self._bind_params(node.args, inner, _start(node), None)
        self._expr(node.body, inner)

    def _comprehension(self, node: ast.AST, scope: Scope) -> None:
        inner = self._scope("comprehension", scope)
        for gen in node.generators:  # type: ignore[attr-defined]
            self._expr(gen.iter, inner)
            self._target(gen.target, inner, _start(node), None, None, False)
            for cond in gen.ifs:
                self._expr(cond, inner)
        for field in ("elt", "key", "value"):
            child = getattr(node, field, None)
            if child is not None:
                self._expr(child, inner)


def _split_lines(text: Optional[str]) -> Optional[List[str]]:
    """Lines numbered as `ast` numbers them; None (no skipping) when a lone CR
    could make the numbering differ."""
    if text is None or ("\r" in text and "\r" in text.replace("\r\n", "")):
        return None
    return text.split("\n")


def _all_params(args: ast.arguments) -> List[ast.arg]:
    params = list(args.posonlyargs) + list(args.args)
    if args.vararg is not None:
        params.append(args.vararg)
    params.extend(args.kwonlyargs)
    if args.kwarg is not None:
        params.append(args.kwarg)
    return params


def _method_class(node: ast.FunctionDef, scope: Scope) -> Optional[ast.ClassDef]:
    """The class whose instance the first parameter is, for a plain method."""
    if scope.kind != "class":
        return None
    for deco in node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
            return None
    return scope.owner


def _pick(bindings: List[Binding], pos: Pos) -> Binding:
    """Latest binding before `pos`; a fallback `x = None` or an `except` branch
    never hides an import of the same name (`try: import torch / except: torch = None`)."""
    has_import = any(b.kind == IMPORT for b in bindings)
    usable = [
        b for b in bindings
        if not (has_import and b.kind != IMPORT and (b.guarded or _is_none(b.value)))
    ] or bindings
    before = [b for b in usable if b.pos < pos]
    return max(before, key=_binding_pos) if before else usable[-1]


def _binding_pos(binding: Binding) -> Pos:
    return binding.pos


_MATCH_CASE = getattr(ast, "match_case", None)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)

_STMT_HANDLERS: Dict[type, Callable[[ModuleInfo, Any, Scope, bool], None]] = {
    ast.Import: ModuleInfo._import,
    ast.ImportFrom: ModuleInfo._import_from,
    ast.Assign: ModuleInfo._assign,
    ast.AnnAssign: ModuleInfo._ann_assign,
    ast.AugAssign: ModuleInfo._aug_assign,
    ast.For: ModuleInfo._for,
    ast.AsyncFor: ModuleInfo._for,
    ast.With: ModuleInfo._with,
    ast.AsyncWith: ModuleInfo._with,
    ast.Expr: ModuleInfo._expr_stmt,
    ast.FunctionDef: ModuleInfo._function,
    ast.AsyncFunctionDef: ModuleInfo._function,
    ast.ClassDef: ModuleInfo._class,
}
