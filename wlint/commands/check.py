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
    _ = config.target_version  # a bad target-torch is a usage error before any file is read
    output = option(ns, "output")
    if option(ns, "fix", False) or option(ns, "diff", False):
        from wlint.fix import run_fix

        fixed = run_fix(paths, config, write=not ns.diff)
        findings = fixed.findings
        if ns.diff:
            emit(fixed.patch, output)
            return 2 if fixed.failures else 1 if fixed.patch or findings else 0
        if fixed.failures:  # (each named on stderr already)
            emit(render_report(findings, ns, "check"), output)
            return 2
    else:
        findings = check_paths(paths, config, jobs=max(1, option(ns, "jobs", 1)))
    emit(render_report(findings, ns, "check"), output)
    return findings_exit(findings)
