"""Abstract interpreter: runs `__init__` bodies (and what they call) over the value
lattice of `wlint.model.values`, building `ModuleInst` trees without importing
anything.

Precision first: whatever cannot be known becomes `Unknown` and, when it could
change the state_dict, a note (line + reason) that ends up in
`Prediction.unresolved`. Branches on unknown conditions run both arms and mark
what they register with the condition's source text. A step budget bounds the
work on any input.
"""

from __future__ import annotations

import ast
import contextlib
import math
import posixpath
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from wlint.model.layers import Layer, lookup
from wlint.model.resolve import SourceTree, import_roots, module_file, parse_source, resolve_import
from wlint.model.symbolic import Sym, opaque, render
from wlint.model.signals import (
    BreakSig, BudgetExceeded, CannotInterpret, ContinueSig, RaiseSig, ReturnSig,
)
from wlint.model.values import (
    MISSING, BoundMethod, Builtin, ClassMethod, Conditional, EnumeratedRun, ExternalRef, FieldSpec,
    Function, ItemsIterator, ModuleInst, ModuleNamespace, Partial, PlainInstance, Property, Repeated,
    StaticMethod, SuperProxy, SymbolicBool, SymbolicFloat, SymbolicObject, SymbolicRange, Tensor,
    TorchRef, TrackedList, Unknown, UserClass, is_unknownish, sym_text, to_sym, value_text,
)

MAX_STEPS = 1_000_000
MAX_DEPTH = 60
MAX_ITEMS = 200_000  # longest sequence the interpreter materialises
LOOP_ATOMS = ("i", "j", "k", "l", "m")


class Scope:
    __slots__ = ("module", "parent", "vars")

    def __init__(self, vars: Dict[str, Any], parent: Optional[Scope], module: ModuleNamespace) -> None:
        self.vars = vars
        self.parent = parent
        self.module = module


class Interpreter:
    """One prediction session over one source tree."""

    def __init__(self, tree: SourceTree, main_relpath: str, extra_roots: Tuple[str, ...] = (),
                 max_steps: int = MAX_STEPS) -> None:
        self.tree = tree
        self.main = main_relpath
        self.roots = import_roots(tree, main_relpath, extra_roots)
        self.modules: Dict[str, ModuleNamespace] = {}
        self.notes: List[Tuple[str, int, str]] = []
        self._note_set: set = set()
        self.steps = 0
        self.max_steps = max_steps
        self.conds: List[str] = []
        self.loop_atoms: List[str] = []
        self.uses: Dict[Tuple[str, str], None] = {}
        self.migrates = False
        self.path = main_relpath
        self.depth = 0
        self.builtins = _builtins()  # shared: read-only, Builtin objects are never mutated
        self._comp_atoms: List[Tuple[str, int]] = []
        self.pass_ids: List[int] = []  # parallel to loop_atoms
        self.pass_counter = 0
        self.loading = 0  # > 0 while running a module's top level
        self.maybe_module_args: List[Tuple[SymbolicObject, str, int, str]] = []

    # -- bookkeeping -------------------------------------------------------------
    def finish(self) -> None:
        """Notes that depend on the whole run (arguments that may be modules)."""
        for value, path, line, name in self.maybe_module_args:
            if value.may_module:
                self.note(line, f"`{name}` is the unknown argument `{value.name}` "
                                "(it may be a module)", path)
        self.maybe_module_args = []

    def note(self, line: int, reason: str, path: Optional[str] = None) -> None:
        if self.loading:
            return  # a module's top level: what fails there is Unknown where it is used
        key = (path or self.path, line, reason)
        if key not in self._note_set:
            self._note_set.add(key)
            self.notes.append(key)

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise BudgetExceeded()

    @property
    def cond(self) -> Optional[str]:
        return " and ".join(self.conds) if self.conds else None

    # -- modules -----------------------------------------------------------------
    def load_module(self, relpath: str) -> ModuleNamespace:
        ns = self.modules.get(relpath)
        if ns is not None:
            return ns
        ns = ModuleNamespace(relpath, self.tree)
        ns.vars["__name__"] = relpath[:-3].replace("/", ".").replace(".__init__", "")
        self.modules[relpath] = ns
        text = self.tree.read(relpath)
        if text is None:
            ns.error = f"cannot read {relpath}"
            ns.done = True
            return ns
        module, error = parse_source(text)
        if module is None:
            ns.error = error
            ns.done = True
            return ns
        ns.ast = module
        scope = Scope(ns.vars, None, ns)
        saved = (self.path, self.conds, self.loop_atoms)
        self.path, self.conds, self.loop_atoms = relpath, [], []
        self.loading += 1
        try:
            for stmt in module.body:
                self.exec_toplevel(stmt, scope)
        finally:
            self.loading -= 1
            self.path, self.conds, self.loop_atoms = saved
            ns.done = True
        return ns

    def exec_toplevel(self, stmt: ast.stmt, scope: Scope) -> None:
        try:
            self.exec_stmt(stmt, scope)
        except BudgetExceeded:
            raise
        except (ReturnSig, BreakSig, ContinueSig, RaiseSig):
            pass
        except Exception as exc:
            for name in _assigned_names(stmt):
                scope.vars[name] = Unknown(f"{name}: {_short(exc)}", stmt.lineno, True)

    def import_value(self, dotted: str, level: int, line: int) -> Any:
        """The value bound by importing module `dotted` (relative `level`)."""
        if level == 0:
            head = dotted.split(".")[0]
            if head == "torch":
                return TorchRef(dotted)
        rel = resolve_import(self.tree, self.path, dotted, level, self.roots)
        if rel is not None:
            return self.load_module(rel)
        if level > 0:
            return Unknown(f"relative import {'.' * level}{dotted} not found", line, True)
        return ExternalRef(dotted)

    def exec_import(self, node: ast.stmt, scope: Scope) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.vars[alias.asname] = self.import_value(alias.name, 0, node.lineno)
                else:
                    top = alias.name.split(".")[0]
                    value = self.import_value(top, 0, node.lineno)
                    if "." in alias.name:
                        self.import_value(alias.name, 0, node.lineno)  # load submodules
                    scope.vars[top] = value
            return
        assert isinstance(node, ast.ImportFrom)
        mod = self.import_value(node.module or "", node.level, node.lineno)
        for alias in node.names:
            if alias.name == "*":
                if isinstance(mod, ModuleNamespace):
                    for k, v in list(mod.vars.items()):
                        if not k.startswith("_"):
                            scope.vars[k] = v
                continue
            scope.vars[alias.asname or alias.name] = self.module_attr(mod, alias.name, node.lineno)

    def module_attr(self, mod: Any, name: str, line: int) -> Any:
        if isinstance(mod, ModuleNamespace):
            if name in mod.vars:
                return mod.vars[name]
            folder = posixpath.dirname(mod.relpath)
            if mod.relpath.endswith("__init__.py"):
                sub = module_file(self.tree, folder, name)
                if sub is not None:
                    return self.load_module(sub)
            if mod.error:
                return Unknown(f"{mod.relpath}: {mod.error}", line, True)
            return Unknown(f"{name} not found in {mod.relpath}", line, True)
        if isinstance(mod, TorchRef):
            return TorchRef(f"{mod.qual}.{name}")
        if isinstance(mod, ExternalRef):
            return ExternalRef(f"{mod.qual}.{name}" if mod.qual else name)
        return Unknown(f"cannot import {name}", line, True)

    # -- statements --------------------------------------------------------------
    def exec_block(self, stmts: Sequence[ast.stmt], scope: Scope) -> None:
        for stmt in stmts:
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, node: ast.stmt, scope: Scope) -> None:
        self.step()
        handler = _STMT.get(type(node))
        if handler is None:
            self.note(node.lineno, f"unsupported statement {type(node).__name__}")
            return
        handler(self, node, scope)

    def guarded(self, node: ast.stmt, scope: Scope, fn: Callable[[], None]) -> None:
        """Run one statement; an interpreter failure becomes a note, not a crash."""
        try:
            fn()
        except (BudgetExceeded, ReturnSig, BreakSig, ContinueSig, RaiseSig):
            raise
        except RecursionError:
            raise
        except Exception as exc:
            self.note(node.lineno, f"cannot interpret `{_src(node)}`: {_short(exc)}")
            for name in _assigned_names(node):
                if name not in scope.vars or not isinstance(scope.vars.get(name), ModuleInst):
                    scope.vars[name] = Unknown(_short(exc), node.lineno, True)

    def s_expr(self, node: ast.Expr, scope: Scope) -> None:
        if isinstance(node.value, ast.Constant):
            return
        self.guarded(node, scope, lambda: self.eval(node.value, scope))

    def s_assign(self, node: ast.Assign, scope: Scope) -> None:
        def run() -> None:
            value = self.eval(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope, node)
        self.guarded(node, scope, run)

    def s_annassign(self, node: ast.AnnAssign, scope: Scope) -> None:
        if node.value is None:
            return
        self.guarded(node, scope, lambda: self.assign(node.target, self.eval(node.value, scope),
                                                      scope, node))

    def s_augassign(self, node: ast.AugAssign, scope: Scope) -> None:
        def run() -> None:
            current = self.eval(_as_load(node.target), scope)
            rhs = self.eval(node.value, scope)
            if isinstance(node.op, ast.Add) and isinstance(current, ModuleInst):
                self.container_extend(current, rhs, node)
                return
            if isinstance(node.op, ast.Add) and isinstance(current, list):
                self.list_extend(current, rhs)
                return
            if isinstance(node.op, ast.BitOr) and isinstance(current, dict) and isinstance(rhs, dict):
                current.update(rhs)
                return
            self.assign(node.target, self.binop(node.op, current, rhs, node), scope, node)
        self.guarded(node, scope, run)

    def s_return(self, node: ast.Return, scope: Scope) -> None:
        value = None
        if node.value is not None:
            try:
                value = self.eval(node.value, scope)
            except (BudgetExceeded, RecursionError):
                raise
            except Exception as exc:
                value = Unknown(_short(exc), node.lineno, True)
        raise ReturnSig(value)

    def s_pass(self, node: ast.stmt, scope: Scope) -> None:
        return

    def s_break(self, node: ast.stmt, scope: Scope) -> None:
        raise BreakSig()

    def s_continue(self, node: ast.stmt, scope: Scope) -> None:
        raise ContinueSig()

    def s_raise(self, node: ast.Raise, scope: Scope) -> None:
        raise RaiseSig()

    def s_delete(self, node: ast.Delete, scope: Scope) -> None:
        for target in node.targets:
            self.guarded(node, scope, lambda t=target: self.delete(t, scope))

    def s_import(self, node: ast.stmt, scope: Scope) -> None:
        self.guarded(node, scope, lambda: self.exec_import(node, scope))

    def s_functiondef(self, node: ast.FunctionDef, scope: Scope) -> None:
        func: Any = Function(node, scope, scope.module, owner=scope.vars.get("__wlint_class__"))
        for dec in reversed(node.decorator_list):
            func = self.decorate(func, dec, scope)
        scope.vars[node.name] = func

    def decorate(self, func: Any, dec: ast.expr, scope: Scope) -> Any:
        name = dotted_name(dec.func if isinstance(dec, ast.Call) else dec) or ""
        last = name.rsplit(".", 1)[-1]
        if last == "staticmethod":
            return StaticMethod(func)
        if last == "classmethod":
            return ClassMethod(func)
        if last in ("property", "cached_property"):
            return Property(func)
        return func  # unknown decorators (wraps, torch.no_grad, jit) keep the function

    def s_classdef(self, node: ast.ClassDef, scope: Scope) -> None:
        cls = UserClass(node, scope.module, scope)
        scope.vars[node.name] = cls
        self.guarded(node, scope, lambda: self.init_class(cls))

    def init_class(self, cls: UserClass) -> None:
        node, scope = cls.node, cls.scope
        bases: List[Any] = []
        for b in node.bases:
            try:
                value = self.eval(b, scope)
            except (BudgetExceeded, RecursionError):
                raise
            except Exception as exc:
                value = Unknown(_short(exc), node.lineno, True)
            bases.append(value)
        cls.bases = bases
        cls.mro = _c3(cls)
        cls.is_module = any(_is_torch_module_ref(b) or (isinstance(b, UserClass) and b.is_module)
                            for b in cls.mro[1:])
        for dec in node.decorator_list:
            name = dotted_name(dec.func if isinstance(dec, ast.Call) else dec) or ""
            if name.rsplit(".", 1)[-1] == "dataclass":
                cls.is_dataclass = True
        if any(isinstance(b, ExternalRef) and b.qual.rsplit(".", 1)[-1] == "NamedTuple"
               for b in bases):
            cls.is_dataclass = True
        body_scope = Scope(cls.ns, scope, scope.module)
        cls.ns["__wlint_class__"] = cls
        saved = self.path
        self.path = cls.module.relpath
        try:
            for stmt in node.body:
                with contextlib.suppress(ReturnSig, BreakSig, ContinueSig, RaiseSig):
                    self.exec_stmt(stmt, body_scope)
        finally:
            self.path = saved
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if "ClassVar" in _src(stmt.annotation):
                    continue
                cls.fields.append((stmt.target.id, stmt.value is not None))
        cls.ready = True

    def s_if(self, node: ast.If, scope: Scope) -> None:
        try:
            test = self.eval(node.test, scope)
        except (BudgetExceeded, RecursionError):
            raise
        except Exception as exc:
            test = Unknown(_short(exc), node.lineno)
        truth = self.truth(test)
        if truth is True:
            self.exec_block(node.body, scope)
        elif truth is False:
            self.exec_block(node.orelse, scope)
        else:
            self.fork(_cond_source(node.test, test), node.body, node.orelse, scope, node)

    def fork(self, cond: str, body: Sequence[ast.stmt], orelse: Sequence[ast.stmt], scope: Scope,
             node: ast.stmt) -> None:
        """Run both arms of a branch on an unknown condition, marking what they register."""
        selfobj = scope.vars.get("self")
        attrs0 = dict(selfobj.attrs) if isinstance(selfobj, (ModuleInst, PlainInstance)) else None
        vars0 = dict(scope.vars)
        outcomes = []
        for arm, arm_cond in ((body, cond), (orelse, f"not ({cond})")):
            scope.vars.clear()
            scope.vars.update(vars0)
            if attrs0 is not None:
                selfobj.attrs.clear()
                selfobj.attrs.update(attrs0)
            self.conds.append(arm_cond)
            status = "ok"
            try:
                self.exec_block(arm, scope)
            except RaiseSig:
                status = "raise"
            except ReturnSig:
                status = "return"
            except (BreakSig, ContinueSig):
                status = "jump"
            finally:
                self.conds.pop()
            outcomes.append((status, dict(scope.vars),
                             dict(selfobj.attrs) if attrs0 is not None else None))
        live = [o for o in outcomes if o[0] != "raise"]
        if not live:
            raise RaiseSig()
        if any(o[0] in ("return", "jump") for o in live):
            if len(live) == 1 and live[0][0] == "ok":
                pass
            else:
                self.note(node.lineno, f"control flow depends on unknown condition `{cond}`")
                if any(o[0] == "return" for o in live):
                    raise ReturnSig(Unknown(f"result depends on `{cond}`", node.lineno, True))
        live = [o for o in live if o[0] == "ok"] or live
        self._merge(scope.vars, [o[1] for o in live], cond, node)
        if attrs0 is not None:
            self._merge(selfobj.attrs, [o[2] for o in live], cond, node)

    def _merge(self, target: Dict[str, Any], versions: List[Dict[str, Any]], cond: str,
               node: ast.stmt) -> None:
        target.clear()
        names: Dict[str, None] = {}
        for v in versions:
            names.update(dict.fromkeys(v))
        for name in names:
            values = [v.get(name, MISSING) for v in versions]
            first = values[0]
            if all(_same(first, other) for other in values[1:]):
                if first is not MISSING:
                    target[name] = first
            else:
                target[name] = Unknown(f"`{name}` depends on `{cond}`", node.lineno, True)

    def s_for(self, node: ast.For, scope: Scope) -> None:
        try:
            iterable = self.eval(node.iter, scope)
        except (BudgetExceeded, RecursionError):
            raise
        except Exception as exc:
            iterable = Unknown(_short(exc), node.lineno)
        items = self.iterate(iterable, node)
        if items is None:
            self.note(node.lineno, f"cannot iterate over `{_src(node.iter)}`")
            self.poison(node, scope, f"assigned in a loop over `{_src(node.iter)}`")
            return
        broke = False
        if isinstance(iterable, SymbolicRange) and not isinstance(to_sym(iterable.stop), (int, Sym)):
            self.note(node.lineno, f"number of iterations of `{_src(node.iter)}` is unknown")
        for item in items:
            if isinstance(item, Repeated):
                if self.sym_iteration(node.target, item, node.body, scope, node):
                    broke = True
                    break
                continue
            self.assign(node.target, item, scope, node)
            try:
                self.exec_block(node.body, scope)
            except BreakSig:
                broke = True
                break
            except ContinueSig:
                continue
        if not broke:
            self.exec_block(node.orelse, scope)

    def sym_iteration(self, target: ast.expr, item: Repeated, body: Sequence[ast.stmt], scope: Scope,
                      node: ast.stmt) -> bool:
        """One pass over the body standing for a loop of unknown length."""
        atom = LOOP_ATOMS[min(len(self.loop_atoms), len(LOOP_ATOMS) - 1)]
        value = _rep_value(item, atom)
        vars0 = dict(scope.vars)
        selfobj = scope.vars.get("self")
        attrs0 = dict(selfobj.attrs) if isinstance(selfobj, (ModuleInst, PlainInstance)) else None
        self.loop_atoms.append(atom)
        self.pass_counter += 1
        self.pass_ids.append(self.pass_counter)
        broke = False
        try:
            self.assign(target, value, scope, node)
            self.exec_block(body, scope)
        except BreakSig:
            broke = True
        except ContinueSig:
            pass
        finally:
            self.loop_atoms.pop()
            self.pass_ids.pop()
        targets = set(_target_names(target))
        for name, old in vars0.items():
            if name in targets:
                continue
            new = scope.vars.get(name, MISSING)
            if not _same(old, new):
                self.note(node.lineno, f"`{name}` changes in every iteration of a loop of unknown "
                                       "length: shapes after the first iteration are unknown")
                scope.vars[name] = Unknown(f"`{name}` changes in a loop of unknown length",
                                           node.lineno, True)
        if attrs0 is not None:
            for name, old in attrs0.items():
                if not _same(old, selfobj.attrs.get(name, MISSING)):
                    self.note(node.lineno, f"`self.{name}` changes in every iteration of a loop "
                                           "of unknown length")
                    selfobj.attrs[name] = Unknown("changes in a loop", node.lineno, True)
        return broke

    def s_while(self, node: ast.While, scope: Scope) -> None:
        while True:
            self.step()
            truth = self.truth(self.eval(node.test, scope))
            if truth is None:
                self.note(node.lineno, f"while loop on unknown condition `{_src(node.test)}`")
                self.poison(node, scope, f"assigned in a loop on `{_src(node.test)}`")
                return
            if not truth:
                self.exec_block(node.orelse, scope)
                return
            try:
                self.exec_block(node.body, scope)
            except BreakSig:
                return
            except ContinueSig:
                continue

    def poison(self, node: ast.stmt, scope: Scope, reason: str) -> None:
        """Variables and `self` attributes a skipped body would assign become unknown,
        so no stale value is used afterwards."""
        selfobj = scope.vars.get("self")
        for sub in ast.walk(node):
            targets: List[ast.expr] = []
            if isinstance(sub, ast.Assign):
                targets = list(sub.targets)
            elif isinstance(sub, (ast.AugAssign, ast.AnnAssign, ast.For, ast.NamedExpr)):
                targets = [sub.target]
            for t in targets:
                for name in _target_names(t):
                    scope.vars[name] = Unknown(reason, node.lineno, True)
                for a in ast.walk(t):
                    if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and \
                            a.value.id == "self" and isinstance(selfobj, (ModuleInst, PlainInstance)) and \
                            a.attr in selfobj.attrs:
                        selfobj.attrs[a.attr] = Unknown(reason, node.lineno, True)

    def s_with(self, node: ast.With, scope: Scope) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self.assign(item.optional_vars, Unknown("context manager value", node.lineno),
                            scope, node)
        self.exec_block(node.body, scope)

    def s_try(self, node: ast.Try, scope: Scope) -> None:
        try:
            self.exec_block(node.body, scope)
        except RaiseSig:
            if node.handlers:
                self.exec_block(node.handlers[0].body, scope)
            else:
                raise
        else:
            self.exec_block(node.orelse, scope)
        finally:
            self.exec_block(node.finalbody, scope)

    def s_nothing(self, node: ast.stmt, scope: Scope) -> None:
        return

    # -- assignment ------------------------------------------------------------------
    def assign(self, target: ast.expr, value: Any, scope: Scope, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            scope.vars[target.id] = value
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            self.setattr(obj, target.attr, value, node)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            key = self.eval(target.slice, scope)
            self.setitem(obj, key, value, node)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.iterate(value, node)
            if items is None or any(isinstance(i, Repeated) for i in items):
                for name in _target_names(target):
                    scope.vars[name] = Unknown("cannot unpack", node.lineno, True)
                return
            stars = [i for i, e in enumerate(target.elts) if isinstance(e, ast.Starred)]
            if stars:
                s = stars[0]
                after = len(target.elts) - s - 1
                parts = items[:s] + [TrackedList(items[s:len(items) - after])] + items[len(items) - after:]
                for elt, v in zip(target.elts, parts):
                    self.assign(elt.value if isinstance(elt, ast.Starred) else elt, v, scope, node)
                return
            if len(items) != len(target.elts):
                raise CannotInterpret("unpacking length mismatch")
            for elt, v in zip(target.elts, items):
                self.assign(elt, v, scope, node)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope, node)
        else:
            raise CannotInterpret(f"cannot assign to {type(target).__name__}")

    def delete(self, target: ast.expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope.vars.pop(target.id, None)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            if isinstance(obj, ModuleInst):
                for d in (obj.params, obj.buffers, obj.modules, obj.attrs):
                    d.pop(target.attr, None)
                obj.nonpersistent.discard(target.attr)
            elif isinstance(obj, PlainInstance):
                obj.attrs.pop(target.attr, None)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            key = self.eval(target.slice, scope)
            if isinstance(obj, ModuleInst):
                names = list(obj.modules)
                if isinstance(key, int) and not isinstance(key, bool):
                    obj.modules.pop(names[key], None)
                else:
                    obj.modules.pop(str(key), None)
            elif isinstance(obj, (list, dict)):
                del obj[key]

    def setattr(self, obj: Any, name: str, value: Any, node: ast.AST) -> None:
        if isinstance(obj, ModuleInst):
            self.module_setattr(obj, name, value, node)
        elif isinstance(obj, PlainInstance):
            obj.attrs[name] = value
        elif isinstance(obj, UserClass):
            obj.ns[name] = value
        elif isinstance(obj, ModuleNamespace):
            obj.vars[name] = value

    def module_setattr(self, inst: ModuleInst, name: str, value: Any, node: ast.AST) -> None:
        """torch's Module.__setattr__ over the abstract slots."""
        line = getattr(node, "lineno", 0)
        if isinstance(value, Conditional):
            for cond, v in value.items:
                self.conds.append(cond or "True")
                try:
                    self.module_setattr(inst, name, v, node)
                finally:
                    self.conds.pop()
            return
        if isinstance(value, Tensor) and value.param:
            for d in (inst.attrs, inst.buffers, inst.modules):
                d.pop(name, None)
            inst.nonpersistent.discard(name)
            self.set_slot(inst.params, name, value, owner=inst)
        elif name in inst.params:
            if value is not None and not isinstance(value, Tensor):
                self.note(line, f"cannot tell what is assigned to parameter `{name}`")
            self.set_slot(inst.params, name, None if not isinstance(value, Tensor) else value, owner=inst)
        elif isinstance(value, ModuleInst):
            for d in (inst.attrs, inst.params, inst.buffers):
                d.pop(name, None)
            inst.nonpersistent.discard(name)
            self.set_slot(inst.modules, name, value, owner=inst)
        elif name in inst.modules:
            if value is not None:
                self.note(line, f"cannot tell what is assigned to submodule `{name}`"
                          + (f": {value.reason}" if isinstance(value, Unknown) else ""))
            self.set_slot(inst.modules, name, None, owner=inst)
        elif name in inst.buffers:
            self.set_slot(inst.buffers, name, value if isinstance(value, Tensor) else None, owner=inst)
        else:
            if isinstance(value, Unknown) and value.may_module:
                self.note(line, f"cannot tell whether `{name}` is a submodule: {value.reason}")
            elif isinstance(value, SymbolicObject) and value.may_module:
                # decided at the end: an argument also used as a number is no module
                self.maybe_module_args.append((value, self.path, line, name))
            elif isinstance(value, (list, tuple)) and any(isinstance(v, Repeated) for v in value):
                pass
            inst.attrs[name] = value

    def set_slot(self, slots: Dict[str, Any], name: str, value: Any,
                 owner: Optional[ModuleInst] = None) -> None:
        """Store into a slot; inside unknown branches entered after `owner` was
        created, the slot becomes conditional (`Conditional`)."""
        base = owner.cond_depth if owner is not None else 0
        conds = self.conds[base:]
        cond = " and ".join(conds) if conds else None
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
            slots[name] = Conditional([(f"not ({cond})", old), (cond, value)])

    def setitem(self, obj: Any, key: Any, value: Any, node: ast.AST) -> None:
        if isinstance(obj, ModuleInst):
            if obj.kind == "ModuleDict" or (isinstance(key, str)):
                self.module_setattr(obj, str(key), value, node)
            elif isinstance(key, int) and not isinstance(key, bool):
                names = list(obj.modules)
                self.module_setattr(obj, names[key], value, node)
            else:
                self.note(getattr(node, "lineno", 0), "unknown container index")
        elif isinstance(obj, (list, dict)):
            if isinstance(key, (Sym, SymbolicObject, Unknown)):
                raise CannotInterpret("unknown index")
            obj[key] = value
        elif isinstance(obj, PlainInstance):
            obj.attrs[str(key)] = value

    # -- expressions -----------------------------------------------------------------
    def eval(self, node: ast.expr, scope: Scope) -> Any:
        self.steps += 1
        handler = _EXPR.get(type(node))
        if handler is None:
            return Unknown(f"unsupported expression {type(node).__name__}", node.lineno)
        return handler(self, node, scope)

    def e_constant(self, node: ast.Constant, scope: Scope) -> Any:
        return node.value

    def e_name(self, node: ast.Name, scope: Scope) -> Any:
        name = node.id
        s: Optional[Scope] = scope
        while s is not None:
            if name in s.vars:
                return s.vars[name]
            s = s.parent
        if name in scope.module.vars:
            return scope.module.vars[name]
        if name in self.builtins:
            return self.builtins[name]
        if not self.loading:
            self.note(node.lineno, f"name `{name}` is not defined")
        return Unknown(f"name `{name}` is not defined", node.lineno, True)

    def e_attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        obj = self.eval(node.value, scope)
        return self.getattr(obj, node.attr, node)

    def e_tuple(self, node: ast.Tuple, scope: Scope) -> Any:
        return tuple(self.eval_elts(node.elts, scope, node))

    def e_list(self, node: ast.List, scope: Scope) -> Any:
        out = TrackedList(self.eval_elts(node.elts, scope, node))
        out.depth = len(self.loop_atoms)
        out.cond_depth = len(self.conds)
        return out

    def e_set(self, node: ast.Set, scope: Scope) -> Any:
        items = self.eval_elts(node.elts, scope, node)
        try:
            return set(items)
        except TypeError:
            return Unknown("unhashable set item", node.lineno)

    def eval_elts(self, elts: Sequence[ast.expr], scope: Scope, node: ast.AST) -> List[Any]:
        out: List[Any] = []
        for e in elts:
            if isinstance(e, ast.Starred):
                items = self.iterate(self.eval(e.value, scope), node)
                if items is None:
                    raise CannotInterpret(f"cannot unpack `{_src(e.value)}`")
                out.extend(items)
            else:
                out.append(self.eval(e, scope))
        return out

    def e_dict(self, node: ast.Dict, scope: Scope) -> Any:
        out: Dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                other = self.eval(v, scope)
                if isinstance(other, dict):
                    out.update(other)
                else:
                    raise CannotInterpret("cannot unpack mapping")
            else:
                key = self.eval(k, scope)
                _check_key(key)
                out[key] = self.eval(v, scope)
        return out

    def e_joinedstr(self, node: ast.JoinedStr, scope: Scope) -> Any:
        parts: List[str] = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
                continue
            assert isinstance(v, ast.FormattedValue)
            value = self.eval(v.value, scope)
            spec = ""
            if v.format_spec is not None:
                spec_v = self.e_joinedstr(v.format_spec, scope)
                if not isinstance(spec_v, str):
                    return spec_v
                spec = spec_v
            text = self.to_str(value, spec, v.conversion)
            if not isinstance(text, str):
                return text
            parts.append(text)
        return "".join(parts)

    def to_str(self, value: Any, spec: str = "", conversion: int = -1) -> Any:
        if isinstance(value, Sym) and set(value.atoms()) & set(LOOP_ATOMS) and not spec:
            return "{" + render(value) + "}"
        if isinstance(value, (Sym, SymbolicObject, Unknown, SymbolicFloat, Tensor)):
            return Unknown("string built from an unknown value", 0, False)
        try:
            if conversion == ord("r"):
                value = repr(value)
            return format(value, spec) if spec else str(value) if isinstance(
                value, (int, float, str, bool, type(None))) else str(value_text(value))
        except (ValueError, TypeError) as exc:
            return Unknown(_short(exc))

    def e_binop(self, node: ast.BinOp, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        right = self.eval(node.right, scope)
        return self.binop(node.op, left, right, node)

    def binop(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        fn = _BINOPS.get(type(op))
        if fn is None:
            return Unknown(f"operator {type(op).__name__}", getattr(node, "lineno", 0))
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return _tensor_binop(left, right)
        if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and isinstance(
                op, ast.Add):
            out = TrackedList(list(left) + list(right)) if isinstance(left, list) else tuple(left) + tuple(right)
            return out
        if isinstance(op, ast.Mod) and isinstance(left, str):
            args = right if isinstance(right, tuple) else (right,)
            texts = [self.to_str(a) if isinstance(a, Sym) else a for a in args]
            if any(isinstance(t, Unknown) for t in texts):
                return Unknown("string built from an unknown value")
            try:
                return left % tuple(texts)
            except (TypeError, ValueError):
                return Unknown("% formatting")
        if _too_big(op, left, right):
            return Unknown("value too large to compute", getattr(node, "lineno", 0))
        left, right = to_sym(left), to_sym(right)
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return Unknown((left if isinstance(left, Unknown) else right).reason,
                           getattr(node, "lineno", 0))
        if isinstance(left, Sym) or isinstance(right, Sym):
            return _sym_binop(op, left, right)
        try:
            return fn(left, right)
        except Exception as exc:
            return Unknown(_short(exc), getattr(node, "lineno", 0))

    def e_unaryop(self, node: ast.UnaryOp, scope: Scope) -> Any:
        v = self.eval(node.operand, scope)
        if isinstance(node.op, ast.Not):
            t = self.truth(v)
            if t is not None:
                return not t
            text = _value_cond(v)
            return SymbolicBool(f"not {text}") if text else Unknown("negation of an unknown value")
        v = to_sym(v)
        if isinstance(v, (Unknown, Tensor)):
            return v if isinstance(v, Tensor) else Unknown(v.reason)
        try:
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
            if isinstance(node.op, ast.Invert):
                return ~v
        except Exception as exc:
            return Unknown(_short(exc))
        return Unknown("unary operator")

    def e_boolop(self, node: ast.BoolOp, scope: Scope) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for i, expr in enumerate(node.values):
            value = self.eval(expr, scope)
            if i == len(node.values) - 1:
                return value
            t = self.truth(value)
            if t is None:
                rest = [self.eval(e, scope) for e in node.values[i + 1:]]
                if all(_same(value, r) for r in rest):
                    return value
                nums = [to_sym(v) if isinstance(v, SymbolicObject) else v for v in [value] + rest]
                if all(isinstance(v, (int, Sym)) and not isinstance(v, bool) for v in nums):
                    word = " and " if is_and else " or "
                    return Sym.name(word.join(_bool_operand(v) for v in nums))
                return Unknown(f"depends on `{_src(expr)}`", node.lineno,
                               may_module=any(not _plainish(r) for r in [value] + rest))
            if is_and and not t:
                return value
            if not is_and and t:
                return value
        return value

    def e_compare(self, node: ast.Compare, scope: Scope) -> Any:
        left = self.eval(node.left, scope)
        result: Any = True
        for op, comp in zip(node.ops, node.comparators):
            right = self.eval(comp, scope)
            r = self.compare(op, left, right)
            if r is None:
                lt, rt = _value_cond(left), _value_cond(right)
                if lt and rt and len(node.ops) == 1:
                    result = SymbolicBool(f"{lt} {_CMP_TEXT[type(op)]} {rt}")
                else:
                    result = Unknown(f"condition `{_src(node)}` is unknown", node.lineno)
            elif r is False:
                return False
            left = right
        return result

    def compare(self, op: ast.cmpop, a: Any, b: Any) -> Optional[bool]:
        if isinstance(op, (ast.Is, ast.IsNot)):
            if (is_unknownish(a) and not isinstance(a, Tensor)) or (is_unknownish(b) and not isinstance(
                    b, Tensor)):
                if isinstance(a, Sym) or isinstance(b, Sym):
                    r = False  # an int is never None
                else:
                    return None
            else:
                r = a is b or (a is None and b is None)
                if not r and isinstance(a, (TorchRef, ExternalRef)) and isinstance(b, type(a)):
                    r = a.qual == b.qual
            return r if isinstance(op, ast.Is) else not r
        if isinstance(op, (ast.In, ast.NotIn)):
            if isinstance(b, (list, tuple, dict, str, set)) and not is_unknownish(a):
                if any(is_unknownish(x) or isinstance(x, Repeated) for x in b):
                    return None
                try:
                    r = a in b
                except TypeError:
                    return None
                return r if isinstance(op, ast.In) else not r
            return None
        a2, b2 = to_sym(a), to_sym(b)
        if isinstance(a2, (Sym, Unknown, Tensor)) or isinstance(b2, (Sym, Unknown, Tensor)):
            if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(a2, Sym) and isinstance(b2, Sym) \
                    and a2 == b2:
                return isinstance(op, ast.Eq)
            if isinstance(op, (ast.Eq, ast.NotEq)) and (isinstance(a2, (str, type(None))) or
                                                       isinstance(b2, (str, type(None)))) \
                    and (isinstance(a2, Sym) or isinstance(b2, Sym)):
                return not isinstance(op, ast.Eq)
            return None
        if isinstance(a, (SymbolicObject, SymbolicFloat, SymbolicRange)) or isinstance(b, (SymbolicObject, SymbolicFloat, SymbolicRange)):
            return None
        if isinstance(a, (TorchRef, ExternalRef)) and isinstance(b, type(a)) and isinstance(
                op, (ast.Eq, ast.NotEq)):
            return (a.qual == b.qual) == isinstance(op, ast.Eq)
        try:
            return bool(_CMP[type(op)](a, b))
        except Exception:
            return None

    def e_ifexp(self, node: ast.IfExp, scope: Scope) -> Any:
        test = self.eval(node.test, scope)
        t = self.truth(test)
        if t is True:
            return self.eval(node.body, scope)
        if t is False:
            return self.eval(node.orelse, scope)
        cond = _cond_source(node.test, test)
        self.conds.append(cond)
        try:
            a = self.eval(node.body, scope)
        finally:
            self.conds.pop()
        self.conds.append(f"not ({cond})")
        try:
            b = self.eval(node.orelse, scope)
        finally:
            self.conds.pop()
        if _same(a, b):
            return a
        if isinstance(a, (ModuleInst, type(None), Tensor)) and isinstance(
                b, (ModuleInst, type(None), Tensor)):
            return Conditional([(cond, a), (f"not ({cond})", b)])
        return Unknown(f"depends on `{cond}`", node.lineno, not (_plainish(a) and _plainish(b)))

    def e_subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        obj = self.eval(node.value, scope)
        key = self.eval(node.slice, scope)
        return self.getitem(obj, key, node)

    def e_slice(self, node: ast.Slice, scope: Scope) -> Any:
        parts = [self.eval(p, scope) if p is not None else None
                 for p in (node.lower, node.upper, node.step)]
        if any(is_unknownish(p) for p in parts):
            return Unknown("unknown slice bound", node.lineno)
        return slice(*parts)

    def e_index(self, node: Any, scope: Scope) -> Any:  # Python 3.8 ast.Index
        return self.eval(node.value, scope)

    def e_starred(self, node: ast.Starred, scope: Scope) -> Any:
        return self.eval(node.value, scope)

    def e_namedexpr(self, node: ast.NamedExpr, scope: Scope) -> Any:
        value = self.eval(node.value, scope)
        self.assign(node.target, value, scope, node)
        return value

    def e_yield(self, node: Any, scope: Scope) -> Any:
        target = scope.vars.get("__wlint_yield__")
        if not isinstance(target, TrackedList):
            return Unknown("yield outside a generator", node.lineno)
        value = self.eval(node.value, scope) if node.value is not None else None
        if isinstance(node, ast.YieldFrom):
            self.list_extend(target, value)
        else:
            target.extend(self._list_wrap(target, [value]))
        return None

    def e_lambda(self, node: ast.Lambda, scope: Scope) -> Any:
        return Function(node, scope, scope.module)

    def e_comp(self, node: Any, scope: Scope) -> Any:
        inner = Scope({}, scope, scope.module)
        out: List[Any] = []
        self.comp_loop(node, node.generators, 0, inner, out)
        if isinstance(node, ast.DictComp):
            d: Dict[Any, Any] = {}
            for k, v in out:
                if isinstance(k, Repeated) or isinstance(v, Repeated):
                    raise CannotInterpret("dict comprehension over a loop of unknown length")
                _check_key(k)
                d[k] = v
            return d
        if isinstance(node, ast.SetComp):
            return set(out)
        result = TrackedList(out)
        result.depth = len(self.loop_atoms)
        result.cond_depth = len(self.conds)
        return result

    def comp_loop(self, node: Any, gens: List[ast.comprehension], idx: int, scope: Scope,
                  out: List[Any]) -> None:
        if idx == len(gens):
            if isinstance(node, ast.DictComp):
                item: Any = (self.eval(node.key, scope), self.eval(node.value, scope))
            else:
                item = self.eval(node.elt, scope)
            for atom, pid in reversed(self._comp_atoms):
                item = Repeated(item, atom, pid)
            out.append(item)
            return
        gen = gens[idx]
        items = self.iterate(self.eval(gen.iter, scope), node)
        if items is None:
            raise CannotInterpret(f"cannot iterate over `{_src(gen.iter)}`")
        for it in items:
            self.step()
            rep = isinstance(it, Repeated)
            if rep:
                atom = LOOP_ATOMS[min(len(self.loop_atoms), len(LOOP_ATOMS) - 1)]
                self.loop_atoms.append(atom)
                self.pass_counter += 1
                self.pass_ids.append(self.pass_counter)
                self._comp_atoms.append((atom, self.pass_counter))
                it = _rep_value(it, atom)
            try:
                self.assign(gen.target, it, scope, node)
                ok = True
                for cond in gen.ifs:
                    t = self.truth(self.eval(cond, scope))
                    if t is None:
                        raise CannotInterpret(f"comprehension filter `{_src(cond)}` is unknown")
                    if not t:
                        ok = False
                        break
                if ok:
                    self.comp_loop(node, gens, idx + 1, scope, out)
            finally:
                if rep:
                    self.loop_atoms.pop()
                    self.pass_ids.pop()
                    self._comp_atoms.pop()

    def e_call(self, node: ast.Call, scope: Scope) -> Any:
        func = self.eval(node.func, scope)
        if isinstance(func, Builtin) and func.name == "super" and not node.args:
            return self.zero_arg_super(scope, node)
        if isinstance(func, Builtin) and func.name == "locals" and not node.args:
            return {k: v for k, v in scope.vars.items() if not k.startswith("__wlint")}
        args: List[Any] = []
        kwargs: Dict[str, Any] = {}
        for a in node.args:
            if isinstance(a, ast.Starred):
                items = self.iterate(self.eval(a.value, scope), node)
                if items is None:
                    return self.unknown_call(func, node, f"cannot unpack `*{_src(a.value)}`")
                args.extend(items)
            else:
                args.append(self.eval(a, scope))
        for kw in node.keywords:
            value = self.eval(kw.value, scope)
            if kw.arg is None:
                if isinstance(value, dict):
                    kwargs.update({str(k): v for k, v in value.items()})
                else:
                    return self.unknown_call(func, node, f"cannot unpack `**{_src(kw.value)}`")
            else:
                kwargs[kw.arg] = value
        return self.call(func, args, kwargs, node)

    def zero_arg_super(self, scope: Scope, node: ast.AST) -> Any:
        s: Optional[Scope] = scope
        while s is not None:
            if "__wlint_class__" in s.vars and "__wlint_self__" in s.vars:
                return SuperProxy(s.vars["__wlint_class__"], s.vars["__wlint_self__"])
            s = s.parent
        raise CannotInterpret("super() outside a method")

    def unknown_call(self, func: Any, node: ast.AST, reason: str) -> Unknown:
        return Unknown(reason, getattr(node, "lineno", 0), True)

    # -- truth, iteration -------------------------------------------------------------
    def truth(self, v: Any) -> Optional[bool]:
        if isinstance(v, (Sym, SymbolicObject, Unknown, SymbolicFloat, Tensor, SymbolicRange, Conditional, SymbolicBool)):
            if isinstance(v, Sym):
                s = v.simplify()
                if isinstance(s, int):
                    return bool(s)
            return None
        if isinstance(v, (list, tuple)) and any(isinstance(x, Repeated) for x in v):
            return None if all(isinstance(x, Repeated) for x in v) else True
        if isinstance(v, ModuleInst):
            if v.kind in ("Sequential", "ModuleList", "ModuleDict"):
                return bool(v.modules) if not any(isinstance(x, Conditional) for x in v.modules.values()) \
                    else None
            return True
        try:
            return bool(v)
        except Exception:
            return None

    def iterate(self, v: Any, node: ast.AST) -> Optional[List[Any]]:
        """Items of an iterable; `Repeated` items stand for unknown-length runs; None if unknown."""
        if isinstance(v, (list, tuple, range, str, set)):
            if len(v) > MAX_ITEMS:
                return None
            return list(v)
        if isinstance(v, dict):
            return list(v.keys())
        if isinstance(v, SymbolicRange):
            return [Repeated(v, "#")]
        if isinstance(v, ModuleInst):
            if v.kind == "ModuleDict":
                return list(v.modules.keys())
            items = list(v.modules.values())
            if any(isinstance(x, Conditional) for x in items):
                return None
            return [x for x in items]
        if isinstance(v, ItemsIterator):
            return v.items
        if isinstance(v, Tensor) and v.shape and isinstance(v.shape[0], int) and \
                v.shape[0] <= MAX_ITEMS:
            return [Tensor(tuple(v.shape[1:]), v.line, v.path) for _ in range(v.shape[0])]
        return None

    # -- attributes --------------------------------------------------------------------
    def getattr(self, obj: Any, name: str, node: ast.AST) -> Any:
        line = getattr(node, "lineno", 0)
        if isinstance(obj, ModuleInst):
            return self.module_getattr(obj, name, line)
        if isinstance(obj, (PlainInstance, ModuleInst)) and name == "__dict__":
            return obj.attrs
        if isinstance(obj, PlainInstance):
            if name in obj.attrs:
                return obj.attrs[name]
            found = self.class_attr(obj.cls, name)
            if found is not MISSING:
                return self.bind_attr(found, obj, obj.cls)
            return Unknown(f"`{obj.cls.name}` has no attribute `{name}`", line, True)
        if isinstance(obj, UserClass):
            found = self.class_attr(obj, name)
            if found is MISSING:
                return Unknown(f"class `{obj.name}` has no attribute `{name}`", line, True)
            if isinstance(found, StaticMethod):
                return found.func
            if isinstance(found, ClassMethod):
                return BoundMethod(found.func, obj)
            return found
        if isinstance(obj, SymbolicObject):
            obj.may_module = False  # read for its fields: a config, not a module
            if name == "get":
                return Builtin("get", _symobj_get, obj)
            return SymbolicObject(f"{obj.name}.{name}")
        if isinstance(obj, (ModuleNamespace, TorchRef, ExternalRef)):
            return self.module_attr(obj, name, line)
        if isinstance(obj, Tensor):
            return _tensor_attr(obj, name)
        if isinstance(obj, SuperProxy):
            return self.super_attr(obj, name, line)
        if isinstance(obj, Unknown):
            return Unknown(obj.reason, obj.line, True)
        if isinstance(obj, Partial):
            if name == "func":
                return obj.func
            if name == "keywords":
                return dict(obj.kwargs)
            if name == "args":
                return tuple(obj.args)
        if isinstance(obj, Function) and name == "__name__":
            return obj.name
        if isinstance(obj, list) and name in ("append", "extend", "insert"):
            return Builtin(name, _LIST_METHODS[name], obj)
        if isinstance(obj, (int, float, str, bytes, tuple, list, dict, set, type(None), bool)):
            try:
                attr = getattr(obj, name)
            except AttributeError:
                return Unknown(f"no attribute `{name}`", line, True)
            if callable(attr):
                return Builtin(name, _py_method(attr))
            return attr
        return Unknown(f"attribute `{name}` of {type(obj).__name__}", line, True)

    def class_attr(self, cls: UserClass, name: str) -> Any:
        for c in cls.mro:
            if isinstance(c, UserClass):
                if name in c.ns:
                    return c.ns[name]
            elif isinstance(c, TorchRef) and name == "__init__":
                return Builtin("__init__", _torch_base_init, c)
            elif isinstance(c, ExternalRef) and name == "__init__":
                return Builtin("__init__", _external_base_init, c)
        return MISSING

    def bind_attr(self, found: Any, obj: Any, cls: Any) -> Any:
        if isinstance(found, Function):
            return BoundMethod(found, obj)
        if isinstance(found, StaticMethod):
            return found.func
        if isinstance(found, ClassMethod):
            return BoundMethod(found.func, cls)
        if isinstance(found, Property):
            return self.call_function(found.func, [obj], {}, None)
        if isinstance(found, Builtin) and found.name == "__init__":
            return Builtin("__init__", found.impl, (found.self_obj, obj))
        return found

    def module_getattr(self, inst: ModuleInst, name: str, line: int) -> Any:
        if name in inst.attrs:
            return inst.attrs[name]
        if inst.cls is not None:
            found = self.class_attr(inst.cls, name)
            if found is not MISSING:
                return self.bind_attr(found, inst, inst.cls)
        for slots in (inst.params, inst.buffers, inst.modules):
            if name in slots:
                v = slots[name]
                if isinstance(v, Conditional):
                    return Unknown(f"`{name}` depends on a condition", line, True)
                return v
        method = _MODULE_METHODS.get(name)
        if method is not None:
            return Builtin(name, method, inst)
        if name == "training":
            return True
        return Unknown(f"`{inst.type_name}` has no attribute `{name}`", line, True)

    def super_attr(self, proxy: SuperProxy, name: str, line: int) -> Any:
        obj = proxy.obj
        cls = obj.cls if isinstance(obj, (ModuleInst, PlainInstance)) else obj
        if not isinstance(cls, UserClass):
            return Unknown("super() outside a user class", line, True)
        mro = cls.mro
        try:
            start = mro.index(proxy.start) + 1
        except ValueError:
            start = 1
        for c in mro[start:]:
            if isinstance(c, UserClass):
                if name in c.ns:
                    return self.bind_attr(c.ns[name], obj, cls)
                if name == "__init__" and c.is_dataclass:
                    return Builtin("__init__", _dataclass_init_of(c), obj)
            elif isinstance(c, TorchRef):
                if name == "__init__":
                    return Builtin("__init__", _torch_base_init, (c, obj))
                if isinstance(obj, ModuleInst):
                    return self.module_getattr(obj, name, line)
            elif isinstance(c, ExternalRef):
                if name == "__init__":
                    return Builtin("__init__", _external_base_init, (c, obj))
                return Unknown(f"`{name}` of third-party base `{c.qual}`", line, True)
            elif isinstance(c, Unknown):
                return Unknown(f"unknown base class: {c.reason}", line, True)
        if name == "__init__":
            return Builtin("__init__", lambda *a: None)
        return Unknown(f"super() has no attribute `{name}`", line, True)

    def getitem(self, obj: Any, key: Any, node: ast.AST) -> Any:
        line = getattr(node, "lineno", 0)
        if isinstance(obj, ModuleInst):
            if isinstance(key, str):
                v = obj.modules.get(key, MISSING)
                return v if v is not MISSING and not isinstance(v, Conditional) else Unknown(
                    f"no submodule {key!r}", line, True)
            names = list(obj.modules)
            if any("{" in n for n in names) or any(isinstance(v, Conditional) for v in obj.modules.values()):
                return Unknown("index into a container of unknown length", line, True)
            if isinstance(key, int) and not isinstance(key, bool):
                try:
                    return obj.modules[names[key]]
                except IndexError:
                    return Unknown("index out of range", line, True)
            if isinstance(key, slice):
                if obj.kind == "Sequential":
                    new = ModuleInst("Sequential", None, line, self.path, "Sequential")
                    new.cond_depth = len(self.conds)
                    new.torch_bases = ("Sequential", "Module")
                    for n in names[key]:
                        new.modules[n] = obj.modules[n]
                    return new
                new = ModuleInst(obj.kind, None, line, self.path, obj.kind)
                new.cond_depth = len(self.conds)
                new.torch_bases = (obj.kind, "Module")
                for i, n in enumerate(names[key]):
                    new.modules[str(i)] = obj.modules[n]
                return new
            return Unknown("unknown container index", line, True)
        if isinstance(obj, (list, tuple)):
            if any(isinstance(x, Repeated) for x in obj):
                return Unknown("index into a list of unknown length", line, True)
            if isinstance(key, (int, slice)):
                try:
                    out = obj[key]
                except (IndexError, TypeError):
                    return Unknown("index out of range", line, True)
                return TrackedList(out) if isinstance(out, list) else out
            return Unknown("unknown index", line, True)
        if isinstance(obj, dict):
            if is_unknownish(key):
                return Unknown("unknown key", line, True)
            try:
                return obj[key]
            except (KeyError, TypeError):
                return Unknown(f"missing key {key!r}", line, True)
        if isinstance(obj, str) and isinstance(key, (int, slice)):
            try:
                return obj[key]
            except IndexError:
                return Unknown("index out of range", line)
        if isinstance(obj, SymbolicObject):
            if isinstance(key, (str, int)):
                return SymbolicObject(f"{obj.name}[{key!r}]")
            return Unknown("unknown index", line, True)
        if isinstance(obj, Tensor):
            return Tensor(_index_shape(obj.shape, key), obj.line, obj.path)
        if isinstance(obj, (TorchRef, ExternalRef)):
            return obj  # typing generics: Optional[X], List[int]
        return Unknown(f"cannot index {type(obj).__name__}", line, True)

    # -- calls ---------------------------------------------------------------------------
    def call(self, func: Any, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
        self.step()
        line = getattr(node, "lineno", 0)
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs, node)
        if isinstance(func, BoundMethod):
            return self.call_function(func.func, [func.obj] + args, kwargs, node)
        if isinstance(func, UserClass):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, Builtin):
            return func.impl(self, func.self_obj, args, kwargs, node)
        if isinstance(func, Partial):
            merged = dict(func.kwargs)
            merged.update(kwargs)
            return self.call(func.func, list(func.args) + args, merged, node)
        if isinstance(func, TorchRef):
            return self.torch_call(func, args, kwargs, node)
        if isinstance(func, ExternalRef):
            impl = _STDLIB.get(func.qual)
            if impl is not None:
                return impl(self, None, args, kwargs, node)
            layer = _catalog_by_qualname().get(func.qual)
            if layer is not None:  # a non-torch.nn class the catalog knows (Layer.torch_path)
                inst = ModuleInst(layer.name, None, line, self.path, "layer")
                inst.cond_depth = len(self.conds)
                inst.depth = len(self.loop_atoms)
                inst.torch_bases = (layer.name, "Module")
                self.build_layer(layer, inst, args, kwargs, node)
                return inst
            if func.qual.split(".")[0] in _NON_MODULE_PACKAGES:
                return Unknown(f"`{func.qual}(...)` is not analysed", line, False)
            return Unknown(f"`{func.qual}` is third-party (not analysed)", line, True)
        if isinstance(func, ModuleInst):
            return Unknown("calling a module (forward) in __init__", line, False)
        if isinstance(func, Unknown):
            return Unknown(func.reason, line, True)
        if isinstance(func, SymbolicObject):
            return Unknown(f"calls the unknown argument `{func.name}`", line, True)
        return Unknown(f"cannot call {type(func).__name__}", line, True)

    def call_function(self, func: Function, args: List[Any], kwargs: Dict[str, Any],
                      node: Any) -> Any:
        fnode = func.node
        if self.depth >= MAX_DEPTH:
            raise CannotInterpret("call depth limit reached (recursion?)")
        scope = Scope({}, func.scope, func.module)
        self.bind_args(fnode.args, func, args, kwargs, scope, node)
        if func.owner is not None:
            scope.vars["__wlint_class__"] = func.owner
            if args:
                scope.vars["__wlint_self__"] = args[0]
        saved = self.path
        self.path = func.module.relpath
        self.depth += 1
        produced: Optional[TrackedList] = None
        if not isinstance(fnode, ast.Lambda) and _is_generator(fnode):
            produced = TrackedList()
            produced.depth = len(self.loop_atoms)
            produced.cond_depth = len(self.conds)
            scope.vars["__wlint_yield__"] = produced
        try:
            if isinstance(fnode, ast.Lambda):
                return self.eval(fnode.body, scope)
            self.exec_block(fnode.body, scope)
        except ReturnSig as ret:
            return ret.value if produced is None else produced
        except RaiseSig:
            raise
        finally:
            self.depth -= 1
            self.path = saved
        return produced

    def bind_args(self, spec: ast.arguments, func: Function, args: List[Any],
                  kwargs: Dict[str, Any], scope: Scope, node: Any) -> None:
        positional = list(getattr(spec, "posonlyargs", [])) + list(spec.args)
        names = [a.arg for a in positional]
        defaults = spec.defaults
        first_default = len(names) - len(defaults)
        bound: Dict[str, Any] = {}
        if any(isinstance(a, Repeated) for a in args) and (
                spec.vararg is None or any(isinstance(a, Repeated) for a in args[:len(names)])):
            raise CannotInterpret("positional arguments of unknown count")
        for name, value in zip(names, args):
            bound[name] = value
        extra = args[len(names):]
        if extra and spec.vararg is None:
            raise CannotInterpret(f"{func.name}() takes {len(names)} positional arguments")
        if spec.vararg is not None:
            varargs = tuple(extra)
            bound[spec.vararg.arg] = varargs
        kwonly = [a.arg for a in spec.kwonlyargs]
        extra_kw: Dict[str, Any] = {}
        for k, v in kwargs.items():
            if k in names or k in kwonly:
                if k in bound:
                    raise CannotInterpret(f"{func.name}() got multiple values for `{k}`")
                bound[k] = v
            elif spec.kwarg is not None:
                extra_kw[k] = v
            else:
                raise CannotInterpret(f"{func.name}() got an unexpected keyword argument `{k}`")
        for i, name in enumerate(names):
            if name not in bound:
                if i >= first_default:
                    bound[name] = self.eval(defaults[i - first_default], func.scope)
                else:
                    raise CannotInterpret(f"{func.name}() missing required argument `{name}`")
        for a, d in zip(spec.kwonlyargs, spec.kw_defaults):
            if a.arg not in bound:
                if d is None:
                    raise CannotInterpret(f"{func.name}() missing keyword argument `{a.arg}`")
                bound[a.arg] = self.eval(d, func.scope)
        if spec.kwarg is not None:
            bound[spec.kwarg.arg] = extra_kw
        scope.vars.update(bound)

    def instantiate(self, cls: UserClass, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
        line = getattr(node, "lineno", 0)
        if not cls.ready:
            self.init_class(cls)
        self.uses[(cls.module.relpath, cls.name)] = None
        for c in cls.mro:
            if isinstance(c, UserClass) and _defines_migration(c):
                self.migrates = True
        if cls.is_module:
            inst: Any = ModuleInst(cls.name, cls, line, self.path, "user")
            inst.cond_depth = len(self.conds)
            inst.torch_bases = tuple(c.last for c in cls.mro if isinstance(c, TorchRef))
            inst.depth = len(self.loop_atoms)
        else:
            inst = PlainInstance(cls)
        init = self.class_attr(cls, "__init__")
        if cls.is_dataclass and not (isinstance(init, Function) and init.owner is cls):
            self.dataclass_init(cls, inst, args, kwargs, node)
            post = self.class_attr(cls, "__post_init__")
            if isinstance(post, Function):
                self.call_function(post, [inst], {}, node)
            return inst
        if init is MISSING:
            if args or kwargs:
                raise CannotInterpret(f"{cls.name}() takes no arguments")
            return inst
        bound = self.bind_attr(init, inst, cls)
        if any(isinstance(c, Unknown) for c in cls.bases):
            self.note(line, f"base class of `{cls.name}` is unknown: "
                      + "; ".join(c.reason for c in cls.bases if isinstance(c, Unknown)),
                      path=self.path)
        self.call(bound, args, kwargs, node)
        return inst

    def dataclass_init(self, cls: UserClass, obj: Any, args: List[Any], kwargs: Dict[str, Any],
                       node: Any) -> None:
        fields: List[Tuple[str, Any]] = []
        seen: set = set()
        for c in reversed(cls.mro):
            if isinstance(c, UserClass) and c.is_dataclass:
                for name, _ in c.fields:
                    if name in seen:
                        fields = [(n, o) for n, o in fields if n != name]
                    seen.add(name)
                    fields.append((name, c))
        if len(args) > len(fields):
            raise CannotInterpret(f"{cls.name}() takes {len(fields)} positional arguments")
        values: Dict[str, Any] = dict(zip([n for n, _ in fields], args))
        for k, v in kwargs.items():
            if k not in seen:
                raise CannotInterpret(f"{cls.name}() got an unexpected keyword argument `{k}`")
            values[k] = v
        for name, _owner in fields:
            if name in values:
                continue
            default = self.class_attr(cls, name)
            if default is MISSING:
                raise CannotInterpret(f"{cls.name}() missing required argument `{name}`")
            if isinstance(default, FieldSpec):
                default = self.call(default.factory, [], {}, node) if default.factory is not None \
                    else default.default
            values[name] = default
        target = obj.attrs if isinstance(obj, PlainInstance) else None
        for name, value in values.items():
            if target is not None:
                target[name] = value
            else:
                self.module_setattr(obj, name, value, node)

    # -- torch -------------------------------------------------------------------------
    def torch_call(self, ref: TorchRef, args: List[Any], kwargs: Dict[str, Any], node: Any) -> Any:
        line = getattr(node, "lineno", 0)
        qual, last = ref.qual, ref.last
        if last == "__init__":
            base = TorchRef(qual.rsplit(".", 1)[0])
            if not args:
                raise CannotInterpret("__init__ without self")
            return _torch_base_init(self, (base, args[0]), args[1:], kwargs, node)
        if _is_torch_module_ref(ref):
            inst = ModuleInst(last, None, line, self.path, "layer")
            inst.cond_depth = len(self.conds)
            inst.depth = len(self.loop_atoms)
            result = self.torch_init(ref, inst, args, kwargs, node)
            if isinstance(result, Unknown):
                return result
            return inst
        fn = _TORCH_FUNCS.get(last) if qual.count(".") == 1 or qual.startswith("torch.Tensor") \
            else None
        if qual in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            fn = _parameter
        if qual.startswith("torch.nn.init."):
            return None
        if last == "from_pretrained" and qual.rsplit(".", 2)[-2] in ("Embedding", "EmbeddingBag"):
            emb = args[0] if args else kwargs.get("embeddings")
            layer = lookup(qual.rsplit(".", 2)[-2])
            if isinstance(emb, Tensor) and emb.shape is not None and len(emb.shape) == 2 and layer:
                inst = ModuleInst(layer.name, None, line, self.path, "layer")
                inst.cond_depth = len(self.conds)
                inst.torch_bases = (layer.name, "Module")
                extra = {k: v for k, v in kwargs.items() if k not in ("embeddings", "freeze")}
                self.build_layer(layer, inst, list(emb.shape), extra, node)
                return inst
        if last in _NTUPLE and ("utils" in qual or "modules" in qual):
            return _ntuple_call(args, _NTUPLE[last])
        if fn is not None:
            return fn(self, None, args, kwargs, node)
        return Unknown(f"`{qual}(...)` is not modelled", line, _may_return_module(qual))

    def torch_init(self, ref: TorchRef, inst: ModuleInst, args: List[Any], kwargs: Dict[str, Any],
                   node: Any) -> Any:
        """Run torch class `ref`'s __init__ on `inst` (a fresh layer or a subclass instance)."""
        line = getattr(node, "lineno", 0)
        last = ref.last
        container = _CONTAINERS.get(last)
        if container is not None:
            if (inst.kind in ("layer", "user") and inst.cls is None) or inst.kind == "user":
                inst.kind = last
            inst.torch_bases = tuple(dict.fromkeys(inst.torch_bases + (last, "Module")))
            return container(self, inst, args, kwargs, node)
        layer = lookup(last)
        if layer is None:
            reason = f"torch.nn.{last} is not in the layer catalog"
            self.note(line, reason)
            return Unknown(reason, line, True)
        if not inst.torch_bases:
            inst.torch_bases = (last, "Module")
        self.build_layer(layer, inst, args, kwargs, node)
        return None

    def build_layer(self, layer: Layer, inst: ModuleInst, args: List[Any], kwargs: Dict[str, Any],
                    node: Any) -> None:
        line = getattr(node, "lineno", 0)
        args = [_layer_arg(a) for a in args]
        kwargs = {k: _layer_arg(v) for k, v in kwargs.items()}
        try:
            bound = layer.bind(args, kwargs)
        except TypeError as exc:
            self.note(line, f"{layer.name}: {exc}")
            return
        for k, v in bound.items():
            if k not in inst.attrs:
                inst.attrs[k] = v
        inst.args = tuple((name, value_text(bound.get(name))) for name in layer.behaviour)
        try:
            build = layer.build(bound)
        except Exception as exc:
            self.note(line, f"cannot compute the tensors of {layer.name}: {_short(exc)}")
            return
        for reason in build.unresolved:
            self.note(line, f"{layer.name}: {reason}")
        for spec in build.tensors:
            when = self.truth(spec.when) if not isinstance(spec.when, bool) else spec.when
            if when is False:
                continue
            shape = _norm_shape(spec.shape)
            if shape is None:
                self.note(line, f"shape of {layer.name}.{spec.name} is unknown")
            tensor = Tensor(shape, line, self.path, spec.kind == "parameter")
            cond_pushed = when is None
            if cond_pushed:
                self.conds.append(_cond_text(spec.when))
            try:
                if spec.kind == "parameter":
                    self.set_slot(inst.params, spec.name, tensor, owner=inst)
                else:
                    self.set_slot(inst.buffers, spec.name, tensor, owner=inst)
                    if not spec.persistent:
                        inst.nonpersistent.add(spec.name)
            finally:
                if cond_pushed:
                    self.conds.pop()
        for child in build.children:
            self.build_child(layer, inst, child, node)

    def build_child(self, layer: Layer, inst: ModuleInst, child: Any, node: Any) -> None:
        """Register one catalog ChildSpec on `inst` (layer, caller's value, or container)."""
        line = getattr(node, "lineno", 0)
        when = self.truth(child.when) if not isinstance(child.when, bool) else child.when
        if when is False:
            return
        value: Any
        if child.layer in ("ModuleList", "Sequential"):
            value = ModuleInst(child.layer, None, line, self.path, child.layer)
            value.cond_depth = len(self.conds)
            value.torch_bases = (child.layer, "Module")
            if child.repeat is not None:
                count = _norm_dim(child.repeat)
                proto = self.child_value(layer, child.from_value, line, node)
                if proto is None:
                    return
                if isinstance(count, int):
                    for i in range(count):
                        value.modules[str(i)] = deepcopy_value(proto)
                elif isinstance(count, Sym):
                    atom = LOOP_ATOMS[min(len(self.loop_atoms), len(LOOP_ATOMS) - 1)]
                    value.modules["{" + atom + "}"] = deepcopy_value(proto)
                else:
                    self.note(line, f"{layer.name}: number of `{child.name}` is unknown")
                    return
            else:
                for sub in child.children:
                    self.build_child(layer, value, sub, node)
        elif child.layer is not None:
            sub_layer = lookup(child.layer)
            if sub_layer is None:
                self.note(line, f"{layer.name}: child layer {child.layer} not in the catalog")
                return
            value = ModuleInst(sub_layer.name, None, line, self.path, "layer")
            value.cond_depth = len(self.conds)
            value.torch_bases = (sub_layer.name, "Module")
            self.build_layer(sub_layer, value, [], dict(child.args), node)
        else:
            if getattr(child, "if_module", False) and not isinstance(
                    child.from_value, (ModuleInst, Conditional, Unknown, SymbolicObject)) and not _is_layer_call(
                    child.from_value):
                return
            value = self.child_value(layer, child.from_value, line, node)
            if value is None:
                return
        if when is None:
            self.conds.append(_cond_text(child.when))
        try:
            self.set_slot(inst.modules, child.name, value, owner=inst)
        finally:
            if when is None:
                self.conds.pop()

    def child_value(self, layer: Layer, src: Any, line: int, node: Any) -> Any:
        if isinstance(src, ModuleInst):
            return deepcopy_value(src)
        if _is_layer_call(src):
            sub_layer = lookup(src.layer)
            if sub_layer is None:
                self.note(line, f"{layer.name}: {src.layer} not in the catalog")
                return None
            value = ModuleInst(sub_layer.name, None, line, self.path, "layer")
            value.cond_depth = len(self.conds)
            value.torch_bases = (sub_layer.name, "Module")
            self.build_layer(sub_layer, value, [], dict(src.args), node)
            return value
        if isinstance(src, Conditional):
            return Conditional([(c, deepcopy_value(v)) for c, v in src.items])
        reason = src.reason if isinstance(src, Unknown) else value_text(src)
        self.note(line, f"{layer.name}: submodule argument is unknown ({reason})")
        return None

    # -- containers ----------------------------------------------------------------------
    def add_children(self, inst: ModuleInst, items: List[Any], node: Any) -> None:
        """Append modules to a Sequential/ModuleList, naming them by position.

        Items of a loop of unknown length (`Repeated`) are named by their index
        expression: one item per pass `{i}`, two items per pass `{2*i}` and
        `{2*i + 1}`, after c known items `{i + c}`."""
        line = getattr(node, "lineno", 0)
        slots = inst.params if inst.kind in ("ParameterList", "ParameterDict") else inst.modules
        names = list(slots)
        pending_rep = any("{" in n for n in names)
        index = len(names)
        optional = any(_optional(v) for v in slots.values())
        for item in items:
            if optional:
                self.note(line, f"index in {inst.type_name} depends on an unknown condition")
            optional = optional or _optional(item)
            if isinstance(item, Repeated):
                inner = item.value
                while isinstance(inner, Repeated):
                    inner = inner.value
                run = inst.run
                if run is not None and run[0] == item.pass_id and run[3] and run[3][-1] == list(
                        slots)[-1]:
                    self._extend_run(inst, slots, inner, line)
                    continue
                if pending_rep:
                    self.note(line, "two runs of unknown length in one container")
                pending_rep = True
                base = len([n for n in slots if "{" not in n])
                name = "{" + sym_text(Sym.name(item.atom) + base) + "}"
                inst.run = (item.pass_id, item.atom, base, [name])
                self._add_child(inst, name, inner, line)
                continue
            if pending_rep:
                self.note(line, "module after a run of unknown length: its index is unknown")
                name = "{?}"
            else:
                name = str(index)
            index += 1
            self._add_child(inst, name, item, line)

    def _extend_run(self, inst: ModuleInst, slots: Dict[str, Any], value: Any, line: int) -> None:
        """One more item per pass of the current run: rename the run's keys."""
        pass_id, atom, base, names = inst.run
        count = len(names) + 1
        new_names = ["{" + sym_text(Sym.name(atom) * count + base + j) + "}" for j in range(count)]
        renamed = dict(zip(names, new_names))
        items = [(renamed.get(k, k), v) for k, v in slots.items()]
        slots.clear()
        slots.update(items)
        inst.run = (pass_id, atom, base, new_names)
        self._add_child(inst, new_names[-1], value, line)

    def _add_child(self, inst: ModuleInst, name: str, value: Any, line: int) -> None:
        if isinstance(value, Conditional):
            for cond, v in value.items:
                self.conds.append(cond or "True")
                try:
                    self._add_child(inst, name, v, line)
                finally:
                    self.conds.pop()
            return
        if isinstance(value, ModuleInst) or value is None:
            self.set_slot(inst.modules, name, value, owner=inst)
            return
        if isinstance(value, Tensor) and inst.kind in ("ParameterList", "ParameterDict"):
            self.set_slot(inst.params, name, value if value.param else value.as_param(
                value.line, value.path), owner=inst)
            return
        reason = value.reason if isinstance(value, Unknown) else f"not a module: {value_text(value)}"
        self.note(line, f"cannot tell what `{name}` of {inst.type_name} is: {reason}")

    def container_extend(self, inst: ModuleInst, value: Any, node: Any) -> None:
        if isinstance(value, ModuleInst):
            items = list(value.modules.values())
        else:
            items = self.iterate(value, node)
            if items is None:
                self.note(getattr(node, "lineno", 0), "extends a container with unknown items")
                return
        self.add_children(inst, self._rep_wrap(inst, items), node)

    def _rep_wrap(self, container: Any, items: List[Any]) -> List[Any]:
        """Items appended inside a loop of unknown length to an outer container repeat."""
        depth = getattr(container, "depth", 0)
        if len(self.loop_atoms) > depth:
            atom, pid = self.loop_atoms[depth], self.pass_ids[depth]
            return [x if isinstance(x, Repeated) else Repeated(x, atom, pid) for x in items]
        return items

    def _list_wrap(self, lst: Any, items: List[Any]) -> List[Any]:
        """Items added to a list created outside the current unknown branch are
        conditional; inside a loop of unknown length they repeat."""
        items = self._rep_wrap(lst, items)
        base = getattr(lst, "cond_depth", 0)
        if len(self.conds) > base:
            cond = " and ".join(self.conds[base:])
            items = [Repeated(Conditional([(cond, x.value)]), x.atom, x.pass_id) if isinstance(x, Repeated) else
                     Conditional([(cond, x)]) for x in items]
        return items

    def list_extend(self, lst: List[Any], value: Any) -> None:
        items = self.iterate(value, None) if not isinstance(value, ModuleInst) else list(
            value.modules.values())
        if items is None:
            lst.append(Repeated(Unknown("unknown items", 0, True), "?"))
            return
        lst.extend(self._list_wrap(lst, items))


# -- helpers over values ----------------------------------------------------------------


def _is_generator(fnode: ast.AST) -> bool:
    """Whether a function body yields (nested functions and lambdas excluded); cached
    on the node."""
    hit = getattr(fnode, "_wlint_generator", None)
    if hit is None:
        stack = list(getattr(fnode, "body", []))
        hit = False
        while stack and not hit:
            node = stack.pop()
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                hit = True
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                       ast.ClassDef)):
                stack.extend(ast.iter_child_nodes(node))
        fnode._wlint_generator = hit  # type: ignore[attr-defined]
    return hit


def _too_big(op: ast.operator, a: Any, b: Any) -> bool:
    """Arithmetic whose result would be huge (a hang, not a model): `[0] * 10**9`, `2**10**9`."""
    if isinstance(op, ast.Mult):
        for seq, n in ((a, b), (b, a)):
            if isinstance(seq, (str, list, tuple, bytes)) and isinstance(n, int) and \
                    n * max(len(seq), 1) > MAX_ITEMS:
                return True
    if isinstance(op, (ast.Pow, ast.LShift)) and isinstance(b, int) and not isinstance(b, bool):
        return b > 4096 and not (isinstance(a, int) and a in (0, 1, -1))
    return False


def _optional(v: Any) -> bool:
    """A container element that exists only under a condition."""
    while isinstance(v, Repeated):
        v = v.value
    return isinstance(v, Conditional) and len(v.items) == 1


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (int, float, str, bool, Sym)):
        return bool(a == b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return False


def _plainish(v: Any) -> bool:
    return isinstance(v, (int, float, str, bool, type(None), Sym, SymbolicFloat)) or (
        isinstance(v, Unknown) and not v.may_module)


def _check_key(key: Any) -> None:
    if isinstance(key, (Sym, SymbolicObject, Unknown, Repeated)):
        raise CannotInterpret("unknown dict key")


def _is_layer_call(v: Any) -> bool:
    return type(v).__name__ == "LayerCall" and hasattr(v, "layer") and hasattr(v, "args")


def _cond_text(v: Any) -> str:
    if isinstance(v, (Sym, SymbolicObject, Unknown, SymbolicBool)) or v is None or isinstance(
            v, (int, float, str)):
        return value_text(v)
    return str(v)


def _layer_arg(v: Any) -> Any:
    if isinstance(v, SymbolicObject):
        v.may_module = False
        return v.sym()
    if isinstance(v, SymbolicFloat):
        return v.sym if v.exact else Unknown("non-integral symbolic value")
    if isinstance(v, TrackedList):
        return list(v)
    return v


def _norm_dim(d: Any) -> Any:
    if isinstance(d, bool):
        return None
    if isinstance(d, int):
        return d
    if isinstance(d, Sym):
        s = d.simplify()
        return s
    if isinstance(d, SymbolicObject):
        return d.sym()
    if isinstance(d, SymbolicFloat) and d.exact:
        return d.sym
    return None


def _norm_shape(shape: Any) -> Optional[Tuple[Any, ...]]:
    if shape is None:
        return None
    out = []
    for d in shape:
        n = _norm_dim(d)
        if n is None:
            return None
        out.append(n)
    return tuple(out)


def _operand(v: Any) -> str:
    text = sym_text(v)
    return text if text.replace("_", "a").replace(".", "a").isalnum() else f"({text})"


def _bool_operand(v: Any) -> str:
    text = sym_text(v)
    return f"({text})" if " or " in text or " and " in text or " if " in text else text


def _sym_binop(op: ast.operator, a: Any, b: Any) -> Any:
    if isinstance(a, float) or isinstance(b, float):
        other = a if isinstance(a, float) else b
        sym = b if isinstance(a, float) else a
        if isinstance(op, ast.Mult):
            if other.is_integer():
                product = sym * int(other)
                return SymbolicFloat(product, True, sym_text(product))
            return SymbolicFloat(None, False, f"{_operand(sym)}*{other!r}")
        if isinstance(op, ast.Div) and isinstance(a, Sym) and other:
            return SymbolicFloat(None, False, f"{_operand(a)}/{other!r}")
        return Unknown("float arithmetic on a symbol")
    if not isinstance(a, (int, Sym)) or not isinstance(b, (int, Sym)) or isinstance(
            a, bool) or isinstance(b, bool):
        return Unknown("unsupported operand for a symbol")
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.FloorDiv):
        if isinstance(a, int):
            return opaque("//", a, b)
        return a // b
    if isinstance(op, ast.Mod):
        return a % b if isinstance(a, Sym) else opaque("%", a, b)
    if isinstance(op, ast.Pow):
        if isinstance(a, Sym) and isinstance(b, int):
            return a ** b
        return opaque("**", a, b)
    if isinstance(op, ast.Div):
        if isinstance(b, int) and b and isinstance(a, Sym) and all(
                c % b == 0 for c in a.terms.values()):
            q = a // b
            return SymbolicFloat(q, True, sym_text(q))
        return SymbolicFloat(None, False, f"{_operand(a)}/{_operand(b)}")
    if isinstance(op, ast.LShift) and isinstance(b, int):
        return a * (2 ** b)
    return Unknown("unsupported symbolic operator")


_BINOPS: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b, ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b,
    ast.BitOr: lambda a, b: a | b, ast.BitAnd: lambda a, b: a & b, ast.BitXor: lambda a, b: a ^ b,
    ast.MatMult: lambda a, b: Unknown("matmul"),
}

_CMP: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}


def _tensor_binop(a: Any, b: Any) -> Any:
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    if ta is not None and tb is not None:
        return Tensor(_broadcast(ta.shape, tb.shape), ta.line, ta.path)
    t = ta or tb
    assert t is not None
    return t.derived()


def _broadcast(a: Optional[Tuple[Any, ...]], b: Optional[Tuple[Any, ...]]
               ) -> Optional[Tuple[Any, ...]]:
    """torch broadcasting of two shapes (None when it cannot be decided)."""
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a2 = (1,) * (n - len(a)) + tuple(a)
    b2 = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a2, b2):
        if _same(x, y) or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(out)


def deepcopy_value(v: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    """copy.deepcopy over abstract values (module trees are copied, tensors shared)."""
    memo = {} if memo is None else memo
    if id(v) in memo:
        return memo[id(v)]
    if isinstance(v, ModuleInst):
        new = ModuleInst(v.type_name, v.cls, v.line, v.path, v.kind)
        new.cond_depth = v.cond_depth
        memo[id(v)] = new
        new.args, new.torch_bases, new.depth = v.args, v.torch_bases, v.depth
        new.nonpersistent = set(v.nonpersistent)
        for src, dst in ((v.params, new.params), (v.buffers, new.buffers),
                         (v.modules, new.modules), (v.attrs, new.attrs)):
            for k, x in src.items():
                dst[k] = deepcopy_value(x, memo)
        return new
    if isinstance(v, Conditional):
        return Conditional([(c, deepcopy_value(x, memo)) for c, x in v.items])
    if isinstance(v, TrackedList):
        out = TrackedList(deepcopy_value(x, memo) for x in v)
        out.depth = v.depth
        return out
    if isinstance(v, list):
        return [deepcopy_value(x, memo) for x in v]
    if isinstance(v, tuple):
        return tuple(deepcopy_value(x, memo) for x in v)
    if isinstance(v, dict):
        return {k: deepcopy_value(x, memo) for k, x in v.items()}
    if isinstance(v, PlainInstance):
        new_obj = PlainInstance(v.cls)
        memo[id(v)] = new_obj
        new_obj.attrs = {k: deepcopy_value(x, memo) for k, x in v.attrs.items()}
        return new_obj
    return v


def _c3(cls: UserClass) -> List[Any]:
    """Method resolution order (C3; falls back to depth-first on inconsistency)."""
    seqs: List[List[Any]] = []
    for b in cls.bases:
        if isinstance(b, UserClass):
            seqs.append(list(b.mro) if b.mro else [b])
        elif isinstance(b, (TorchRef, ExternalRef, Unknown)):
            seqs.append([b])
    seqs.append([b for b in cls.bases if isinstance(b, (UserClass, TorchRef, ExternalRef, Unknown))])
    result: List[Any] = [cls]
    seqs = [s for s in seqs if s]
    while seqs:
        for seq in seqs:
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:
            out = [cls]
            for s in seqs:
                for x in s:
                    if x not in out:
                        out.append(x)
            return out
        result.append(head)
        seqs = [[x for x in s if x is not head] for s in seqs]
        seqs = [s for s in seqs if s]
    return result


def _is_torch_module_ref(v: Any) -> bool:
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


def _defines_migration(cls: UserClass) -> bool:
    if "_load_from_state_dict" in cls.ns or "_version" in cls.ns:
        return True
    cached = getattr(cls.node, "_wlint_prehook", None)
    if cached is None:
        cached = any(isinstance(node, ast.Attribute) and node.attr in (
            "register_load_state_dict_pre_hook", "_register_load_state_dict_pre_hook")
            for node in ast.walk(cls.node))
        cls.node._wlint_prehook = cached  # type: ignore[attr-defined]
    return cached


def dotted_name(node: ast.AST) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


_CMP_TEXT = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
             ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def _value_cond(v: Any) -> str:
    """Python text of a value inside a condition ('' when it has none)."""
    if isinstance(v, SymbolicBool):
        return f"({v.text})" if " " in v.text else v.text
    if isinstance(v, SymbolicObject):
        return v.name
    if isinstance(v, Sym):
        text = render(v)
        return text if " " not in text else f"({text})"
    if isinstance(v, (bool, int, float, str)) or v is None:
        return repr(v)
    if isinstance(v, tuple) and all(_value_cond(x) for x in v):
        return value_text(v)
    return ""


def _cond_source(node: ast.AST, value: Any) -> str:
    """Text of an unknown condition: the symbol it stands for when it is a bare
    unknown argument (`config.bias`, not the callee's local `bias`), else the source."""
    if isinstance(value, SymbolicObject):
        return value.name
    if isinstance(value, SymbolicBool):
        return value.text
    if isinstance(value, Sym):
        return render(value)
    return _src(node)


def _src(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:
        return type(node).__name__


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "..."


def _as_load(target: ast.expr) -> ast.expr:
    return target


def _target_names(target: ast.AST) -> List[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _target_names(e)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _assigned_names(stmt: ast.AST) -> List[str]:
    if isinstance(stmt, ast.Assign):
        return [n for t in stmt.targets for n in _target_names(t)]
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        return _target_names(stmt.target)
    if isinstance(stmt, (ast.ClassDef, ast.FunctionDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"]
    return []


# -- builtins -------------------------------------------------------------------------
Impl = Callable[[Interpreter, Any, List[Any], Dict[str, Any], Any], Any]


def _b_range(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    vals = [to_sym(a) for a in args]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return range(*vals)
    if len(vals) == 1:
        return SymbolicRange(0, vals[0], 1)
    if len(vals) >= 2:
        return SymbolicRange(vals[0], vals[1], vals[2] if len(vals) > 2 else 1)
    raise CannotInterpret("range()")


def _b_len(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    v = args[0]
    if isinstance(v, SymbolicRange):
        if v.step == 1 and isinstance(v.start, (int, Sym)) and isinstance(v.stop, (int, Sym)):
            return v.stop - v.start
        return Unknown("len of a symbolic range")
    if isinstance(v, ModuleInst):
        if any("{" in n for n in v.modules) or any(isinstance(x, Conditional) for x in v.modules.values()):
            return Unknown("len of a container of unknown length")
        return len(v.modules)
    if isinstance(v, (list, tuple)) and any(isinstance(x, Repeated) for x in v):
        return Unknown("len of a list of unknown length")
    if isinstance(v, (list, tuple, dict, str, set, range)):
        return len(v)
    if isinstance(v, SymbolicObject):
        return Sym.name(f"len({v.name})")
    if isinstance(v, Tensor) and v.shape:
        return v.shape[0]
    return Unknown("len of an unknown value")


def _b_int(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        return 0
    v = args[0]
    if isinstance(v, SymbolicFloat):
        return v.sym if v.exact else Sym.name(f"int({v.text})")
    v = to_sym(v)
    if isinstance(v, Sym):
        return v
    if isinstance(v, (Unknown, Tensor)):
        return Unknown("int() of an unknown value")
    try:
        return int(v, *args[1:]) if isinstance(v, str) else int(v)
    except (TypeError, ValueError) as exc:
        return Unknown(_short(exc))


def _pure(fn: Callable[..., Any], name: str) -> Impl:
    """A Python builtin applied to known values; symbols give Unknown."""
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        flat = list(args) + list(kw.values())
        for a in flat:
            if is_unknownish(a) or isinstance(a, Repeated) or (
                    isinstance(a, (list, tuple)) and any(isinstance(x, (Repeated,)) for x in a)):
                return Unknown(f"{name}() of an unknown value", getattr(node, "lineno", 0))
        try:
            out = fn(*args, **kw)
        except Exception as exc:
            return Unknown(f"{name}(): {_short(exc)}", getattr(node, "lineno", 0))
        if isinstance(out, list):
            out = TrackedList(out)
        return out
    return impl


def _b_minmax(which: str) -> Impl:
    py = max if which == "max" else min

    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        vals = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
        vals = [to_sym(v) for v in vals]
        if any(isinstance(v, Repeated) for v in vals) or kw:
            return Unknown(f"{which}() of unknown values")
        if all(isinstance(v, (int, float)) for v in vals):
            return py(vals)
        if all(isinstance(v, (int, Sym)) for v in vals):
            uniq = sorted({sym_text(v) for v in vals})
            if len(uniq) == 1:
                return vals[0]
            return Sym.name(f"{which}({', '.join(uniq)})")
        return Unknown(f"{which}() of unknown values")
    return impl


def _b_sum(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    items = it.iterate(args[0], node)
    if items is None or any(isinstance(x, Repeated) for x in items):
        return Unknown("sum of unknown values")
    total: Any = args[1] if len(args) > 1 else 0
    for x in items:
        total = it.binop(ast.Add(), total, x, node)
    return total


def _b_zip(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    lists = [it.iterate(a, node) for a in args]
    if any(lst is None or any(isinstance(x, Repeated) for x in lst) for lst in lists):
        raise CannotInterpret("zip over values of unknown length")
    return ItemsIterator([tuple(t) for t in zip(*lists)])  # type: ignore[arg-type]


def _b_enumerate(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    items = it.iterate(args[0], node)
    start = args[1] if len(args) > 1 else kw.get("start", 0)
    if items is None:
        raise CannotInterpret("enumerate over an unknown value")
    out: List[Any] = []
    for i, x in enumerate(items):
        if isinstance(x, Repeated):
            if len(items) != 1:
                raise CannotInterpret("enumerate over a list of unknown length")
            out.append(Repeated(EnumeratedRun(x, start), x.atom, x.pass_id))
        else:
            out.append((start + i, x))
    return ItemsIterator(out)


def _rep_value(item: Repeated, atom: str) -> Any:
    """The loop variable's value for one symbolic pass over `item`."""
    if isinstance(item.value, EnumeratedRun):
        return (Sym.name(atom) + item.value.start, _rep_value(item.value.rep, atom))
    if item.atom == "#":
        rng = item.value
        index: Any = Sym.name(atom)
        if isinstance(rng, SymbolicRange):
            step, start = to_sym(rng.step), to_sym(rng.start)
            if isinstance(step, (int, Sym)) and isinstance(start, (int, Sym)):
                return index * step + start
            return Unknown("loop variable of an unknown range")
        return index
    return item.value


def _b_list(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        out = TrackedList()
    else:
        items = it.iterate(args[0], node)
        if items is None:
            return Unknown("list() of an unknown value", getattr(node, "lineno", 0), True)
        out = TrackedList(items)
    out.depth = len(it.loop_atoms)
    out.cond_depth = len(it.conds)
    return out


def _b_tuple(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        return ()
    items = it.iterate(args[0], node)
    if items is None:
        return Unknown("tuple() of an unknown value", getattr(node, "lineno", 0), True)
    return tuple(items)


def _b_dict(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    out: Dict[Any, Any] = {}
    if args:
        src = args[0]
        if isinstance(src, dict):
            out.update(src)
        else:
            items = it.iterate(src, node)
            if items is None:
                raise CannotInterpret("dict() of an unknown value")
            for pair in items:
                if isinstance(pair, Repeated):
                    raise CannotInterpret("dict() of unknown length")
                k, v = pair
                _check_key(k)
                out[k] = v
    out.update(kw)
    return out


def _b_isinstance(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, types = args[0], args[1]
    types_list = list(types) if isinstance(types, tuple) else [types]
    verdicts = [_isinstance(obj, t) for t in types_list]
    if any(v is True for v in verdicts):
        return True
    if all(v is False for v in verdicts):
        return False
    return Unknown("isinstance of an unknown value")


from collections.abc import Callable as _AbcCallable  # noqa: E402
from collections.abc import Hashable, Iterable, Mapping, MutableMapping, Sequence as _AbcSequence  # noqa: E402

_ABC = {"Iterable": Iterable, "Sequence": _AbcSequence, "Mapping": Mapping,
        "MutableMapping": MutableMapping, "Callable": _AbcCallable, "Hashable": Hashable}
_PY_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "tuple": tuple, "list": list,
             "dict": dict, "set": set, "type(None)": type(None)}


def _isinstance(obj: Any, t: Any) -> Optional[bool]:
    if isinstance(t, Builtin) and t.name in _PY_TYPES:
        py = _PY_TYPES[t.name]
        if isinstance(obj, (Sym,)):
            return py is int
        if isinstance(obj, SymbolicFloat):
            return py is float
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        if isinstance(obj, TrackedList):
            return py is list
        if py is int and isinstance(obj, bool):
            return True
        return isinstance(obj, py)
    if isinstance(t, TorchRef):
        if isinstance(obj, ModuleInst):
            return t.last in obj.torch_bases or t.last == obj.type_name or t.last == "Module"
        if isinstance(obj, Tensor):
            return t.last in ("Tensor",) or (t.last == "Parameter" and obj.param)
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        return False
    if isinstance(t, ExternalRef) and t.qual.rsplit(".", 1)[-1] in _ABC:
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        if isinstance(obj, (Sym, SymbolicFloat)):
            return t.qual.endswith(("Hashable",))
        py = _ABC[t.qual.rsplit(".", 1)[-1]]
        if isinstance(obj, (Tensor, ModuleInst)):
            return py in (Iterable, _AbcCallable) if isinstance(obj, ModuleInst) else py is Iterable
        return isinstance(obj, py)
    if isinstance(t, UserClass):
        if isinstance(obj, (ModuleInst, PlainInstance)) and isinstance(obj.cls, UserClass):
            return t in obj.cls.mro
        if isinstance(obj, (SymbolicObject, Unknown)):
            return None
        return False
    return None


def _b_getattr(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, name = args[0], args[1]
    if not isinstance(name, str):
        return Unknown("getattr with an unknown name", getattr(node, "lineno", 0), True)
    if isinstance(obj, dict) and not isinstance(obj, PlainInstance):
        pass
    value = it.getattr(obj, name, node)
    if len(args) > 2 and isinstance(value, Unknown) and not isinstance(obj, (SymbolicObject, Unknown)):
        return args[2]
    return value


def _b_hasattr(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, name = args[0], args[1]
    if isinstance(obj, (SymbolicObject, Unknown)) or not isinstance(name, str):
        return Unknown("hasattr of an unknown value")
    value = it.getattr(obj, name, node)
    return not isinstance(value, Unknown)


def _b_setattr(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    obj, name, value = args[0], args[1], args[2]
    if not isinstance(name, str):
        it.note(getattr(node, "lineno", 0), "setattr with an unknown name")
        return None
    it.setattr(obj, name, value, node)
    return None


def _b_super(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if len(args) == 2:
        return SuperProxy(args[0], args[1])
    raise CannotInterpret("zero-argument super() needs the calling frame")


def _b_print(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return None


def _b_partial(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        raise CannotInterpret("partial() without a function")
    return Partial(args[0], list(args[1:]), dict(kw))


def _b_ordereddict(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return _b_dict(it, None, args, kw, node)


def _b_deepcopy(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return deepcopy_value(args[0])


def _b_copy(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    v = args[0]
    if isinstance(v, TrackedList):
        out = TrackedList(v)
        out.depth = v.depth
        return out
    if isinstance(v, dict):
        return dict(v)
    return v


def _b_field(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return FieldSpec(kw.get("default", MISSING), kw.get("default_factory"))


def _b_dataclass(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return args[0] if args else Builtin("dataclass", _b_dataclass)


def _b_type(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    v = args[0]
    if isinstance(v, (ModuleInst, PlainInstance)) and isinstance(v.cls, UserClass):
        return v.cls
    if isinstance(v, ModuleInst):
        return TorchRef(f"torch.nn.{v.type_name}")
    return Unknown("type() of a value")


def _symobj_get(it: Interpreter, obj: SymbolicObject, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    key = args[0] if args else None
    if isinstance(key, str):
        return SymbolicObject(f"{obj.name}.{key}")
    return Unknown("get with an unknown key")


def _math(fn: Callable[..., Any], name: str, sym_ok: bool = False) -> Impl:
    pure = _pure(fn, name)

    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if sym_ok and len(args) == 1:
            v = args[0]
            if isinstance(v, SymbolicFloat):
                return v.sym if v.exact else Sym.name(f"{name}({v.text})")
            v = to_sym(v)
            if isinstance(v, Sym):
                return v
        return pure(it, _, args, kw, node)
    return impl


def _py_method(method: Any) -> Impl:
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        owner = getattr(method, "__self__", None)
        if isinstance(owner, str) and getattr(method, "__name__", "") == "format":
            args = [it.to_str(a) if isinstance(a, Sym) else a for a in args]
            kw = {k: it.to_str(v) if isinstance(v, Sym) else v for k, v in kw.items()}
        for a in list(args) + list(kw.values()):
            if isinstance(a, (Sym, SymbolicObject, Unknown, SymbolicFloat, Tensor)) and not isinstance(owner, dict):
                return Unknown("method of an unknown value", getattr(node, "lineno", 0), True)
        try:
            out = method(*args, **kw)
        except Exception as exc:
            return Unknown(_short(exc), getattr(node, "lineno", 0), True)
        if type(out).__name__ in ("dict_items", "dict_keys", "dict_values"):
            return TrackedList(out)
        if isinstance(out, list) and not isinstance(out, TrackedList):
            return TrackedList(out)
        return out
    return impl


def _l_append(it: Interpreter, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    lst.extend(it._list_wrap(lst, [args[0]]))
    return None


def _l_extend(it: Interpreter, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    it.list_extend(lst, args[0])
    return None


def _l_insert(it: Interpreter, lst: List[Any], args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if any(isinstance(x, Repeated) for x in lst) or not isinstance(args[0], int):
        raise CannotInterpret("insert into a list of unknown length")
    lst.insert(args[0], it._list_wrap(lst, [args[1]])[0])
    return None


_LIST_METHODS: Dict[str, Impl] = {"append": _l_append, "extend": _l_extend, "insert": _l_insert}


_BUILTINS: Dict[str, Any] = {}


def _builtins() -> Dict[str, Any]:
    """The builtins table, built once per process (it costs ~3 % of a small prediction)."""
    if not _BUILTINS:
        _BUILTINS.update(_make_builtins())
    return _BUILTINS


def _make_builtins() -> Dict[str, Any]:
    b: Dict[str, Any] = {}
    simple: Dict[str, Impl] = {
        "range": _b_range, "len": _b_len, "int": _b_int, "max": _b_minmax("max"),
        "min": _b_minmax("min"), "sum": _b_sum, "zip": _b_zip, "enumerate": _b_enumerate,
        "list": _b_list, "tuple": _b_tuple, "dict": _b_dict, "isinstance": _b_isinstance,
        "getattr": _b_getattr, "hasattr": _b_hasattr, "setattr": _b_setattr, "super": _b_super,
        "print": _b_print, "type": _b_type,
        "float": _pure(float, "float"), "str": _b_str, "bool": _b_bool,
        "abs": _pure(abs, "abs"), "round": _math(round, "round", True), "sorted": _pure(sorted, "sorted"),
        "reversed": _pure(lambda x: list(reversed(x)), "reversed"), "any": _pure(any, "any"),
        "all": _pure(all, "all"), "set": _pure(set, "set"), "divmod": _pure(divmod, "divmod"),
        "pow": _pure(pow, "pow"), "map": _b_map, "iter": _pure(list, "iter"),
        "callable": _pure(callable, "callable"), "id": _pure(id, "id"),
        "frozenset": _pure(frozenset, "frozenset"), "repr": _pure(repr, "repr"),
        "object": _b_object, "__file__": Builtin("__file__", _b_object), "NotImplementedError": _b_exc, "ValueError": _b_exc,
        "TypeError": _b_exc, "AssertionError": _b_exc, "RuntimeError": _b_exc,
        "KeyError": _b_exc, "Exception": _b_exc, "AttributeError": _b_exc,
        "staticmethod": _b_identity, "classmethod": _b_identity, "property": _b_identity,
        "vars": _b_vars, "locals": _b_object,
    }
    for name, impl in simple.items():
        b[name] = Builtin(name, impl)
    b["None"] = None
    b["True"] = True
    b["False"] = False
    b["__name__"] = "__wlint__"
    return b


def _b_str(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return it.to_str(args[0]) if args else ""


def _b_bool(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if not args:
        return False
    t = it.truth(args[0])
    return Unknown("bool of an unknown value") if t is None else t


def _b_map(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    lists = [it.iterate(a, node) for a in args[1:]]
    if any(lst is None or any(isinstance(x, Repeated) for x in lst) for lst in lists):
        raise CannotInterpret("map over unknown values")
    return TrackedList(it.call(args[0], list(t), {}, node) for t in zip(*lists))  # type: ignore[arg-type]


def _b_object(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return Unknown("object()")


def _b_exc(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return Unknown("exception")


def _b_identity(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return args[0] if args else None


def _b_vars(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    if args and isinstance(args[0], PlainInstance):
        return dict(args[0].attrs)
    return Unknown("vars()", getattr(node, "lineno", 0), True)


_STDLIB: Dict[str, Impl] = {
    "functools.partial": _b_partial,
    "collections.OrderedDict": _b_ordereddict,
    "copy.deepcopy": _b_deepcopy,
    "copy.copy": _b_copy,
    "dataclasses.field": _b_field,
    "dataclasses.dataclass": _b_dataclass,
    "math.sqrt": _pure(math.sqrt, "sqrt"),
    "math.ceil": _math(math.ceil, "ceil", True),
    "math.floor": _math(math.floor, "floor", True),
    "math.log": _pure(math.log, "log"),
    "math.log2": _pure(math.log2, "log2"),
    "math.prod": _pure(math.prod, "prod"),
    "math.gcd": _pure(math.gcd, "gcd"),
    "math.pi": _pure(lambda: math.pi, "pi"),
    "operator.mul": _pure(lambda a, b: a * b, "mul"),
    "typing.cast": lambda it, _, a, k, n: a[1],
    "itertools.repeat": _pure(lambda x, n: [x] * n, "repeat"),
}

_NON_MODULE_PACKAGES = {"math", "logging", "warnings", "os", "sys", "typing", "numpy", "np",
                        "functools", "itertools", "collections", "dataclasses", "copy", "re",
                        "json", "inspect", "operator", "abc", "enum", "types", "time", "random"}


# -- torch functions -----------------------------------------------------------------------


def _size_args(args: List[Any], kw: Dict[str, Any]) -> Optional[Tuple[Any, ...]]:
    size = kw.get("size")
    if size is None:
        if len(args) == 1 and isinstance(args[0], (tuple, list)):
            size = tuple(args[0])
        else:
            size = tuple(args)
    elif not isinstance(size, (tuple, list)):
        size = (size,)
    return _norm_shape(size)


def _factory(kind: str) -> Impl:
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        line = getattr(node, "lineno", 0)
        shape: Optional[Tuple[Any, ...]]
        if kind == "size":
            shape = _size_args(list(args), kw)
        elif kind == "full":
            size = args[0] if args else kw.get("size")
            shape = _norm_shape(size if isinstance(size, (tuple, list)) else (size,))
        elif kind == "like":
            src = args[0] if args else kw.get("input")
            shape = src.shape if isinstance(src, Tensor) else None
        elif kind == "eye":
            n = args[0] if args else kw.get("n")
            m = args[1] if len(args) > 1 else kw.get("m", n)
            shape = _norm_shape((n, m if m is not None else n))
        elif kind == "arange":
            nums = [to_sym(a) for a in args]
            if len(nums) == 1:
                start, end, step = 0, nums[0], 1
            elif len(nums) >= 2:
                start, end = nums[0], nums[1]
                step = nums[2] if len(nums) > 2 else kw.get("step", 1)
            else:
                start, end, step = kw.get("start", 0), kw.get("end"), kw.get("step", 1)
            if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (start, end, step)):
                shape = (max(0, math.ceil((end - start) / step)),)
            elif step == 1 and isinstance(start, (int, Sym)) and isinstance(end, (int, Sym)):
                shape = _norm_shape((end - start,))
            elif isinstance(step, int) and step > 1 and isinstance(start, (int, Sym)) and \
                    isinstance(end, (int, Sym)):
                shape = _norm_shape(((end - start + step - 1) // step,))
            else:
                shape = None
        elif kind == "linspace":
            steps = args[2] if len(args) > 2 else kw.get("steps")
            shape = _norm_shape((steps,))
        elif kind == "tensor":
            shape = _data_shape(args[0] if args else kw.get("data"))
        elif kind == "legacy":
            # torch.Tensor / FloatTensor / LongTensor: one literal list or tuple is *data*
            # (torch.FloatTensor([0.5]) has shape [1]); integers are sizes; a computed
            # sequence may be data or a torch.Size, so its shape stays unknown
            if len(args) == 1 and not kw and isinstance(args[0], (list, tuple)):
                call_args = getattr(node, "args", None) or [None]
                literal = isinstance(call_args[0], (ast.List, ast.Tuple))
                shape = _data_shape(args[0]) if literal else None
            else:
                shape = _size_args(list(args), kw)
        elif kind == "randint":
            size = args[2] if len(args) > 2 else kw.get("size") if len(args) < 3 else args[-1]
            if len(args) == 2 and isinstance(args[1], (tuple, list)):
                size = args[1]
            shape = _norm_shape(tuple(size)) if isinstance(size, (tuple, list)) else None
        elif kind == "shape_keep":
            src = args[0] if args else None
            shape = src.shape if isinstance(src, Tensor) else None
        else:
            shape = None
        return Tensor(shape, line, it.path)
    return impl


def _data_shape(data: Any) -> Optional[Tuple[Any, ...]]:
    if isinstance(data, (int, float, bool)):
        return ()
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, Repeated) for x in data):
            return None
        if not data:
            return (0,)
        inner = [_data_shape(x) for x in data]
        if any(s is None for s in inner) or len(set(inner)) != 1:
            return None
        return (len(data),) + inner[0]  # type: ignore[operator]
    if isinstance(data, Tensor):
        return data.shape
    return None


def _parameter(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    line = getattr(node, "lineno", 0)
    data = args[0] if args else kw.get("data", MISSING)
    if data is MISSING or data is None:
        return Tensor((0,), line, it.path, True)
    if isinstance(data, Tensor):
        if data.shape is None:
            it.note(line, "shape of this nn.Parameter is unknown")
        return Tensor(data.shape, line, it.path, True)
    it.note(line, "nn.Parameter of an unknown tensor")
    return Tensor(None, line, it.path, True)


_TORCH_FUNCS: Dict[str, Impl] = {}
for _n in ("zeros", "ones", "empty", "randn", "rand"):
    _TORCH_FUNCS[_n] = _factory("size")
for _n in ("Tensor", "FloatTensor", "LongTensor", "DoubleTensor", "IntTensor", "BoolTensor"):
    _TORCH_FUNCS[_n] = _factory("legacy")
for _n in ("zeros_like", "ones_like", "empty_like", "randn_like", "rand_like", "full_like",
           "tril", "triu", "clone", "sigmoid", "tanh", "exp", "log", "abs", "sqrt", "sin", "cos",
           "cumsum", "flip", "nan_to_num", "erfinv", "neg"):
    _TORCH_FUNCS[_n] = _factory("like" if _n.endswith("_like") else "shape_keep")
_NTUPLE = {"_single": 1, "_pair": 2, "_triple": 3, "_quadruple": 4}
_MODULE_NAMESPACES = ("torch.nn.", "torch.jit.", "torch.ao.", "torch.quantization.", "torch.fx.",
                      "torch.export.", "torch.compile", "torch.hub.", "torch.load")


def _catalog_by_qualname() -> Dict[str, Layer]:
    """Catalog entries by their full class path (for classes outside torch.nn)."""
    from wlint.model.layers import CATALOG

    if len(_QUALNAMES) != len(CATALOG):
        _QUALNAMES.clear()
        for layer in CATALOG.values():
            _QUALNAMES[getattr(layer, "qualname", f"torch.nn.{layer.name}")] = layer
    return _QUALNAMES


_QUALNAMES: Dict[str, Layer] = {}


def _may_return_module(qual: str) -> bool:
    """Unmodelled torch calls that can return a module (weight_norm, jit.script,
    Embedding.from_pretrained, compile, hub.load); tensor functions cannot."""
    if qual.startswith("torch.nn.functional.") or qual.startswith("torch.nn.init."):
        return False
    return qual.startswith(_MODULE_NAMESPACES)


def _ntuple_call(args: List[Any], n: int) -> Any:
    if not args:
        return Unknown("ntuple without argument")
    v = args[0]
    if isinstance(v, (list, tuple)):
        return tuple(v)
    if isinstance(v, (int, float, Sym, SymbolicObject)) and not isinstance(v, bool):
        return tuple([v] * n)
    return Unknown("ntuple of an unknown value")


def _two_tensor(kind: str) -> Impl:
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        line = getattr(node, "lineno", 0)
        tensors = [a for a in args if isinstance(a, Tensor)]
        shape: Optional[Tuple[Any, ...]] = None
        if kind == "outer" and len(tensors) == 2 and all(
                t.shape is not None and len(t.shape) == 1 for t in tensors):
            shape = (tensors[0].shape[0], tensors[1].shape[0])  # type: ignore[index]
        elif kind == "broadcast" and tensors:
            shape = tensors[0].shape
            for t in tensors[1:]:
                shape = _broadcast(shape, t.shape)
        elif kind in ("cat", "stack") and args and isinstance(args[0], (list, tuple)):
            items = list(args[0])
            dim = args[1] if len(args) > 1 else kw.get("dim", 0)
            if items and all(isinstance(t, Tensor) and t.shape is not None for t in items) and \
                    isinstance(dim, int):
                first = items[0].shape
                if kind == "stack":
                    if all(t.shape == first for t in items):
                        d = dim if dim >= 0 else len(first) + 1 + dim
                        shape = tuple(first[:d]) + (len(items),) + tuple(first[d:])
                else:
                    d = dim if dim >= 0 else len(first) + dim
                    rest = [tuple(t.shape[:d]) + tuple(t.shape[d + 1:]) for t in items]
                    if all(r == rest[0] for r in rest):
                        total: Any = 0
                        for t in items:
                            total = total + t.shape[d]
                        shape = tuple(first[:d]) + (total,) + tuple(first[d + 1:])
        return Tensor(_norm_shape(shape) if shape is not None else None, line, it.path)
    return impl


def _meshgrid(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    tensors = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not tensors or not all(isinstance(t, Tensor) and t.shape is not None and len(t.shape) <= 1
                              for t in tensors):
        return Unknown("meshgrid of unknown tensors")
    sizes = tuple(t.shape[0] if t.shape else 1 for t in tensors)
    if kw.get("indexing", "ij") == "xy" and len(sizes) >= 2:
        sizes = (sizes[1], sizes[0]) + sizes[2:]
    line = getattr(node, "lineno", 0)
    return tuple(Tensor(sizes, line, it.path) for _ in tensors)


def _torch_method_fn(name: str) -> Impl:
    """torch.f(t, ...) for tensor methods t.f(...)."""
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if not args or not isinstance(args[0], Tensor):
            return Unknown(f"torch.{name} of an unknown value")
        method = _tensor_attr(args[0], name)
        if isinstance(method, Builtin):
            return method.impl(it, None, list(args[1:]), kw, node)
        return Unknown(f"torch.{name}")
    return impl


_TORCH_FUNCS.update({
    "meshgrid": _meshgrid,
    **{n: _torch_method_fn(n) for n in ("flatten", "reshape", "transpose", "permute", "squeeze",
                                        "unsqueeze", "sum", "mean", "amax", "amin", "prod",
                                        "unbind", "t")},
    "outer": _two_tensor("outer"), "ger": _two_tensor("outer"), "polar": _two_tensor("broadcast"),
    "complex": _two_tensor("broadcast"), "where": _two_tensor("broadcast"),
    "maximum": _two_tensor("broadcast"), "minimum": _two_tensor("broadcast"),
    "cat": _two_tensor("cat"), "concat": _two_tensor("cat"), "stack": _two_tensor("stack"),
    "randperm": _factory("size"),
    "full": _factory("full"), "eye": _factory("eye"), "arange": _factory("arange"),
    "linspace": _factory("linspace"), "logspace": _factory("linspace"),
    "tensor": _factory("tensor"), "as_tensor": _factory("tensor"), "randint": _factory("randint"),
})

_SHAPE_KEEP_METHODS = {
    "float", "double", "half", "bfloat16", "long", "int", "bool", "to", "clone", "detach",
    "contiguous", "fill_", "zero_", "normal_", "uniform_", "mul_", "add_", "div_", "sub_",
    "clamp", "clamp_", "clamp_min", "clamp_max", "mul", "add", "div", "sub", "cpu", "cuda",
    "requires_grad_", "exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "tril", "triu",
    "tril_", "triu_", "masked_fill", "masked_fill_", "pow", "cumsum", "trunc_normal_",
    "exponential_", "log_", "exp_", "copy_", "type", "type_as", "sin", "cos", "reciprocal",
    "floor", "round", "sign", "share_memory_", "pin_memory", "bernoulli_", "random_",
    "cauchy_", "geometric_", "log_normal_", "flip", "roll", "square",
}


def _tensor_attr(t: Tensor, name: str) -> Any:
    if name in _SHAPE_KEEP_METHODS:
        return Builtin(name, lambda it, _s, a, k, n: t.derived())
    if name in ("data", "detach_"):
        return t.derived() if name == "data" else Builtin(name, lambda it, _s, a, k, n: t)
    if name == "shape":
        return tuple(t.shape) if t.shape is not None else Unknown("unknown shape")
    if name == "T" or name == "mT":
        return Tensor(tuple(reversed(t.shape)) if t.shape is not None else None, t.line, t.path)
    if name in _REDUCTIONS or name == "unbind":
        return Builtin(name, _tensor_reduce(t, name))
    if name in ("view", "reshape", "expand", "view_as", "reshape_as", "expand_as", "repeat",
                "unsqueeze", "squeeze", "t", "transpose", "permute", "flatten", "size", "numel",
                "dim", "new_zeros", "new_ones", "new_empty", "new_full", "ndim"):
        if name == "ndim":
            return len(t.shape) if t.shape is not None else Unknown("unknown rank")
        return Builtin(name, _tensor_method(t, name))
    return Unknown(f"tensor attribute `{name}`")


_REDUCTIONS = {"sum", "mean", "prod", "amax", "amin", "std", "var", "norm", "all", "any",
               "logsumexp", "argmax", "argmin"}


def _reduced_shape(shape: Optional[Tuple[Any, ...]], args: List[Any], kw: Dict[str, Any]
                   ) -> Optional[Tuple[Any, ...]]:
    if shape is None:
        return None
    dim = args[0] if args else kw.get("dim")
    keep = bool(kw.get("keepdim", args[1] if len(args) > 1 and isinstance(args[1], bool) else False))
    if dim is None:
        return ()
    dims = list(dim) if isinstance(dim, (tuple, list)) else [dim]
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return None
    norm = {d % len(shape) for d in dims} if shape else set()
    return tuple((1 if i in norm else s) for i, s in enumerate(shape) if keep or i not in norm)


def _tensor_reduce(t: Tensor, name: str) -> Impl:
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if name == "unbind":
            dim = args[0] if args else kw.get("dim", 0)
            if t.shape is None or not isinstance(dim, int) or not isinstance(
                    t.shape[dim], int):
                return Unknown("unbind of an unknown shape")
            rest = tuple(s for i, s in enumerate(t.shape) if i != dim % len(t.shape))
            return tuple(Tensor(rest, t.line, t.path) for _ in range(t.shape[dim]))
        return Tensor(_reduced_shape(t.shape, list(args), kw), t.line, t.path)
    return impl


def _tensor_method(t: Tensor, name: str) -> Impl:
    def impl(it: Interpreter, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        shape = t.shape
        new: Optional[Tuple[Any, ...]] = None
        if name in ("size",):
            if shape is None:
                return Unknown("unknown shape")
            return shape[args[0]] if args else tuple(shape)
        if name == "numel":
            if shape is None:
                return Unknown("unknown shape")
            total: Any = 1
            for d in shape:
                total = total * d
            return total
        if name == "dim":
            return len(shape) if shape is not None else Unknown("unknown rank")
        if name in ("new_zeros", "new_ones", "new_empty"):
            return Tensor(_size_args(list(args), kw), getattr(node, "lineno", 0), it.path)
        if name == "new_full":
            size = args[0] if args else kw.get("size")
            return Tensor(_norm_shape(tuple(size)) if isinstance(size, (tuple, list)) else None,
                          getattr(node, "lineno", 0), it.path)
        if shape is not None:
            try:
                new = _reshape(name, shape, list(args))
            except Exception:
                new = None
        return Tensor(new, t.line, t.path)
    return impl


def _index_shape(shape: Optional[Tuple[Any, ...]], key: Any) -> Optional[Tuple[Any, ...]]:
    """Shape after basic indexing (ints, slices, None, Ellipsis); None if unknown."""
    if shape is None:
        return None
    keys = list(key) if isinstance(key, tuple) else [key]
    if any(k is Ellipsis for k in keys):
        at = keys.index(Ellipsis)
        used = sum(1 for k in keys if k is not None and k is not Ellipsis)
        keys = keys[:at] + [slice(None)] * (len(shape) - used) + keys[at + 1:]
    out: List[Any] = []
    dim = 0
    for k in keys:
        if k is None:
            out.append(1)
            continue
        if dim >= len(shape):
            return None
        n = shape[dim]
        dim += 1
        if isinstance(k, bool) or not isinstance(k, (int, slice)):
            return None
        if isinstance(k, int):
            continue
        if k.start is None and k.stop is None and k.step is None:
            out.append(n)
        elif isinstance(n, int) and all(isinstance(x, (int, type(None))) for x in
                                        (k.start, k.stop, k.step)):
            out.append(len(range(*k.indices(n))))
        else:
            return None
    return tuple(out) + tuple(shape[dim:])


def _reshape(name: str, shape: Tuple[Any, ...], args: List[Any]) -> Optional[Tuple[Any, ...]]:
    if name in ("view_as", "reshape_as", "expand_as"):
        return args[0].shape if isinstance(args[0], Tensor) else None
    if name in ("view", "reshape", "expand", "repeat"):
        dims = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)
        dims = tuple(_norm_dim(d) if not (isinstance(d, int) and d == -1) else -1 for d in dims)
        if any(d is None for d in dims):
            return None
        if name == "repeat":
            if len(dims) < len(shape):
                return None
            padded = (1,) * (len(dims) - len(shape)) + tuple(shape)
            return tuple(a * b for a, b in zip(padded, dims))
        if name == "expand":
            padded = (1,) * (len(dims) - len(shape)) + tuple(shape)
            return tuple(p if d == -1 else d for p, d in zip(padded, dims))
        if -1 in dims:
            total: Any = 1
            for d in shape:
                total = total * d
            known: Any = 1
            for d in dims:
                if d != -1:
                    known = known * d
            if isinstance(total, int) and isinstance(known, int) and known:
                return tuple(total // known if d == -1 else d for d in dims)
            return None
        return dims
    if name == "unsqueeze":
        d = args[0]
        d = d if d >= 0 else len(shape) + 1 + d
        return tuple(shape[:d]) + (1,) + tuple(shape[d:])
    if name == "squeeze":
        if args:
            d = args[0] if args[0] >= 0 else len(shape) + args[0]
            return tuple(s for i, s in enumerate(shape) if not (i == d and s == 1))
        if all(isinstance(s, int) for s in shape):
            return tuple(s for s in shape if s != 1)
        return None
    if name == "t":
        return tuple(reversed(shape))
    if name == "transpose":
        a, b = args[0], args[1]
        s = list(shape)
        s[a], s[b] = s[b], s[a]
        return tuple(s)
    if name == "permute":
        order = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)
        return tuple(shape[i] for i in order)
    if name == "flatten":
        start = args[0] if args else 0
        end = args[1] if len(args) > 1 else -1
        end = end if end >= 0 else len(shape) + end
        if not shape:
            return (1,)
        total: Any = 1
        for d in shape[start:end + 1]:
            total = total * d
        return tuple(shape[:start]) + (total,) + tuple(shape[end + 1:])
    return None


# -- torch base classes (containers) ----------------------------------------------------------


def _dataclass_init_of(cls: UserClass) -> Impl:
    """The generated __init__ of dataclass `cls` (reached through super())."""
    def impl(it: Interpreter, obj: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        it.dataclass_init(cls, obj, args, kw, node)
        post = it.class_attr(cls, "__post_init__")
        if isinstance(post, Function):
            it.call_function(post, [obj], {}, node)
        return None
    return impl


def _torch_base_init(it: Interpreter, selfpair: Any, args: List[Any], kw: Dict[str, Any],
                     node: Any) -> Any:
    base, inst = selfpair
    if not isinstance(inst, ModuleInst):
        return None
    if base.last == "Module" or base.qual in ("torch.nn.Module",):
        return None
    result = it.torch_init(base, inst, args, kw, node)
    if isinstance(result, Unknown):
        return None
    return None


def _external_base_init(it: Interpreter, selfpair: Any, args: List[Any], kw: Dict[str, Any],
                        node: Any) -> Any:
    base, _inst = selfpair
    it.note(getattr(node, "lineno", 0), f"base class `{base.qual}` is third-party (not analysed)")
    return None


def _c_sequential(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    if len(args) == 1 and isinstance(args[0], dict):
        for k, v in args[0].items():
            it._add_child(inst, str(k), v, getattr(node, "lineno", 0))
        return None
    it.add_children(inst, list(args), node)
    return None


def _c_modulelist(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    src = args[0] if args else kw.get("modules")
    if src is None:
        return None
    items = it.iterate(src, node) if not isinstance(src, ModuleInst) else list(src.modules.values())
    if items is None:
        it.note(getattr(node, "lineno", 0), "ModuleList of unknown items")
        return None
    it.add_children(inst, items, node)
    return None


def _c_moduledict(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                  node: Any) -> Any:
    src = args[0] if args else kw.get("modules", kw.get("parameters"))
    if src is None:
        return None
    _dict_update(it, inst, src, node)
    return None


def _dict_update(it: Interpreter, inst: ModuleInst, src: Any, node: Any) -> None:
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
        it._add_child(inst, k, v, line)


_CONTAINERS: Dict[str, Callable[..., Any]] = {
    "Sequential": _c_sequential, "ModuleList": _c_modulelist, "ModuleDict": _c_moduledict,
    "ParameterList": _c_modulelist, "ParameterDict": _c_moduledict,
    "Module": lambda it, inst, a, k, n: None,
}


def _m_add_module(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
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
            it.module_setattr(inst, name, module, node)
        else:
            it.set_slot(inst.modules, name, module, owner=inst)
        return None
    it.note(getattr(node, "lineno", 0), f"add_module `{name}`: cannot tell the module"
            + (f" ({module.reason})" if isinstance(module, Unknown) else ""))
    return None


def _per_alternative(fn: Impl, it: Interpreter, inst: ModuleInst, args: List[Any],
                     kw: Dict[str, Any], node: Any, index: int, key: str) -> bool:
    """Call `fn` once per alternative of a conditional argument (`x if c else None`)."""
    value = args[index] if len(args) > index else kw.get(key)
    if not isinstance(value, Conditional):
        return False
    for cond, v in value.items:
        it.conds.append(cond or "True")
        try:
            new_args = list(args)
            new_kw = dict(kw)
            if len(args) > index:
                new_args[index] = v
            else:
                new_kw[key] = v
            fn(it, inst, new_args, new_kw, node)
        finally:
            it.conds.pop()
    return True


def _m_register_buffer(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                       node: Any) -> Any:
    if _per_alternative(_m_register_buffer, it, inst, args, kw, node, 1, "tensor"):
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
        tensor = Tensor(None, line, it.path)
    if isinstance(tensor, Tensor):
        if tensor.shape is None:
            it.note(line, f"shape of buffer `{name}` is unknown")
        tensor = Tensor(tensor.shape, tensor.line, tensor.path, False)
    for d in (inst.attrs, inst.params, inst.modules):
        d.pop(name, None)
    it.set_slot(inst.buffers, name, tensor, owner=inst)
    if p:
        inst.nonpersistent.discard(name)
    else:
        inst.nonpersistent.add(name)
    return None


def _m_register_parameter(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
                          node: Any) -> Any:
    if _per_alternative(_m_register_parameter, it, inst, args, kw, node, 1, "param"):
        return None
    line = getattr(node, "lineno", 0)
    name = args[0] if args else kw.get("name")
    param = args[1] if len(args) > 1 else kw.get("param")
    if not isinstance(name, str):
        it.note(line, "register_parameter with an unknown name")
        return None
    if param is not None and not isinstance(param, Tensor):
        it.note(line, f"parameter `{name}`: cannot tell the tensor")
        param = Tensor(None, line, it.path, True)
    for d in (inst.attrs, inst.buffers, inst.modules):
        d.pop(name, None)
    it.set_slot(inst.params, name, param, owner=inst)
    return None


def _m_self(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return inst


def _m_none(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return None


def _m_prehook(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any],
               node: Any) -> Any:
    it.migrates = True
    return None


def _walk_modules(inst: ModuleInst, prefix: str = "") -> Iterator[Tuple[str, ModuleInst]]:
    yield prefix, inst
    for name, child in inst.modules.items():
        if isinstance(child, ModuleInst):
            yield from _walk_modules(child, f"{prefix}.{name}" if prefix else name)


def _m_modules(named: bool) -> Impl:
    def impl(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        pairs = list(_walk_modules(inst))
        return TrackedList(pairs if named else [m for _, m in pairs])
    return impl


def _m_children(named: bool) -> Impl:
    def impl(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        pairs = [(n, m) for n, m in inst.modules.items() if isinstance(m, ModuleInst)]
        return TrackedList(pairs if named else [m for _, m in pairs])
    return impl


def _m_parameters(named: bool) -> Impl:
    def impl(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        out: List[Any] = []
        for prefix, m in _walk_modules(inst):
            for n, p in m.params.items():
                if isinstance(p, Tensor):
                    out.append((f"{prefix}.{n}" if prefix else n, p))
        return TrackedList(out if named else [p for _, p in out])
    return impl


def _m_append(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    it.add_children(inst, it._rep_wrap(inst, [args[0]]), node)
    return inst


def _m_extend(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    it.container_extend(inst, args[0], node)
    return inst


def _m_insert(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    index, module = args[0], args[1]
    names = list(inst.modules)
    if not isinstance(index, int) or any("{" in n for n in names) or it.conds:
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


def _m_update(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    _dict_update(it, inst, args[0] if args else kw, node)
    return None


def _m_dict_view(which: str) -> Impl:
    def impl(it: Interpreter, inst: ModuleInst, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if which == "keys":
            return TrackedList(inst.modules.keys())
        if which == "values":
            return TrackedList(inst.modules.values())
        return TrackedList(inst.modules.items())
    return impl


_MODULE_METHODS: Dict[str, Impl] = {
    "add_module": _m_add_module, "register_module": _m_add_module,
    "register_buffer": _m_register_buffer, "register_parameter": _m_register_parameter,
    "apply": _m_self, "to": _m_self, "cuda": _m_self, "cpu": _m_self, "float": _m_self,
    "double": _m_self, "half": _m_self, "bfloat16": _m_self, "train": _m_self, "eval": _m_self,
    "requires_grad_": _m_self, "type": _m_self, "to_empty": _m_self, "share_memory": _m_self,
    "zero_grad": _m_none, "reset_parameters": _m_none, "_reset_parameters": _m_none,
    "register_forward_hook": _m_none, "register_forward_pre_hook": _m_none,
    "register_full_backward_hook": _m_none, "register_backward_hook": _m_none,
    "register_state_dict_pre_hook": _m_none, "_register_state_dict_hook": _m_none,
    "register_load_state_dict_pre_hook": _m_prehook, "_register_load_state_dict_pre_hook": _m_prehook,
    "register_load_state_dict_post_hook": _m_none,
    "modules": _m_modules(False), "named_modules": _m_modules(True),
    "children": _m_children(False), "named_children": _m_children(True),
    "parameters": _m_parameters(False), "named_parameters": _m_parameters(True),
    "append": _m_append, "extend": _m_extend, "insert": _m_insert, "update": _m_update,
    "keys": _m_dict_view("keys"), "values": _m_dict_view("values"), "items": _m_dict_view("items"),
}


_STMT: Dict[type, Callable[[Interpreter, Any, Scope], None]] = {
    ast.Expr: Interpreter.s_expr, ast.Assign: Interpreter.s_assign,
    ast.AnnAssign: Interpreter.s_annassign, ast.AugAssign: Interpreter.s_augassign,
    ast.Return: Interpreter.s_return, ast.Pass: Interpreter.s_pass, ast.Break: Interpreter.s_break,
    ast.Continue: Interpreter.s_continue, ast.Raise: Interpreter.s_raise,
    ast.Delete: Interpreter.s_delete, ast.Import: Interpreter.s_import,
    ast.ImportFrom: Interpreter.s_import, ast.FunctionDef: Interpreter.s_functiondef,
    ast.AsyncFunctionDef: Interpreter.s_nothing, ast.ClassDef: Interpreter.s_classdef,
    ast.If: Interpreter.s_if, ast.For: Interpreter.s_for, ast.While: Interpreter.s_while,
    ast.With: Interpreter.s_with, ast.Try: Interpreter.s_try, ast.Assert: Interpreter.s_nothing,
    ast.Global: Interpreter.s_nothing, ast.Nonlocal: Interpreter.s_nothing,
}

_EXPR: Dict[type, Callable[[Interpreter, Any, Scope], Any]] = {
    ast.Constant: Interpreter.e_constant, ast.Name: Interpreter.e_name,
    ast.Attribute: Interpreter.e_attribute, ast.Tuple: Interpreter.e_tuple,
    ast.List: Interpreter.e_list, ast.Set: Interpreter.e_set, ast.Dict: Interpreter.e_dict,
    ast.JoinedStr: Interpreter.e_joinedstr, ast.BinOp: Interpreter.e_binop,
    ast.UnaryOp: Interpreter.e_unaryop, ast.BoolOp: Interpreter.e_boolop,
    ast.Compare: Interpreter.e_compare, ast.IfExp: Interpreter.e_ifexp,
    ast.Subscript: Interpreter.e_subscript, ast.Slice: Interpreter.e_slice,
    ast.Starred: Interpreter.e_starred, ast.NamedExpr: Interpreter.e_namedexpr,
    ast.Lambda: Interpreter.e_lambda, ast.ListComp: Interpreter.e_comp,
    ast.GeneratorExp: Interpreter.e_comp, ast.SetComp: Interpreter.e_comp,
    ast.DictComp: Interpreter.e_comp, ast.Call: Interpreter.e_call,
    ast.Yield: Interpreter.e_yield, ast.YieldFrom: Interpreter.e_yield,
}
if hasattr(ast, "Index"):
    _EXPR[ast.Index] = Interpreter.e_index
if hasattr(ast, "TryStar"):
    _STMT[ast.TryStar] = Interpreter.s_try
