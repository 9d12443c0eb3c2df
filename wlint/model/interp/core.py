"""The abstract interpreter's core: one prediction session over one source tree.

It runs `__init__` bodies (and what they call) over the value lattice of
`wlint.model.values`, building `ModuleInst` trees without importing anything.
Precision first: whatever cannot be known becomes `Unknown` and, when it could
change the state_dict, a note (line + reason) that ends up in
`Prediction.unresolved`. Branches on unknown conditions run both arms and mark
what they register with the condition's source text. A step budget bounds the
work on any input.

The core holds the budget, the notes, module loading and the dispatch of
statements and expressions to the handlers registered by AST type in
`statements`, `assignments`, `imports`, `expressions`, `operators` and `calls`.
The methods bound below the dispatch are the API handlers and overlays use
(`wlint.model.evaluator.Evaluator`); each lives in the module of its concern.
"""

from __future__ import annotations

import ast
import functools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from wlint.model.budget import CHARS_PER_STEP, size_cost
from wlint.model.evaluator import MAX_STEPS
from wlint.torch_target import CHECKED_TORCH
import wlint.model.interp.assignments as assignments
import wlint.model.interp.attributes as attributes
import wlint.model.interp.calls as calls
import wlint.model.interp.expressions as expressions
import wlint.model.interp.frames as frames
import wlint.model.interp.imports as imports
import wlint.model.interp.lazy as lazy_imports
import wlint.model.interp.operators as operators
import wlint.model.interp.statements as statements
from wlint.model.interp.arguments import symbolic_arguments
from wlint.model.interp.assignments import assigned_names
from wlint.model.interp.causes import explained_by
from wlint.model.interp.frames import Frame, Scope
from wlint.model.overlays import load_all
from wlint.model.overlays.registry import CONSTANTS, FUNCTIONS, MODULE_CLASSES, builtin_namespace
from wlint.model.overlays.stdlib import NON_MODULE_PACKAGES
from wlint.model.overlays.torch_layers import catalog_by_qualname
from wlint.model.resolve import SourceTree, import_roots, parse_source
from wlint.model.site import SiteView, current_site
from wlint.model.signals import (
    TOO_LARGE, BreakSig, BudgetExceeded, ContinueSig, RaiseSig, ReturnSig, TooLarge
)
from wlint.model.text import short_error, short_source, source_text
from wlint.model.values import ModuleInst, ModuleNamespace, SymbolicObject, Unknown, UserClass

Handler = Callable[[Any, Any, Scope], Any]
STATEMENTS: Dict[type, Handler] = {**statements.HANDLERS, **assignments.HANDLERS,
                                   **imports.HANDLERS}
EXPRESSIONS: Dict[type, Handler] = {**expressions.HANDLERS, **operators.HANDLERS,
                                    **calls.HANDLERS}
# expressions that build a new value: it costs steps by its size (wlint.model.budget)
PRODUCERS = frozenset((ast.BinOp, ast.UnaryOp, ast.Call, ast.JoinedStr, ast.List, ast.Tuple,
                       ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp,
                       ast.GeneratorExp))


@functools.cache
def modelled_packages() -> frozenset:
    """Top-level packages the overlays or the catalog model by name (`einops`, `numpy`,
    `packaging`, ...): their imports stay references to that model, their installed
    source is never read (wlint.model.site)."""
    load_all()
    names = [*FUNCTIONS, *MODULE_CLASSES, *CONSTANTS, *catalog_by_qualname()]
    return frozenset(n.split(".")[0] for n in names) | frozenset(NON_MODULE_PACKAGES)


class Interpreter:
    """One prediction session over one source tree."""

    def __init__(self, tree: SourceTree, main_relpath: str, extra_roots: Tuple[str, ...] = (),
                 max_steps: int = MAX_STEPS, torch_version: Tuple[int, ...] = CHECKED_TORCH,
                 lazy: Optional[bool] = None) -> None:
        # installed third-party source is served by a SiteView (wlint.model.site); a
        # caller that records reads for the cache wraps the tree itself
        self.site: Optional[SiteView] = tree if isinstance(tree, SiteView) else None
        if self.site is None and getattr(tree, "site_root", None) is None:
            self.site = SiteView(tree, current_site(getattr(tree, "root", None)))
            tree = self.site
        if self.site is not None:
            self.site.known = modelled_packages()
        self.tree = tree
        self.torch_version = torch_version  # the target torch of version branches
        self.main = main_relpath
        self.roots = import_roots(tree, main_relpath, extra_roots)
        self.modules: Dict[str, ModuleNamespace] = {}
        self.notes: List[Tuple[str, int, str]] = []
        self._note_set: set = set()
        self.steps = 0
        self.max_steps = max_steps
        self.frame = Frame(main_relpath)  # changed only through frames.in_* context managers
        self.uses: Dict[Tuple[str, str], None] = {}
        self.migrates = False
        self.depth = 0  # call depth
        load_all()
        self.builtins = builtin_namespace()  # shared: read-only
        self.pass_counter = 0  # ids of the symbolic passes of loops of unknown length
        self.loading = 0  # > 0 while running a module's top level
        self.maybe_module_args: List[Tuple[SymbolicObject, str, int, str, ModuleInst]] = []
        # lazy imports (interp/lazy.py): deferred re-exports, watched registry containers
        self.lazy = lazy_imports.enabled_by_default() if lazy is None else lazy
        self.pending: Dict[int, Any] = {}
        self.shared: Dict[int, Any] = {}
        self.lazy_memo: Dict[Any, Any] = {}

    # -- entry points ------------------------------------------------------------------------
    def evaluate(self, expr: ast.expr) -> Any:
        """The value of `expr` in the namespace of the main file; a project class comes
        back initialised (bases, MRO, body run)."""
        ns = self.load_module(self.main)
        value = self.eval(expr, Scope(ns.vars, None, ns))
        if isinstance(value, UserClass) and not value.ready:
            self.init_class(value)
        return value

    def run(self, expr: ast.expr, callee: Any, line: int, text: str) -> Any:
        """Build what `expr` constructs and close the session: a call as written, a bare
        class name (`callee`, from `evaluate`) with its required parameters as symbols.
        Whatever stops the run (budget, recursion, an interpreter limit) becomes a note
        on `line` naming `text`; the result is then None."""
        ns = self.load_module(self.main)
        scope = Scope(ns.vars, None, ns)
        value: Any = None
        try:
            if isinstance(expr, ast.Call):
                value = self.eval(expr, scope)
            else:
                args, kwargs = symbolic_arguments(self, callee)
                value = self.call(callee, args, kwargs, expr)
        except BudgetExceeded:
            self.note(line, "step budget exhausted: the prediction is incomplete", self.main)
        except TooLarge:
            self.note(line, f"{TOO_LARGE}: the prediction is incomplete", self.main)
        except RecursionError:
            self.note(line, "recursion too deep: the prediction is incomplete", self.main)
        except RaiseSig:
            self.note(line, f"building {text} reaches a `raise` (or a failing assert) "
                            "of the analysed code", self.main)
        except Exception as exc:
            self.note(line, f"cannot interpret {text}: {exc}", self.main)
        self.finish()
        return value

    def finish(self) -> None:
        """Notes that depend on the whole run (arguments that may be modules)."""
        for value, path, line, name, inst in self.maybe_module_args:
            if value.may_module:
                reason = f"`{name}` is the unknown argument `{value.name}` (it may be a module)"
                self.note(line, reason, path)
                inst.unidentified[name] = (line, path, reason)
        self.maybe_module_args = []

    def note(self, line: int, reason: str, path: Optional[str] = None,
             always: bool = False) -> None:
        if self.loading and not always:
            return  # a module's top level: what fails there is Unknown where it is used
        key = (path or self.frame.path, line, reason)
        if key not in self._note_set:
            self._note_set.add(key)
            self.notes.append(key)

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise BudgetExceeded()

    def charge(self, steps: int) -> None:
        """Work that one step hides (a big value, a long expansion), by its size."""
        self.steps += steps
        if self.steps > self.max_steps:
            raise BudgetExceeded()

    def too_large(self, line: int, node: Optional[ast.AST] = None, why: str = "") -> None:
        """The note of a refused value (also at a module's top level: the input is
        hostile or broken, and the analysis skipped part of it)."""
        where = f": `{short_source(node)}`" if node is not None else ""
        self.note(line, TOO_LARGE + why + where, always=True)

    def load_module(self, relpath: str) -> ModuleNamespace:
        ns = self.modules.get(relpath)
        if ns is not None:
            return ns
        ns = ModuleNamespace(relpath, self.tree)
        name = self.site.module_name(relpath) if self.site is not None else None
        ns.vars["__name__"] = name or relpath[:-3].replace("/", ".").replace(".__init__", "")
        self.modules[relpath] = ns
        text = self.tree.read(relpath)
        if text is None:
            ns.error = f"cannot read {relpath}"
            ns.done = True
            return ns
        if name is not None:  # installed third-party source: its size counts in the budget
            self.charge(len(text) // CHARS_PER_STEP)
        module, error = parse_source(text)
        if module is None:
            ns.error = error
            ns.done = True
            return ns
        ns.ast = module
        ns.text = text
        scope = Scope(ns.vars, None, ns)
        try:
            with self.in_module(relpath):
                for stmt in module.body:
                    self.exec_toplevel(stmt, scope)
        finally:
            ns.done = True
        if self.lazy:
            lazy_imports.register_containers(self, ns)
        return ns

    def exec_toplevel(self, stmt: ast.stmt, scope: Scope) -> None:
        try:
            self.exec_stmt(stmt, scope)
        except BudgetExceeded:
            raise
        except (ReturnSig, BreakSig, ContinueSig, RaiseSig):
            pass
        except TooLarge as exc:
            self.too_large(stmt.lineno, stmt)
            for name in assigned_names(stmt):
                scope.vars[name] = Unknown(f"{name}: {short_error(exc)}", stmt.lineno, True)
        except Exception as exc:
            for name in assigned_names(stmt):
                scope.vars[name] = Unknown(f"{name}: {short_error(exc)}", stmt.lineno, True)

    def exec_block(self, stmts: Sequence[ast.stmt], scope: Scope) -> None:
        for stmt in stmts:
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, node: ast.stmt, scope: Scope) -> None:
        self.step()
        handler = STATEMENTS.get(type(node))
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
        except Exception as exc:
            cause = explained_by(node, scope)  # a consequence of a failure already noted
            if isinstance(exc, RecursionError):
                self.too_large(node.lineno, node, " (nested too deeply)")
            elif isinstance(exc, TooLarge):
                self.too_large(node.lineno, node)
            elif cause is None:
                self.note(node.lineno, f"cannot interpret `{source_text(node)}`: "
                                       f"{short_error(exc)}")
            cause = cause or (self.frame.path, node.lineno)
            for name in assigned_names(node):
                if name not in scope.vars or not isinstance(scope.vars.get(name), ModuleInst):
                    scope.vars[name] = Unknown(short_error(exc), node.lineno, True, cause)

    def eval(self, node: ast.expr, scope: Scope) -> Any:
        self.step()
        handler = EXPRESSIONS.get(type(node))
        if handler is None:
            return Unknown(f"unsupported expression {type(node).__name__}", node.lineno)
        value = handler(self, node, scope)
        if type(node) in PRODUCERS:
            cost = size_cost(value)
            if cost:
                self.charge(cost)
        return value

    # -- the API of handlers and overlays (wlint.model.evaluator.Evaluator) ----------------
    module_attr = imports.module_attr
    assign = assignments.assign
    setattr = assignments.set_attribute
    init_class = statements.init_class
    iterate = expressions.iterate
    to_str = expressions.to_str
    truth = operators.truth
    binop = operators.binop
    getattr = attributes.get_attribute
    class_attr = attributes.class_attr
    bind_attr = attributes.bind_attr
    call = calls.call
    call_function = calls.call_function
    in_module = frames.in_module
    in_file = frames.in_file
    in_call = frames.in_call
    in_branch = frames.in_branch
    in_loop = frames.in_loop
    next_atom = frames.next_atom
    list_wrap = frames.list_wrap
    rep_wrap = frames.rep_wrap
    list_extend = frames.list_extend
