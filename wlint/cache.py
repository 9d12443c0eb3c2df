"""On-disk cache of per-blob analysis results for `wlint diff` / `wlint review`.

Where: `$XDG_CACHE_HOME/wlint` or `~/.cache/wlint` (`WLINT_CACHE_DIR`
overrides; no platformdirs dependency), always an absolute path (relative
values are ignored) and never inside the work tree being analysed.

Soundness. A class's prediction depends on its own file *and on every file
the predictor read while resolving imports* (a config default in another
module changes shapes). So a prediction is stored under the blob id of its
own file plus the class expression and the wlint version, together with the
list of every (path, blob id or None) the predictor read, recorded by
`RecordingTree`; a hit is used only when each of those paths still has the
same blob id in the tree being analysed (None = still absent). Verifying a
dependency costs a dict lookup for git revisions and one hash for the
working tree, so warm runs never parse. Per-file facts that depend on one
blob only (the class list) are keyed by that blob id alone.

Concurrency: every write goes to a temporary file renamed over the target
(`os.replace`), so concurrent runs never read a torn file; the worst case is
a lost variant, i.e. a later cache miss. Unreadable entries, and entries that are valid JSON of another shape, count
as misses (callers decode values with `decoded`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar

from wlint import __version__
from wlint.fsutil import inside
from wlint.model.site import is_site_path, site_blob

MAX_VARIANTS = 8
T = TypeVar("T")


def default_dir() -> str:
    """An absolute folder: `WLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/wlint`, else
    `~/.cache/wlint`. A relative value is ignored, as the XDG spec says for
    XDG_CACHE_HOME: it would put the cache inside whatever folder wlint runs in
    (usually the repository being analysed)."""
    for name, suffix in (("WLINT_CACHE_DIR", ""), ("XDG_CACHE_HOME", "wlint")):
        value = os.environ.get(name, "")
        if value and os.path.isabs(value):
            return os.path.normpath(os.path.join(value, suffix))
    return os.path.join(os.path.abspath(os.path.expanduser("~")), ".cache", "wlint")


def outside(directory: str, tree_root: Optional[str]) -> str:
    """`directory`, unless it lies inside the work tree being analysed (the cache would
    show up in `git status` and in the analysed files): then the default under ~."""
    if tree_root and inside(directory, tree_root):
        return os.path.join(os.path.abspath(os.path.expanduser("~")), ".cache", "wlint")
    return directory


def _deps(raw: Any) -> Optional[List[Tuple[str, Optional[str]]]]:
    """A variant's dependency list, or None when it is not a list of [path, blob-or-null]."""
    if not isinstance(raw, list):
        return None
    deps = []
    for dep in raw:
        if (not isinstance(dep, list) or len(dep) != 2 or not isinstance(dep[0], str)
                or not (dep[1] is None or isinstance(dep[1], str))):
            return None
        deps.append((dep[0], dep[1]))
    return deps


class RecordingTree:
    """Wraps a SourceTree and records the blob id of every path read (None if absent)."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree
        self.root = tree.root
        self.reads: Dict[str, Optional[str]] = {}

    def read(self, relpath: str) -> Optional[str]:
        text = self.tree.read(relpath)
        if relpath not in self.reads:
            self.reads[relpath] = self.blob_id(relpath) if text is not None else None
        return text

    def record(self, relpath: str, blob: Optional[str]) -> None:
        """A read served above this tree (installed third-party source, wlint.model.site)."""
        self.reads.setdefault(relpath, blob)

    def blob_id(self, relpath: str) -> Optional[str]:
        getter = getattr(self.tree, "blob_id", None)
        if getter is not None:
            return getter(relpath)  # type: ignore[no-any-return]
        text = self.tree.read(relpath)
        if text is None:
            return None
        return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tree, name)


def code_stamp(package_dir: str) -> str:
    """A digest of every Python file's name, size and mtime under `package_dir`.

    The version alone is not enough: a checkout of main between releases keeps its
    version while the predictor changes, and a stale cached prediction is a wrong key."""
    entries = []
    for folder, dirs, files in os.walk(package_dir):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                entries.append(f"{os.path.relpath(path, package_dir)}\0{st.st_size}\0{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode("utf-8", "surrogateescape")).hexdigest()


@functools.cache
def installed_code_stamp() -> str:
    return code_stamp(os.path.dirname(os.path.abspath(__file__)))


class Cache:
    """Keyed JSON documents under the cache directory; a disabled cache stores nothing."""

    def __init__(self, directory: Optional[str] = None, enabled: bool = True,
                 tree_root: Optional[str] = None) -> None:
        self.enabled = enabled
        folder = os.path.abspath(directory) if directory else outside(default_dir(), tree_root)
        self.directory = os.path.join(folder, f"v{__version__}-{installed_code_stamp()[:12]}")
        self.hits = 0
        self.misses = 0
        self._made: Set[str] = set()  # folders known to exist

    def _path(self, kind: str, key: str) -> str:
        # surrogateescape: a key holding a file name that is not UTF-8
        raw = f"{__version__}\0{kind}\0{key}".encode("utf-8", "surrogateescape")
        digest = hashlib.sha256(raw).hexdigest()
        return os.path.join(self.directory, kind, digest[:2], digest[2:] + ".json")

    def load(self, kind: str, key: str) -> Optional[Any]:
        if not self.enabled:
            return None
        try:
            with open(self._path(kind, key), encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError)
            return None

    def store(self, kind: str, key: str, value: Any) -> None:
        if not self.enabled:
            return
        path = self._path(kind, key)
        tmp: Optional[str] = None
        try:
            # json.dumps, not json.dump: only the former uses the C encoder (5x faster)
            data = json.dumps(value, separators=(",", ":"))
            folder = os.path.dirname(path)
            if folder not in self._made:
                os.makedirs(folder, exist_ok=True)
                self._made.add(folder)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except (OSError, TypeError, ValueError, RecursionError):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    # -- predictions with dependencies -------------------------------------------
    def get_prediction(self, tree: Any, relpath: str, expr: str) -> Optional[Dict[str, Any]]:
        """The cached prediction dict whose every recorded read still matches `tree`."""
        blob = _blob(tree, relpath)
        if blob is None:
            return None
        variants = self.load("pred", f"{relpath}\0{blob}\0{expr}")
        if not isinstance(variants, list):
            self.misses += 1
            return None
        for variant in variants:  # valid JSON of another shape is a miss, not a crash
            deps = _deps(variant.get("deps")) if isinstance(variant, dict) else None
            value = variant.get("value") if isinstance(variant, dict) else None
            if deps is not None and isinstance(value, dict) and all(
                    _blob(tree, p) == b for p, b in deps):
                self.hits += 1
                return value
        self.misses += 1
        return None

    def put_prediction(self, tree: Any, relpath: str, expr: str, value: Dict[str, Any],
                       reads: Dict[str, Optional[str]]) -> None:
        if not self.enabled:
            return
        blob = _blob(tree, relpath)
        if blob is None:
            return
        key = f"{relpath}\0{blob}\0{expr}"
        deps = sorted(reads.items())
        variants = self.load("pred", key)
        if not isinstance(variants, list):
            variants = []
        variants = [v for v in variants if isinstance(v, dict) and _deps(v.get("deps")) is not None
                    and v.get("deps") != [list(d) for d in deps]]
        variants.insert(0, {"deps": deps, "value": value})
        self.store("pred", key, variants[:MAX_VARIANTS])


def decoded(decode: Callable[[Any], T], value: Any) -> Tuple[bool, Optional[T]]:
    """(True, decode(value)), or (False, None) when a cached value of the wrong shape
    makes `decode` fail: a miss, never a traceback."""
    try:
        return True, decode(value)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError):
        return False, None


def _blob(tree: Any, relpath: str) -> Optional[str]:
    if is_site_path(relpath):  # installed third-party source: checked on disk again
        return site_blob(relpath, getattr(tree, "root", None))
    getter = getattr(tree, "blob_id", None)
    if getter is not None:
        return getter(relpath)  # type: ignore[no-any-return]
    text = tree.read(relpath)
    if text is None:
        return None
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()
