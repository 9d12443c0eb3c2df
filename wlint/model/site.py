"""Installed third-party packages read as source, like project code (never imported).

When a plain import names a top-level package that is neither the project, torch,
the standard library nor a library the overlays model (einops, numpy, packaging ...),
the predictor looks for the package's pure-Python source on the analysis
environment's path -- the running interpreter's `sys.path` without the standard
library, plus the `PYTHONPATH` entries -- the way Python's path finder walks it:
per entry, a regular package (`pkg/__init__.py`) or a module (`pkg.py`); an
extension module (`pkg*.so`, `pkg.pyd`), a bytecode-only module or a namespace
package stays unknown, as before. Nothing is imported, no `find_spec`, no `.pth`
hooks are run.

Third-party files get their absolute posix path as "relpath" (project relpaths are
never absolute), so relative imports inside the package, notes and entry lines
point at the installed file. `SiteView` wraps any SourceTree and serves those paths
from disk; reads are recorded into a recording tree below it (`record`), and the
prediction cache verifies them against the disk again (`site_blob`).

It is opt-in: `third-party-source = true` in `[tool.wlint]` or
`WLINT_THIRD_PARTY_SOURCE=1`; otherwise third-party imports stay unknown. Only the
project's imports and a package's imports of itself are read: what an installed
package imports from another one stays unknown (wlint.model.resolve).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.machinery
import os
import posixpath
import sys
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

ENV = "WLINT_THIRD_PARTY_SOURCE"
LOOKUP = "site-lookup:"  # the pseudo-path of a top-level package lookup (cache dependencies)
# torch's own family: the catalog knows torch, the rest is never model code
NEVER_READ = frozenset({"torch", "torchgen", "functorch", "triton", "__future__", "wlint"})
_STDLIB_FALLBACK = frozenset({"typing_extensions"})


def enabled() -> bool:
    """Opt-in: reading installed packages costs what their source costs (a model whose
    package imports scipy would read scipy), so it is on only when asked for."""
    return os.environ.get(ENV, "0").strip().lower() in ("1", "true", "yes", "on")


def enable(on: bool = True) -> None:
    """Turn third-party source reading on (`third-party-source = true`) or off, for this
    process and the processes it starts."""
    os.environ[ENV] = "1" if on else "0"


def is_site_path(relpath: str) -> bool:
    return relpath.startswith("/") or relpath.startswith(LOOKUP)


def _posix(path: str) -> str:
    return os.path.abspath(path).replace(os.sep, "/")


def _stdlib_dirs() -> FrozenSet[str]:
    import sysconfig  # (only when a prediction looks for installed packages)

    out = set()
    for key in ("stdlib", "platstdlib"):
        with contextlib.suppress(KeyError):
            out.add(_posix(sysconfig.get_paths()[key]))
    return frozenset(out)


def path_entries() -> Tuple[str, ...]:
    """The folders searched, in Python's order: `sys.path` (which holds PYTHONPATH when
    the process started with it), then PYTHONPATH entries not in it; without the
    current directory (the project's import roots have it), the standard library, zip
    files and folders that do not exist."""
    if not enabled():
        return ()
    return _entries(tuple(sys.path), os.environ.get("PYTHONPATH", ""))


@functools.lru_cache(maxsize=8)
def _entries(path: Tuple[str, ...], pythonpath: str) -> Tuple[str, ...]:
    stdlib = _stdlib_dirs()
    raw = list(path) + pythonpath.split(os.pathsep)
    out: List[str] = []
    for entry in raw:
        if not entry:
            continue
        full = _posix(entry)
        if full in out or not os.path.isdir(full):
            continue
        packages = "site-packages" in full or "dist-packages" in full
        if not packages and any(full == s or full.startswith(s + "/") for s in stdlib):
            continue  # lib/python3.x and lib-dynload, not site-packages under it
        out.append(full)
    return tuple(out)


def stdlib_names() -> FrozenSet[str]:
    return frozenset(getattr(sys, "stdlib_module_names", ())) | _STDLIB_FALLBACK


class Site:
    """The packages installed on a list of path entries (listings read once)."""

    def __init__(self, entries: Tuple[str, ...]) -> None:
        self.entries = entries
        self._listings: Dict[str, FrozenSet[str]] = {}
        self._found: Dict[str, Optional[Tuple[str, str]]] = {}
        self._texts: Dict[str, Optional[str]] = {}

    def fingerprint(self) -> str:
        return hashlib.sha1("\0".join(("site", *self.entries)).encode(
            "utf-8", "surrogateescape")).hexdigest()[:16]

    def _listing(self, folder: str) -> FrozenSet[str]:
        names = self._listings.get(folder)
        if names is None:
            try:
                names = frozenset(os.listdir(folder))
            except OSError:
                names = frozenset()
            self._listings[folder] = names
        return names

    def find(self, top: str) -> Optional[Tuple[str, str]]:
        """(entry folder, "package" | "module") of top-level package `top`, or None when
        it is not installed as pure-Python source (absent, an extension module,
        bytecode only, a namespace package)."""
        if top in self._found:
            return self._found[top]
        found: Optional[Tuple[str, str]] = None
        for entry in self.entries:
            names = self._listing(entry)
            if top in names and os.path.isdir(posixpath.join(entry, top)):
                inner = self._listing(posixpath.join(entry, top))
                if "__init__.py" in inner:
                    found = (entry, "package")
                    break
                if any(n.startswith("__init__.") for n in inner):
                    break  # a compiled package
            if any(n.startswith(top + ".") and _is_compiled(n[len(top):]) for n in names):
                break  # an extension module (or .pyc) comes first, as in Python
            if top + ".py" in names:
                found = (entry, "module")
                break
        self._found[top] = found
        return found

    def describe(self, top: str) -> Optional[str]:
        """What a lookup of `top` found (a cache dependency's value)."""
        found = self.find(top)
        return None if found is None else f"{found[0]}\0{found[1]}"

    def entry_of(self, path: str) -> Optional[str]:
        for entry in self.entries:
            if path.startswith(entry + "/"):
                return entry
        return None

    def read(self, path: str) -> Optional[str]:
        """Text of a `.py` file under one of the entries (regular files only)."""
        if path in self._texts:
            return self._texts[path]
        from wlint.fsutil import read_regular
        from wlint.source import read_text

        text: Optional[str] = None
        entry = self.entry_of(path)
        if entry is not None and path.endswith(".py") and os.path.lexists(path):
            with contextlib.suppress(OSError):
                text = read_text(read_regular(path, root=entry))
        self._texts[path] = text
        return text


def _is_compiled(suffix: str) -> bool:
    return suffix in importlib.machinery.EXTENSION_SUFFIXES or suffix == ".pyc"


@functools.lru_cache(maxsize=8)
def _site_for(entries: Tuple[str, ...]) -> Site:
    return Site(entries)


def current_site(exclude_under: Optional[str] = None) -> Site:
    """The Site of this process's environment, without entries inside `exclude_under`
    (the project's own tree: its files are project code)."""
    entries = path_entries()
    if exclude_under:
        root = _posix(exclude_under)
        entries = tuple(e for e in entries if e != root and not e.startswith(root + "/"))
    return _site_for(entries)


def site_blob(path: str, root: Optional[str] = None) -> Optional[str]:
    """The current value of a third-party dependency of a cached prediction: the content
    hash of an installed file, or what a package lookup finds (None: absent)."""
    site = current_site(root)
    if path.startswith(LOOKUP):
        return site.describe(path[len(LOOKUP):])
    text = site.read(path)
    return None if text is None else hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


class SiteView:
    """A SourceTree that also serves installed third-party files (absolute paths)."""

    def __init__(self, tree: Any, site: Site, known: FrozenSet[str] = frozenset()) -> None:
        self.tree = tree
        self.root = tree.root
        self.site = site
        self.known = known  # top-level packages the overlays model: never read
        self.paused = 0  # > 0 inside an optional import's `try` (it forks as before)
        self.packages: Dict[str, str] = {}  # top-level packages read -> their file or folder

    def read(self, relpath: str) -> Optional[str]:
        if not is_site_path(relpath):
            return self.tree.read(relpath)  # type: ignore[no-any-return]
        text = self.site.read(relpath)
        self._record(relpath, None if text is None else
                     hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest())
        return text

    def blob_id(self, relpath: str) -> Optional[str]:
        if is_site_path(relpath):
            return site_blob(relpath, self.root)
        getter = getattr(self.tree, "blob_id", None)
        if getter is not None:
            return getter(relpath)  # type: ignore[no-any-return]
        text = self.tree.read(relpath)
        return None if text is None else hashlib.sha1(
            text.encode("utf-8", "surrogateescape")).hexdigest()

    def _record(self, path: str, blob: Optional[str]) -> None:
        record = getattr(self.tree, "record", None)
        if record is not None:
            record(path, blob)

    def site_root(self, top: str) -> Optional[str]:
        """The entry folder holding top-level package `top` when its source is read
        (see module doc), else None."""
        if self.paused or top in NEVER_READ or top in self.known or top in stdlib_names():
            return None
        found = self.site.find(top)
        self._record(LOOKUP + top, None if found is None else f"{found[0]}\0{found[1]}")
        if found is None:
            return None
        self.packages.setdefault(top, posixpath.join(found[0], top if found[1] == "package"
                                                     else top + ".py"))
        return found[0]

    def module_name(self, relpath: str) -> Optional[str]:
        """Dotted name of an installed file (None: a project file)."""
        entry = self.site.entry_of(relpath) if relpath.startswith("/") else None
        if entry is None:
            return None
        rel = relpath[len(entry) + 1:]
        return rel[:-3].replace("/", ".").replace(".__init__", "")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tree, name)
