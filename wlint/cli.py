"""Command line: argument parsing only; imported by nothing.

Each subcommand's options are declared in its `_add_<name>()` below; running it
is `wlint.commands.<name>.run(ns)` (see wlint/commands/__init__.py for the exit
codes and how to add a subcommand).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Optional, Sequence

from wlint import __version__
from wlint.commands import dispatch
from wlint.report import FORMATS

Subcommands = Any  # what add_subparsers() returns (argparse's class for it is private)


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
    for add in _ADDERS.values():
        add(sub)
    return parser


def _add_check(sub: Subcommands) -> None:
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


def _add_keys(sub: Subcommands) -> None:
    keys = sub.add_parser("keys", help="predicted state_dict of a model class")
    keys.add_argument("path", metavar="PATH")
    keys.add_argument("expr", metavar="EXPR", help="e.g. 'Net()' or 'GPT(GPTConfig(n_layer=2))'")
    _add_format(keys)


def _add_diff(sub: Subcommands) -> None:
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
    _add_model(diff)
    _add_format(diff)


def _add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="SPEC", action="append", dest="models", default=[],
                        help="a named model, PATH:EXPR or a name from [tool.wlint.models], "
                             "compared concretely (repeatable; default: every configured model)")


def _add_review(sub: Subcommands) -> None:
    review = sub.add_parser("review", help="PR report: check + diff over changed files")
    review.add_argument("--base", metavar="REV", required=True)
    review.add_argument("--head", metavar="REV")
    review.add_argument("--filter-mode", choices=("added", "diff_context", "file", "nofilter"),
                        default="added")
    review.add_argument("--post-github", action="store_true")
    review.add_argument("--review-comments", action="store_true")
    review.add_argument("--no-cache", action="store_true")
    review.add_argument("--sarif", metavar="FILE", help="also write SARIF to FILE")
    _add_model(review)
    review.add_argument("--format", choices=FORMATS, default="markdown")
    review.add_argument("--output", "-o", metavar="FILE")


def _add_ckpt(sub: Subcommands) -> None:
    ckpt = sub.add_parser(
        "ckpt", help="what a checkpoint file holds (WL306-WL309), without torch",
        description="Keys, shapes, dtypes and storage devices of a checkpoint (torch zip or "
        "legacy, .safetensors, sharded *.index.json), where its state_dict sits, every global "
        "its pickle names; read without torch and without unpickling. The JSON output is a "
        "signature file `wlint verify` accepts in place of the checkpoint.",
    )
    ckpt.add_argument("ckpt", metavar="CKPT")
    _add_format(ckpt)


def _add_verify(sub: Subcommands) -> None:
    verify = sub.add_parser(
        "verify", help="will CKPT load into the model? (WL301-WL309)",
        description="What model.load_state_dict(sd, strict=True) would report for CKPT (a "
        "checkpoint or its signature file): missing, unexpected and size-mismatched keys, "
        "wrapper prefixes and renames with a remap_state_dict() fix.",
    )
    verify.add_argument("ckpt", metavar="CKPT", nargs="?",
                        help="checkpoint or signature file (default: the signature of every "
                        "[tool.wlint.models] entry that has one)")
    verify.add_argument("--model", metavar="SPEC",
                        help="PATH:EXPR or a name from [tool.wlint.models]")
    verify.add_argument("--config", metavar="PYPROJECT", help="pyproject.toml to read [tool.wlint] from")
    verify.add_argument("--no-config", action="store_true", help="ignore pyproject.toml")
    _add_format(verify)


def _add_rules(sub: Subcommands) -> None:
    rules = sub.add_parser("rules", help="list rules, or explain one")
    rules.add_argument("code", nargs="?", metavar="CODE")


# `wlint --help` lists the subcommands in this order
_ADDERS = {"check": _add_check, "keys": _add_keys, "diff": _add_diff, "review": _add_review,
           "ckpt": _add_ckpt, "verify": _add_verify, "rules": _add_rules}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(list(argv) if argv is not None else None)
    if not getattr(ns, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return dispatch(ns.command, ns)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


