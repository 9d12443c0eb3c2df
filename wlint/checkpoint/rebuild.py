"""What the pickle machine makes of REDUCE / NEWOBJ / BUILD / persistent ids.

torch's own rebuild functions become `TensorRef`s (validated: a tensor must
lie inside its storage), containers become containers, numpy arrays become
`NumpyArray`s, and every other call becomes an `Opaque` record of what would
have been called. Nothing here imports or calls what the pickle names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from wlint.checkpoint import dtypes
from wlint.checkpoint.values import (
    CorruptError, Global, NumpyArray, NumpyDtype, ODict, Opaque, StorageRef, TensorRef,
)

if TYPE_CHECKING:  # pragma: no cover
    from wlint.checkpoint.pickle_vm import PickleResult

MAX_DIM = 1 << 62  # a larger dimension is no tensor torch could have written
PARAMETER = "torch.nn.parameter.Parameter"


def _is_int(value: Any) -> bool:
    return type(value) is int  # the machine builds plain ints only (a bool is no size)


def _ints(value: Any, what: str) -> Tuple[int, ...]:
    """Sizes / strides: one loop, no call per item (a checkpoint has thousands)."""
    if type(value) is not tuple and type(value) is not list:
        raise CorruptError(f"corrupt tensor record: {what} is not a tuple of sizes")
    for v in value:
        if type(v) is not int or not 0 <= v < MAX_DIM:
            raise CorruptError(f"corrupt tensor record: {what} is not a tuple of sizes")
    return tuple(value)


def _storage_elements(storage: StorageRef, dtype: Optional[str]) -> Optional[int]:
    """How many elements of `dtype` the storage holds (untyped storages count bytes)."""
    if storage.storage_class != "UntypedStorage":
        return storage.numel
    size = dtypes.itemsize(dtype)
    return storage.numel // size if size else None


def _tensor(storage: Any, offset: Any, size: Any, stride: Any, dtype: Optional[str],
            rebuild: str, requires_grad: Any = False) -> TensorRef:
    if not isinstance(storage, StorageRef):
        raise CorruptError(f"corrupt tensor record: {rebuild} without a storage")
    if not _is_int(offset) or offset < 0:
        raise CorruptError("corrupt tensor record: negative or non-integer storage offset")
    shape = _ints(size, "size")
    strides = _ints(stride, "stride")
    if len(strides) != len(shape):
        raise CorruptError("corrupt tensor record: size and stride differ in length")
    if all(shape):
        extent = offset + sum((n - 1) * s for n, s in zip(shape, strides)) + 1
        have = _storage_elements(storage, dtype)
        if have is not None and extent > have:
            raise CorruptError(
                f"corrupt tensor record: a tensor of size {list(shape)} needs {extent} elements "
                f"of storage {storage.key!r}, which holds {have}")
    return TensorRef(dtype=dtype, shape=shape, device=storage.location, storage=storage,
                     offset=offset, stride=strides, rebuild=rebuild,
                     requires_grad=requires_grad is True)


def _args(args: Any, low: int, name: str) -> Tuple[Any, ...]:
    if not isinstance(args, tuple) or len(args) < low:
        raise CorruptError(f"corrupt pickle: {name} called with {_count(args)} arguments")
    return args


def _count(args: Any) -> str:
    return str(len(args)) if isinstance(args, tuple) else "non-tuple"


def _dtype_global(value: Any) -> Optional[str]:
    """`torch.float8_e4m3fn` pickled as a global -> "float8_e4m3fn"."""
    if isinstance(value, Global) and value.module == "torch":
        return value.name
    return None


def _rebuild_tensor_v2(args: Any) -> TensorRef:
    a = _args(args, 4, "_rebuild_tensor_v2")
    storage = a[0]
    dtype = storage.dtype if isinstance(storage, StorageRef) else None
    return _tensor(a[0], a[1], a[2], a[3], dtype, "_rebuild_tensor_v2",
                   a[4] if len(a) > 4 else False)


def _rebuild_tensor_v3(args: Any) -> TensorRef:
    a = _args(args, 7, "_rebuild_tensor_v3")
    return _tensor(a[0], a[1], a[2], a[3], _dtype_global(a[6]), "_rebuild_tensor_v3", a[4])


def _rebuild_tensor(args: Any) -> TensorRef:
    a = _args(args, 4, "_rebuild_tensor")
    dtype = a[0].dtype if isinstance(a[0], StorageRef) else None
    return _tensor(a[0], a[1], a[2], a[3], dtype, "_rebuild_tensor")


def _rebuild_qtensor(args: Any) -> TensorRef:
    a = _args(args, 4, "_rebuild_qtensor")
    dtype = a[0].dtype if isinstance(a[0], StorageRef) else None
    return _tensor(a[0], a[1], a[2], a[3], dtype, "_rebuild_qtensor")


def _as_parameter(data: Any, requires_grad: Any) -> Any:
    if not isinstance(data, TensorRef):
        return None
    return TensorRef(dtype=data.dtype, shape=data.shape, device=data.device,
                     storage=data.storage, offset=data.offset, stride=data.stride,
                     parameter=True, requires_grad=requires_grad is True,
                     rebuild=data.rebuild, subclass=data.subclass)


def _rebuild_parameter(args: Any) -> Any:
    a = _args(args, 2, "_rebuild_parameter")
    return _as_parameter(a[0], a[1])


def _rebuild_meta(args: Any) -> TensorRef:
    a = _args(args, 3, "_rebuild_meta_tensor_no_storage")
    return TensorRef(dtype=_dtype_global(a[0]), shape=_ints(a[1], "size"), device="meta",
                     rebuild="_rebuild_meta_tensor_no_storage")


def _rebuild_device_from_cpu(args: Any) -> Any:
    a = _args(args, 3, "_rebuild_device_tensor_from_cpu_tensor")
    if not isinstance(a[0], TensorRef):
        return None
    device = a[2] if isinstance(a[2], str) else a[0].device
    return TensorRef(dtype=_dtype_global(a[1]) or a[0].dtype, shape=a[0].shape, device=device,
                     storage=a[0].storage, rebuild="_rebuild_device_tensor_from_cpu_tensor")


def _undescribed(kind: str) -> Callable[[Any], TensorRef]:
    """Tensor kinds whose layout is not a plain strided storage (sparse, nested...)."""
    def handler(args: Any) -> TensorRef:
        return TensorRef(dtype=None, shape=None, device=None, rebuild=kind)
    return handler


def _from_type_v2(args: Any, result: PickleResult) -> Any:
    a = _args(args, 4, "_rebuild_from_type_v2")
    inner = call(a[0], a[2], result)
    if not isinstance(inner, TensorRef):
        return None
    cls = a[1].full if isinstance(a[1], Global) else None
    if cls == PARAMETER:
        return _as_parameter(inner, inner.requires_grad)
    if cls not in (None, "torch.Tensor"):
        inner.subclass = cls
    return inner


def _size(args: Any) -> Any:
    a = _args(args, 1, "torch.Size")
    return tuple(_ints(a[0], "torch.Size"))


def _device(args: Any) -> Any:
    a = _args(args, 1, "torch.device")
    if len(a) >= 2 and isinstance(a[0], str) and _is_int(a[1]):
        return f"{a[0]}:{a[1]}"
    return a[0] if isinstance(a[0], str) else None


def _ordered_dict(args: Any) -> Any:
    out = ODict()
    if isinstance(args, tuple) and args and isinstance(args[0], (list, tuple)):
        for pair in args[0]:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                out[pair[0]] = pair[1]
    return out


def _set(args: Any) -> Any:
    if isinstance(args, tuple) and args and isinstance(args[0], (list, tuple, set)):
        return set(args[0])
    return set() if args == () else None


def _numpy_dtype(args: Any) -> Any:
    a = _args(args, 1, "numpy.dtype")
    return NumpyDtype(str(a[0]))


def _numpy_array(args: Any) -> Any:
    return NumpyArray()


def _numpy_scalar(args: Any) -> Any:
    a = _args(args, 1, "numpy scalar")
    return NumpyArray(shape=(), dtype=dtypes.numpy_dtype(a[0].descr)
                      if isinstance(a[0], NumpyDtype) else None)


_CALLS: Dict[str, Callable[[Any], Any]] = {
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
    "torch._utils._rebuild_tensor": _rebuild_tensor,
    "torch._utils._rebuild_qtensor": _rebuild_qtensor,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "torch._utils._rebuild_meta_tensor_no_storage": _rebuild_meta,
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": _rebuild_device_from_cpu,
    "torch._utils._rebuild_sparse_tensor": _undescribed("sparse"),
    "torch._utils._rebuild_nested_tensor": _undescribed("nested"),
    "torch._utils._rebuild_wrapper_subclass": _undescribed("wrapper subclass"),
    "torch._utils._rebuild_device_tensor_from_numpy": _undescribed("from numpy"),
    "torch.Size": _size,
    "torch.device": _device,
    "collections.OrderedDict": _ordered_dict,
    "builtins.set": _set,
    "builtins.frozenset": _set,
    "numpy.dtype": _numpy_dtype,
    "numpy.core.multiarray._reconstruct": _numpy_array,
    "numpy._core.multiarray._reconstruct": _numpy_array,
    "numpy.core.multiarray.scalar": _numpy_scalar,
    "numpy._core.multiarray.scalar": _numpy_scalar,
}


def call(func: Any, args: Any, result: PickleResult) -> Any:
    """The value REDUCE would produce, described; never calls `func`."""
    if not isinstance(func, Global):
        return Opaque(_label(func), args)
    if func.full == "torch._tensor._rebuild_from_type_v2":
        value = _from_type_v2(args, result)
    else:
        handler = _CALLS.get(func.full)
        value = handler(args) if handler is not None else None
    if value is None:
        return Opaque(func.full, args)
    if isinstance(value, TensorRef):
        result.tensors.append(value)
    return value


def _label(func: Any) -> str:
    if isinstance(func, Opaque):
        return f"<result of {func.func}>"
    return f"<{type(func).__name__}>"


def new(cls: Any, args: Any) -> Any:
    """NEWOBJ: `cls.__new__(cls, *args)`, described."""
    name = cls.full if isinstance(cls, Global) else _label(cls)
    if name == PARAMETER and isinstance(args, tuple) and args:
        param = _as_parameter(args[0], args[1] if len(args) > 1 else True)
        if param is not None:
            return param
    return Opaque(name, args, how="new")


def build(inst: Any, state: Any, result: PickleResult) -> None:
    """BUILD: what `__setstate__` would receive, kept on the description."""
    if isinstance(inst, NumpyDtype):
        cls = dtypes.NUMPY_DTYPE_CLASS.get(inst.descr.lstrip("<>=|"))
        if cls and f"numpy.dtypes.{cls}" not in result.built_types:
            result.built_types.append(f"numpy.dtypes.{cls}")
    elif isinstance(inst, ODict) and isinstance(state, dict):
        inst.attrs.update(state)
    elif isinstance(inst, Opaque):
        inst.state = state
    elif isinstance(inst, NumpyArray) and isinstance(state, tuple) and len(state) >= 3:
        if isinstance(state[1], tuple) and all(_is_int(d) for d in state[1]):
            inst.shape = state[1]
        if isinstance(state[2], NumpyDtype):
            inst.dtype = dtypes.numpy_dtype(state[2].descr)


def persistent(pid: Any, result: PickleResult) -> Any:
    """BINPERSID: torch's ('storage', type, key, location, numel[, view]) ids."""
    if isinstance(pid, tuple) and pid and pid[0] in ("storage", b"storage"):
        return _storage(pid, result)
    if isinstance(pid, tuple) and len(pid) > 1 and pid[0] in ("module", b"module") \
            and isinstance(pid[1], Global):
        return pid[1]  # legacy files pickle a module's class (and source) as a persistent id
    return Opaque("persistent_load", pid, how="persistent")


def _storage(pid: Tuple[Any, ...], result: PickleResult) -> StorageRef:
    if len(pid) < 5:
        raise CorruptError("corrupt storage record: too few fields")
    _, cls, key, location, numel = pid[:5]
    name = cls.name if isinstance(cls, Global) else ""
    if isinstance(key, bytes):
        key = key.decode("ascii", "replace")
    if isinstance(location, bytes):
        location = location.decode("ascii", "replace")
    if not isinstance(key, str) or not isinstance(location, str) or not _is_int(numel) \
            or numel < 0 or numel >= MAX_DIM:
        raise CorruptError("corrupt storage record: bad key, location or size")
    ref = StorageRef(key=key, dtype=dtypes.storage_dtype(name), location=location,
                     numel=numel, storage_class=name or "?")
    known = result.storages.setdefault(key, ref)
    view = pid[5] if len(pid) > 5 else None
    if isinstance(view, tuple) and len(view) == 3 and _is_int(view[2]):
        return StorageRef(key=key, dtype=known.dtype, location=location, numel=view[2],
                          storage_class=known.storage_class)
    return known
