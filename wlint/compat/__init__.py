"""Cross-revision compatibility (WL2xx): base vs head state_dicts of every model class.

Public API (kept stable for the CLI, the flake8 plugin and the review bot):
`compare`, `diff_revisions`, `DiffResult`, `diff_findings_for_file`,
`run_diff_command`.
"""

from __future__ import annotations

from wlint.compat.compare import CompareOptions, compare

__all__ = ["CompareOptions", "compare", "diff_revisions", "DiffResult",
           "diff_findings_for_file", "run_diff_command"]


def __getattr__(name: str) -> object:
    # the driver pulls in git and the predictor; load it only when asked
    if name in ("diff_revisions", "DiffResult", "ClassDiff", "diff_findings_for_file"):
        from wlint.compat import driver

        return getattr(driver, name)
    if name == "run_diff_command":
        from wlint.compat.command import run_diff_command

        return run_diff_command
    raise AttributeError(name)
