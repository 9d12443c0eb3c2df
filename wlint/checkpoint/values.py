"""What the pickle machine builds instead of real objects.

Only plain containers (dict, list, tuple, set, `ODict`) and these descriptions
are ever created: a storage reference, a tensor description, a numpy array
description, and `Opaque` for anything else the pickle would construct by
calling a global (kept with its name and arguments, never called).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple


class CorruptError(Exception):
    """The file is not what it claims to be (WL309): one line, no traceback."""


class ODict(dict):  # type: ignore[type-arg]
    """A collections.OrderedDict from the pickle (plain dicts keep order too);
    `attrs` holds the BUILD state (torch's `_metadata`)."""

    attrs: Dict[str, Any]

    def __init__(self) -> None:
        super().__init__()
        self.attrs = {}

    __hash__ = object.__hash__  # type: ignore[assignment]


@dataclass(frozen=True)
class Global:
    """A GLOBAL / STACK_GLOBAL / INST reference, by name only (nothing is imported)."""

    module: str
    name: str

    @property
    def full(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class StorageRef:
    """A persistent id ('storage', type, key, location, numel[, view])."""

    key: str
    dtype: Optional[str]  # element type of the storage (uint8 for untyped storages)
    location: str
    numel: int
    storage_class: str


@dataclass(eq=False)
class TensorRef:
    """A tensor torch would rebuild; `shape` None when the kind cannot be described."""

    dtype: Optional[str]
    shape: Optional[Tuple[int, ...]]
    device: Optional[str]
    storage: Optional[StorageRef] = None
    offset: int = 0
    stride: Optional[Tuple[int, ...]] = None
    parameter: bool = False
    requires_grad: bool = False
    rebuild: str = ""
    subclass: Optional[str] = None


@dataclass(eq=False)
class NumpyArray:
    """numpy.core.multiarray._reconstruct + BUILD state (shape, dtype); data never read."""

    shape: Optional[Tuple[int, ...]] = None
    dtype: Optional[str] = None


@dataclass(eq=False)
class NumpyDtype:
    descr: str


@dataclass(eq=False)
class Opaque:
    """An object the pickle would create by calling `func` (REDUCE / NEWOBJ / INST)."""

    func: str
    args: Any = None
    state: Any = None
    how: str = "call"  # call | new | persistent | extension
    items: List[Any] = field(default_factory=list)  # APPENDS onto it
    entries: List[Tuple[Any, Any]] = field(default_factory=list)  # SETITEMS onto it

    def state_dict(self) -> Optional[Dict[Any, Any]]:
        """The instance __dict__ BUILD set (a (dict, slots) pair gives the dict)."""
        state = self.state
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], dict):
            state = state[0]
        return state if isinstance(state, dict) else None
