"""`.safetensors`: an 8-byte little-endian header length, a JSON header, the tensor bytes.

Only the header is read, and only after its declared length has been checked
against a cap (the one the safetensors library uses) and the file size.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any, Dict, List

from wlint.checkpoint import dtypes
from wlint.checkpoint.contents import Contents
from wlint.checkpoint.values import CorruptError, ODict, TensorRef

MAX_HEADER = 100_000_000  # safetensors' own limit


def looks_like(head: bytes, file_size: int) -> bool:
    if len(head) < 9:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 0 < n <= file_size - 8 and head[8:9] == b"{"


def read(handle: IO[bytes], file_size: int) -> Contents:
    raw = handle.read(8)
    if len(raw) < 8:
        raise CorruptError("truncated safetensors file: no header length")
    (n,) = struct.unpack("<Q", raw)
    if n > MAX_HEADER:
        raise CorruptError(f"safetensors header declares {n} bytes (limit {MAX_HEADER})")
    if n > file_size - 8:
        raise CorruptError(f"truncated safetensors file: the header needs {n} bytes, "
                           f"the file has {file_size - 8} after the length")
    try:
        header = json.loads(handle.read(n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptError(f"corrupt safetensors header: {exc}") from None
    if not isinstance(header, dict):
        raise CorruptError("corrupt safetensors header: not a JSON object")
    data_size = file_size - 8 - n
    metadata = header.pop("__metadata__", None)
    items = sorted(((k, _entry(k, v, data_size)) for k, v in header.items()),
                   key=lambda kv: (kv[1][1], kv[0]))
    top = ODict()
    for key, (tensor, _) in items:
        top[key] = tensor
    contents = Contents(format="safetensors", top=top)
    if isinstance(metadata, dict):
        contents.metadata = {str(k): v for k, v in metadata.items()}
    return contents


def _entry(key: str, info: Any, data_size: int) -> Any:
    if not isinstance(info, dict):
        raise CorruptError(f"corrupt safetensors header: entry {key!r} is not an object")
    dtype = dtypes.SAFETENSORS_DTYPE.get(str(info.get("dtype")))
    shape: Any = info.get("shape")
    offsets: Any = info.get("data_offsets")
    if dtype is None:
        raise CorruptError(f"safetensors entry {key!r} has unknown dtype {info.get('dtype')!r}")
    if not _ints(shape) or not _ints(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
        raise CorruptError(f"corrupt safetensors header: bad shape or offsets for {key!r}")
    need = dtypes.ITEMSIZE[dtype]
    for d in shape:
        need *= d
    if offsets[1] - offsets[0] != need:
        raise CorruptError(f"corrupt safetensors header: {key!r} of shape {shape} needs "
                           f"{need} bytes, its offsets span {offsets[1] - offsets[0]}")
    if offsets[1] > data_size:
        raise CorruptError(f"truncated safetensors file: {key!r} ends at byte {offsets[1]} of "
                           f"a {data_size}-byte data section")
    return TensorRef(dtype=dtype, shape=tuple(shape), device="cpu"), offsets[0]


def _ints(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v < (1 << 62) for v in value)


def keys_of(contents: Contents) -> List[str]:
    top: Dict[str, Any] = contents.top
    return list(top)
