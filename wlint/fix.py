"""`wlint check --fix` / `--diff`: add `map_location="cpu"` (WL101) and
`weights_only=True` (WL102) to loader calls that lack them.

Only what is safe is touched: an argument that is absent (not `None`, not
`False`, not possibly inside `*args`/`**kwargs`), and never `weights_only` when
a `pickle_module` is passed. The rewrite is a libcst transform, so formatting
and comments stay as they were; a multi-line call gets its new arguments on
lines of their own. Files are written atomically; a second run changes nothing.
"""

from __future__ import annotations

import difflib
import os
import sys
from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from wlint.check import check_file, check_source, iter_python_files
from wlint.config import Config
from wlint.findings import Finding, sort_findings
from wlint.fsutil import write_atomic

FIXABLE = {"WL101": ("map_location", '"cpu"'), "WL102": ("weights_only", "True")}
# Positional index of each parameter per loader, as in wlint.rules.loading.
_POSITIONS = {"map_location": 1, "pickle_module": 2}
_HUB_POSITIONS = {"map_location": 2, "weights_only": 6}

Target = Tuple[int, int]  # (line, character column) of a call


def _char_col(line_text: str, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; libcst counts characters."""
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _targets(text: str, findings: Sequence[Finding]) -> Dict[Target, Set[str]]:
    lines = text.splitlines()
    wanted: Dict[Target, Set[str]] = {}
    for f in findings:
        if f.code in FIXABLE and 0 < f.line <= len(lines):
            key = (f.line, _char_col(lines[f.line - 1], f.col))
            wanted.setdefault(key, set()).add(FIXABLE[f.code][0])
    return wanted


def _passes(call: cst.Call, name: str, positions: Dict[str, int]) -> bool:
    """Could the call already pass `name` (by keyword, position, *args or **kwargs)?"""
    positional = 0
    for arg in call.args:
        if arg.star:
            return True
        if arg.keyword is None:
            positional += 1
        elif arg.keyword.value == name:
            return True
    index = positions.get(name)
    return index is not None and positional > index


class _AddArguments(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: Dict[Target, Set[str]]) -> None:
        super().__init__()
        self.targets = targets
        self.applied: Set[Tuple[Target, str]] = set()

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        pos = self.get_metadata(PositionProvider, original).start
        key = (pos.line, pos.column)
        wanted = self.targets.get(key)
        if not wanted or not updated.args:
            return updated
        hub = _is_hub(updated)
        positions = _HUB_POSITIONS if hub else _POSITIONS
        for name, value in ((n, v) for n, v in FIXABLE.values() if n in wanted):
            if _passes(updated, name, positions):
                continue
            if name == "weights_only" and not hub and _passes(updated, "pickle_module", positions):
                continue
            updated = _append_keyword(updated, name, value)
            self.applied.add((key, name))
        return updated


def _is_hub(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return name in ("load_state_dict_from_url", "load_url")


def _append_keyword(call: cst.Call, name: str, value: str) -> cst.Call:
    """Add `name=value` after the last argument, keeping the call's layout."""
    args = list(call.args)
    last = args[-1]
    new = cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(name),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    separator = _separator(call)
    if isinstance(separator, cst.ParenthesizedWhitespace):
        # One argument per line: the old last argument keeps its trailing comment,
        # the new one goes on its own line and takes over the closing layout.
        old_comma = last.comma
        closing = (old_comma.whitespace_after if isinstance(old_comma, cst.Comma)
                   else last.whitespace_after_arg)
        first_line = (closing.first_line if isinstance(closing, cst.ParenthesizedWhitespace)
                      else cst.TrailingWhitespace())
        empty = (closing.empty_lines if isinstance(closing, cst.ParenthesizedWhitespace) else ())
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=separator.with_changes(
                first_line=first_line, empty_lines=empty)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        tail = (closing.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
                if isinstance(closing, cst.ParenthesizedWhitespace) else closing)
        if isinstance(old_comma, cst.Comma):
            new = new.with_changes(comma=cst.Comma(whitespace_after=tail))
        else:
            new = new.with_changes(whitespace_after_arg=tail)
    else:
        trailing = last.comma if isinstance(last.comma, cst.Comma) else None
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
        if trailing is not None:
            new = new.with_changes(comma=trailing)
    args.append(new)
    return call.with_changes(args=args)


def _separator(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """The whitespace that separates arguments in this call (line break + indent
    when arguments stand on lines of their own)."""
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma):
            return arg.comma.whitespace_after
    return call.whitespace_before_args


def fix_source(text: str, findings: Sequence[Finding]) -> Tuple[str, int]:
    """Text with the fixable findings fixed, and how many arguments were added."""
    targets = _targets(text, findings)
    if not targets:
        return text, 0
    module = cst.parse_module(text)
    transformer = _AddArguments(targets)
    new = MetadataWrapper(module).visit(transformer)
    return new.code, len(transformer.applied)


def _unified(path: str, old: str, new: str) -> str:
    """A patch `git apply` / `patch -p1` accept for relative paths."""
    name = path.replace(os.sep, "/")
    before, after = (name, name) if os.path.isabs(path) else (f"a/{name}", f"b/{name}")
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=before, tofile=after))


def run_fix(paths: Sequence[str], config: Config,
            write: bool = True) -> Tuple[List[Finding], str]:
    """Fix every file under `paths`; returns the findings left after fixing and a
    unified diff of the changes (written to disk only when `write`)."""
    remaining: List[Finding] = []
    patches: List[str] = []
    fixed_total, files_changed = 0, 0
    for path in iter_python_files(paths, config):
        findings = check_file(path, config)
        if not any(f.code in FIXABLE for f in findings):
            remaining.extend(findings)
            continue
        text = _read(path)
        try:
            new_text, count = fix_source(text, findings) if text is not None else ("", 0)
        except (cst.ParserSyntaxError, RecursionError):  # syntax libcst does not know
            count = 0
        if not count or text is None:
            remaining.extend(findings)
            continue
        fixed_total += count
        files_changed += 1
        patches.append(_unified(path, text, new_text))
        if write:
            write_atomic(path, new_text)
        remaining.extend(check_source(path, new_text, config))
    if write and fixed_total:
        sys.stderr.write(f"wlint: added {fixed_total} argument(s) in {files_changed} file(s)\n")
    return sort_findings(remaining), "".join(patches)


def _read(path: str) -> Optional[str]:
    """The file's exact text (line endings kept), or None unless it is plain UTF-8:
    rewriting a file in another encoding (or with a BOM) would change its bytes."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
