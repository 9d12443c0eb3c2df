"""`wlint diff`: the command-line front end of `diff_revisions`.

Forms:
  wlint diff [PATH ...] [--base REV] [--head REV | --staged]
  wlint diff REV:PATH [PATH]      # one file against its old self

Exit 0: nothing to report (info-only findings do not fail), 1: findings,
2: usage or git error (one line on stderr).
"""

from __future__ import annotations

import os
import sys
from typing import Any, List, Optional, Tuple

from wlint.findings import sort_findings


def _usage(msg: str) -> Exception:
    from wlint.cli import UsageError

    return UsageError(msg)


def _split_rev_path(arg: str) -> Optional[Tuple[str, str]]:
    """'HEAD~1:models/net.py' -> ('HEAD~1', 'models/net.py'); None for plain paths."""
    if ":" not in arg or os.path.exists(arg):
        return None
    rev, _, path = arg.partition(":")
    if not rev or not path or (len(rev) == 1 and rev.isalpha()):  # C:\ on Windows
        return None
    return rev, path


def run_diff_command(ns: Any) -> int:
    from wlint.compat.driver import DiffResult, diff_revisions, diff_single_file
    from wlint.config import ConfigError, load_config
    from wlint.git import GitError, GitRepo

    paths: List[str] = list(getattr(ns, "paths", []) or [])
    try:
        config = load_config(paths[0] if paths and os.path.exists(paths[0]) else os.getcwd())
        if getattr(ns, "select", None) is not None or getattr(ns, "ignore", None) is not None:
            config = config.with_overrides(select=getattr(ns, "select", None),
                                           ignore=getattr(ns, "ignore", None))
    except ConfigError as exc:
        raise _usage(str(exc)) from None
    head = getattr(ns, "head", None)
    if getattr(ns, "staged", False):
        if head:
            raise _usage("--staged and --head are mutually exclusive")
        head = ":index"
    use_cache = not getattr(ns, "no_cache", False)
    single = _split_rev_path(paths[0]) if paths else None
    try:
        if single is not None:
            if len(paths) > 2:
                raise _usage("wlint diff REV:PATH takes at most one more PATH")
            rev, old_path = single
            result: DiffResult = diff_single_file(rev, old_path, paths[1] if len(paths) > 1
                                                  else None, use_cache=use_cache)
        else:
            base = getattr(ns, "base", None) or config.base or "HEAD"
            start = paths[0] if paths and os.path.exists(paths[0]) else os.getcwd()
            repo = GitRepo.open(start).root
            result = diff_revisions(repo, base, head, paths=paths or None, use_cache=use_cache)
    except GitError as exc:
        raise _usage(str(exc)) from None
    root = result.root or os.getcwd()
    findings = [f for f in result.findings
                if config.is_enabled(f.code, os.path.join(root, f.path))
                and not config.is_excluded(os.path.join(root, f.path), defaults=False)]
    emit_remap = getattr(ns, "emit_remap", None)
    if emit_remap:
        from wlint.compat import remap
        from wlint.fsutil import write_atomic

        text = result.remap_snippet() or remap.snippet(
            [], {}, title="no renames or index shifts between these revisions: identity remap")
        write_atomic(emit_remap, text)
    from wlint.cli import emit
    from wlint.report import render

    report = render(sort_findings(findings), ns.format, command="diff", base=result.base,
                    head=result.head or "working tree")
    emit(report, getattr(ns, "output", None))
    return 1 if any(f.severity != "info" for f in findings) else 0


def main() -> None:  # pragma: no cover - convenience for `python -m wlint.compat.command`
    from wlint.cli import main as cli_main

    sys.exit(cli_main(["diff", *sys.argv[1:]]))
