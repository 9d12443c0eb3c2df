"""`Checkpoint`: what `wlint ckpt` reports about one file (DESIGN §2's JSON shape).

The same JSON is a signature file: `Checkpoint.from_json` reads it back, so
`wlint verify` can stand a few kilobytes in git for a checkpoint kept elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from wlint.findings import Finding

Shape = Tuple[int, ...]


@dataclass(frozen=True)
class TensorEntry:
    """One state_dict key of the file."""

    key: str
    shape: Optional[Shape]  # None: not a strided tensor (or not a tensor at all)
    dtype: Optional[str]
    device: Optional[str]
    kind: str = "tensor"  # tensor | parameter | buffer | ndarray | object
    storage: Optional[str] = None  # storage record shared by tied weights / views

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"key": self.key,
                                "shape": list(self.shape) if self.shape is not None else None,
                                "dtype": self.dtype, "device": self.device}
        if self.kind != "tensor":
            data["kind"] = self.kind
        return data

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> TensorEntry:
        shape = data.get("shape")
        return cls(key=str(data["key"]), shape=tuple(int(d) for d in shape) if isinstance(
            shape, list) else None, dtype=data.get("dtype"), device=data.get("device"),
            kind=str(data.get("kind", "tensor")))


@dataclass
class Checkpoint:
    path: str
    format: str  # torch-zip | torch-legacy | torchscript | safetensors | sharded-index | pickle | unknown
    state_dict_at: Optional[str] = None  # None: no state_dict found
    entries: List[TensorEntry] = field(default_factory=list)
    other: List[str] = field(default_factory=list)
    globals: List[str] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    module_class: Optional[str] = None  # a whole pickled nn.Module
    metadata: Dict[str, Any] = field(default_factory=dict)
    shards: List[str] = field(default_factory=list)
    signature: bool = False  # read from a signature file, not the checkpoint itself
    # module prefix -> `version` from the state_dict's _metadata, where it is not 1
    # (BatchNorm loads a checkpoint without num_batches_tracked when its version is < 2)
    versions: Dict[str, int] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.format != "unknown"

    def devices(self) -> List[str]:
        return sorted({e.device for e in self.entries if e.device})

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "path": self.path, "format": self.format, "state_dict_at": self.state_dict_at,
            "entries": [e.to_json() for e in self.entries], "other": list(self.other),
            "globals": list(self.globals), "findings": [f.to_json() for f in self.findings],
        }
        if self.module_class:
            data["module_class"] = self.module_class
        if self.shards:
            data["shards"] = list(self.shards)
        if self.versions:
            data["versions"] = dict(self.versions)
        if self.metadata:
            data["metadata"] = _jsonable(self.metadata)
        return data

    def to_json_text(self) -> str:
        """`to_json()` as indented JSON with one entry per line: json's C encoder writes
        each line (with `indent` it falls back to its Python one, ~10x slower on a
        checkpoint of thousands of tensors), and a signature file diffs key by key."""
        import json

        parts = []
        for name, value in self.to_json().items():
            if name == "entries" and value:
                body = ",\n".join("    " + json.dumps(e) for e in value)
                parts.append(f'  "entries": [\n{body}\n  ]')
            else:
                parts.append(f"  {json.dumps(name)}: "
                             + json.dumps(value, indent=2).replace("\n", "\n  "))
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def from_json(cls, data: Dict[str, Any], path: str) -> Checkpoint:
        """A signature file (the JSON of `wlint ckpt`); raises KeyError/TypeError/ValueError."""
        entries = [TensorEntry.from_json(e) for e in data["entries"]]
        return cls(path=path, format=str(data["format"]), state_dict_at=data.get("state_dict_at"),
                   entries=entries, other=[str(o) for o in data.get("other", [])],
                   globals=[str(g) for g in data.get("globals", [])],
                   module_class=data.get("module_class"), signature=True,
                   versions={str(k): int(v) for k, v in (data.get("versions") or {}).items()})


def is_signature(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("entries"), list) \
        and "format" in data and "state_dict_at" in data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
