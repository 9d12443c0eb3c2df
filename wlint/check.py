"""`wlint check`: the WL1xx rules over files and folders.

Public API (used by wlint/commands/check.py, the review bot and `--fix`):
- `check_source(path, text, config) -> List[Finding]`
- `check_paths(paths, config, jobs=1) -> List[Finding]`  (raises PathError)

The path is cheap on purpose: a text prefilter skips files that cannot hold a
finding, the rest are parsed once with `ast` (columns equal flake8's, which
uses the same tree), torch and libcst are never imported (libcst only by
`--fix`), and the garbage collector is paused while parsing. The WL1xx rules are
imported by the first Python file checked (a run over checkpoint files only never
loads them), the process pool only with `jobs` > 1.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from wlint.checkpoint.paths import FILE_CODES, is_checkpoint_path, is_walked_checkpoint
from wlint.config import Config
from wlint.fsutil import UnsafeFile, inside, is_regular_file, read_regular
from wlint.findings import Finding, sort_findings
from wlint.noqa import NoqaFilter
from wlint.source import PARSE_ERROR, WL901, parse, read_text


class PathError(OSError):
    """A path given on the command line does not exist or cannot be read."""


# ------------------------------------------------------------------ sources
def _parse_error(path: str, line: int, col: int, reason: str) -> Finding:
    return Finding.of(WL901, path, max(line, 1), max(col, 0),
                      f"cannot parse: {reason}; nothing in this file was checked")


def check_source(path: str, text: str, config: Optional[Config] = None,
                 cache: bool = False, explicit: bool = False) -> List[Finding]:
    """WL1xx findings (and WL901 if it cannot be parsed) for one file's text;
    `config` None means the defaults (every rule, no target torch). `cache` keeps the
    parsed tree for later stages of the same run (the review bot's diff)."""
    from wlint.rules import RULE_CODES, SEVERITY, analyze, could_match  # Python files only

    config = config or Config()
    codes = config.enabled_codes(RULE_CODES, path)
    if not codes or not could_match(text, codes):
        # a file named on the command line is parsed anyway: it gets its WL901
        return _syntax_only(path, text, config) if explicit else []
    tree, error = parse(text, path, cache=cache)
    if tree is None:
        assert error is not None
        found = [_parse_error(path, error.line, error.col, error.message)]
        return found if config.is_enabled(PARSE_ERROR, path) else []
    raw = analyze(tree, config.torch_target, codes, text)
    if not raw:
        return []
    noqa = NoqaFilter(text)
    if noqa.file_ignored():
        return []
    return [Finding(code, path, line, col, message, SEVERITY.get(code, WL901.severity))
            for line, col, code, message in raw
            if not noqa.suppressed(code, line) and config.is_enabled(code, path)]


def _syntax_only(path: str, text: str, config: Config) -> List[Finding]:
    if not config.is_enabled(PARSE_ERROR, path):
        return []
    tree, error = parse(text, path)
    if tree is not None or error is None:
        return []
    return [_parse_error(path, error.line, error.col, error.message)]


def check_file(path: str, config: Config, explicit: bool = False) -> List[Finding]:
    """Read one file and check it; undecodable bytes are a WL901 finding, a file that
    is not regular (a FIFO, a device) or too large is a WL901 note, never read.
    Checkpoint files get the WL306-WL309 checks instead.
    `explicit`: named on the command line, so parsed even when the prefilter skips it
    (and a checkpoint suffix on a file of no checkpoint format is WL309, not skipped)."""
    if is_checkpoint_path(path):
        from wlint.checkpoint.lint import CheckpointPathError, checkpoint_findings

        try:
            return checkpoint_findings(path, config, named=explicit)
        except CheckpointPathError as exc:
            raise PathError(str(exc)) from None
    try:
        data = read_regular(path)
    except UnsafeFile as exc:
        if not config.is_enabled(PARSE_ERROR, path):
            return []
        return [Finding.of(WL901, path, 1, 0, f"{str(exc).split(': ', 1)[-1]}; "
                           "nothing in this file was checked")]
    except OSError as exc:
        raise PathError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return check_bytes(path, data, config, explicit=explicit)


def check_bytes(path: str, data: bytes, config: Config, explicit: bool = False) -> List[Finding]:
    """check_source for a file's bytes (decoded as Python would; see wlint.source)."""
    return check_source(path, read_text(data), config, explicit=explicit)


def utf8_text(data: bytes) -> Optional[str]:
    """The text of plain UTF-8 bytes (no BOM), else None: rewriting a file in another
    encoding (or with a BOM) would change its bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# -------------------------------------------------------------------- paths
def _display(path: str) -> str:
    return os.path.normpath(path)


def iter_python_files(paths: Sequence[str], config: Config,
                      checkpoints: bool = False) -> Iterator[str]:
    """Files named on the command line (unless excluded) and `*.py` below folders, with
    `checkpoints` also the checkpoint files below them (`WALKED_SUFFIXES`) when a WL306-
    WL309 code is enabled. Symlinked folders are not followed (no loops); dangling links
    are skipped."""
    seen: Set[str] = set()
    for given in paths:
        if not os.path.lexists(given):
            raise PathError(f"{given}: no such file or directory")
        if os.path.isdir(given):
            walk_checkpoints = checkpoints and bool(config.enabled_codes(FILE_CODES, given))
            candidates: Iterable[str] = _walk(given, config, walk_checkpoints)
        elif os.path.isfile(given):
            candidates = [] if config.is_excluded(given, defaults=False) else [_display(given)]
        else:
            raise PathError(f"{given}: not a readable file or directory")
        for path in candidates:
            if path not in seen:
                seen.add(path)
                yield path


def _walk(top: str, config: Config, checkpoints: bool = False) -> Iterator[str]:
    for folder, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs
                         if not config.is_excluded(os.path.join(folder, d), parents=False))
        for name in sorted(files):
            if not name.endswith(".py") and not (checkpoints and is_walked_checkpoint(name)):
                continue
            path = os.path.join(folder, name)
            if (is_regular_file(path) and (not os.path.islink(path) or inside(path, top))
                    and not config.is_excluded(path, parents=False)):
                yield _display(path)


# ---------------------------------------------------------------- checking
@contextmanager
def _gc_paused() -> Iterator[None]:
    """Parsing allocates many small objects and no cycles: collecting is wasted work."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_many(args: Tuple[List[str], Config, Set[str]]) -> List[Finding]:
    files, config, explicit = args
    with _gc_paused():
        found: List[Finding] = []
        for path in files:
            found.extend(check_file(path, config, explicit=path in explicit))
        return found


def check_paths(paths: Sequence[str], config: Config, jobs: int = 1) -> List[Finding]:
    """Findings for every Python and checkpoint file under `paths`, sorted; `jobs` > 1
    uses processes.
    Raises PathError for a path that does not exist."""
    files = list(iter_python_files(paths, config, checkpoints=True))
    explicit = {_display(p) for p in paths if os.path.isfile(p)}  # named, not found by a walk
    if jobs <= 1 or len(files) < 2 * jobs:
        return sort_findings(_check_many((files, config, explicit)))
    from concurrent.futures import ProcessPoolExecutor  # -j N only: it loads multiprocessing

    from wlint.workers import die_with_parent

    chunks = [files[i::jobs * 4] for i in range(jobs * 4)]
    found: List[Finding] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent) as pool:
        for part in pool.map(_check_many, [(chunk, config, explicit) for chunk in chunks
                                           if chunk]):
            found.extend(part)
    return sort_findings(found)
