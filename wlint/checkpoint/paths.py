"""Which files are checkpoints (a leaf: `wlint check` asks it for every path)."""

from __future__ import annotations

# files `wlint check` reads as checkpoints (WL306-WL309) instead of Python source
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".pkl", ".pickle",
                       ".index.json", ".pt2")


# found by a folder walk: the suffixes torch, Lightning and safetensors write (a `.pkl`
# is as often a data pickle, an index names its shards, which are walked themselves)
WALKED_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors")
FILE_CODES = ("WL306", "WL307", "WL308", "WL309")  # what `wlint check` says about one


def is_checkpoint_path(path: str) -> bool:
    return path.lower().endswith(CHECKPOINT_SUFFIXES)


def is_walked_checkpoint(name: str) -> bool:
    return name.lower().endswith(WALKED_SUFFIXES)
