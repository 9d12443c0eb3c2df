"""Read a pickle without unpickling it: `pickletools` opcodes plus a small stack machine.

The machine builds only dicts, lists, tuples, sets, `ODict`s and the
descriptions of `values` (tensors, storages, numpy arrays, `Opaque` calls);
it imports nothing, calls nothing, and records every global the pickle
names. Sizes in the file are never used to allocate: reads go through
`BoundedReader`, which refuses a read longer than what is left of the
pickle before reading anything.
"""

from __future__ import annotations

import _compat_pickle
import pickletools
import struct
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from wlint.checkpoint import opcodes, rebuild
from wlint.checkpoint.values import CorruptError, Global, Opaque, StorageRef, TensorRef

MAX_LINE = 1 << 16  # GLOBAL / text opcode arguments are short lines


class BoundedReader:
    """A file view of `size` bytes from the current position; a read past the end
    fails before anything is allocated (the pickle says how long its strings are)."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self._handle = handle
        self._left = size

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self._left:
            raise CorruptError(f"truncated pickle: a {n}-byte item runs past the end of the data")
        data = self._handle.read(n)
        self._left -= len(data)
        return data

    def readline(self) -> bytes:
        line = self._handle.readline(min(MAX_LINE, self._left))
        self._left -= len(line)
        return line


@dataclass
class PickleResult:
    """What one pickle holds, described."""

    top: Any
    globals: List[str] = field(default_factory=list)  # in order of first reference
    opcodes: Set[str] = field(default_factory=set)  # opcode names used
    protocol: int = 0
    storages: Dict[str, StorageRef] = field(default_factory=dict)
    tensors: List[TensorRef] = field(default_factory=list)
    built_types: List[str] = field(default_factory=list)  # classes BUILD needs, never named


PersistentHook = Callable[[Any], Any]


class Machine:
    """The stack machine; one instance per pickle."""

    def __init__(self) -> None:
        self.stack: List[Any] = []
        self.metastack: List[List[Any]] = []
        self.memo: Dict[int, Any] = {}
        self.result = PickleResult(top=None)
        self._seen_globals: Set[str] = set()

    # -- stack helpers ------------------------------------------------------------
    def pop(self) -> Any:
        if not self.stack:
            raise CorruptError("corrupt pickle: pop from an empty stack")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack:
            raise CorruptError("corrupt pickle: empty stack")
        return self.stack[-1]

    def pop_mark(self) -> List[Any]:
        if not self.metastack:
            raise CorruptError("corrupt pickle: no MARK on the stack")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def record_global(self, module: str, name: str) -> Global:
        if (module, name) in _compat_pickle.NAME_MAPPING:  # python 2 names, as pickle maps them
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        ref = Global(module, name)
        if ref.full not in self._seen_globals:
            self._seen_globals.add(ref.full)
            self.result.globals.append(ref.full)
        return ref

    # -- running ------------------------------------------------------------------
    def run(self, ops: Iterator[Tuple[str, Any, Optional[int]]]) -> PickleResult:
        """Run (opcode name, argument, position) triples (genops' or `opcodes.ops`')."""
        seen = self.result.opcodes
        handlers = _HANDLERS
        try:
            for name, arg, pos in ops:
                seen.add(name)
                handler = handlers.get(name)
                if handler is None:
                    raise CorruptError(f"unsupported pickle opcode {name} at byte {pos}")
                if handler(self, arg) is _STOP:
                    self.result.top = self.pop()
                    return self.result
        except CorruptError:
            raise
        except (ValueError, EOFError, struct.error, UnicodeDecodeError, OverflowError,
                TypeError, IndexError, KeyError, MemoryError, RecursionError) as exc:
            raise CorruptError(f"corrupt pickle: {_one_line(exc)}") from None
        raise CorruptError("truncated pickle: no STOP opcode")


_STOP = object()


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


# -- opcode handlers ------------------------------------------------------------------
def _push_arg(m: Machine, arg: Any) -> None:
    m.stack.append(arg)


def _push(value: Callable[[], Any]) -> Callable[[Machine, Any], None]:
    def handler(m: Machine, arg: Any) -> None:
        m.stack.append(value())
    return handler


def _mark(m: Machine, arg: Any) -> None:
    m.metastack.append(m.stack)
    m.stack = []


def _tuple_n(n: int) -> Callable[[Machine, Any], None]:
    def handler(m: Machine, arg: Any) -> None:
        if len(m.stack) < n:
            raise CorruptError("corrupt pickle: tuple of missing items")
        items = tuple(m.stack[len(m.stack) - n:])
        del m.stack[len(m.stack) - n:]
        m.stack.append(items)
    return handler


def _tuple(m: Machine, arg: Any) -> None:
    items = m.pop_mark()  # (pop_mark replaces m.stack: read it after)
    m.stack.append(tuple(items))


def _list(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    m.stack.append(items)


def _dict(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    out: Dict[Any, Any] = {}
    _set_items(out, items)
    m.stack.append(out)


def _frozenset(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    m.stack.append(frozenset(items))


def _set_items(target: Any, items: List[Any]) -> None:
    if len(items) % 2:
        raise CorruptError("corrupt pickle: odd number of dict items")
    pairs = list(zip(items[0::2], items[1::2]))
    if isinstance(target, dict):
        for k, v in pairs:
            target[k] = v
    elif isinstance(target, Opaque):
        target.entries.extend(pairs)
    else:
        raise CorruptError(f"corrupt pickle: SETITEMS on a {type(target).__name__}")


def _setitem(m: Machine, arg: Any) -> None:
    value = m.pop()
    key = m.pop()
    _set_items(m.top(), [key, value])


def _setitems(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    _set_items(m.top(), items)


def _append_items(target: Any, items: List[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, Opaque):
        target.items.extend(items)
    else:
        raise CorruptError(f"corrupt pickle: APPENDS on a {type(target).__name__}")


def _append(m: Machine, arg: Any) -> None:
    item = m.pop()
    _append_items(m.top(), [item])


def _appends(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    _append_items(m.top(), items)


def _additems(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    target = m.top()
    if not isinstance(target, set):
        raise CorruptError("corrupt pickle: ADDITEMS on a non-set")
    target.update(items)


def _pop(m: Machine, arg: Any) -> None:
    m.pop()


def _pop_mark(m: Machine, arg: Any) -> None:
    m.pop_mark()


def _dup(m: Machine, arg: Any) -> None:
    m.stack.append(m.top())


def _put(m: Machine, arg: Any) -> None:
    if type(arg) is not int or arg < 0 or not m.stack:  # PUT's text argument may be a bool
        raise CorruptError("corrupt pickle: bad memo index or empty stack")
    m.memo[arg] = m.stack[-1]


def _memoize(m: Machine, arg: Any) -> None:
    m.memo[len(m.memo)] = m.top()


def _get(m: Machine, arg: Any) -> None:
    try:
        m.stack.append(m.memo[arg])
    except KeyError:
        raise CorruptError(f"corrupt pickle: memo entry {arg} used before it was stored") from None


def _global(m: Machine, arg: Any) -> None:
    module, _, name = str(arg).partition(" ")
    m.stack.append(m.record_global(module, name))


def _stack_global(m: Machine, arg: Any) -> None:
    name = m.pop()
    module = m.pop()
    if not isinstance(module, str) or not isinstance(name, str):
        raise CorruptError("corrupt pickle: STACK_GLOBAL of non-strings")
    m.stack.append(m.record_global(module, name))


def _inst(m: Machine, arg: Any) -> None:
    module, _, name = str(arg).partition(" ")
    ref = m.record_global(module, name)
    items = m.pop_mark()
    m.stack.append(Opaque(ref.full, tuple(items), how="new"))


def _obj(m: Machine, arg: Any) -> None:
    items = m.pop_mark()
    if not items:
        raise CorruptError("corrupt pickle: OBJ without a class")
    cls = items[0]
    m.stack.append(Opaque(_name_of(cls), tuple(items[1:]), how="new"))


def _name_of(obj: Any) -> str:
    if isinstance(obj, Global):
        return obj.full
    if isinstance(obj, Opaque):
        return f"<result of {obj.func}>"
    return f"<{type(obj).__name__}>"


def _reduce(m: Machine, arg: Any) -> None:
    args = m.pop()
    func = m.pop()
    m.stack.append(rebuild.call(func, args, m.result))


def _newobj(m: Machine, arg: Any) -> None:
    args = m.pop()
    cls = m.pop()
    m.stack.append(rebuild.new(cls, args))


def _newobj_ex(m: Machine, arg: Any) -> None:
    kwargs = m.pop()
    args = m.pop()
    cls = m.pop()
    m.stack.append(rebuild.new(cls, (args, kwargs)))


def _build(m: Machine, arg: Any) -> None:
    state = m.pop()
    rebuild.build(m.top(), state, m.result)


def _binpersid(m: Machine, arg: Any) -> None:
    m.stack.append(rebuild.persistent(m.pop(), m.result))


def _persid(m: Machine, arg: Any) -> None:
    m.stack.append(rebuild.persistent(arg, m.result))


def _ext(m: Machine, arg: Any) -> None:
    ref = m.record_global("copyreg", f"_extension_registry[{arg}]")
    m.stack.append(Opaque(ref.full, how="extension"))


def _buffer(m: Machine, arg: Any) -> None:
    m.stack.append(Opaque("pickle.PickleBuffer", how="out-of-band"))


def _readonly(m: Machine, arg: Any) -> None:
    m.top()


def _ignore(m: Machine, arg: Any) -> None:
    return None


def _proto(m: Machine, arg: Any) -> None:
    m.result.protocol = int(arg)


def _stop(m: Machine, arg: Any) -> object:
    return _STOP


_VALUE_OPS = ("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "STRING",
              "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
              "BYTEARRAY8", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
              "FLOAT", "BINFLOAT")

_HANDLERS: Dict[str, Callable[[Machine, Any], Any]] = {name: _push_arg for name in _VALUE_OPS}
_HANDLERS.update({
    "NONE": _push(lambda: None), "NEWTRUE": _push(lambda: True), "NEWFALSE": _push(lambda: False),
    "EMPTY_LIST": _push(list), "EMPTY_TUPLE": _push(tuple), "EMPTY_DICT": _push(dict),
    "EMPTY_SET": _push(set),
    "MARK": _mark, "TUPLE": _tuple, "TUPLE1": _tuple_n(1), "TUPLE2": _tuple_n(2),
    "TUPLE3": _tuple_n(3), "LIST": _list, "DICT": _dict, "FROZENSET": _frozenset,
    "APPEND": _append, "APPENDS": _appends, "SETITEM": _setitem, "SETITEMS": _setitems,
    "ADDITEMS": _additems, "POP": _pop, "POP_MARK": _pop_mark, "DUP": _dup,
    "PUT": _put, "BINPUT": _put, "LONG_BINPUT": _put, "MEMOIZE": _memoize,
    "GET": _get, "BINGET": _get, "LONG_BINGET": _get,
    "GLOBAL": _global, "STACK_GLOBAL": _stack_global, "INST": _inst, "OBJ": _obj,
    "REDUCE": _reduce, "NEWOBJ": _newobj, "NEWOBJ_EX": _newobj_ex, "BUILD": _build,
    "PERSID": _persid, "BINPERSID": _binpersid,
    "EXT1": _ext, "EXT2": _ext, "EXT4": _ext,
    "NEXT_BUFFER": _buffer, "READONLY_BUFFER": _readonly,
    "PROTO": _proto, "FRAME": _ignore, "STOP": _stop,
})


def _genops(reader: Any) -> Iterator[Tuple[str, Any, Optional[int]]]:
    for op, arg, pos in pickletools.genops(reader):
        yield op.name, arg, pos


def read_pickle(handle: IO[bytes], size: int) -> PickleResult:
    """Describe the pickle at the handle's position (at most `size` bytes); raises
    CorruptError. The handle is left just after the STOP opcode."""
    return Machine().run(_genops(BoundedReader(handle, size)))


def pickle_from_bytes(data: bytes) -> PickleResult:
    """Describe an in-memory pickle (decoded by `opcodes.ops`, genops' equal)."""
    return Machine().run(opcodes.ops(data))


