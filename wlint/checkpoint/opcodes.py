"""`pickletools.genops` for a pickle in memory, at a fraction of its cost.

pickletools stays the authority: every opcode, its name and its argument kind
come from `pickletools.opcodes`, and the rare text-line arguments (protocol 0)
are read by pickletools' own readers. Only the fixed-width and length-prefixed
arguments that torch.save pickles are made of are decoded here, with `struct`
straight from the buffer (genops pays a file read and a Python call per
argument). A slice never reaches past the data, so a length the file declares
allocates nothing beyond the file. tests/test_checkpoint_opcodes.py holds it
to genops: the same (name, argument, position) triples, and an error exactly
where genops raises one.
"""

from __future__ import annotations

import io
import pickletools
import struct
from typing import Any, Callable, Dict, Iterator, Tuple

Decoder = Callable[[bytes, int], Tuple[Any, int]]  # (data, offset) -> (argument, new offset)


def _fixed(fmt: str) -> Decoder:
    unpack = struct.Struct(fmt).unpack_from
    size = struct.calcsize(fmt)

    def decode(data: bytes, at: int) -> Tuple[Any, int]:
        if at + size > len(data):
            raise ValueError(f"not enough data for a {fmt} argument")
        return unpack(data, at)[0], at + size
    return decode


def _counted(fmt: str, convert: Callable[[bytes], Any], signed: bool = False) -> Decoder:
    """A length (struct `fmt`) then that many bytes, converted."""
    length = _fixed(fmt)

    def decode(data: bytes, at: int) -> Tuple[Any, int]:
        n, at = length(data, at)
        if signed and n < 0:
            raise ValueError(f"negative byte count {n}")
        if at + n > len(data):
            raise ValueError(f"expected {n} bytes but only {len(data) - at} remain")
        return convert(data[at:at + n]), at + n
    return decode


def _utf8(raw: bytes) -> str:
    return str(raw, "utf-8", "surrogatepass")


def _latin1(raw: bytes) -> str:
    return raw.decode("latin-1")


def _long(raw: bytes) -> int:
    return int.from_bytes(raw, "little", signed=True)


_DECODERS: Dict[str, Decoder] = {
    "uint1": _fixed("<B"), "uint2": _fixed("<H"), "int4": _fixed("<i"),
    "uint4": _fixed("<I"), "uint8": _fixed("<Q"), "float8": _fixed(">d"),
    "unicodestring1": _counted("<B", _utf8), "unicodestring4": _counted("<I", _utf8),
    "unicodestring8": _counted("<Q", _utf8),
    "bytes1": _counted("<B", bytes), "bytes4": _counted("<I", bytes),
    "bytes8": _counted("<Q", bytes), "bytearray8": _counted("<Q", bytearray),
    "string1": _counted("<B", _latin1), "string4": _counted("<i", _latin1, signed=True),
    "long1": _counted("<B", _long), "long4": _counted("<i", _long, signed=True),
}


def _by_reader(reader: Callable[[Any], Any]) -> Decoder:
    """pickletools' own reader on a view of the data (text-line arguments)."""
    def decode(data: bytes, at: int) -> Tuple[Any, int]:
        stream = io.BytesIO(data)
        stream.seek(at)
        return reader(stream), stream.tell()
    return decode


def _no_argument(data: bytes, at: int) -> Tuple[Any, int]:
    return None, at


def _table() -> Dict[int, Tuple[str, Decoder]]:
    out: Dict[int, Tuple[str, Decoder]] = {}
    for op in pickletools.opcodes:
        decoder: Decoder
        if op.arg is None:
            decoder = _no_argument
        else:
            decoder = _DECODERS.get(op.arg.name) or _by_reader(op.arg.reader)
        out[ord(op.code)] = (op.name, decoder)
    return out


OPCODES = _table()
# the two argument kinds most opcodes of a torch pickle have, decoded inline
_BARE = {code: name for code, (name, decoder) in OPCODES.items() if decoder is _no_argument}
_BYTE = {code: name for code, (name, decoder) in OPCODES.items()
         if decoder is _DECODERS["uint1"]}


def ops(data: bytes) -> Iterator[Tuple[str, Any, int]]:
    """(opcode name, argument, position) of each opcode up to STOP, as genops yields
    them; raises ValueError where genops would (unknown opcode, short data, no STOP)."""
    table, bare, byte = OPCODES, _BARE, _BYTE
    at, end = 0, len(data)
    while at < end:
        code = data[at]
        name = bare.get(code)
        if name is not None:
            yield name, None, at
            if name == "STOP":
                return
            at += 1
            continue
        name = byte.get(code)
        if name is not None and at + 1 < end:
            yield name, data[at + 1], at
            at += 2
            continue
        entry = table.get(code)
        if entry is None:
            raise ValueError(f"at position {at}, opcode {data[at:at + 1]!r} unknown")
        name, decode = entry
        arg, after = decode(data, at + 1)
        yield name, arg, at
        at = after
    raise ValueError("pickle exhausted before seeing STOP")
