"""Sharded checkpoints: `*.safetensors.index.json` / `pytorch_model.bin.index.json`.

The index's `weight_map` names the shard of every key; each shard is read
like any checkpoint and the state_dict is the union of the shards' own
listings. A key the index puts in a shard that lacks it, a missing shard, or
a shard name that leaves the index's folder is a WL309 problem.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List

from wlint.checkpoint.contents import Contents
from wlint.checkpoint.values import CorruptError, ODict

MAX_INDEX = 64 << 20


def is_index(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("weight_map"), dict)


def read(path: str, index: Dict[str, Any], read_shard: Callable[[str], Any]) -> Contents:
    """`read_shard(path)` -> (Contents of the shard, its state_dict as an ODict)."""
    weight_map: Dict[str, Any] = index["weight_map"]
    folder = os.path.dirname(os.path.abspath(path))
    by_shard: Dict[str, List[str]] = {}
    for key, shard in weight_map.items():
        if not isinstance(shard, str) or os.path.isabs(shard) or ".." in shard.replace(
                "\\", "/").split("/"):
            raise CorruptError(f"index maps {key!r} to {shard!r}, outside the index's folder")
        by_shard.setdefault(shard, []).append(key)
    top = ODict()
    contents = Contents(format="sharded-index", top=top, shards=sorted(by_shard))
    if isinstance(index.get("metadata"), dict):
        contents.metadata = dict(index["metadata"])
    for shard in sorted(by_shard):
        shard_path = os.path.join(folder, shard)
        if not os.path.isfile(shard_path):
            raise CorruptError(f"shard {shard} named by the index does not exist")
        part, state = read_shard(shard_path)
        for name in part.globals:
            if name not in contents.globals:
                contents.globals.append(name)
        contents.opcodes = contents.opcodes | part.opcodes
        contents.built_types += [t for t in part.built_types if t not in contents.built_types]
        contents.storages.update({f"{shard}/{k}": v for k, v in part.storages.items()})
        contents.problems.extend((code, f"{shard}: {msg}") for code, msg in part.problems)
        lacking = [k for k in by_shard[shard] if k not in state]
        if lacking:
            contents.problems.append(("WL309", f"the index puts {lacking[:3]} in {shard}, "
                                      "which does not hold them"))
        for key, value in state.items():
            top[key] = value
    return contents


def load_index(data: bytes) -> Any:
    if len(data) > MAX_INDEX:
        raise CorruptError("index file too large")
    return json.loads(data.decode("utf-8"))
