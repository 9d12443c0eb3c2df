"""`wlint diff`: WL2xx findings between two revisions (front end of `diff_revisions`).

Forms:
  wlint diff [PATH ...] [--base REV] [--head REV | --staged]
  wlint diff REV:PATH [PATH]      # one file against its old self

Exit 0: nothing to report (info-only findings do not fail), 1: findings,
2: usage or git error (one line on stderr).
"""

from __future__ import annotations

import argparse
import os
from typing import Any, List, Optional, Tuple

from wlint.commands import UsageError, config_from_args, emit, findings_exit, option, render_report
from wlint.compat.driver import DiffResult, diff_revisions, diff_single_file
from wlint.config import ConfigError
from wlint.findings import sort_findings
from wlint.git import GitError, GitRepo
from wlint.named_models import selected_models

ERRORS = (ConfigError, GitError)


def split_rev_path(arg: str) -> Optional[Tuple[str, str]]:
    """'HEAD~1:models/net.py' -> ('HEAD~1', 'models/net.py'); None for plain paths."""
    if ":" not in arg or os.path.exists(arg):
        return None
    rev, _, path = arg.partition(":")
    if not rev or not path or (len(rev) == 1 and rev.isalpha()):  # C:\ on Windows
        return None
    return rev, path


def run(ns: argparse.Namespace) -> int:
    paths: List[str] = list(option(ns, "paths", []))
    start = paths[0] if paths and os.path.exists(paths[0]) else os.getcwd()
    config = config_from_args(ns, start)
    result = _diff(ns, paths, start, config)
    root = result.root or os.getcwd()
    findings = [f for f in result.findings
                if config.is_enabled(f.code, os.path.join(root, f.path))
                and not config.is_excluded(os.path.join(root, f.path), defaults=False)]
    emit_remap = option(ns, "emit_remap")
    if emit_remap:
        _write_remap(result, emit_remap)
    wants_remap = option(ns, "format", "text") in ("github", "markdown")
    report = render_report(sort_findings(findings), ns, "diff", base=result.base,
                           head=result.head or "working tree", compared=len(result.predictions),
                           changed_files=result.changed_files,
                           remap=result.remap_snippet() if wants_remap else None)
    emit(report, option(ns, "output"))
    return findings_exit(findings, fail_on_info=False)


def _diff(ns: argparse.Namespace, paths: List[str], start: str, config: Any) -> DiffResult:
    head = option(ns, "head")
    if option(ns, "staged", False):
        if head:
            raise UsageError("--staged and --head are mutually exclusive")
        head = ":index"
    use_cache = not option(ns, "no_cache", False)
    single = split_rev_path(paths[0]) if paths else None
    if single is not None:
        if len(paths) > 2:
            raise UsageError("wlint diff REV:PATH takes at most one more PATH")
        rev, old_path = single
        return diff_single_file(rev, old_path, paths[1] if len(paths) > 1 else None,
                                use_cache=use_cache, models=_models(ns, config),
                                torch_version=config.model_torch)
    base = option(ns, "base") or config.base or "HEAD"
    repo = GitRepo.open(start).root
    return diff_revisions(repo, base, head, paths=paths or None, use_cache=use_cache,
                          models=_models(ns, config), torch_version=config.model_torch)


def _models(ns: argparse.Namespace, config: Any) -> List[Any]:
    """The named models to compare: --model SPECs, else every configured model."""
    return selected_models(config, option(ns, "models", []))


def _write_remap(result: DiffResult, path: str) -> None:
    from wlint.compat import remap
    from wlint.fsutil import write_atomic

    text = result.remap_snippet() or remap.snippet(
        [], {}, title="no renames or index shifts between these revisions: identity remap")
    write_atomic(path, text)
