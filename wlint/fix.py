"""`wlint check --fix` / `--diff`: add `map_location="cpu"` (WL101) and
`weights_only=True` (WL102) to loader calls that lack them.

Only what is safe is touched: an argument that is absent (not `None`, not
`False`, not possibly inside `*args`/`**kwargs`), never `weights_only` when
a `pickle_module` is passed, and never `weights_only=True` on a load of a file
this project writes with `torch.save(<module>, "<same path>")` (WL104): such a
file holds a pickled module that `weights_only=True` cannot load, so the fix
would break a working load; the `--diff` output says so in a `# wlint:` line.

It cannot corrupt a file:
- each file is read once; findings, positions and the rewrite all come from
  those bytes. A finding's (line, UTF-8 column) is turned into a byte offset
  with Python's own line model (only CR, LF and CRLF end a line, not \x0c,
  \x1c, \x85 or U+2028) and matched with the byte span of the libcst call,
  so `json.load(torch.load(p))` gets the arguments on `torch.load`;
- new lines use the line ending of the line the call is on;
- the file is written by `fsutil.write_atomic`, which checks right before the
  replace that the file still holds the bytes that were read, follows a
  symlink to its target, keeps hard links, mode and owner, and refuses a
  read-only file.

Failures are reported per file (the choice issue 11 left open): every file is
either fixed atomically or left byte-for-byte as it was and named on stderr
(`wlint: cannot fix PATH: REASON`, its findings stay in the report), and the
run exits 2. Earlier files of the run stay fixed: each fix is complete and
correct on its own, while a rollback could itself fail half-way.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper

from wlint.check import check_bytes, check_file, check_source, iter_python_files, utf8_text
from wlint.checkpoint.paths import is_checkpoint_path
from wlint.config import Config
from wlint.findings import Finding, sort_findings
from wlint.fsutil import MAX_FILE_BYTES, UnsafeFile, WriteError, read_regular, write_atomic

FIXABLE = {"WL101": ("map_location", '"cpu"'), "WL102": ("weights_only", "True")}
# Positional index of each parameter per loader, as in wlint.rules.loading.
_POSITIONS = {"map_location": 1, "pickle_module": 2}
_HUB_POSITIONS = {"map_location": 2, "weights_only": 6}
_LINE_END = re.compile(rb"\r\n|\r|\n")  # Python's line model (not str.splitlines)

Saves = Dict[str, str]  # normalised path literal -> "file:line" of a torch.save(<module>)


@dataclass
class Target:
    """A call to fix: the arguments to add and the line ending of its line."""

    names: Set[str]
    newline: str
    line: int


@dataclass
class FileFix:
    """What fixing one text gives: the new text, how many arguments were added, and
    why some were not (one line each)."""

    text: str
    count: int = 0
    notes: List[str] = field(default_factory=list)


def _line_starts(data: bytes) -> Tuple[List[int], List[bytes]]:
    """Byte offset where each line starts and the ending of each line."""
    starts, endings, pos = [0], [], 0
    for m in _LINE_END.finditer(data):
        endings.append(m.group())
        pos = m.end()
        starts.append(pos)
    endings.append(b"")
    return starts, endings


def _targets(text: str, findings: Sequence[Finding]) -> Dict[int, Target]:
    """Fixable findings by the byte offset of their call in `text`."""
    data = text.encode("utf-8")
    starts, endings = _line_starts(data)
    default = next((e for e in endings if e), b"\n").decode()
    wanted: Dict[int, Target] = {}
    for f in findings:
        if f.code in FIXABLE and 0 < f.line <= len(starts):
            offset = starts[f.line - 1] + f.col
            newline = endings[f.line - 1].decode() or default
            target = wanted.setdefault(offset, Target(set(), newline, f.line))
            target.names.add(FIXABLE[f.code][0])
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
    METADATA_DEPENDENCIES = (ByteSpanPositionProvider,)

    def __init__(self, targets: Dict[int, Target], saves: Saves) -> None:
        super().__init__()
        self.targets = targets
        self.saves = saves
        self.applied: Set[Tuple[int, str]] = set()
        self.notes: List[str] = []
        self.spans: List[Tuple[int, int, cst.Call]] = []  # (start, length, new call) in bytes

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        offset = self.get_metadata(ByteSpanPositionProvider, original).start
        target = self.targets.get(offset)
        if target is None or not updated.args:
            return updated
        hub = _is_hub(updated)
        positions = _HUB_POSITIONS if hub else _POSITIONS
        for name, value in ((n, v) for n, v in FIXABLE.values() if n in target.names):
            if _passes(updated, name, positions):
                continue
            if name == "weights_only" and not hub and _passes(updated, "pickle_module", positions):
                continue
            saved_at = self.saves.get(_loaded_literal(updated)) if name == "weights_only" else None
            if saved_at is not None:
                self.notes.append(
                    f"line {target.line}: weights_only=True not added: "
                    f"{_loaded_literal(updated)!r} is written by torch.save of a whole module "
                    f"at {saved_at}, which weights_only=True cannot load (save and load the "
                    "state_dict() instead)")
                continue
            updated = _append_keyword(updated, name, value, target.newline)
            self.applied.add((offset, name))
        if updated is not original and any(o == offset for o, _ in self.applied):
            span = self.get_metadata(ByteSpanPositionProvider, original)
            self.spans.append((span.start, span.length, updated))
        return updated


def _loaded_literal(call: cst.Call) -> str:
    """The normalised file name a loader call reads when it is a string literal."""
    first = next((a for a in call.args if a.keyword is None or a.keyword.value == "f"), None)
    if first is None or first.star or not isinstance(first.value, cst.SimpleString):
        return ""
    value = first.value.evaluated_value
    return os.path.normpath(value) if isinstance(value, str) and value else ""


def _is_hub(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return name in ("load_state_dict_from_url", "load_url")


def _append_keyword(call: cst.Call, name: str, value: str, newline: str) -> cst.Call:
    """Add `name=value` after the last argument, keeping the call's layout; a new
    line ends with `newline` (libcst would use the file's first line ending)."""
    fresh_line = cst.TrailingWhitespace(newline=cst.Newline(newline))
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
                      else fresh_line)
        empty = (closing.empty_lines if isinstance(closing, cst.ParenthesizedWhitespace) else ())
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=separator.with_changes(
                first_line=first_line, empty_lines=empty)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        tail = (closing.with_changes(first_line=fresh_line, empty_lines=())
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


def fix_source(text: str, findings: Sequence[Finding], saves: Optional[Saves] = None) -> FileFix:
    """Text with the fixable findings fixed (positions are those of `text`)."""
    if not _targets(text, findings):
        return FileFix(text)
    module = cst.parse_module(text)
    if module.code == text:
        return _rewrite(module, _targets(text, findings), saves or {})
    # libcst drops form feeds that start a statement line: rewrite in its view of the
    # file, then splice each changed call into the original bytes at its own place
    dropped = _dropped_prefixes(text, module.code)
    if dropped is None:
        return FileFix(text, notes=[_NOT_REPRODUCED])
    shifted = [f.with_(col=f.col - len(dropped[f.line - 1].encode()))
               if f.line - 1 in dropped and f.col >= len(dropped[f.line - 1].encode()) else f
               for f in findings]
    transformer = _AddArguments(_targets(module.code, shifted), saves or {})
    new = MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer)
    return FileFix(_splice(text, module.code, new, transformer.spans, dropped),
                   len(transformer.applied), transformer.notes)


_NOT_REPRODUCED = ("not fixed: libcst cannot reproduce this file byte for byte; add the "
                   "arguments by hand")


def _rewrite(module: cst.Module, targets: Dict[int, Target], saves: Saves) -> FileFix:
    transformer = _AddArguments(targets, saves)
    new = MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer)
    return FileFix(new.code, len(transformer.applied), transformer.notes)


def _splice(text: str, view: str, new: cst.Module, spans: Sequence[Tuple[int, int, cst.Call]],
            dropped: Dict[int, str]) -> str:
    """`text` with each outermost changed call (byte span in libcst's `view` of it)
    replaced by its new code; a view offset maps back by adding the prefixes libcst
    dropped from the starts of the lines up to the call's line."""
    data, view_data = text.encode("utf-8"), view.encode("utf-8")
    starts, _ = _line_starts(view_data)
    extra = [0] * len(starts)
    total = 0
    for i in range(len(starts)):
        total += len(dropped.get(i, "").encode("utf-8"))
        extra[i] = total
    out, pos = [], 0
    for start, length, call in sorted(spans, key=lambda s: (s[0], -s[1])):  # outer first
        if start < pos - extra[_line_of(starts, start)]:  # inside a call already spliced
            continue
        begin = start + extra[_line_of(starts, start)]
        end = start + length + extra[_line_of(starts, start + length)]
        out += [data[pos:begin], new.code_for_node(call).encode("utf-8")]
        pos = end
    out.append(data[pos:])
    return b"".join(out).decode("utf-8")


def _line_of(starts: Sequence[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset) - 1


def _py_lines(text: str) -> List[str]:
    """Lines as Python splits them (CR, LF, CRLF only), endings kept."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def _dropped_prefixes(text: str, code: str) -> Optional[Dict[int, str]]:
    """Line index -> the leading form feeds (and blanks) libcst left out of `code`,
    or None when `code` differs from `text` in any other way."""
    old, new = _py_lines(text), _py_lines(code)
    if len(old) != len(new):
        return None
    dropped: Dict[int, str] = {}
    for i, (a, b) in enumerate(zip(old, new)):
        if a == b:
            continue
        prefix = a[:len(a) - len(b)]
        if not a.endswith(b) or "\x0c" not in prefix or prefix.strip(" \t\x0c"):
            return None
        dropped[i] = prefix
    return dropped


def _unified(path: str, old: str, new: str, notes: Sequence[str]) -> str:
    """A patch `git apply` / `patch -p1` accept for relative paths; `# wlint:` lines
    before it (ignored by both) say what was left alone and why."""
    name = path.replace(os.sep, "/")
    before, after = (name, name) if os.path.isabs(path) else (f"a/{name}", f"b/{name}")
    said = "".join(f"# wlint: {path}: {note}\n" for note in notes)
    patch = "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=before, tofile=after)) if old != new else ""
    return said + patch


@dataclass
class FixRun:
    """The findings left after fixing, the patch, and the files that could not be
    fixed (one line each, already said on stderr)."""

    findings: List[Finding]
    patch: str
    failures: List[str]


@dataclass
class _Read:
    path: str
    data: bytes
    text: Optional[str]  # None: not plain UTF-8, never rewritten
    findings: List[Finding]


def run_fix(paths: Sequence[str], config: Config, write: bool = True) -> FixRun:
    """Fix every file under `paths` (written to disk only when `write`)."""
    failures: List[str] = []
    files = list(_read_all(paths, config, failures))
    saves = _whole_module_saves(files)
    remaining: List[Finding] = []
    patches: List[str] = []
    notes: List[str] = []
    fixed_total, files_changed = 0, 0
    for item in files:
        fixed = _fix_one(item, saves)
        if fixed is None or item.text is None:
            remaining.extend(item.findings)
            continue
        notes.extend(f"{item.path}: {note}" for note in fixed.notes)
        patches.append(_unified(item.path, item.text, fixed.text, fixed.notes))
        if not fixed.count:
            remaining.extend(item.findings)
            continue
        if write:
            try:
                write_atomic(item.path, fixed.text.encode("utf-8"), expected=item.data)
            except WriteError as exc:
                failures.append(f"cannot fix {exc}")
                remaining.extend(item.findings)
                continue
        fixed_total += fixed.count
        files_changed += 1
        remaining.extend(check_source(item.path, fixed.text, config))
    if write:
        for line in notes + failures:
            sys.stderr.write(f"wlint: {line}\n")
        if fixed_total:
            sys.stderr.write(f"wlint: added {fixed_total} argument(s) in {files_changed} file(s)\n")
    else:
        for line in failures:
            sys.stderr.write(f"wlint: {line}\n")
    return FixRun(sort_findings(remaining), "".join(patches), failures)


def _read_all(paths: Sequence[str], config: Config, failures: List[str]) -> Iterator[_Read]:
    """Each file read once: its bytes, its text when plain UTF-8, its findings."""
    named = {os.path.normpath(p) for p in paths if os.path.isfile(p)}
    for path in iter_python_files(paths, config, checkpoints=True):
        if is_checkpoint_path(path):  # a checkpoint: reported as `check` does, never rewritten
            yield _Read(path, b"", None, check_file(path, config, explicit=path in named))
            continue
        try:
            data = read_regular(path, limit=MAX_FILE_BYTES)
        except UnsafeFile as exc:
            failures.append(f"cannot fix {exc}")
            continue
        except OSError as exc:
            failures.append(f"cannot fix {path}: cannot read: {exc.strerror or exc}")
            continue
        text = utf8_text(data)
        findings = (check_source(path, text, config) if text is not None
                    else check_bytes(path, data, config))
        yield _Read(path, data, text, findings)


def _fix_one(item: _Read, saves: Saves) -> Optional[FileFix]:
    if item.text is None or not any(f.code in FIXABLE for f in item.findings):
        return None
    try:
        return fix_source(item.text, item.findings, saves)
    except (cst.ParserSyntaxError, RecursionError):  # syntax libcst does not know: say so
        return FileFix(item.text, notes=["not fixed: libcst cannot parse this file; add the "
                                         "arguments by hand"])


def _whole_module_saves(files: Sequence[_Read]) -> Saves:
    """Path literals this project writes with torch.save of a whole module (WL104)."""
    saves: Saves = {}
    only_wl104 = Config(select=["WL104"])
    for item in files:
        if item.text is None or "save" not in item.text:
            continue
        lines = {f.line for f in check_source(item.path, item.text, only_wl104)}
        if not lines:
            continue
        for node in ast.walk(ast.parse(item.text)):
            if isinstance(node, ast.Call) and node.lineno in lines:
                literal = _saved_literal(node)
                if literal:
                    saves.setdefault(literal, f"{item.path}:{node.lineno}")
    return saves


def _saved_literal(call: ast.Call) -> str:
    """The normalised file name of `torch.save(obj, "name")` when it is a literal."""
    target = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "f"), None)
    if isinstance(target, ast.Constant) and isinstance(target.value, str) and target.value:
        return os.path.normpath(target.value)
    return ""
