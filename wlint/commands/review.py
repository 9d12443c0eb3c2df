"""`wlint review`: one pull-request report from `check` + `diff` over the changed files
(the report itself is built by wlint.integrations.review)."""

from __future__ import annotations

import argparse
import os
from typing import Mapping, Optional

from wlint.commands import (
    UsageError,
    config_from_args,
    emit,
    findings_exit,
    option,
    render_report,
)
from wlint.config import ConfigError
from wlint.fsutil import write_atomic
from wlint.git import GitError
from wlint.integrations.github_api import GitHubError
from wlint.integrations.review import build_review, fallback, publish, with_model_verdicts
from wlint.report import render

ERRORS = (GitError, ConfigError, GitHubError)


def run(ns: argparse.Namespace, environ: Optional[Mapping[str, str]] = None) -> int:
    """Exit 0 nothing to report, 1 findings, 2 usage/git/GitHub error."""
    env = os.environ if environ is None else environ
    config = config_from_args(ns, os.getcwd())
    base = option(ns, "base") or config.base
    if not base:
        raise UsageError("no base revision: pass --base REV or set `base` in [tool.wlint]")
    review = build_review(os.getcwd(), base, option(ns, "head"),
                          option(ns, "filter_mode", "added"),
                          use_cache=not option(ns, "no_cache", False),
                          models=option(ns, "models", []), config=config)
    context = review.context(env)
    findings = review.findings
    markdown = with_model_verdicts(render(findings, "markdown", **context), review)
    fmt = option(ns, "format", "markdown")
    report = markdown if fmt == "markdown" and not option(ns, "statistics", False) else \
        render_report(findings, ns, "review", **{k: v for k, v in context.items()
                                                 if k != "command"})
    if option(ns, "sarif"):
        write_atomic(ns.sarif, render(findings, "sarif", **context))
    inline = option(ns, "review_comments", False)
    post = option(ns, "post_github", False) or inline
    output = option(ns, "output")
    if post and not env.get("GITHUB_TOKEN", "").strip():
        fallback(review, markdown, env)
        if output:
            emit(report, output)
    else:
        emit(report, output)
        if post:
            publish(review, markdown, env, review_comments=inline)
    return findings_exit(findings, fail_on_info=False)
