"""torch.save's zip format (torch >= 1.6): `<prefix>/data.pkl` plus one record per storage.

zipfile reads only the central directory; the pickle is streamed from its
record; storage records are checked against what the pickle says they hold
(existence and size) from the directory alone, their bytes are never read.
"""

from __future__ import annotations

import zipfile
from typing import IO, List, Optional

from wlint.checkpoint import dtypes
from wlint.checkpoint.contents import Contents
from wlint.checkpoint.pickle_vm import pickle_from_bytes
from wlint.checkpoint.values import CorruptError

MAX_COMPRESSED_PICKLE = 1 << 30  # a deflated data.pkl larger than this is a zip bomb
MAX_CODE_RECORD = 64 << 20  # one TorchScript code/ file larger than this is not one


def read(handle: IO[bytes], file_size: int) -> Contents:
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError) as exc:
        raise CorruptError(f"not a readable zip archive (truncated or corrupt): {exc}") from None
    names = {info.filename: info for info in infos}
    pickles = sorted((n for n in names if n == "data.pkl" or n.endswith("/data.pkl")),
                     key=lambda n: (n.count("/"), n))
    if not pickles:
        if any(n.endswith("constants.pkl") for n in names):
            raise CorruptError("a TorchScript archive of the pre-1.4 layout (no data.pkl): "
                               "load it with torch.jit.load")
        raise CorruptError("a zip archive without data.pkl: not a torch checkpoint")
    pkl = names[pickles[0]]
    prefix = pkl.filename[: -len("data.pkl")]
    _check_extent(pkl, file_size)
    if pkl.compress_type != zipfile.ZIP_STORED and pkl.file_size > MAX_COMPRESSED_PICKLE:
        raise CorruptError(f"compressed data.pkl declares {pkl.file_size} bytes")
    # the pickle is what a checkpoint costs: read it at once (its size is bounded by the
    # file for a stored record, by MAX_COMPRESSED_PICKLE for a compressed one)
    result = pickle_from_bytes(_record(archive, pkl, pkl.file_size))
    contents = Contents(format="torch-zip", top=result.top, globals=result.globals,
                        opcodes=frozenset(result.opcodes), protocol=result.protocol,
                        storages=result.storages, built_types=result.built_types)
    if f"{prefix}constants.pkl" in names:  # torch's own test (_is_torchscript_zip)
        from wlint.checkpoint import torchscript

        contents.format = "torchscript"
        contents.top = torchscript.as_module(
            result.top, torchscript.Classes(lambda rel: _code(archive, names, prefix + rel)))
    contents.problems.extend(_storage_problems(result.storages, names, prefix, file_size))
    return contents


def _record(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as member:
            return member.read(limit)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise CorruptError(f"cannot read {info.filename}: {exc}") from None


def _code(archive: zipfile.ZipFile, names: dict, name: str) -> Optional[str]:
    """A TorchScript code/ record's text (None: absent), bounded before reading."""
    info = names.get(name)
    if info is None:
        return None
    if info.file_size > MAX_CODE_RECORD:
        raise CorruptError(f"{name} declares {info.file_size} bytes of TorchScript code")
    return _record(archive, info, info.file_size).decode("utf-8", "replace")


def _check_extent(info: zipfile.ZipInfo, file_size: int) -> None:
    if info.header_offset + info.compress_size > file_size:
        raise CorruptError(f"{info.filename} runs past the end of the file (truncated)")


def _storage_problems(storages: dict, names: dict, prefix: str, file_size: int) -> List:
    out = []
    for key, ref in storages.items():
        info = names.get(f"{prefix}data/{key}")
        if info is None:
            out.append(("WL309", f"storage record data/{key} is missing from the archive"))
            continue
        size = dtypes.itemsize(ref.dtype)
        need = ref.numel * size if size else 0
        if info.file_size < need:
            out.append(("WL309", f"storage record data/{key} holds {info.file_size} bytes, "
                        f"its tensors need {need} (truncated or corrupt)"))
        elif info.header_offset + info.compress_size > file_size:
            out.append(("WL309", f"storage record data/{key} runs past the end of the file"))
    return out
