"""Cross-revision compatibility (WL2xx): base vs head state_dicts of every model class.

Public API (kept stable for the CLI, the flake8 plugin and the review bot):
`compare` (pure), `diff_revisions` -> `DiffResult`, `diff_findings_for_file`
(`wlint diff` itself is wlint/commands/diff.py). The git/predictor side is imported only when called, so
importing this package stays cheap (the flake8 plugin pays for every import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple

from wlint.compat.compare import CompareOptions, compare

if TYPE_CHECKING:  # pragma: no cover
    from wlint.compat.driver import DiffResult
    from wlint.findings import Finding

__all__ = ["ClassDiff", "CompareOptions", "DiffResult", "compare", "diff_findings_for_file",
           "diff_revisions"]


def diff_revisions(repo: str, base: str, head: Optional[str] = None,
                   paths: Optional[Sequence[str]] = None, use_cache: bool = True,
                   cache_dir: Optional[str] = None, models: Sequence[Any] = (),
                   torch_version: Optional[Tuple[int, ...]] = None) -> DiffResult:
    """WL2xx findings of every model class between `base` and `head` (None: working tree,
    ":index" / "--staged": the index), and of every named model (`models`: ModelSpecs);
    torch-version branches as torch `torch_version` takes them (default: the newest torch
    wlint was checked against). Raises wlint.git.GitError (one line)."""
    from wlint.compat import driver

    extra = {} if torch_version is None else {"torch_version": torch_version}
    return driver.diff_revisions(repo, base, head, paths, use_cache, cache_dir, models, **extra)


def diff_findings_for_file(filename: str, base: str) -> List[Finding]:
    """flake8 --wlint-base: findings for the classes of one file, working tree vs base."""
    from wlint.compat import driver

    return driver.diff_findings_for_file(filename, base)


def __getattr__(name: str) -> Any:
    if name in ("DiffResult", "ClassDiff"):
        from wlint.compat import driver

        return getattr(driver, name)
    raise AttributeError(name)
