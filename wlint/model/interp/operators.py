"""Operators over the lattice: binary (symbolic integer arithmetic, floats of
symbols, tensors broadcast), unary, boolean, comparisons, conditional
expressions, and truth. An unknown test yields a `SymbolicBool` with its text,
which becomes the condition of what the branches register.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, Optional

from wlint.model.budget import binop_cost, check_percent
from wlint.model.interp.lazy import watch
from wlint.model.conditions import Not, Text
from wlint.model.evaluator import Evaluator
from wlint.model.interp.frames import Scope
from wlint.model.overlays.torch_tensors import broadcast
from wlint.model.signals import TOO_LARGE, TooLarge
from wlint.model.symbolic import Sym, opaque, render
from wlint.model.text import short_error, source_text
from wlint.model.values import (
    Conditional, ExternalRef, ModuleInst, Repeated, SymbolicBool, SymbolicFloat, SymbolicObject,
    SymbolicRange, Tensor, TorchRef, TrackedList, Unknown, is_plain, is_unknownish, same_value,
    sym_text, to_sym, value_text
)


def eval_binop(it: Evaluator, node: ast.BinOp, scope: Scope) -> Any:
    left = it.eval(node.left, scope)
    right = it.eval(node.right, scope)
    return binop(it, node.op, left, right, node)


def binop(it: Evaluator, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
    it.step()  # also when an overlay folds a sequence (sum)
    fn = _BINOPS.get(type(op))
    if fn is None:
        return Unknown(f"operator {type(op).__name__}", getattr(node, "lineno", 0))
    if isinstance(left, Tensor) or isinstance(right, Tensor):
        return tensor_binop(left, right)
    refused = _charge(it, op, left, right, node)
    if refused is not None:
        return refused
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and isinstance(
            op, ast.Add):
        out = TrackedList(list(left) + list(right)) if isinstance(left, list) else tuple(left) + tuple(right)
        return out
    if isinstance(op, ast.Mod) and isinstance(left, str):
        args = right if isinstance(right, tuple) else (right,)
        texts = [it.to_str(a) if isinstance(a, Sym) else a for a in args]
        if any(isinstance(t, Unknown) for t in texts):
            return Unknown("string built from an unknown value")
        try:
            check_percent(left, texts)
        except TooLarge:
            return _refuse(it, node)
        try:
            return left % tuple(texts)
        except (TypeError, ValueError):
            return Unknown("% formatting")
    raw = (left, right)
    left, right = to_sym(left), to_sym(right)
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return Unknown((left if isinstance(left, Unknown) else right).reason,
                       getattr(node, "lineno", 0))
    if isinstance(left, Sym) or isinstance(right, Sym):
        if (left, right) != raw:  # a symbol only now (an unknown argument used as a number)
            refused = _charge(it, op, left, right, node)
        return refused or sym_binop(op, left, right)
    try:
        return fn(left, right)
    except Exception as exc:
        return Unknown(short_error(exc), getattr(node, "lineno", 0))


def eval_unaryop(it: Evaluator, node: ast.UnaryOp, scope: Scope) -> Any:
    v = it.eval(node.operand, scope)
    if isinstance(node.op, ast.Not):
        t = truth(it, v)
        if t is not None:
            return not t
        text = value_cond(v)
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
        return Unknown(short_error(exc))
    return Unknown("unary operator")


def eval_boolop(it: Evaluator, node: ast.BoolOp, scope: Scope) -> Any:
    is_and = isinstance(node.op, ast.And)
    value: Any = None
    for i, expr in enumerate(node.values):
        value = it.eval(expr, scope)
        if i == len(node.values) - 1:
            return value
        t = truth(it, value)
        if t is None:
            rest = [it.eval(e, scope) for e in node.values[i + 1:]]
            if all(same_value(value, r) for r in rest):
                return value
            nums = [to_sym(v) if isinstance(v, SymbolicObject) else v for v in [value] + rest]
            if all(isinstance(v, (int, Sym)) and not isinstance(v, bool) for v in nums):
                word = " and " if is_and else " or "
                return Sym.name(word.join(_bool_operand(v) for v in nums))
            return Unknown(f"depends on `{source_text(expr)}`", node.lineno,
                           may_module=any(not is_plain(r) for r in [value] + rest))
        if is_and and not t:
            return value
        if not is_and and t:
            return value
    return value


def eval_compare(it: Evaluator, node: ast.Compare, scope: Scope) -> Any:
    left = it.eval(node.left, scope)
    result: Any = True
    for op, comp in zip(node.ops, node.comparators):
        right = it.eval(comp, scope)
        r = compare(it, op, left, right)
        if r is None:
            lt, rt = value_cond(left), value_cond(right)
            if lt and rt and len(node.ops) == 1:
                result = SymbolicBool(f"{lt} {_CMP_TEXT[type(op)]} {rt}")
            else:
                result = Unknown(f"condition `{source_text(node)}` is unknown", node.lineno)
        elif r is False:
            return False
        left = right
    return result


def compare(it: Evaluator, op: ast.cmpop, a: Any, b: Any) -> Optional[bool]:
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
            if it.pending:  # a registry a deferred module may fill
                watch(it, b)
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


def eval_ifexp(it: Evaluator, node: ast.IfExp, scope: Scope) -> Any:
    test = it.eval(node.test, scope)
    t = truth(it, test)
    if t is True:
        return it.eval(node.body, scope)
    if t is False:
        return it.eval(node.orelse, scope)
    cond = cond_source(node.test, test)
    test = Text(cond)
    with it.in_branch(test):
        a = it.eval(node.body, scope)
    with it.in_branch(Not(test)):
        b = it.eval(node.orelse, scope)
    if same_value(a, b):
        return a
    if isinstance(a, (ModuleInst, type(None), Tensor)) and isinstance(
            b, (ModuleInst, type(None), Tensor)):
        return Conditional([(test, a), (Not(test), b)])
    return Unknown(f"depends on `{cond}`", node.lineno, not (is_plain(a) and is_plain(b)))


def truth(it: Evaluator, v: Any) -> Optional[bool]:
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


def _charge(it: Evaluator, op: ast.operator, left: Any, right: Any, node: Any) -> Any:
    """Charge the work of `left op right` by size; an Unknown (and a note) when its
    result would be too large to follow, else None."""
    try:
        cost = binop_cost(op, left, right)
    except TooLarge:
        return _refuse(it, node)
    if cost:
        it.charge(cost)
    return None


def _refuse(it: Evaluator, node: Any) -> Unknown:
    line = getattr(node, "lineno", 0)
    it.too_large(line, node if isinstance(node, ast.AST) else None)
    return Unknown(TOO_LARGE, line)


def _operand(v: Any) -> str:
    text = sym_text(v)
    return text if text.replace("_", "a").replace(".", "a").isalnum() else f"({text})"


def _bool_operand(v: Any) -> str:
    text = sym_text(v)
    return f"({text})" if " or " in text or " and " in text or " if " in text else text


def sym_binop(op: ast.operator, a: Any, b: Any) -> Any:
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


def tensor_binop(a: Any, b: Any) -> Any:
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    if ta is not None and tb is not None:
        return Tensor(broadcast(ta.shape, tb.shape), ta.line, ta.path)
    t = ta or tb
    assert t is not None
    return t.derived()


_CMP_TEXT = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
             ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def value_cond(v: Any) -> str:
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
    if isinstance(v, tuple) and all(value_cond(x) for x in v):
        return value_text(v)
    return ""


def cond_source(node: ast.AST, value: Any) -> str:
    """Text of an unknown condition: the symbol it stands for when it is a bare
    unknown argument (`config.bias`, not the callee's local `bias`), else the source."""
    if isinstance(value, SymbolicObject):
        return value.name
    if isinstance(value, SymbolicBool):
        return value.text
    if isinstance(value, Sym):
        return render(value)
    return source_text(node)


HANDLERS: Dict[type, Callable[..., Any]] = {
    ast.BinOp: eval_binop, ast.UnaryOp: eval_unaryop, ast.BoolOp: eval_boolop,
    ast.Compare: eval_compare, ast.IfExp: eval_ifexp,
}
