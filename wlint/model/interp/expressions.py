"""Expression handlers, registered by AST type: names, literals, f-strings,
subscripts and slices, comprehensions (a symbolic pass for unknown lengths),
lambda, yield, and iteration over abstract values.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Sequence

from wlint.model.budget import ITEMS_PER_STEP, check_spec
from wlint.model.evaluator import Evaluator, LOOP_ATOMS, MAX_ITEMS
from wlint.model.interp.frames import Scope, loop_value
from wlint.model.interp.lazy import watch, watch_global
from wlint.model.overlays.torch_tensors import index_shape
from wlint.model.signals import CannotInterpret
from wlint.model.symbolic import Sym, render
from wlint.model.text import short_error, source_text
from wlint.model.values import (
    Conditional, DefaultDict, ExternalRef, Function, ItemsIterator, MISSING, ModuleInst, Repeated,
    SymbolicFloat, SymbolicObject, SymbolicRange, Tensor, TorchRef, TrackedList, Unknown,
    check_key, is_unknownish, value_text
)


def eval_constant(it: Evaluator, node: ast.Constant, scope: Scope) -> Any:
    return node.value


def eval_name(it: Evaluator, node: ast.Name, scope: Scope) -> Any:
    name = node.id
    s: Optional[Scope] = scope
    while s is not None:
        if name in s.vars:
            if it.pending and s.vars is s.module.vars:  # a global a deferred module may rebind
                watch_global(it, s.module, name)
            return s.vars[name]
        s = s.parent
    if name in scope.module.vars:
        if it.pending:
            watch_global(it, scope.module, name)
        return scope.module.vars[name]
    if name in it.builtins:
        return it.builtins[name]
    if not it.loading:
        it.note(node.lineno, f"name `{name}` is not defined")
    return Unknown(f"name `{name}` is not defined", node.lineno, True)


def eval_attribute(it: Evaluator, node: ast.Attribute, scope: Scope) -> Any:
    obj = it.eval(node.value, scope)
    return it.getattr(obj, node.attr, node)


def eval_tuple(it: Evaluator, node: ast.Tuple, scope: Scope) -> Any:
    return tuple(eval_elts(it, node.elts, scope, node))


def eval_list(it: Evaluator, node: ast.List, scope: Scope) -> Any:
    out = TrackedList(eval_elts(it, node.elts, scope, node))
    out.depth = len(it.frame.loop_atoms)
    out.cond_depth = len(it.frame.conds)
    return out


def eval_set(it: Evaluator, node: ast.Set, scope: Scope) -> Any:
    items = eval_elts(it, node.elts, scope, node)
    try:
        return set(items)
    except TypeError:
        return Unknown("unhashable set item", node.lineno)


def eval_elts(it: Evaluator, elts: Sequence[ast.expr], scope: Scope, node: ast.AST) -> List[Any]:
    out: List[Any] = []
    for e in elts:
        if isinstance(e, ast.Starred):
            items = iterate(it, it.eval(e.value, scope), node)
            if items is None:
                raise CannotInterpret(f"cannot unpack `{source_text(e.value)}`")
            out.extend(items)
        else:
            out.append(it.eval(e, scope))
    return out


def eval_dict(it: Evaluator, node: ast.Dict, scope: Scope) -> Any:
    out: Dict[Any, Any] = {}
    for k, v in zip(node.keys, node.values):
        if k is None:
            other = it.eval(v, scope)
            if isinstance(other, dict):
                if it.pending:
                    watch(it, other)
                out.update(other)
            else:
                raise CannotInterpret("cannot unpack mapping")
        else:
            key = it.eval(k, scope)
            check_key(key)
            out[key] = it.eval(v, scope)
    return out


def eval_joinedstr(it: Evaluator, node: ast.JoinedStr, scope: Scope) -> Any:
    parts: List[str] = []
    for v in node.values:
        if isinstance(v, ast.Constant):
            parts.append(str(v.value))
            continue
        assert isinstance(v, ast.FormattedValue)
        value = it.eval(v.value, scope)
        spec = ""
        if v.format_spec is not None:
            assert isinstance(v.format_spec, ast.JoinedStr)
            spec_v = eval_joinedstr(it, v.format_spec, scope)
            if not isinstance(spec_v, str):
                return spec_v
            spec = spec_v
        text = to_str(it, value, spec, v.conversion)
        if not isinstance(text, str):
            return text
        parts.append(text)
    return "".join(parts)


def to_str(it: Evaluator, value: Any, spec: str = "", conversion: int = -1) -> Any:
    if isinstance(value, Sym) and set(value.atoms()) & set(LOOP_ATOMS) and not spec:
        return "{" + render(value) + "}"
    if isinstance(value, (Sym, SymbolicObject, Unknown, SymbolicFloat, Tensor)):
        return Unknown("string built from an unknown value", 0, False)
    check_spec(spec)  # TooLarge: the statement's note
    try:
        if conversion == ord("r"):
            value = repr(value)
        return format(value, spec) if spec else str(value) if isinstance(
            value, (int, float, str, bool, type(None))) else str(value_text(value))
    except (ValueError, TypeError) as exc:
        return Unknown(short_error(exc))


def eval_subscript(it: Evaluator, node: ast.Subscript, scope: Scope) -> Any:
    obj = it.eval(node.value, scope)
    key = it.eval(node.slice, scope)
    return getitem(it, obj, key, node)


def eval_slice(it: Evaluator, node: ast.Slice, scope: Scope) -> Any:
    parts = [it.eval(p, scope) if p is not None else None
             for p in (node.lower, node.upper, node.step)]
    if any(is_unknownish(p) for p in parts):
        return Unknown("unknown slice bound", node.lineno)
    return slice(*parts)


def eval_index(it: Evaluator, node: Any, scope: Scope) -> Any:  # Python 3.8 ast.Index
    return it.eval(node.value, scope)


def eval_starred(it: Evaluator, node: ast.Starred, scope: Scope) -> Any:
    return it.eval(node.value, scope)


def eval_namedexpr(it: Evaluator, node: ast.NamedExpr, scope: Scope) -> Any:
    value = it.eval(node.value, scope)
    it.assign(node.target, value, scope, node)
    return value


def eval_yield(it: Evaluator, node: Any, scope: Scope) -> Any:
    target = scope.yield_sink
    if not isinstance(target, TrackedList):
        return Unknown("yield outside a generator", node.lineno)
    value = it.eval(node.value, scope) if node.value is not None else None
    if isinstance(node, ast.YieldFrom):
        it.list_extend(target, value)
    else:
        target.extend(it.list_wrap(target, [value]))
    return None


def eval_lambda(it: Evaluator, node: ast.Lambda, scope: Scope) -> Any:
    return Function(node, scope, scope.module)


def eval_comprehension(it: Evaluator, node: Any, scope: Scope) -> Any:
    inner = Scope({}, scope, scope.module)
    out: List[Any] = []
    comp_loop(it, node, node.generators, 0, inner, out)
    if isinstance(node, ast.DictComp):
        d: Dict[Any, Any] = {}
        for k, v in out:
            if isinstance(k, Repeated) or isinstance(v, Repeated):
                raise CannotInterpret("dict comprehension over a loop of unknown length")
            check_key(k)
            d[k] = v
        return d
    if isinstance(node, ast.SetComp):
        return set(out)
    result = TrackedList(out)
    result.depth = len(it.frame.loop_atoms)
    result.cond_depth = len(it.frame.conds)
    return result


def comp_loop(it: Evaluator, node: Any, gens: List[ast.comprehension], idx: int, scope: Scope,
              out: List[Any]) -> None:
    if idx == len(gens):
        if isinstance(node, ast.DictComp):
            item: Any = (it.eval(node.key, scope), it.eval(node.value, scope))
        else:
            item = it.eval(node.elt, scope)
        for atom, pid in reversed(it.frame.comp_atoms):
            item = Repeated(item, atom, pid)
        out.append(item)
        return
    gen = gens[idx]
    items = iterate(it, it.eval(gen.iter, scope), node)
    if items is None:
        raise CannotInterpret(f"cannot iterate over `{source_text(gen.iter)}`")
    for value in items:
        it.step()
        if isinstance(value, Repeated):
            atom = it.next_atom()
            with it.in_loop(atom, comprehension=True):
                _comprehension_item(it, node, gens, idx, scope, out, loop_value(value, atom))
        else:
            _comprehension_item(it, node, gens, idx, scope, out, value)


def _comprehension_item(it: Evaluator, node: Any, gens: List[ast.comprehension], idx: int,
                        scope: Scope, out: List[Any], value: Any) -> None:
    """Bind one item of generator `idx`, apply its filters, run the inner generators."""
    gen = gens[idx]
    it.assign(gen.target, value, scope, node)
    for cond in gen.ifs:
        t = it.truth(it.eval(cond, scope))
        if t is None:
            raise CannotInterpret(f"comprehension filter `{source_text(cond)}` is unknown")
        if not t:
            return
    comp_loop(it, node, gens, idx + 1, scope, out)


def iterate(it: Evaluator, v: Any, node: ast.AST) -> Optional[List[Any]]:
    """Items of an iterable; `Repeated` items stand for unknown-length runs; None if unknown."""
    if it.pending:
        watch(it, v)
    if isinstance(v, (list, tuple, range, str, set)):
        if len(v) > MAX_ITEMS:
            return None
        it.charge(len(v) // ITEMS_PER_STEP)
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


def getitem(it: Evaluator, obj: Any, key: Any, node: ast.AST) -> Any:
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
                new = ModuleInst("Sequential", None, line, it.frame.path, "Sequential")
                new.cond_depth = len(it.frame.conds)
                new.torch_bases = ("Sequential", "Module")
                for n in names[key]:
                    new.modules[n] = obj.modules[n]
                return new
            new = ModuleInst(obj.kind, None, line, it.frame.path, obj.kind)
            new.cond_depth = len(it.frame.conds)
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
        if it.pending:  # a registry a deferred module may fill
            watch(it, obj)
        try:
            return obj[key]
        except KeyError:
            if isinstance(obj, DefaultDict) and obj.factory is not None:
                check_key(key)
                obj[key] = it.call(obj.factory, [], {}, node)
                return obj[key]
            return Unknown(f"missing key {key!r}", line, True)
        except TypeError:
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
        return Tensor(index_shape(obj.shape, key), obj.line, obj.path)
    if isinstance(obj, ExternalRef) and obj.qual == "sys.modules" and isinstance(key, str):
        return loaded_module(it, key, line)
    if isinstance(obj, (TorchRef, ExternalRef)):
        return obj  # typing generics: Optional[X], List[int]
    return Unknown(f"cannot index {type(obj).__name__}", line, True)


def loaded_module(it: Evaluator, name: str, line: int) -> Any:
    """`sys.modules[name]` for a project module the prediction has loaded (a registry
    decorator's `sys.modules[fn.__module__]`)."""
    for ns in it.modules.values():
        if ns.vars.get("__name__") == name:
            return ns
    return Unknown(f"module {name!r} is not loaded", line, True)


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.Constant: eval_constant, ast.Name: eval_name, ast.Attribute: eval_attribute,
    ast.Tuple: eval_tuple, ast.List: eval_list, ast.Set: eval_set, ast.Dict: eval_dict,
    ast.JoinedStr: eval_joinedstr, ast.Subscript: eval_subscript, ast.Slice: eval_slice,
    ast.Starred: eval_starred, ast.NamedExpr: eval_namedexpr, ast.Lambda: eval_lambda,
    ast.ListComp: eval_comprehension, ast.GeneratorExp: eval_comprehension,
    ast.SetComp: eval_comprehension, ast.DictComp: eval_comprehension,
    ast.Yield: eval_yield, ast.YieldFrom: eval_yield,
}
if hasattr(ast, "Index"):
    HANDLERS[ast.Index] = eval_index
