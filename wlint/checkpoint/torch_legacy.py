"""torch.save's legacy format (before 1.6, or `_use_new_zipfile_serialization=False`).

Five pickles in a row (magic number, protocol version, system info, the
object, the list of storage keys), then each storage as an 8-byte element
count followed by its bytes. The bytes are skipped with `seek`, never read;
the counts are checked against the pickle and the file size.
"""

from __future__ import annotations

import struct
from typing import IO, Any, List, Tuple

from wlint.checkpoint import dtypes
from wlint.checkpoint.contents import Contents
from wlint.checkpoint.pickle_vm import PickleResult, read_pickle
from wlint.checkpoint.values import CorruptError, StorageRef

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def read(handle: IO[bytes], file_size: int) -> Contents:
    first = read_pickle(handle, file_size)
    if first.top != MAGIC_NUMBER:
        return _plain_pickle(first, handle, file_size)
    parts = [first]
    for what in ("protocol version", "system info", "object", "storage keys"):
        if handle.tell() >= file_size:
            raise CorruptError(f"truncated legacy checkpoint: the {what} pickle is missing")
        parts.append(read_pickle(handle, file_size - handle.tell()))
    protocol, sys_info, main, keys = parts[1:]
    if protocol.top != PROTOCOL_VERSION:
        raise CorruptError(f"legacy checkpoint with unknown protocol version {protocol.top!r}")
    contents = Contents(format="torch-legacy", top=main.top, protocol=main.protocol,
                        storages=main.storages)
    _merge(contents, parts)
    little = not isinstance(sys_info.top, dict) or sys_info.top.get("little_endian", True)
    contents.problems.extend(_storage_problems(handle, file_size, keys.top, main.storages,
                                               "<" if little else ">"))
    return contents


def _merge(contents: Contents, parts: List[PickleResult]) -> None:
    names: List[str] = []
    opcodes = set()
    for part in parts:
        names.extend(g for g in part.globals if g not in names)
        opcodes |= part.opcodes
    contents.globals = names
    contents.opcodes = frozenset(opcodes)
    contents.built_types = [t for part in parts for t in part.built_types]


def _plain_pickle(first: PickleResult, handle: IO[bytes], file_size: int) -> Contents:
    """A pickle that is no torch checkpoint: torch.load refuses it ("Invalid magic
    number"), but its globals are still reported (it may be a malicious file)."""
    contents = Contents(format="pickle", top=first.top, globals=first.globals,
                        opcodes=frozenset(first.opcodes), protocol=first.protocol,
                        storages=first.storages, built_types=first.built_types)
    contents.not_torch = ("a plain pickle, not a torch checkpoint (no torch magic number): "
                          "torch.load fails with \"Invalid magic number; corrupt file?\"")
    return contents


def _storage_problems(handle: IO[bytes], file_size: int, keys: Any,
                      storages: dict, order: str) -> List[Tuple[str, str]]:
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return [("WL309", "corrupt legacy checkpoint: the storage key list is not a list of "
                 "strings")]
    missing = sorted(set(storages) - set(keys))
    if missing:
        return [("WL309", f"corrupt legacy checkpoint: storages {missing[:3]} have no data")]
    pos = handle.tell()
    for key in keys:
        ref: StorageRef = storages.get(key) or StorageRef(key, None, "cpu", 0, "?")
        if pos + 8 > file_size:
            return [("WL309", f"truncated legacy checkpoint: storage {key} is cut off")]
        handle.seek(pos)
        (count,) = struct.unpack(order + "q", handle.read(8))
        size = dtypes.itemsize(ref.dtype) or 1
        if count < 0 or (key in storages and count != ref.numel):
            return [("WL309", f"corrupt legacy checkpoint: storage {key} holds {count} "
                     f"elements, the pickle says {ref.numel}")]
        pos += 8 + count * size
        if pos > file_size:
            return [("WL309", f"truncated legacy checkpoint: storage {key} needs "
                     f"{count * size} bytes past the end of the file")]
    return []
