"""The command layer: the only code that sees an `argparse.Namespace`.

Layering (imports only point down; `tests/test_import_graph.py` checks it):

    cli.py            argparse only; imported by nothing
    commands/<name>   Namespace in, exit code out: reads options, calls the library, renders
    library           check, model, compat, integrations, report, git, config ...
    leaves            codes, findings, source, noqa, fsutil

Exit codes: 0 nothing to report, 1 findings, 2 a usage or environment error,
printed as one `wlint: error: ...` line on stderr (never a traceback).

Library code never prints and never exits: it raises its own domain error
(`PathError`, `ConfigError`, `GitError`, `PredictError`, `GitHubError`...).
Each command module lists the ones it turns into exit 2 in `ERRORS`; `dispatch()`
does the translation, so a command's `run()` contains no try/except for them.

Adding a subcommand `wlint NAME`:

1. `wlint/commands/NAME.py` with
       ERRORS = (SomeDomainError, ...)   # exceptions that mean "exit 2, one line"
       def run(ns: argparse.Namespace) -> int: ...
   using `emit()` for the report, `config_from_args()` for [tool.wlint] plus the
   command-line flags, `findings_exit()` for the exit code, `UsageError` for a
   bad combination of options.
2. In `cli.py`: an `_add_NAME(sub)` function that declares its options, listed in
   `_ADDERS`. cli.py never imports a command module: `dispatch()` imports only the
   one that runs, so heavy imports at the top of commands/NAME.py cost nothing to
   the other commands.
3. A test that runs `wlint.cli.main([...])`.

A new option shared by several commands (`--quiet`, `--exit-zero`...) is declared
once in cli.py (a small `_add_...` helper) and read here or in the command with
`option(ns, "name", default)`, so commands that lack it see the default.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, Optional, Sequence

class UsageError(Exception):
    """A user-facing error: printed as one line on stderr, exit 2."""


def option(ns: argparse.Namespace, name: str, default: Any = None) -> Any:
    """An option's value, or `default` when this command does not declare it."""
    value = getattr(ns, name, default)
    return default if value is None else value


def emit(text: str, output: Optional[str]) -> None:
    """Write a report to stdout or atomically to a file (fsutil.WriteError: one line,
    exit 2). File names that are not UTF-8 are written as their own bytes, or as JSON
    escapes in a JSON report (see fsutil.report_bytes)."""
    from wlint.fsutil import report_bytes, write_atomic

    data = report_bytes(text, json_like=text[:1] in ("{", "["))
    if output:
        write_atomic(output, data)
        return
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8", "replace"))
    else:
        sys.stdout.flush()
        buffer.write(data)
        buffer.flush()
    sys.stdout.flush()


def findings_exit(findings: Sequence[Any], fail_on_info: bool = True) -> int:
    """The exit-code policy: 1 when something is reported, else 0. Info-only
    findings (WL290) fail only when `fail_on_info`."""
    return 1 if any(fail_on_info or f.severity != "info" for f in findings) else 0


def render_report(findings: Sequence[Any], ns: argparse.Namespace, command: str,
                  **context: Any) -> str:
    """The report in `--format`; an output format whose extra is missing is a usage error."""
    from wlint.report import render
    from wlint.report.style import use_color

    fmt = option(ns, "format", "text")
    if option(ns, "statistics", False):
        from wlint.report.statistics import render_statistics

        return render_statistics(findings, fmt)
    context.setdefault("color", False if option(ns, "output") else use_color(sys.stdout))
    context.setdefault("quiet", option(ns, "quiet", False))
    try:
        return render(findings, fmt, command=command, **context)
    except ImportError:
        raise UsageError(f"output format {fmt!r} is not available") from None


def config_from_args(ns: argparse.Namespace, start: Optional[str] = None) -> Any:
    """[tool.wlint] found from `start` (default: the working directory), or the file
    given by --config, or none with --no-config; the command-line flags on top.
    Raises ConfigError."""
    from wlint.config import Config, load_config, load_config_file

    check_codes(ns)
    if option(ns, "no_config", False):
        config = Config(project_pins=False)
    elif option(ns, "config"):
        config = load_config_file(ns.config)
    else:
        config = load_config(start or os.getcwd())
    flags = {name: option(ns, name) for name in _CONFIG_FLAGS}
    given = {name: value for name, value in flags.items() if value is not None}
    if config.third_party_source is not None:  # for this process and the workers it starts
        from wlint.model.site import enable

        enable(config.third_party_source)
    return config.with_overrides(**given) if given else config


# command-line options that override [tool.wlint] keys (Config.with_overrides arguments)
_CONFIG_FLAGS = ("select", "ignore", "extend_select", "exclude", "target_torch")


def check_codes(ns: argparse.Namespace) -> None:
    """--select / --ignore name known codes or prefixes of them (a typo selecting nothing
    would pass silently); UsageError listing the known prefixes otherwise."""
    given = [(flag, option(ns, flag)) for flag in ("select", "ignore", "extend_select")]
    if not any(value for _, value in given):
        return  # the catalog loads every rule family: only a run that names codes needs it
    from wlint.catalog import all_codes

    known = [doc.code for doc in all_codes()]
    for flag, value in given:
        if not value:
            continue
        for item in (part.strip() for part in str(value).replace(" ", ",").split(",")):
            if item and not any(code.startswith(item.upper()) for code in known):
                prefixes = sorted({code[:3] for code in known})
                raise UsageError(
                    f"--{flag.replace('_', '-')}: unknown code {item!r}; codes start with "
                    f"{', '.join(prefixes)} (`wlint rules` lists them)")


def dispatch(name: str, ns: argparse.Namespace) -> int:
    """Run `wlint NAME`: its domain errors and UsageError become one stderr line, exit 2;
    --exit-zero turns "findings reported" (1) into 0."""
    from wlint.fsutil import WriteError  # -o / --emit-remap / --sarif that cannot be written

    module = importlib.import_module(f"wlint.commands.{name}")
    errors = (UsageError, WriteError, *getattr(module, "ERRORS", ()))
    try:
        code = int(module.run(ns))
        return 0 if code == 1 and option(ns, "exit_zero", False) else code
    except errors as exc:
        sys.stderr.write(f"wlint: error: {_one_line(exc)}\n")
        return 2


def _one_line(exc: BaseException) -> str:
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text or type(exc).__name__
