"""`wlint check` on checkpoint files: the WL306-WL309 findings of each, as configured."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

from wlint.checkpoint.read import CheckpointPathError, read_checkpoint
from wlint.findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from wlint.config import Config


def checkpoint_findings(path: str, config: Config) -> List[Finding]:
    """Raises CheckpointPathError (an OSError) for a path that is no readable file."""
    ckpt = read_checkpoint(path)
    return [f for f in ckpt.findings if config.is_enabled(f.code, path)]


__all__ = ["CheckpointPathError", "checkpoint_findings"]
