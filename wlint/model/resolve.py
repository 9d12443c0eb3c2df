"""Where source comes from and how imports map to files, without importing anything.

All file access of the predictor goes through a `SourceTree` (the working tree
on disk, or a git revision through `wlint.git`), so the same interpreter can
predict a class at any revision. Paths inside a tree are posix and relative to
its root.

Import roots follow Python's own `sys.path` (DESIGN §6): the analysed file's
folder (script-style sibling imports), the folder above its top-most package,
and the tree root (the git work-tree root or the current directory).
"""

from __future__ import annotations

import ast
import contextlib
import os
import posixpath
from typing import Dict, List, Optional, Protocol, Tuple

from wlint.git import git_root
from wlint.source import content_id, parse, read_text
from wlint.fsutil import read_regular


class SourceTree(Protocol):
    """A read-only view of a project's files (working tree or a revision)."""

    root: str

    def read(self, relpath: str) -> Optional[str]:
        """Text of the file at `relpath` (posix, relative to root); None if absent."""
        ...


class FileSystemTree:
    """The files on disk under `root`, each read once (a tree lives for one command:
    import resolution asks for the same candidates again and again)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._texts: Dict[str, Optional[str]] = {}

    def read(self, relpath: str) -> Optional[str]:
        if relpath in self._texts:
            return self._texts[relpath]
        full = os.path.join(self.root, *relpath.split("/"))
        text: Optional[str] = None
        if os.path.lexists(full):  # (most reads are import candidates that do not exist)
            with contextlib.suppress(OSError):  # regular files inside the tree only: no FIFO,
                text = read_text(read_regular(full, root=self.root))  # device or link out of it
        self._texts[relpath] = text
        return text

    def content_id(self, relpath: str) -> Optional[str]:
        text = self.read(relpath)
        return None if text is None else content_id(text)


# -- parsing (once per content) --------------------------------------------------


def parse_source(text: str) -> Tuple[Optional[ast.Module], Optional[str]]:
    """(module, None) or (None, error message): wlint.source's one cached parse."""
    module, error = parse(text)
    return module, error.describe() if error is not None else None


# -- import roots ------------------------------------------------------------------


def _is_file(tree: SourceTree, relpath: str) -> bool:
    return tree.read(relpath) is not None


def top_package_parent(tree: SourceTree, relpath: str) -> str:
    """The folder above the top-most package containing `relpath` ('' = root)."""
    folder = posixpath.dirname(relpath)
    while folder and _is_file(tree, posixpath.join(folder, "__init__.py")):
        folder = posixpath.dirname(folder)
    return folder


def import_roots(tree: SourceTree, relpath: str, extra: Tuple[str, ...] = ()) -> List[str]:
    """Folders (relative to the tree root) searched for absolute imports, in order."""
    roots: List[str] = []
    for folder in (posixpath.dirname(relpath), top_package_parent(tree, relpath), *extra, ""):
        if folder not in roots:
            roots.append(folder)
    return roots


def module_file(tree: SourceTree, folder: str, dotted: str) -> Optional[str]:
    """`folder/a/b.py` or `folder/a/b/__init__.py` for module `a.b`, if present."""
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        init = posixpath.join(folder, "__init__.py") if folder else "__init__.py"
        return init if _is_file(tree, init) else None
    base = posixpath.join(folder, *parts) if folder else posixpath.join(*parts)
    for candidate in (base + ".py", posixpath.join(base, "__init__.py")):
        if _is_file(tree, candidate):
            return candidate
    return None


def resolve_import(
    tree: SourceTree, from_relpath: str, module: str, level: int, roots: List[str],
    site: bool = True,
) -> Optional[str]:
    """The file implementing `module` imported from `from_relpath` (None: not in the project
    and, with `site`, not installed third-party source the tree serves: wlint.model.site)."""
    if level > 0:
        folder = posixpath.dirname(from_relpath)
        for _ in range(level - 1):
            if not folder:
                return None
            folder = posixpath.dirname(folder)
        return module_file(tree, folder, module)
    for root in roots:
        found = module_file(tree, root, module)
        if found is not None:
            return found
    site_root = getattr(tree, "site_root", None) if site else None
    if site_root is not None and module and _may_read(tree, from_relpath, module):
        entry = site_root(module.split(".")[0])
        if entry is not None:
            return module_file(tree, entry, module)
    return None


def _may_read(tree: SourceTree, from_relpath: str, module: str) -> bool:
    """Installed source is read for the project's own imports and for a package's imports
    of itself; what an installed package imports from *another* one stays unknown, so a
    model never pulls in the dependency trees of its dependencies (scipy, pytest, ...)."""
    name_of = getattr(tree, "module_name", None)
    importer = name_of(from_relpath) if name_of is not None else None
    return importer is None or importer.split(".")[0] == module.split(".")[0]


# -- locating a file on disk -----------------------------------------------------------


def tree_for_path(path: str) -> Tuple[FileSystemTree, str, Tuple[str, ...]]:
    """(tree, relpath of `path` in it, extra import roots) for a file on disk.

    The root is the git work-tree root when there is one, else the current
    directory when it contains the file, else the file's own folder.
    """
    full = os.path.abspath(path)
    cwd = os.path.abspath(os.getcwd())
    root = git_root(full)
    if root is None:
        root = cwd if _under(full, cwd) else os.path.dirname(full)
    root = os.path.abspath(root)
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    extra: Tuple[str, ...] = ()
    if _under(cwd, root) and cwd != root:
        extra = (os.path.relpath(cwd, root).replace(os.sep, "/"),)
    return FileSystemTree(root), rel, extra


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False
