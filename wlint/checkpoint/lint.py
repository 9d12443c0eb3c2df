"""`wlint check` on checkpoint files: the WL306-WL309 findings of each, as configured."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

from wlint.checkpoint.read import CheckpointPathError, has_checkpoint_magic, read_checkpoint
from wlint.findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from wlint.config import Config


def checkpoint_findings(path: str, config: Config, named: bool = True) -> List[Finding]:
    """Raises CheckpointPathError (an OSError) for a path that is no readable file. A file
    found by a folder walk (`named` False) that is no checkpoint at all (a `.bin` of other
    data, a git-lfs pointer) is not wlint's business: no finding. What decodes as a pickle
    is always judged (torch.load would unpickle it, protocol 0 included)."""
    ckpt = read_checkpoint(path)
    if not named and ckpt.format == "unknown" and not has_checkpoint_magic(path):
        return []
    return [f for f in ckpt.findings if config.is_enabled(f.code, path)]


__all__ = ["CheckpointPathError", "checkpoint_findings"]
