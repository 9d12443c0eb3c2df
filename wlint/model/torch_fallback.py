"""Optional fallback: resolve a torch.nn layer missing from the catalog by
instantiating *that torch layer* on the `meta` device (DESIGN §5).

Only `torch.nn` classes are ever instantiated (never user code), only with
fully concrete arguments (ints, floats, bools, None, strings, and tuples,
lists or dicts of those), and always on `meta` (a `device` argument is
overridden), so nothing is allocated. torch is imported inside the function:
importing this module costs nothing, and the lint path (`check`, `diff`, the
flake8 plugin) never imports it.

The result is a `LayerBuild` whose tensors are the layer's full state: nested
submodules are flattened into dotted tensor names (`out_proj.weight`), in
`state_dict()` order, followed by non-persistent buffers (`persistent=False`).
Lazy (uninitialized) tensors get `shape=None` and an `unresolved` reason.
"""

from __future__ import annotations

import warnings
from typing import Any

from wlint.model.layers import LAZY_REASON, LayerBuild, TensorSpec

_SCALARS = (bool, int, float, str, type(None))
_REJECTED = (TypeError, ValueError, RuntimeError, AssertionError, NotImplementedError,
             AttributeError, IndexError, KeyError, ArithmeticError)


def is_concrete(value: Any) -> bool:
    """Plain Python data all the way down (no symbols, unknowns or modules)."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, (tuple, list)):
        return all(is_concrete(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_concrete(v) for k, v in value.items())
    return False


def build_with_torch(name: str, args: tuple, kwargs: dict) -> LayerBuild | None:
    """The state of `torch.nn.<name>(*args, **kwargs)` built on meta, or None.

    None when torch is not installed, `name` is not a `torch.nn` module class,
    an argument is not concrete, or torch rejects the call.
    """
    if not name.isidentifier() or name.startswith("_"):
        return None
    if not is_concrete(tuple(args)) or not is_concrete(dict(kwargs)):
        return None
    try:
        import torch
    except ImportError:
        return None
    cls = getattr(torch.nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        return None
    placed = _force_meta(torch, cls, tuple(args), dict(kwargs))
    if placed is None:
        return None
    call_args, call_kwargs = placed
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.device("meta"):
                module = cls(*call_args, **call_kwargs)
    except _REJECTED:  # torch rejected the arguments: not our call to guess
        return None
    return _describe(torch, module)


def _force_meta(torch: Any, cls: type, args: tuple, kwargs: dict) -> tuple | None:
    """Override any `device` argument (positional or keyword) with "meta".

    None when a positional argument may be a device we cannot place (a
    `*args` constructor given a device string).
    """
    import inspect

    kwargs = dict(kwargs)
    if "device" in kwargs:
        kwargs["device"] = "meta"
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters)
    if "device" in params and params.index("device") < len(args):
        index = params.index("device")
        args = args[:index] + ("meta",) + args[index + 1:]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
    if variadic and any(isinstance(a, str) and _is_device(torch, a) for a in args):
        return None
    return args, kwargs


def _is_device(torch: Any, text: str) -> bool:
    try:
        torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        return False
    return True


def _describe(torch: Any, module: Any) -> LayerBuild:
    params = {k for k, _ in module.named_parameters(remove_duplicate=False)}
    lazy_mixin = torch.nn.parameter.UninitializedTensorMixin
    tensors = []
    lazy = False
    state = module.state_dict(keep_vars=True)
    for key, value in state.items():
        kind = "parameter" if key in params else "buffer"
        if isinstance(value, lazy_mixin):
            lazy = True
            tensors.append(TensorSpec(key, None, kind))
        else:
            tensors.append(TensorSpec(key, tuple(int(d) for d in value.shape), kind))
    for key, value in module.named_buffers(remove_duplicate=False):
        if key not in state:
            shape = None if isinstance(value, lazy_mixin) else tuple(int(d) for d in value.shape)
            tensors.append(TensorSpec(key, shape, "buffer", persistent=False))
    return LayerBuild(tensors, [], [LAZY_REASON] if lazy else [])
