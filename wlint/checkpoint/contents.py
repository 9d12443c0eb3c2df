"""What a checkpoint reader hands on: the described top object and its pickle facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from wlint.checkpoint.values import StorageRef


@dataclass
class Contents:
    """One checkpoint file (or shard), read but not loaded."""

    format: str  # torch-zip | torch-legacy | safetensors | sharded-index | pickle
    top: Any  # the described top-level object
    globals: List[str] = field(default_factory=list)
    opcodes: FrozenSet[str] = frozenset()
    protocol: int = 0
    storages: Dict[str, StorageRef] = field(default_factory=dict)
    problems: List[Tuple[str, str]] = field(default_factory=list)  # (code, message)
    metadata: Dict[str, Any] = field(default_factory=dict)
    shards: List[str] = field(default_factory=list)
    built_types: List[str] = field(default_factory=list)  # BUILD targets torch must allow
    not_torch: Optional[str] = None  # a pickle that is no torch checkpoint (why)
