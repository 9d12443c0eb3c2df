"""Command line: argument parsing only; imported by nothing.

Each subcommand's options are declared in its `_add_<name>()` below; running it
is `wlint.commands.<name>.run(ns)` (see wlint/commands/__init__.py for the exit
codes and how to add a subcommand).
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any, Optional, Sequence

from wlint import __version__
from wlint.commands import dispatch
from wlint.report import FORMATS

Subcommands = Any  # what add_subparsers() returns (argparse's class for it is private)


def _add_format(p: argparse.ArgumentParser, formats: Sequence[str] = FORMATS,
                default: str = "text") -> None:
    p.add_argument("--format", choices=formats, default=default,
                   help=f"output format: {', '.join(formats)} (default: {default})")
    p.add_argument("--output", "-o", metavar="FILE",
                   help="write the report to FILE (atomically) instead of stdout")


def _add_findings_output(p: argparse.ArgumentParser, default: str = "text") -> None:
    """Options of every command that reports findings (ruff's names and meanings)."""
    _add_format(p, FORMATS, default)
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print the findings only: no class headers, no summary line")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when findings are reported (2 still means an error)")
    p.add_argument("--statistics", action="store_true",
                   help="print how many findings each code has instead of the findings")


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="PYPROJECT",
                   help="read [tool.wlint] from this pyproject.toml (default: the nearest one)")
    p.add_argument("--no-config", action="store_true",
                   help="read no project file ([tool.wlint], the torch pin of pyproject.toml "
                        "or requirements*.txt): defaults and command-line flags only")


def _add_codes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", metavar="CODES",
                   help="comma-separated codes or prefixes to report (e.g. WL1,WL204)")
    p.add_argument("--ignore", metavar="CODES",
                   help="comma-separated codes or prefixes not to report")


def _add_target_torch(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target-torch", metavar="VERSION",
                   help="torch version the code runs on (default: target-torch of [tool.wlint], "
                   "else the project's torch pin): WL102 assumes < 2.6 without one; "
                   "torch-version branches of model code (hasattr(F, ...), torch.__version__) "
                   "are taken as the newest torch wlint was checked against takes them")


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` just that subcommand's options (what a run
    of it parses: the other subcommands' parsers would be built for nothing)."""
    parser = argparse.ArgumentParser(
        prog="wlint",
        description="Static analysis of PyTorch model code: checkpoint hygiene, "
        "state_dict prediction, cross-revision compatibility.",
    )
    parser.add_argument("--version", action="version", version=f"wlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in _ADDERS.items():
        if only is None or name == only:
            add(sub)
    return parser


def _add_check(sub: Subcommands) -> None:
    check = sub.add_parser("check", help="WL1xx checkpoint-hygiene rules",
                           description="Risky torch.load / torch.save / load_state_dict calls "
                           "(WL1xx) in Python files; checkpoint files (named, or .pt/.pth/.bin/"
                           ".ckpt/.safetensors in folders) get WL306-WL309.")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files and folders to check (default: .)")
    _add_codes(check)
    check.add_argument("--extend-select", metavar="CODES", help=argparse.SUPPRESS)
    check.add_argument("--exclude", metavar="GLOBS", help="comma-separated globs to skip")
    _add_target_torch(check)
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--diff", action="store_true",
                       help="with --fix: print the patch, write nothing")
    check.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                       help="parallel worker processes (default: 1)")
    _add_config(check)
    _add_findings_output(check)


def _add_keys(sub: Subcommands) -> None:
    keys = sub.add_parser("keys", help="predicted state_dict of a model class",
                          description="The state_dict() EXPR would have, predicted from source "
                          "alone: keys, shapes, parameter or buffer, the line creating each.")
    keys.add_argument("path", metavar="PATH", help="the Python file defining the model")
    keys.add_argument("expr", metavar="EXPR",
                      help="a call evaluated statically in PATH's namespace, e.g. 'Net()' or "
                      "'GPT(GPTConfig(n_layer=2))'; a bare class name gives symbolic shapes")
    _add_target_torch(keys)
    keys.add_argument("--no-cache", action="store_true",
                      help="do not read or write the prediction cache (~/.cache/wlint)")
    _add_config(keys)
    _add_format(keys, ("text", "json"))


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
    diff.add_argument("--head", metavar="REV",
                      help="head revision: a commit, or ':index' (default: the working tree)")
    diff.add_argument("--staged", action="store_true", help="compare the index with base")
    diff.add_argument("--emit-remap", metavar="FILE",
                      help="write a remap script for old checkpoints: one function per model "
                      "class, remap_state_dict(state_dict, model) choosing")
    diff.add_argument("--no-cache", action="store_true",
                      help="do not read or write the prediction cache (~/.cache/wlint)")
    _add_model(diff)
    _add_target_torch(diff)
    _add_codes(diff)
    _add_config(diff)
    _add_findings_output(diff)


def _add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="SPEC", action="append", dest="models", default=[],
                        help="a named model, PATH:EXPR or a name from [tool.wlint.models], "
                             "compared concretely (repeatable; default: every configured model)")


def _add_review(sub: Subcommands) -> None:
    review = sub.add_parser(
        "review", help="PR report: check + diff over changed files",
        description="One report for a pull request: the WL2xx changes of the model classes "
        "it touches and the WL1xx findings on its lines, as Markdown (a PR comment), or "
        "posted to GitHub.")
    review.add_argument("--base", metavar="REV",
                        help="the pull request's base (default: `base` of [tool.wlint])")
    review.add_argument("--head", metavar="REV", help="head revision (default: the working tree)")
    review.add_argument("--filter-mode", choices=("added", "diff_context", "file", "nofilter"),
                        default="added",
                        help="which WL1xx findings to report: on added lines (default), in the "
                        "diff context, in changed files, or all")
    review.add_argument("--post-github", action="store_true",
                        help="post the report as one pull-request comment, updated in place")
    review.add_argument("--review-comments", action="store_true",
                        help="also place inline review comments on changed lines")
    review.add_argument("--no-cache", action="store_true",
                        help="do not read or write the prediction cache (~/.cache/wlint)")
    review.add_argument("--sarif", metavar="FILE", help="also write SARIF to FILE")
    _add_model(review)
    _add_target_torch(review)
    _add_codes(review)
    _add_config(review)
    _add_findings_output(review, default="markdown")


def _add_ckpt(sub: Subcommands) -> None:
    ckpt = sub.add_parser(
        "ckpt", help="what a checkpoint file holds (WL306-WL309), without torch",
        description="Keys, shapes, dtypes and storage devices of a checkpoint (torch zip or "
        "legacy, .safetensors, sharded *.index.json), where its state_dict sits, every global "
        "its pickle names; read without torch and without unpickling. The JSON output is a "
        "signature file `wlint verify` accepts in place of the checkpoint.",
    )
    ckpt.add_argument("ckpt", metavar="CKPT", help="checkpoint file or *.index.json")
    _add_config(ckpt)
    _add_findings_output(ckpt)


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
    verify.add_argument("--no-cache", action="store_true",
                        help="do not read or write the prediction cache (~/.cache/wlint)")
    _add_target_torch(verify)
    _add_config(verify)
    _add_findings_output(verify)


def _add_rules(sub: Subcommands) -> None:
    rules = sub.add_parser("rules", help="list rules, or explain one")
    rules.add_argument("code", nargs="?", metavar="CODE", help="explain this code (e.g. WL204)")


# `wlint --help` lists the subcommands in this order
_ADDERS = {"check": _add_check, "keys": _add_keys, "diff": _add_diff, "review": _add_review,
           "ckpt": _add_ckpt, "verify": _add_verify, "rules": _add_rules}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; `argv` None means the process's own command line (the console
    script, `python -m wlint`), which ends when this returns."""
    if argv is None:
        return _as_program()
    return _main(argv)


def _as_program() -> int:
    """The collector tuned for a short process that keeps what it builds (parse trees,
    module namespaces): collections of the young generation only every 200,000
    allocations, older ones practically never, and everything left frozen before exit,
    so interpreter shutdown does not walk millions of AST nodes (measured on timm:
    ~2.5 s of a 5 s `wlint keys` went to the collector at shutdown, ~0.8 s to
    collections during the run; peak memory unchanged)."""
    gc.set_threshold(200_000, 100, 1000)
    try:
        return _main(None)
    finally:
        gc.freeze()


def _main(argv: Optional[Sequence[str]]) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    if args == ["--version"]:  # answered before any parser is built
        sys.stdout.write(f"wlint {__version__}\n")
        return 0
    parser = build_parser(args[0] if args and args[0] in _ADDERS else None)
    ns = parser.parse_args(args)
    if not getattr(ns, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return dispatch(ns.command, ns)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


