"""`read_checkpoint(path)`: sniff the format, read it safely, find the state_dict,
and report WL306-WL309. Never imports torch, never unpickles, never reads
tensor data."""

from __future__ import annotations

import io
import os
from typing import IO, Any, Callable, Dict, Optional, Tuple

from wlint.checkpoint.paths import CHECKPOINT_SUFFIXES
from wlint.checkpoint import locate as locating
from wlint.checkpoint import safetensors_file, sharded, torch_legacy, torch_zip
from wlint.checkpoint.contents import Contents
from wlint.checkpoint.file_findings import corrupt, file_findings
from wlint.checkpoint.listing import Checkpoint, TensorEntry, is_signature
from wlint.checkpoint.values import CorruptError, NumpyArray, TensorRef


class CheckpointPathError(OSError):
    """The path is missing, a directory, or unreadable: exit 2 with one line."""


def read_checkpoint(path: str) -> Checkpoint:
    """What the file holds (a WL309 finding when it cannot be read)."""
    size = _size_of(path)

    def from_file() -> Checkpoint:
        with open(path, "rb") as handle:
            return _read(path, handle, size)

    return _guarded(path, from_file)


def read_checkpoint_bytes(data: bytes, path: str) -> Checkpoint:
    """The same for a file's content already in memory (a signature file read from a
    git revision); `path` labels it (a sharded index's shards are opened next to it)."""
    return _guarded(path, lambda: _read(path, io.BytesIO(data), len(data)))


def _guarded(path: str, read: Callable[[], Checkpoint]) -> Checkpoint:
    """A corrupt file is a WL309 finding; an unreadable one exit 2 (one line)."""
    try:
        return read()
    except CorruptError as exc:
        return Checkpoint(path=path, format="unknown", findings=[corrupt(path, str(exc))])
    except OSError as exc:
        raise CheckpointPathError(f"{path}: cannot read: {exc.strerror or exc}") from None


def has_checkpoint_magic(path: str) -> bool:
    """Does the file start like a torch zip, a protocol-2+ pickle (torch's legacy format)
    or safetensors, or is it empty (a broken checkpoint)?"""
    size = _size_of(path)
    with open(path, "rb") as handle:
        head = handle.read(16)
    return size == 0 or head.startswith((b"PK", b"\x80")) or \
        safetensors_file.looks_like(head, size)


def _size_of(path: str) -> int:
    if not os.path.lexists(path):
        raise CheckpointPathError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CheckpointPathError(f"{path}: is a directory, not a checkpoint file")
    if not os.path.isfile(path):
        raise CheckpointPathError(f"{path}: not a regular file (dangling symlink or device)")
    return os.path.getsize(path)


def _read(path: str, handle: IO[bytes], size: int) -> Checkpoint:
    if size == 0:
        raise CorruptError("empty file (0 bytes): torch.load fails with \"Ran out of input\"")
    head = handle.read(16)
    handle.seek(0)
    stripped = head.lstrip()
    if head.startswith(b"PK"):
        return _finish(path, torch_zip.read(handle, size))
    if safetensors_file.looks_like(head, size):
        return _finish(path, safetensors_file.read(handle, size))
    if stripped.startswith(b"{"):
        return _read_json(path, handle, size)
    if head.startswith(b"\x80") or path.lower().endswith(CHECKPOINT_SUFFIXES):
        try:
            return _finish(path, torch_legacy.read(handle, size))
        except CorruptError as exc:
            if head.startswith(b"\x80"):
                raise
            raise CorruptError(f"unknown format (neither a torch zip, a pickle nor "
                               f"safetensors): {exc}") from None
    raise CorruptError("unknown format: neither a torch zip, a torch pickle nor safetensors")


def _read_json(path: str, handle: IO[bytes], size: int) -> Checkpoint:
    try:
        data = sharded.load_index(handle.read(min(size, sharded.MAX_INDEX + 1)))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptError(f"not valid JSON: {exc}") from None
    if is_signature(data):
        try:
            return Checkpoint.from_json(data, path)
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptError(f"malformed signature file: {exc}") from None
    if sharded.is_index(data):
        return _finish(path, sharded.read(path, data, _read_shard))
    raise CorruptError("a JSON file that is neither a sharded index (weight_map) nor a "
                       "wlint signature")


def _read_shard(shard: str) -> Tuple[Contents, Dict[str, Any]]:
    size = _size_of(shard)
    with open(shard, "rb") as handle:
        head = handle.read(16)
        handle.seek(0)
        if head.startswith(b"PK"):
            contents = torch_zip.read(handle, size)
        elif safetensors_file.looks_like(head, size):
            contents = safetensors_file.read(handle, size)
        else:
            contents = torch_legacy.read(handle, size)
    return contents, locating.locate(contents.top).state


def _finish(path: str, contents: Contents) -> Checkpoint:
    located = locating.locate(contents.top)
    module_class = located.module_class
    entries = [_entry(str(k), v, module_class is not None) for k, v in located.state.items()]
    if module_class is None:
        module_class = _pickled_module_class(contents.top)
    ckpt = Checkpoint(
        path=path, format=contents.format, state_dict_at=located.at if located.found else None,
        entries=entries, other=located.other, globals=list(contents.globals),
        module_class=module_class, metadata=contents.metadata, shards=contents.shards,
        versions=located.versions,
    )
    ckpt.findings = file_findings(path, contents, entries, module_class)
    return ckpt


def _pickled_module_class(top: Any) -> Optional[str]:
    return top.func if locating.is_module(top) else None


def _entry(key: str, value: Any, from_module: bool) -> TensorEntry:
    if isinstance(value, TensorRef):
        kind = ("parameter" if value.parameter else "buffer") if from_module else "tensor"
        return TensorEntry(key, value.shape, value.dtype, value.device, kind,
                           value.storage.key if value.storage else None)
    if isinstance(value, NumpyArray):
        return TensorEntry(key, value.shape, value.dtype, None, "ndarray")
    return TensorEntry(key, None, _type_name(value), None, "object")


def _type_name(value: Any) -> Optional[str]:
    from wlint.checkpoint.values import Opaque

    if isinstance(value, Opaque):
        return value.func
    return type(value).__name__


