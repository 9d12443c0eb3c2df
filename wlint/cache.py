"""On-disk cache of per-blob analysis results for `wlint diff` / `wlint review`.

Where: `$XDG_CACHE_HOME/wlint` or `~/.cache/wlint` (`WLINT_CACHE_DIR`
overrides; no platformdirs dependency).

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
a lost variant, i.e. a later cache miss. Unreadable entries count as misses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from typing import Any, Dict, List, Optional, Set, Tuple

from wlint import __version__

MAX_VARIANTS = 8


def default_dir() -> str:
    override = os.environ.get("WLINT_CACHE_DIR")
    if override:
        return override
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "wlint")


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


class Cache:
    """Keyed JSON documents under the cache directory; a disabled cache stores nothing."""

    def __init__(self, directory: Optional[str] = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.directory = os.path.join(directory or default_dir(), f"v{__version__}")
        self.hits = 0
        self.misses = 0
        self._made: Set[str] = set()  # folders known to exist

    def _path(self, kind: str, key: str) -> str:
        digest = hashlib.sha256(f"{__version__}\0{kind}\0{key}".encode()).hexdigest()
        return os.path.join(self.directory, kind, digest[:2], digest[2:] + ".json")

    def load(self, kind: str, key: str) -> Optional[Any]:
        if not self.enabled:
            return None
        try:
            with open(self._path(kind, key), encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
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
        except (OSError, TypeError, ValueError):
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
        for variant in variants:
            deps: List[Tuple[str, Optional[str]]] = variant.get("deps", [])
            if all(_blob(tree, p) == b for p, b in deps):
                self.hits += 1
                return variant.get("value")  # type: ignore[no-any-return]
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
        variants = [v for v in variants if v.get("deps") != [list(d) for d in deps]]
        variants.insert(0, {"deps": deps, "value": value})
        self.store("pred", key, variants[:MAX_VARIANTS])


def _blob(tree: Any, relpath: str) -> Optional[str]:
    getter = getattr(tree, "blob_id", None)
    if getter is not None:
        return getter(relpath)  # type: ignore[no-any-return]
    text = tree.read(relpath)
    if text is None:
        return None
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()
