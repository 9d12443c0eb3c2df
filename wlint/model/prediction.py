"""What the predictor outputs: plain dataclasses shared by `keys`, `diff`, the cache
and the reporters.

A `Prediction` is the predicted `state_dict()` of one class under one
constructor expression: the ordered `entries` (keys that *are* in the
state_dict), the non-persistent buffers (not in the state_dict, but `diff`
needs them for WL207), the module tree (type, behaviour arguments and line of
every submodule, for WL205/WL206), and everything that could not be resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple, Union

ShapeItem = Union[int, str]
Shape = Tuple[ShapeItem, ...]



class PredictError(ValueError):
    """The request itself is wrong: missing file, unknown class, unparsable EXPR."""


@dataclass(frozen=True)
class Entry:
    """One state_dict key."""

    key: str
    shape: Optional[Shape]  # None: shape unknown (see the unresolved list)
    kind: str  # "parameter" | "buffer"
    line: int  # where the layer / nn.Parameter / buffer creating it is constructed
    path: str = ""  # file of that line ("" = the predicted file)
    condition: Optional[str] = None  # source text of an unknown branch guarding the key
    owner: str = ""  # module prefix owning the tensor ("" = the root)
    layer: str = ""  # type of the owning module, e.g. "Linear", or the user class name

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "key": self.key,
            "shape": list(self.shape) if self.shape is not None else None,
            "kind": self.kind,
            "line": self.line,
        }
        if self.condition is not None:
            data["condition"] = self.condition
        if self.path:
            data["path"] = self.path
        return data


@dataclass(frozen=True)
class ModuleRecord:
    """One submodule of the predicted tree ("" is the root)."""

    prefix: str  # "features.3"
    type: str  # "Conv2d" (catalog) or the user class name
    line: int
    path: str = ""
    args: Tuple[Tuple[str, str], ...] = ()  # behaviour-relevant bound arguments, as source text
    condition: Optional[str] = None


@dataclass(frozen=True)
class Unresolved:
    line: int
    reason: str
    path: str = ""

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"line": self.line, "reason": self.reason}
        if self.path:
            data["path"] = self.path
        return data


@dataclass(frozen=True)
class Unidentified:
    """A submodule slot holding something the predictor cannot identify (an unresolved
    import, a third-party class, an unknown argument): its keys are unknown, so a
    comparison must not call them added or removed."""

    prefix: str  # "blocks.0.ln"
    line: int
    reason: str
    path: str = ""


@dataclass
class Prediction:
    path: str
    expr: str
    cls: str
    entries: List[Entry] = field(default_factory=list)
    unresolved: List[Unresolved] = field(default_factory=list)
    nonpersistent: List[Entry] = field(default_factory=list)
    modules: List[ModuleRecord] = field(default_factory=list)
    migrates_checkpoints: bool = False  # defines _load_from_state_dict / _version / pre-hook
    uses: List[Tuple[str, str]] = field(default_factory=list)  # (relpath, class) instantiated
    unidentified: List[Unidentified] = field(default_factory=list)
    # installed third-party packages whose source the prediction read: (package, file or folder)
    third_party: List[Tuple[str, str]] = field(default_factory=list)

    def unidentified_at(self, prefix: str) -> Optional[Unidentified]:
        """The unidentified slot at `prefix` or at one of its ancestors."""
        for u in self.unidentified:
            if prefix == u.prefix or prefix.startswith(u.prefix + "."):
                return u
        return None

    def keys(self) -> List[str]:
        return [e.key for e in self.entries]

    def shapes(self) -> Dict[str, Optional[Shape]]:
        return {e.key: e.shape for e in self.entries}

    @property
    def resolved(self) -> bool:
        return not self.unresolved

    def to_json(self) -> Dict[str, Any]:
        return {
            "path": self.path,
            "expr": self.expr,
            "class": self.cls,
            "entries": [e.to_json() for e in self.entries],
            "unresolved": [u.to_json() for u in self.unresolved],
            "third_party": [{"package": p, "path": f} for p, f in self.third_party],
        }

    def to_cache(self) -> Dict[str, Any]:
        """Lossless dict form (for the blob cache), read back by `from_cache`. Shallow:
        dataclasses.asdict's deep copies cost 10x and the JSON writer copies anyway."""
        data: Dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                value = [dict(vars(v)) if hasattr(v, "__dataclass_fields__") else v
                         for v in value]
            data[f.name] = value
        return data

    @classmethod
    def from_cache(cls, data: Dict[str, Any]) -> Prediction:
        def entry(d: Dict[str, Any]) -> Entry:
            d = dict(d)
            if d.get("shape") is not None:
                d["shape"] = tuple(d["shape"])
            return Entry(**d)

        def module(d: Dict[str, Any]) -> ModuleRecord:
            d = dict(d)
            d["args"] = tuple(tuple(a) for a in d.get("args", ()))
            return ModuleRecord(**d)

        return cls(
            path=data["path"],
            expr=data["expr"],
            cls=data["cls"],
            entries=[entry(e) for e in data["entries"]],
            unresolved=[Unresolved(**u) for u in data["unresolved"]],
            nonpersistent=[entry(e) for e in data["nonpersistent"]],
            modules=[module(m) for m in data["modules"]],
            migrates_checkpoints=data.get("migrates_checkpoints", False),
            uses=[(u[0], u[1]) for u in data.get("uses", [])],
            unidentified=[Unidentified(**u) for u in data.get("unidentified", [])],
            third_party=[(t[0], t[1]) for t in data.get("third_party", [])],
        )
