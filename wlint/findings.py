"""The Finding dataclass: what every output format, the flake8 plugin and the
review bot consume.

A finding's severity is set by its producer, which knows the code's `CodeDoc`
(wlint.codes): `Finding.of(doc, ...)` or an explicit `severity=`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from wlint.codes import SEVERITIES, CodeDoc

ShapeItem = Union[int, str]
Shape = Tuple[ShapeItem, ...]


@dataclass(frozen=True)
class Finding:
    """One reported problem. Columns are 0-based (flake8 adds 1 itself)."""

    code: str
    path: str
    line: int
    col: int
    message: str
    severity: str
    cls: Optional[str] = None
    key: Optional[str] = None
    old_key: Optional[str] = None
    old_shape: Optional[Shape] = None
    new_shape: Optional[Shape] = None
    fix: Optional[str] = None
    affected: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.code}: severity {self.severity!r} is not one of {SEVERITIES}")

    @staticmethod
    def of(doc: CodeDoc, path: str, line: int, col: int, message: str,
           **fields: Any) -> Finding:
        """A finding of the documented code `doc`, with the doc's severity."""
        return Finding(doc.code, path, line, col, message, doc.severity, **fields)

    @property
    def fingerprint(self) -> str:
        """Stable identity across pushes: code, path, class, key and old key only."""
        raw = "\x1f".join(
            [self.code, self.path, self.cls or "", self.key or "", self.old_key or ""]
        )
        import hashlib  # here: commands that print no fingerprint skip its import

        # surrogateescape: a path that is not UTF-8 (its original bytes are hashed)
        return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def with_(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def sort_key(self) -> Tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.key or self.old_key or "")

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "message": self.message,
            "class": self.cls,
            "key": self.key,
            "old_key": self.old_key,
            "old_shape": list(self.old_shape) if self.old_shape is not None else None,
            "new_shape": list(self.new_shape) if self.new_shape is not None else None,
            "fix": self.fix,
            "fingerprint": self.fingerprint,
            "affected": self.affected,
            "renamed_keys": None,
            "containers": [],
            "model": None,
        }
        data.update(self.extra)
        return data


def natural_key(text: Optional[str]) -> Tuple[Any, ...]:
    """Numeric order of dotted state_dict keys: layers.2 before layers.10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in (text or "").split("."))


def sort_findings(findings: Sequence[Finding]) -> List[Finding]:
    return sorted(findings, key=Finding.sort_key)
