"""Which files are checkpoints (a leaf: `wlint check` asks it for every path)."""

from __future__ import annotations

# files `wlint check` reads as checkpoints (WL306-WL309) instead of Python source
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".pkl", ".pickle",
                       ".index.json", ".pt2")


def is_checkpoint_path(path: str) -> bool:
    return path.lower().endswith(CHECKPOINT_SUFFIXES)
