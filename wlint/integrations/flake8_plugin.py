"""flake8 plugin (`WL` prefix): the same WL1xx findings as `wlint check`.

flake8 runs every installed plugin on every file, selected or not, so this one
must be nearly free on code that never touches checkpoints: it tests the text
for the rules' trigger words and returns at once when none is there. When a
file passes, it analyses the `ast` tree flake8 already parsed (no second parse,
no libcst, no torch), which is also what makes its columns equal `wlint check`'s.

Options: `--wlint-target-torch VERSION` (WL102; defaults to `target-torch` of
[tool.wlint] in ./pyproject.toml) and `--wlint-base REV`, which adds the WL2xx
findings of `wlint.compat.diff_findings_for_file` for each file.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Iterator, List, Optional, Tuple

from wlint import __version__
from wlint.prefilter import could_match

Result = Tuple[int, int, str, type]


class WlintPlugin:
    name = "wlint"
    version = __version__

    target_torch: Optional[Tuple[int, ...]] = None
    _target_known = False
    base: Optional[str] = None
    _diff_findings: Optional[Callable[[str, str], List[Any]]] = None

    def __init__(self, tree: ast.Module, filename: str, lines: List[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser: Any) -> None:
        parser.add_option(
            "--wlint-target-torch", metavar="VERSION", default=None, parse_from_config=True,
            help="torch version the code targets (WL102: from 2.6 a missing weights_only is "
                 "safe); default: target-torch of [tool.wlint] in ./pyproject.toml",
        )
        parser.add_option(
            "--wlint-base", metavar="REV", default=None, parse_from_config=True,
            help="also report WL2xx state_dict changes of each file against git revision REV",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        target = getattr(options, "wlint_target_torch", None)
        try:
            cls.target_torch = _parse_version(target)
        except ValueError as exc:
            raise SystemExit(f"flake8: --wlint-target-torch: {exc}") from None
        # Without the option, pyproject.toml is read on the first file that needs it.
        cls._target_known = target is not None
        cls.base = getattr(options, "wlint_base", None) or None
        cls._diff_findings = _load_diff_findings() if cls.base else None

    @classmethod
    def _target(cls) -> Optional[Tuple[int, ...]]:
        if not cls._target_known:
            cls._target_known = True
            try:
                cls.target_torch = _parse_version(_configured_target_torch())
            except ValueError:
                cls.target_torch = None
        return cls.target_torch

    def run(self) -> Iterator[Result]:
        text = "".join(self.lines)
        if could_match(text):
            from wlint.rules import analyze  # only now: most files never get here

            for line, col, code, message in analyze(self.tree, self._target(), text=text):
                yield line, col, f"{code} {message}", type(self)
        diff_findings = type(self)._diff_findings  # via the class: a plain function
        if self.base and diff_findings is not None:
            for finding in diff_findings(self.filename, self.base):
                yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)


def _parse_version(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    if text is None:
        return None
    from wlint.torch_target import parse_version

    return parse_version(text)


def _configured_target_torch() -> Optional[str]:
    """target-torch of [tool.wlint] in the nearest pyproject.toml (None if unset/unreadable)."""
    import os

    from wlint.config import ConfigError, load_config

    try:
        return load_config(os.getcwd()).target_torch
    except ConfigError:
        return None


def _load_diff_findings() -> Callable[[str, str], List[Any]]:
    """Import the WL2xx comparison only when --wlint-base asks for it."""
    try:
        from wlint.compat import diff_findings_for_file
    except ImportError as exc:
        raise SystemExit(
            f"flake8: --wlint-base needs wlint.compat.diff_findings_for_file, which cannot "
            f"be imported ({exc}); upgrade wlint or drop --wlint-base"
        ) from None
    return diff_findings_for_file  # type: ignore[no-any-return,return-value]
