"""Command line: argument parsing only. Each subcommand calls the API of its module.

Exit codes: 0 nothing to report, 1 findings, 2 usage or environment error
(one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional, Sequence

from wlint import __version__
from wlint.report import FORMATS


class UsageError(Exception):
    """A user-facing error: printed as one line on stderr, exit 2."""


def _add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="text", help="output format")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wlint",
        description="Static analysis of PyTorch model code: checkpoint hygiene, "
        "state_dict prediction, cross-revision compatibility.",
    )
    parser.add_argument("--version", action="version", version=f"wlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="WL1xx checkpoint-hygiene rules")
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.add_argument("--select", metavar="CODES", help="comma-separated codes or prefixes")
    check.add_argument("--ignore", metavar="CODES", help="comma-separated codes or prefixes")
    check.add_argument("--extend-select", metavar="CODES", help=argparse.SUPPRESS)
    check.add_argument("--exclude", metavar="GLOBS", help="comma-separated globs to skip")
    check.add_argument("--target-torch", metavar="VERSION", help="torch version the code targets")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--diff", action="store_true", help="with --fix: print the patch, write nothing")
    check.add_argument("-j", "--jobs", type=int, default=1, help="parallel worker processes")
    check.add_argument("--config", metavar="PYPROJECT", help="pyproject.toml to read [tool.wlint] from")
    check.add_argument("--no-config", action="store_true", help="ignore pyproject.toml")
    _add_format(check)
    check.set_defaults(handler=_run_check)

    keys = sub.add_parser("keys", help="predicted state_dict of a model class")
    keys.add_argument("path", metavar="PATH")
    keys.add_argument("expr", metavar="EXPR", help="e.g. 'Net()' or 'GPT(GPTConfig(n_layer=2))'")
    _add_format(keys)
    keys.set_defaults(handler=_run_keys)

    diff = sub.add_parser(
        "diff", help="WL2xx: state_dict changes between two revisions",
        description="Compare the predicted state_dict of every nn.Module class between two "
        "revisions (and of every class containing a changed one). `wlint diff REV:PATH "
        "[PATH]` compares one file with its old self.",
    )
    diff.add_argument("paths", nargs="*", metavar="PATH",
                      help="report only classes in these files/folders (or REV:PATH)")
    diff.add_argument("--base", metavar="REV",
                      help="base revision (default: `base` of [tool.wlint], else HEAD)")
    diff.add_argument("--head", metavar="REV", help="commit, ':index' / '--staged', default working tree")
    diff.add_argument("--staged", action="store_true", help="compare the index with base")
    diff.add_argument("--emit-remap", metavar="FILE",
                      help="write one remap_state_dict() for every rename / index shift")
    diff.add_argument("--no-cache", action="store_true",
                      help="do not read or write the prediction cache (~/.cache/wlint)")
    diff.add_argument("--select", metavar="CODES", help="comma-separated codes or prefixes")
    diff.add_argument("--ignore", metavar="CODES", help="comma-separated codes or prefixes")
    _add_format(diff)
    diff.set_defaults(handler=_run_diff)

    review = sub.add_parser("review", help="PR report: check + diff over changed files")
    review.add_argument("--base", metavar="REV", required=True)
    review.add_argument("--head", metavar="REV")
    review.add_argument("--filter-mode", choices=("added", "diff_context", "file", "nofilter"),
                        default="added")
    review.add_argument("--post-github", action="store_true")
    review.add_argument("--review-comments", action="store_true")
    review.add_argument("--no-cache", action="store_true")
    review.add_argument("--sarif", metavar="FILE", help="also write SARIF to FILE")
    review.add_argument("--format", choices=FORMATS, default="markdown")
    review.add_argument("--output", "-o", metavar="FILE")
    review.set_defaults(handler=_run_review)

    rules = sub.add_parser("rules", help="list rules, or explain one")
    rules.add_argument("code", nargs="?", metavar="CODE")
    rules.set_defaults(handler=_run_rules)
    return parser


def emit(text: str, output: Optional[str]) -> None:
    """Write a report to stdout or atomically to a file."""
    if output:
        from wlint.fsutil import write_atomic

        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _run_check(ns: argparse.Namespace) -> int:
    from wlint.check import run_check_command

    return run_check_command(ns)


def _run_keys(ns: argparse.Namespace) -> int:
    from wlint.model.api import run_keys_command

    return run_keys_command(ns)


def _run_diff(ns: argparse.Namespace) -> int:
    from wlint.compat import run_diff_command

    return run_diff_command(ns)


def _run_review(ns: argparse.Namespace) -> int:
    from wlint.integrations.review import run_review_command

    return run_review_command(ns)


def _run_rules(ns: argparse.Namespace) -> int:
    from wlint.findings import all_codes, code_doc

    if ns.code:
        doc = code_doc(ns.code)
        if doc is None:
            raise UsageError(f"unknown code {ns.code!r}; `wlint rules` lists them")
        sys.stdout.write(doc.render())
        return 0
    for doc in all_codes():
        sys.stdout.write(f"{doc.code}  {doc.severity:<7}  {doc.summary}\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(list(argv) if argv is not None else None)
    handler: Optional[Callable[[argparse.Namespace], int]] = getattr(ns, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(ns)
    except UsageError as exc:
        sys.stderr.write(f"wlint: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


