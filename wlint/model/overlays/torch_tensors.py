"""Tensors: the torch factories (zeros/ones/empty/randn/arange/full/eye/tensor,
`*_like`, the legacy `torch.Tensor(...)`/`FloatTensor`), `nn.Parameter`, tensor
attributes and methods, and the shape rules behind them (reshape/view/expand,
indexing, reductions, cat/stack, broadcasting). A shape that cannot be
computed is None, never a guess.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Dict, List, Optional, Tuple

from wlint.model.evaluator import MAX_ITEMS, Evaluator
from wlint.model.overlays.registry import (
    Impl, attributes, register_function, register_functions,
)
from wlint.model.symbolic import Sym
from wlint.model.values import (
    Builtin, MISSING, Repeated, SymbolicFloat, SymbolicObject, Tensor, TrackedList, Unknown,
    same_value, to_sym
)


def norm_dim(d: Any) -> Any:
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


def norm_shape(shape: Any) -> Optional[Tuple[Any, ...]]:
    if shape is None:
        return None
    out = []
    for d in shape:
        n = norm_dim(d)
        if n is None:
            return None
        out.append(n)
    return tuple(out)


def broadcast(a: Optional[Tuple[Any, ...]], b: Optional[Tuple[Any, ...]]
               ) -> Optional[Tuple[Any, ...]]:
    """torch broadcasting of two shapes (None when it cannot be decided)."""
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a2 = (1,) * (n - len(a)) + tuple(a)
    b2 = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a2, b2):
        if same_value(x, y) or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(out)


def _size_args(args: List[Any], kw: Dict[str, Any]) -> Optional[Tuple[Any, ...]]:
    size = kw.get("size")
    if size is None:
        if len(args) == 1 and isinstance(args[0], (tuple, list)):
            size = tuple(args[0])
        else:
            size = tuple(args)
    elif not isinstance(size, (tuple, list)):
        size = (size,)
    return norm_shape(size)


def _factory(kind: str) -> Impl:
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        line = getattr(node, "lineno", 0)
        shape: Optional[Tuple[Any, ...]]
        if kind == "size":
            shape = _size_args(list(args), kw)
        elif kind == "full":
            size = args[0] if args else kw.get("size")
            shape = norm_shape(size if isinstance(size, (tuple, list)) else (size,))
        elif kind == "like":
            src = args[0] if args else kw.get("input")
            shape = src.shape if isinstance(src, Tensor) else None
        elif kind == "eye":
            n = args[0] if args else kw.get("n")
            m = args[1] if len(args) > 1 else kw.get("m", n)
            shape = norm_shape((n, m if m is not None else n))
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
                shape = norm_shape((end - start,))
            elif isinstance(step, int) and step > 1 and isinstance(start, (int, Sym)) and \
                    isinstance(end, (int, Sym)):
                shape = norm_shape(((end - start + step - 1) // step,))
            else:
                shape = None
        elif kind == "linspace":
            steps = args[2] if len(args) > 2 else kw.get("steps")
            shape = norm_shape((steps,))
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
            shape = norm_shape(tuple(size)) if isinstance(size, (tuple, list)) else None
        elif kind == "shape_keep":
            src = args[0] if args else None
            shape = src.shape if isinstance(src, Tensor) else None
        else:
            shape = None
        return Tensor(shape, line, it.frame.path)
    return impl


def _data_shape(data: Any) -> Optional[Tuple[Any, ...]]:
    if isinstance(data, (int, float, bool, Sym, SymbolicFloat, SymbolicObject)):
        return ()  # a number, known or not (`torch.FloatTensor([init_scale])` is [1])
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


def parameter(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    line = getattr(node, "lineno", 0)
    data = args[0] if args else kw.get("data", MISSING)
    if data is MISSING or data is None:
        return Tensor((0,), line, it.frame.path, True)
    if isinstance(data, Tensor):
        if data.shape is None:
            it.note(line, "shape of this nn.Parameter is unknown")
        return Tensor(data.shape, line, it.frame.path, True)
    it.note(line, "nn.Parameter of an unknown tensor")
    return Tensor(None, line, it.frame.path, True)


for _n in ("zeros", "ones", "empty", "randn", "rand"):
    register_function("torch." + _n, _factory("size"))
for _n in ("Tensor", "FloatTensor", "LongTensor", "DoubleTensor", "IntTensor", "BoolTensor"):
    register_function("torch." + _n, _factory("legacy"))
for _n in ("zeros_like", "ones_like", "empty_like", "randn_like", "rand_like", "full_like",
           "tril", "triu", "clone", "sigmoid", "tanh", "exp", "log", "abs", "sqrt", "sin", "cos",
           "cumsum", "flip", "nan_to_num", "erfinv", "neg"):
    register_function("torch." + _n, _factory("like" if _n.endswith("_like") else "shape_keep"))


def _two_tensor(kind: str) -> Impl:
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        line = getattr(node, "lineno", 0)
        tensors = [a for a in args if isinstance(a, Tensor)]
        shape: Optional[Tuple[Any, ...]] = None
        if kind == "outer" and len(tensors) == 2 and all(
                t.shape is not None and len(t.shape) == 1 for t in tensors):
            shape = (tensors[0].shape[0], tensors[1].shape[0])  # type: ignore[index]
        elif kind == "broadcast" and tensors:
            shape = tensors[0].shape
            for t in tensors[1:]:
                shape = broadcast(shape, t.shape)
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
        return Tensor(norm_shape(shape) if shape is not None else None, line, it.frame.path)
    return impl


def _meshgrid(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    tensors = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not tensors or not all(isinstance(t, Tensor) and t.shape is not None and len(t.shape) <= 1
                              for t in tensors):
        return Unknown("meshgrid of unknown tensors")
    sizes = tuple(t.shape[0] if t.shape else 1 for t in tensors)
    if kw.get("indexing", "ij") == "xy" and len(sizes) >= 2:
        sizes = (sizes[1], sizes[0]) + sizes[2:]
    line = getattr(node, "lineno", 0)
    return tuple(Tensor(sizes, line, it.frame.path) for _ in tensors)


def _torch_method_fn(name: str) -> Impl:
    """torch.f(t, ...) for tensor methods t.f(...)."""
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if not args or not isinstance(args[0], Tensor):
            return Unknown(f"torch.{name} of an unknown value")
        method = tensor_attribute(args[0], name)
        if isinstance(method, Builtin):
            return method.impl(it, None, list(args[1:]), kw, node)
        return Unknown(f"torch.{name}")
    return impl


register_functions("torch", {
    "meshgrid": _meshgrid,
    **{n: _torch_method_fn(n) for n in ("flatten", "reshape", "transpose", "permute", "squeeze",
                                        "unsqueeze", "sum", "mean", "amax", "amin", "prod",
                                        "unbind", "t", "split", "chunk")},
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


@attributes(Tensor)
def tensor_attribute(t: Tensor, name: str) -> Any:
    """The attribute model of a tensor: shape-keeping methods, shape, T, reductions, views."""
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
    if name in ("split", "chunk", "tensor_split"):
        return Builtin(name, lambda it, _s, a, k, n: _split(t, name, list(a), k))
    if name == "tolist" and t.shape is not None:
        return Builtin(name, lambda it, _s, a, k, n: _values(t.shape, getattr(n, "lineno", 0)))
    if name in _VALUE_METHODS:
        return Builtin(name, lambda it, _s, a, k, n: Unknown(
            f"the value of a tensor (`{name}()`)", getattr(n, "lineno", 0), False))
    return Unknown(f"tensor attribute `{name}`")


def _split(t: Tensor, name: str, args: List[Any], kw: Dict[str, Any]) -> Any:
    """t.split(size or sizes, dim) / t.chunk(n, dim): a tuple of tensors when the sizes
    are known integers."""
    arg = args[0] if args else kw.get("split_size_or_sections", kw.get("chunks", kw.get("sections")))
    dim = args[1] if len(args) > 1 else kw.get("dim", 0)
    shape = t.shape
    if shape is None or not isinstance(dim, int) or not -len(shape) <= dim < len(shape):
        return Unknown(f"{name} of an unknown shape")
    dim %= len(shape)
    total = shape[dim]
    sizes: Optional[List[int]] = None
    if isinstance(arg, (list, tuple)) and all(isinstance(x, int) for x in arg) and name == "split":
        sizes = list(arg) if sum(arg) == total else None
    elif isinstance(arg, int) and arg > 0 and isinstance(total, int):
        step = arg if name == "split" else -(-total // arg)
        sizes = [min(step, total - i) for i in range(0, total, step)] if name != "tensor_split" else None
    if sizes is None or len(sizes) > MAX_ITEMS:
        return Unknown(f"{name} into unknown pieces")
    return tuple(Tensor(tuple(shape[:dim]) + (n,) + tuple(shape[dim + 1:]), t.line, t.path)
                 for n in sizes)


def _values(shape: Tuple[Any, ...], line: int) -> Any:
    """`t.tolist()` of a known shape: nested lists of unknown numbers."""
    if not shape:
        return Unknown("the value of a tensor (`tolist()`)", line, False)
    if not isinstance(shape[0], int) or shape[0] > MAX_ITEMS:
        return Unknown("`tolist()` of a tensor of unknown length", line, False)
    return TrackedList(_values(shape[1:], line) for _ in range(shape[0]))


# a tensor's values as Python numbers or lists: never a module, a parameter or a buffer
_VALUE_METHODS = {"item", "tolist", "numpy", "__float__", "__int__"}


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
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
        if name == "unbind":
            dim = args[0] if args else kw.get("dim", 0)
            if t.shape is None or not isinstance(dim, int) or not isinstance(
                    t.shape[dim], int) or t.shape[dim] > MAX_ITEMS:
                return Unknown("unbind of an unknown shape")
            rest = tuple(s for i, s in enumerate(t.shape) if i != dim % len(t.shape))
            return tuple(Tensor(rest, t.line, t.path) for _ in range(t.shape[dim]))
        return Tensor(_reduced_shape(t.shape, list(args), kw), t.line, t.path)
    return impl


def _tensor_method(t: Tensor, name: str) -> Impl:
    def impl(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
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
            return Tensor(_size_args(list(args), kw), getattr(node, "lineno", 0), it.frame.path)
        if name == "new_full":
            size = args[0] if args else kw.get("size")
            return Tensor(norm_shape(tuple(size)) if isinstance(size, (tuple, list)) else None,
                          getattr(node, "lineno", 0), it.frame.path)
        if shape is not None:
            try:
                new = _reshape(name, shape, list(args))
            except Exception:
                new = None
        return Tensor(new, t.line, t.path)
    return impl


def index_shape(shape: Optional[Tuple[Any, ...]], key: Any) -> Optional[Tuple[Any, ...]]:
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
        dims = tuple(norm_dim(d) if not (isinstance(d, int) and d == -1) else -1 for d in dims)
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
        merged: Any = 1
        for d in shape[start:end + 1]:
            merged = merged * d
        return tuple(shape[:start]) + (merged,) + tuple(shape[end + 1:])
    return None


register_function("torch.nn.Parameter", parameter)
register_function("torch.nn.parameter.Parameter", parameter)
