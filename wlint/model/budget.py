"""One budget for the interpreter's work, counted by size, not by call.

The step budget (`Interpreter.step`, `MAX_STEPS`) counts statements and expressions;
this module prices what one step can hide: big integers, strings, sequences and
symbolic expressions. Two rules keep every input bounded in time and memory:

* **guard before computing**: the size of a result is estimated from its operands
  (bit lengths, lengths, term counts) and an operation whose result would pass a
  limit raises `TooLarge` ("value too large to follow") instead of running;
* **charge by size**: a value produced costs steps in proportion to its size
  (`size_cost`), and quadratic work (multiplying big integers or polynomials)
  in proportion to that work (`binop_cost`), so a loop that keeps producing big
  values exhausts the budget instead of the machine.

The limits are far above what model code computes (shapes, channel counts,
names) and far below what would hurt: a value of the largest size costs
milliseconds and megabytes.
"""

from __future__ import annotations

import ast
import math
import re
import string
from typing import Any, Dict, Iterable, List

from wlint.model.evaluator import MAX_ITEMS
from wlint.model.signals import TooLarge
from wlint.model.symbolic import MAX_DEGREE, MAX_TERMS, Sym

MAX_INT_BITS = 1 << 16  # 65,536 bits: 19,728 decimal digits
MAX_CHARS = 1 << 20  # one string (or bytes) value
MAX_EXPANSION = 10_000  # repetitions a layer formula or a clone expands eagerly (RNN layers)
MAX_MRO = 4096  # classes in one method resolution order
MAX_NESTING = 200  # module nesting depth the state_dict walk follows
MAX_ENTRIES = 100_000  # state_dict entries (and modules visited) of one prediction

ITEMS_PER_STEP = 16
# operators whose result is at most about as large as their operands (and their product)
_SMALL_INT_OPS = frozenset((ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Div,
                            ast.BitAnd, ast.BitOr, ast.BitXor, ast.RShift))
CHARS_PER_STEP = 64
BITS_PER_STEP = 512
_SEQUENCES = (list, tuple, dict, set, frozenset)


def size_cost(value: Any) -> int:
    """Steps a produced value costs: one per 16 items, 64 characters, 512 bits or term."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value.bit_length() // BITS_PER_STEP
    if isinstance(value, (str, bytes)):
        return len(value) // CHARS_PER_STEP
    if isinstance(value, _SEQUENCES):
        return len(value) // ITEMS_PER_STEP
    if isinstance(value, Sym):
        return len(value.terms)
    return 0


def _bits(value: int) -> int:
    return abs(value).bit_length()


def _words(bits: float) -> float:
    return bits / 64 + 1


def _int_pow_bits(base: int, exponent: int) -> float:
    """Bits of base**exponent (exponent >= 0) without computing it."""
    if base in (0, 1, -1) or exponent == 0:
        return 1
    return exponent * math.log2(abs(base)) + 1


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sized(v: Any) -> bool:
    return isinstance(v, (str, bytes, list, tuple))


def binop_cost(op: ast.operator, a: Any, b: Any) -> int:
    """Steps `a op b` costs; raises TooLarge when its result would pass a limit."""
    if type(a) is int and type(b) is int:
        if type(op) in _SMALL_INT_OPS and a.bit_length() < BITS_PER_STEP and \
                b.bit_length() < BITS_PER_STEP:
            return 0  # the common case, first
        return _int_cost(op, a, b)
    if _is_int(a) and _is_int(b):
        return _int_cost(op, a, b)
    if isinstance(op, ast.Add) and _sized(a) and _sized(b) and type(a) is type(b):
        return _length_cost(a, len(a) + len(b))
    if isinstance(op, ast.Mult):
        for seq, n in ((a, b), (b, a)):
            if _sized(seq) and _is_int(n):
                return _length_cost(seq, len(seq) * max(n, 0))
    if isinstance(a, Sym) or isinstance(b, Sym):
        return _sym_cost(op, a, b)
    return 0


def _length_cost(kind: Any, length: int) -> int:
    if isinstance(kind, (str, bytes)):
        if length > MAX_CHARS:
            raise TooLarge()
        return length // CHARS_PER_STEP
    if length > MAX_ITEMS:
        raise TooLarge()
    return length // ITEMS_PER_STEP


def _int_cost(op: ast.operator, a: int, b: int) -> int:
    bits_a, bits_b = _bits(a), _bits(b)
    if isinstance(op, ast.Pow):
        if b < 0:
            return 0  # a float
        result = _int_pow_bits(a, b)
        work = _words(result) ** 2 / 64
    elif isinstance(op, ast.LShift):
        result = bits_a + b if a and b > 0 else bits_a
        work = result / BITS_PER_STEP
    elif isinstance(op, ast.Mult):
        result = bits_a + bits_b
        work = _words(bits_a) * _words(bits_b) / 64
    elif isinstance(op, (ast.FloorDiv, ast.Mod, ast.Div)):
        result = bits_a
        work = _words(bits_a) * _words(bits_b) / 64
    else:
        result = max(bits_a, bits_b) + 1
        work = result / BITS_PER_STEP
    if result > MAX_INT_BITS:
        raise TooLarge()
    return int(work)


def _sym_cost(op: ast.operator, a: Any, b: Any) -> int:
    terms_a = len(a.terms) if isinstance(a, Sym) else 1
    terms_b = len(b.terms) if isinstance(b, Sym) else 1
    if isinstance(op, ast.Pow) and isinstance(a, Sym) and _is_int(b) and b > 1:
        if a.degree() * b > MAX_DEGREE or _coef_bits(a) * b > MAX_INT_BITS or (
                terms_a > 1 and math.comb(b + terms_a - 1, terms_a - 1) > MAX_TERMS):
            raise TooLarge()
        return terms_a * MAX_TERMS * b // ITEMS_PER_STEP
    if isinstance(op, ast.LShift) and _is_int(b) and b > MAX_INT_BITS:
        raise TooLarge()
    if isinstance(op, ast.Mult):
        if _coef_bits(a) + _coef_bits(b) > MAX_INT_BITS:
            raise TooLarge()
        return terms_a * terms_b
    return terms_a + terms_b


def _coef_bits(v: Any) -> int:
    if isinstance(v, Sym):
        return max((_bits(c) for c in v.terms.values()), default=0)
    return _bits(v) if _is_int(v) else 0


# -- builtins and methods of plain values ---------------------------------------------------

_DUNDER_OPS: Dict[str, ast.operator] = {}
for _name, _op in (("add", ast.Add()), ("mul", ast.Mult()), ("pow", ast.Pow()),
                   ("lshift", ast.LShift()), ("mod", ast.Mod()), ("floordiv", ast.FloorDiv()),
                   ("sub", ast.Sub()), ("truediv", ast.Div())):
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        _DUNDER_OPS[_form.format(_name)] = _op
_WIDTH_METHODS = {"ljust", "rjust", "center", "zfill"}


def call_cost(name: str, args: List[Any], kwargs: Dict[str, Any]) -> int:
    """Steps a Python builtin (`pow`, `math.prod`, `set`, ...) costs on known values;
    raises TooLarge when its result would pass a limit."""
    for value in list(args) + list(kwargs.values()):
        if isinstance(value, range) and len(value) > MAX_ITEMS:
            raise TooLarge()
    if name in ("pow", "mul", "divmod") and len(args) >= 2:
        if name == "pow" and len(args) == 3 and all(_is_int(a) for a in args):
            return int(_bits(args[1]) * _words(_bits(args[2])) ** 2 / 64)
        return binop_cost(ast.Pow() if name == "pow" else ast.Mult() if name == "mul"
                          else ast.FloorDiv(), args[0], args[1])
    if name == "prod" and args and isinstance(args[0], (list, tuple, range)):
        return _product_cost(args[0])
    if name == "repeat" and len(args) == 2 and _is_int(args[1]):
        return _length_cost([], args[1])
    return sum(size_cost(v) for v in args)


def _product_cost(items: Iterable[Any]) -> int:
    bits = 0.0
    for x in items:
        if _is_int(x):
            bits += _bits(x)
            if bits > MAX_INT_BITS:
                raise TooLarge()
    return int(_words(bits) ** 2 / 64)


def method_cost(owner: Any, name: str, args: List[Any], kwargs: Dict[str, Any]) -> int:
    """Steps a method of a plain value (`'a'.ljust(n)`, `s.join(...)`, `(3).__pow__(n)`)
    costs; raises TooLarge when its result would pass a limit."""
    op = _DUNDER_OPS.get(name)
    if op is not None and args:
        return binop_cost(op, owner, args[0])
    if isinstance(owner, (str, bytes)):
        return _text_method_cost(owner, name, args, kwargs)
    return call_cost(name, args, kwargs)


def _text_method_cost(owner: Any, name: str, args: List[Any], kwargs: Dict[str, Any]) -> int:
    length = len(owner)
    if name in _WIDTH_METHODS and args and _is_int(args[0]):
        length = max(length, args[0])
    elif name == "expandtabs":
        size = args[0] if args and _is_int(args[0]) else kwargs.get("tabsize", 8)
        length = length * max(size if _is_int(size) else 8, 1)
    elif name == "join" and args and isinstance(args[0], (list, tuple)):
        parts = [len(p) for p in args[0] if isinstance(p, (str, bytes))]
        length = sum(parts) + length * max(len(args[0]) - 1, 0)
    elif name == "replace" and len(args) >= 2 and isinstance(args[1], type(owner)):
        old = args[0] if isinstance(args[0], type(owner)) else owner
        length = length + (length // max(len(old), 1) + 1) * len(args[1])
    elif name in ("format", "format_map") and isinstance(owner, str):
        check_template(owner, list(args) + list(kwargs.values()))
    return _length_cost(owner, length)


# -- format widths ----------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?")


def check_spec(spec: str) -> None:
    """A format spec (`>10`, `.3f`) whose width or precision would build a huge string."""
    if any(int(d) > MAX_CHARS for d in _DIGITS.findall(spec)):
        raise TooLarge()


def check_template(template: str, args: List[Any]) -> None:
    """`str.format` templates: each field's spec, and widths taken from the arguments."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format raises the same error
    for _, _, spec, _ in fields:
        if spec:
            check_spec(spec)
            if "{" in spec:
                _check_width_args(args)


def check_percent(template: str, args: Any) -> None:
    """`'%10d' % x` and `'%*d' % (w, x)`."""
    for width, precision in _PERCENT.findall(template):
        for part in (width, precision or ""):
            if part == "*":
                _check_width_args(args if isinstance(args, (list, tuple)) else [args])
            elif part and int(part) > MAX_CHARS:
                raise TooLarge()


def _check_width_args(args: Iterable[Any]) -> None:
    if any(_is_int(a) and abs(a) > MAX_CHARS for a in args):
        raise TooLarge()


def check_mro(length: int) -> int:
    """Steps a method resolution order of `length` classes costs (TooLarge past MAX_MRO)."""
    if length > MAX_MRO:
        raise TooLarge()
    return length // ITEMS_PER_STEP
