"""`wlint check [PATH ...]`: the WL1xx rules over files and folders (and `--fix`)."""

from __future__ import annotations

import argparse

from wlint.check import PathError, check_paths
from wlint.commands import config_from_args, emit, findings_exit, option, render_report
from wlint.config import ConfigError

ERRORS = (PathError, ConfigError)


def run(ns: argparse.Namespace) -> int:
    """Exit 0 clean, 1 findings (or, with --diff, pending fixes), 2 usage."""
    paths = list(option(ns, "paths", [])) or ["."]
    config = config_from_args(ns, paths[0])
    output = option(ns, "output")
    if option(ns, "fix", False) or option(ns, "diff", False):
        from wlint.fix import run_fix

        findings, patch = run_fix(paths, config, write=not ns.diff)
        if ns.diff:
            emit(patch, output)
            return 1 if patch or findings else 0
    else:
        findings = check_paths(paths, config, jobs=max(1, option(ns, "jobs", 1)))
    emit(render_report(findings, ns, "check"), output)
    return findings_exit(findings)
