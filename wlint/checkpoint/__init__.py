"""Checkpoint files read without torch and without unpickling (WL3xx).

`read_checkpoint(path) -> Checkpoint` lists the state_dict (keys, shapes,
dtypes, storage devices), where it sits in the file, every global the pickle
names, and the WL306-WL309 findings; `verify` compares it with a model's
predicted state_dict (WL301-WL305).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Checkpoint", "CheckpointPathError", "TensorEntry", "read_checkpoint"]


def __getattr__(name: str) -> Any:
    if name in ("read_checkpoint", "CheckpointPathError"):
        from wlint.checkpoint import read

        return getattr(read, name)
    if name in ("Checkpoint", "TensorEntry"):
        from wlint.checkpoint import listing

        return getattr(listing, name)
    raise AttributeError(name)
