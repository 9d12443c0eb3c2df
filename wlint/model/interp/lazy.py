"""Lazy import resolution: a package `__init__` is read only as far as the names a
prediction uses.

A `from .x import A` or `from .x import *` run directly at the top level of a
package `__init__.py` does not load `x` when `x` is not loaded yet: it binds
each name to a `LazyName` (for a star import, every public name `x` may bind,
told statically by `wlint.model.exports.star_names`). Reading the name -- a
lookup, `from pkg import A`, `pkg.A`, `import *` of the package into a module --
loads `x` then and gives exactly what the eager import would have bound, in
Python's binding order: a later statement of the `__init__` simply overwrites
the placeholder, and a placeholder for a name `x` turns out not to bind keeps
the binding it replaced.

Precision first -- laziness must never change a prediction:

* only modules whose top level changes nothing outside themselves except
  containers are deferred (`exports.defers_safely`); others load as written;
* loading a module may fill registries (decorators at import time). Every
  dict, list and set of a loaded module's namespace (and of its classes and
  module-level objects) is watched: when the prediction itself (not a module
  top level) misses a key of one, asks `in` and gets False, iterates it, takes
  its length or a view, passes it to a builtin or unpacks it, while modules are
  still deferred, every deferred module is loaded first ("flush") and the
  session continues eagerly. Reading a module global that a function of its
  module rebinds (`global`) flushes too;
* known gap, documented: a deferred module that would *overwrite* a registry
  key the prediction then reads (a hit, not a miss) is not detected.

`WLINT_EAGER_IMPORTS=1` (or `Interpreter(lazy=False)`) turns it off: the tests
compare both ways over the fixtures.
"""

from __future__ import annotations

import ast
import os
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from wlint.model.evaluator import Evaluator
from wlint.model.exports import declared_all, defers_safely, star_names
from wlint.model.reach import CallGraph, imported_modules, rebinds, runs_token, stores_attribute
from wlint.model.resolve import parse_source, resolve_import
from wlint.model.values import (
    MISSING, ExternalRef, LazyName, ModuleNamespace, PlainInstance, TorchRef, UserClass, resolved
)

CONTAINERS = (dict, list, set)
def enabled_by_default() -> bool:
    return os.environ.get("WLINT_EAGER_IMPORTS", "") not in ("1", "true", "yes")


def defer_from_import(it: Evaluator, node: ast.ImportFrom, scope: Any) -> bool:
    """Bind the names of `node` lazily when allowed (see module doc); True when done."""
    target = _deferrable_target(it, node, scope)
    if target is None:
        return False
    rel, text = target
    if node.names[0].name == "*":
        names = _star_index(it, rel, text, set())
        if names is None:
            return False
        for name in sorted(names):
            _bind(it, scope.vars, name, rel, _star_loader(it, rel, name))
        return True
    for alias in node.names:
        _bind(it, scope.vars, alias.asname or alias.name, rel, _attr_loader(it, rel, alias.name, node.lineno))
    return True


def copies_lazily(it: Evaluator, node: ast.stmt, scope: Any) -> bool:
    """Whether a star import run by `node` may copy another module's placeholders as they
    are (a direct top-level statement of a package `__init__`, laziness on)."""
    return _direct_in_init(it, node, scope)


def _direct_in_init(it: Evaluator, node: ast.stmt, scope: Any) -> bool:
    ns = scope.module
    if not it.lazy or scope.vars is not ns.vars or not ns.relpath.endswith("__init__.py"):
        return False
    if ns.direct is None:
        ns.direct = {id(s) for s in ns.ast.body} if ns.ast is not None else set()
    return id(node) in ns.direct


def _deferrable_target(it: Evaluator, node: ast.ImportFrom, scope: Any) -> Optional[tuple]:
    if not _direct_in_init(it, node, scope):
        return None
    if node.level == 0 and (node.module or "").split(".")[0] == "torch":
        return None
    rel = resolve_import(it.tree, it.frame.path, node.module or "", node.level, it.roots)
    if rel is None or rel in it.modules:
        return None
    text = it.tree.read(rel)
    if text is None or not defers_safely(text):
        return None
    return rel, text


def _star_index(it: Evaluator, rel: str, text: str, seen: Set[str]) -> Optional[FrozenSet[str]]:
    plain = declared_all(text)  # most modules say it plainly: no parse
    if plain is not None:
        return plain
    module, _ = parse_source(text)
    if module is None:
        return None
    seen = seen | {rel}

    def resolve_star(dotted: str, level: int) -> Optional[FrozenSet[str]]:
        inner = resolve_import(it.tree, rel, dotted, level, it.roots)
        if inner is None or inner in seen:
            return None
        inner_text = it.tree.read(inner)
        return None if inner_text is None else _star_index(it, inner, inner_text, seen)

    return star_names(text, module, resolve_star)


def _bind(it: Evaluator, vars: Dict[str, Any], name: str, rel: str, load: Callable[[], Any]) -> None:
    placeholder = LazyName(None, dict.get(vars, name, MISSING), rel)

    def run() -> Any:
        it.pending.pop(id(placeholder), None)
        return load()

    placeholder.load = run
    dict.__setitem__(vars, name, placeholder)
    it.pending[id(placeholder)] = placeholder


def _attr_loader(it: Evaluator, rel: str, name: str, line: int) -> Callable[[], Any]:
    return lambda: it.module_attr(it.load_module(rel), name, line)


def _star_loader(it: Evaluator, rel: str, name: str) -> Callable[[], Any]:
    return lambda: resolved(dict.get(it.load_module(rel).vars, name, MISSING))


# -- registries: what the prediction may observe of deferred modules' side effects ------------


def flush(it: Evaluator) -> None:
    """Load every deferred module (in the order they were deferred); eager from now on."""
    it.lazy = False
    while it.pending:
        key = next(iter(it.pending))
        it.pending.pop(key).force()


def _load_sources(it: Evaluator, sources: FrozenSet[str]) -> None:
    """Load the deferred modules `sources` (in the order they were deferred); every
    deferred module among them: the same as `flush`."""
    if all(p.source in sources for p in it.pending.values()):
        flush(it)
        return
    for key in [k for k, p in it.pending.items() if p.source in sources]:
        placeholder = it.pending.pop(key, None)
        if placeholder is not None:
            placeholder.force()


def watch(it: Evaluator, obj: Any) -> bool:
    """Load the deferred modules that could change a watched container the prediction
    observes; True when it did (the caller reads `obj` again)."""
    if it.pending and not it.loading:
        holder = it.shared.get(id(obj))
        if holder is not None:
            plain = len(holder[1]) == 1 and _plain(obj)  # only a module global's counts
            sources = _could_change(it, ("container", holder[1], holder[2], plain))
            if sources:
                _load_sources(it, sources)
                return True
    return False


def _plain(obj: Any) -> bool:
    """A container none of whose items is a container: reading an item hands out
    nothing that writes to it (the watched nesting is one level, see `_watch`)."""
    items = obj.values() if isinstance(obj, dict) else obj
    return not any(isinstance(item, CONTAINERS) for item in items)


def watch_any(it: Evaluator, values: List[Any]) -> None:
    for value in values:
        if watch(it, value):
            return


def watch_global(it: Evaluator, ns: ModuleNamespace, name: str) -> None:
    """The prediction reads global `name` of a loaded module: could a deferred module
    rebind it (a function declaring it `global`, an attribute write from elsewhere)?
    Names bound to torch or a third-party package are no project state: not watched."""
    if it.pending and not it.loading and \
            not isinstance(dict.get(ns.vars, name), (TorchRef, ExternalRef)):
        sources = _could_change(it, ("global", ns.relpath, name))
        if sources:
            _load_sources(it, sources)


_NONE: FrozenSet[str] = frozenset()


def _could_change(it: Evaluator, target: Tuple[Any, ...]) -> FrozenSet[str]:
    """The deferred modules (their sources) whose loading could reach the code that
    changes `target`: ("container", names, homes, plain) -- a registry known by those
    names in those modules, whose every user may write it (when `plain`, a module global
    of plain items: only those that use it other than to read it, reach.read_only_uses)
    -- or ("global", relpath, name) (wlint.model.reach). A module could when a module its loading may run (its imports, transitively) runs
    such code at its top level. Memoised per target and per number of loaded modules
    (the deferred set only shrinks)."""
    memo = it.lazy_memo
    if target[0] == "global" and target[2] not in _rebindable(it):
        return _NONE  # nothing anywhere rebinds it
    stamp = (target, len(it.modules))
    hit = memo.get(stamp)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    writers = memo.get(target)
    if writers is None:  # the modules of the closure that run code reaching the target
        graph = _graph(it)
        _deferred_texts(it)
        closure = memo["closure"]
        if target[0] == "global":  # its readers cannot rebind it: no expansion through them
            tokens = graph.expand(graph.global_writers(target[1], target[2]))
            if tokens is not None and any(stores_attribute(text, target[2]) for _, text in closure):
                tokens = tokens | {(target[2], target[1])}
        else:
            seeds = frozenset((name, home) for name in target[1] for home in target[2])
            if target[3]:  # a module global of plain items
                tokens = graph.expand(graph.container_writers(seeds))
                tokens = None if tokens is None else tokens | seeds
            else:
                tokens = graph.expand(seeds)
        writers = memo[target] = frozenset(
            rel for rel, text in closure if tokens is None or runs_token(rel, text, tokens))
    out = memo[stamp] = _reaching(it, writers) if writers else _NONE
    return out


def _reaching(it: Evaluator, writers: FrozenSet[str]) -> FrozenSet[str]:
    """The sources of deferred modules whose loading may run one of `writers` (a module
    not loaded yet, reached through imports of modules not loaded yet)."""
    edges: Dict[str, List[str]] = it.lazy_memo["edges"]
    out: Set[str] = set()
    for source in dict.fromkeys(p.source for p in it.pending.values()):
        seen = {source}
        todo = [source]
        while todo:
            rel = todo.pop()
            if rel in it.modules:
                continue
            if rel in writers:
                out.add(source)
                break
            for target in edges.get(rel, ()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
    return frozenset(out)


def _import_targets(it: Evaluator, rel: str, text: str) -> List[str]:
    """The project files the import lines of `rel` may load (submodules of a package
    imported by name included)."""
    out = []
    for dotted, level, names in imported_modules(text):
        target = resolve_import(it.tree, rel, dotted, level, it.roots)
        if target is None:
            continue
        out.append(target)
        if target.endswith("__init__.py"):
            for name in names:
                sub = resolve_import(it.tree, rel, f"{dotted}.{name}" if dotted else name, level, it.roots)
                if sub is not None:
                    out.append(sub)
    return out


def _rebindable(it: Evaluator) -> FrozenSet[str]:
    """Every name some loaded or deferred module may rebind (reach.rebinds; once)."""
    names = it.lazy_memo.get("rebinds")
    if names is None:
        _deferred_texts(it)
        texts = [text for _, text in it.lazy_memo["closure"]]
        texts += [t for t in (it.tree.read(rel) for rel in it.modules) if t is not None]
        names = it.lazy_memo["rebinds"] = frozenset().union(*(rebinds(t) for t in texts))
    return names  # type: ignore[no-any-return]


def _graph(it: Evaluator) -> CallGraph:
    """Who mentions what in the loaded modules and every module the deferred ones may
    import (built once: modules loaded later were among the latter)."""
    graph = it.lazy_memo.get("graph")
    if graph is None:
        _deferred_texts(it)
        texts = {rel: text for rel, text in it.lazy_memo["closure"]}
        for rel in it.modules:
            text = it.tree.read(rel)
            if text is not None:
                texts[rel] = text
        graph = it.lazy_memo["graph"] = CallGraph(texts)
    return graph


def _deferred_texts(it: Evaluator) -> List[str]:
    """The texts of every module loading the deferred ones may run (imports followed
    transitively; modules already loaded have run)."""
    closure = it.lazy_memo.get("closure")
    if closure is None:
        todo = list(dict.fromkeys(p.source for p in it.pending.values()))
        seen = set(todo)
        closure = []
        edges: Dict[str, List[str]] = {}
        while todo:
            rel = todo.pop()
            text = it.tree.read(rel)
            if text is None:
                continue
            closure.append((rel, text))
            edges[rel] = []
            for target in _import_targets(it, rel, text):
                if target not in it.modules:
                    edges[rel].append(target)
                    if target not in seen:
                        seen.add(target)
                        todo.append(target)
        it.lazy_memo["closure"] = closure
        it.lazy_memo["edges"] = edges
    return [text for rel, text in closure if rel not in it.modules]


def register_containers(it: Evaluator, ns: ModuleNamespace) -> None:
    """Watch the containers a freshly loaded module holds -- its globals, the class
    attributes of its classes, the attributes of its module-level objects, one level
    of nesting -- with the names code must use to reach them and the modules whose
    names they are (a container several modules hold gathers them all)."""
    for name, value in dict.items(ns.vars):
        if isinstance(value, UserClass) and value.module is ns:
            for attr, inner in value.ns.items():
                _watch(it, inner, frozenset({name, attr}), ns.relpath)
        elif isinstance(value, PlainInstance):
            for attr, inner in value.attrs.items():
                _watch(it, inner, frozenset({name, attr}), ns.relpath)
        else:
            _watch(it, value, frozenset({name}), ns.relpath)


def _watch(it: Evaluator, value: Any, names: FrozenSet[str], home: str) -> None:
    if isinstance(value, CONTAINERS):
        _hold(it, value, names, home)
        for item in (value.values() if isinstance(value, dict) else value):
            if isinstance(item, CONTAINERS):
                _hold(it, item, names, home)


def _hold(it: Evaluator, value: Any, names: FrozenSet[str], home: str) -> None:
    known = it.shared.get(id(value))
    if known is not None and known[0] is value:
        names, homes = names | known[1], known[2] | {home}
    else:
        homes = frozenset({home})
    it.shared[id(value)] = (value, names, homes)
