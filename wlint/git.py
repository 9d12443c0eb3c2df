"""Git access for `wlint diff` / `wlint review`: files at a revision, changed files.

Every blob is read through one long-lived `git cat-file --batch` process per
repository (one fork per run instead of one per file). A revision is either a
commit-ish, the index (`:index`, `--staged`) or the working tree (None).
Errors users can cause (not a repository, unknown revision, a shallow clone
that lacks the base) raise `GitError` with a one-line, actionable message.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from wlint.source import read_text
from wlint.fsutil import MAX_FILE_BYTES, UnsafeFile, read_regular

INDEX = ":index"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree (unborn HEAD)
WORKTREE = None
_INDEX_ALIASES = (":index", "--staged", "--cached", "INDEX", ":staged")


class GitError(Exception):
    """A one-line, user-facing git problem (the CLI exits 2 with it)."""


def normalize_head(head: Optional[str]) -> Optional[str]:
    """None / "" -> working tree, the index aliases -> INDEX, else the rev itself."""
    if head is None or head == "" or head in (":worktree", "WORKTREE"):
        return None
    if head in _INDEX_ALIASES:
        return INDEX
    return head


def git_blob_id(data: bytes) -> str:
    """The id git would give this content (`git hash-object`), without a fork."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


_decode = read_text  # one decoder for blobs and files (BOM, coding cookie; see wlint.source)


def git_root(path: str) -> Optional[str]:
    """The git work-tree root containing `path`, or None (no git, or not a repository).
    A `.git` folder or file above it answers without running git; git itself is asked
    only when `GIT_DIR` is set."""
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    probe = folder
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.environ.get("GIT_DIR"):
        return None  # no .git above it: only GIT_DIR makes it a repository (no git process)
    try:
        out = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@dataclass(frozen=True)
class Change:
    """One changed file between two revisions (paths are posix, repo-relative)."""

    status: str  # "A" added, "D" deleted, "M" modified, "R" renamed, "C" copied, "T" type
    old_path: Optional[str]  # None when added
    new_path: Optional[str]  # None when deleted

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


class _CatFile:
    """One `git cat-file --batch` process; thread-safe request/response."""

    def __init__(self, git_dir: str, cwd: str) -> None:
        self._proc = subprocess.Popen(
            ["git", "--git-dir", git_dir, "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd,
        )
        self._lock = threading.Lock()

    def read(self, name: str, limit: Optional[int] = None
             ) -> Optional[Tuple[str, str, Optional[bytes]]]:
        """(oid, type, content) of an object name such as `rev:path`, None if missing;
        the content is None (streamed past, never held) when it passes `limit` bytes."""
        if "\n" in name:
            return None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock:
            self._proc.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            self._proc.stdin.flush()
            header = self._proc.stdout.readline()
            if not header:
                raise GitError("git cat-file stopped unexpectedly")
            parts = header.split()
            if len(parts) != 3:  # "<name> missing" / "ambiguous"
                return None
            size = int(parts[2])
            data: Optional[bytes] = None
            if limit is not None and size > limit:
                self._skip(size)
            else:
                data = self._read_exact(size)
            self._proc.stdout.read(1)  # trailing LF
        return parts[0].decode(), parts[1].decode(), data

    def _read_exact(self, size: int) -> bytes:
        assert self._proc.stdout is not None
        chunks = []
        while size:
            chunk = self._proc.stdout.read(size)
            if not chunk:
                raise GitError("git cat-file stopped unexpectedly")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _skip(self, size: int) -> None:
        while size:
            size -= len(self._read_exact(min(size, 1 << 20)))

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()


class GitRepo:
    """A git work tree. Use `GitRepo.open(path)`; close() (or `with`) ends cat-file."""

    def __init__(self, root: str, git_dir: str) -> None:
        self.root = root
        self.git_dir = git_dir
        self._cat: Optional[_CatFile] = None
        self._rev_cache: Dict[str, str] = {}
        self._lstree_cache: Dict[str, Dict[str, str]] = {}

    # -- opening --------------------------------------------------------------
    @classmethod
    def open(cls, path: str = ".") -> GitRepo:
        """The repository containing `path`; GitError if there is none."""
        start = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(start):
            raise GitError(f"no such directory: {path}")
        proc = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"],
            cwd=start, capture_output=True, text=True,
        )
        lines = proc.stdout.splitlines()
        if proc.returncode != 0 or len(lines) < 2:
            raise GitError(f"not a git repository: {os.path.abspath(path)}")
        return cls(lines[0], lines[1])

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cat is not None:
            self._cat.close()
            self._cat = None

    # -- plumbing -------------------------------------------------------------
    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True,
        )
        if check and proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {msg[-1] if msg else proc.returncode}")
        return proc.stdout.decode("utf-8", "surrogateescape")

    def _catfile(self) -> _CatFile:
        if self._cat is None:
            self._cat = _CatFile(self.git_dir, self.root)
        return self._cat

    def is_shallow(self) -> bool:
        return self.git("rev-parse", "--is-shallow-repository", check=False).strip() == "true"

    def rev_parse_many(self, revs: Sequence[str]) -> List[str]:
        """Several revisions in one `git rev-parse` (errors: as rev_parse, per revision)."""
        todo = [r for r in revs if r not in self._rev_cache and not r.startswith("-")]
        if len(todo) > 1:
            proc = subprocess.run(
                ["git", "rev-parse", "--end-of-options", *[r + "^{commit}" for r in todo]],
                cwd=self.root, capture_output=True, text=True,
            )
            shas = proc.stdout.split()
            if proc.returncode == 0 and len(shas) == len(todo):
                self._rev_cache.update(zip(todo, shas))
        return [self.rev_parse(r) for r in revs]

    def rev_parse(self, rev: str) -> str:
        """Full commit id of `rev`; GitError (one line, actionable) when unknown."""
        if rev in self._rev_cache:
            return self._rev_cache[rev]
        if rev == EMPTY_TREE:
            return rev
        if rev.startswith("-"):
            raise GitError(f"unknown revision {rev!r}")
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"],
            cwd=self.root, capture_output=True, text=True,
        )
        if proc.returncode != 0:
            if rev == "HEAD" and self._unborn():
                # the first commit: compare with nothing (every class is new)
                self._rev_cache[rev] = EMPTY_TREE
                return EMPTY_TREE
            if self.is_shallow():
                raise GitError(
                    f"revision {rev!r} is not in this shallow clone; fetch the full history "
                    "(actions/checkout: `fetch-depth: 0`, or `git fetch --unshallow`)"
                )
            raise GitError(f"unknown revision {rev!r} (not a commit in {self.root})")
        sha = proc.stdout.strip()
        self._rev_cache[rev] = sha
        return sha

    def _unborn(self) -> bool:
        """No commit yet on the current branch (HEAD names a branch that does not exist)."""
        head = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=self.root,
                              capture_output=True, text=True)
        if head.returncode != 0:
            return False
        ref = subprocess.run(["git", "rev-parse", "--verify", "--quiet", head.stdout.strip()],
                             cwd=self.root, capture_output=True, text=True)
        return ref.returncode != 0

    def read_object(self, name: str, limit: Optional[int] = None) -> Optional[bytes]:
        """A blob's bytes (None if missing); UnsafeFile past `limit` bytes (default: the
        cap of work-tree files; the blob is streamed past, never read into memory whole)."""
        limit = MAX_FILE_BYTES if limit is None else limit
        got = self._catfile().read(name, limit)
        if got is None or got[1] != "blob":
            return None
        if got[2] is None:
            raise UnsafeFile(f"{name}: blob larger than {limit >> 20} MiB; not read")
        return got[2]

    def ls_tree(self, rev: str) -> Dict[str, str]:
        """{path: blob id} of every file at a commit."""
        sha = self.rev_parse(rev)
        if sha not in self._lstree_cache:
            out = self.git("ls-tree", "-r", "-z", "--full-tree", sha)
            # "<mode> <type> <object>\t<path>"
            self._lstree_cache[sha] = {path: parts[2] for parts, path in _listing(out)
                                       if len(parts) == 3 and parts[1] == "blob"}
        return self._lstree_cache[sha]

    def ls_index(self) -> Dict[str, str]:
        """{path: blob id} of every stage-0 entry of the index."""
        out = self.git("ls-files", "-s", "-z")
        # "<mode> <object> <stage>\t<path>"
        return {path: parts[1] for parts, path in _listing(out)
                if len(parts) == 3 and parts[2] == "0"}

    def ls_worktree(self) -> List[str]:
        """Tracked and untracked-but-not-ignored files present in the working tree."""
        out = self.git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
        seen = []
        for path in out.split("\0"):
            if path and os.path.isfile(os.path.join(self.root, path)):
                seen.append(path)
        return sorted(set(seen))

    # -- revisions as trees -----------------------------------------------------
    def tree(self, rev: Optional[str]) -> SourceTreeBase:
        """A SourceTree for a commit, the index (INDEX) or the working tree (None)."""
        head = normalize_head(rev)
        if head is None:
            return WorkTree(self)
        if head == INDEX:
            return IndexTree(self)
        return GitTree(self, head)

    # -- changes --------------------------------------------------------------
    def _diff_range(self, base: str, head: Optional[str]) -> List[str]:
        head = normalize_head(head)
        if head is not None and head != INDEX:
            self.rev_parse_many([base, head])
        base_sha = self.rev_parse(base)
        if head is None:
            return [base_sha]
        if head == INDEX:
            return ["--cached", base_sha]
        return [base_sha, self.rev_parse(head)]

    def changed_files(
        self, base: str, head: Optional[str] = None, paths: Optional[Sequence[str]] = None,
        suffix: str = ".py",
    ) -> List[Change]:
        """Files that differ between base and head, renames paired by `git diff -M`.

        Listing and rename detection see only files ending in `suffix` under `paths`
        (pathspecs, so git never reads another blob: an LFS object or a large binary
        missing from a partial clone cannot fail the run). When rename detection
        itself needs a blob that is not there, the changes are listed without renames.
        For the working tree, untracked (not ignored) files count as added.
        """
        rng = self._diff_range(base, head)
        spec = ["--", *pathspecs(paths, suffix)]
        try:
            out = self.git("diff", "-M", "--name-status", "-z", *rng, *spec)
        except GitError:
            out = self.git("diff", "--no-renames", "--name-status", "-z", *rng, *spec)
        changes = _parse_name_status(out)
        if normalize_head(head) is None:
            known = {c.new_path for c in changes if c.new_path}
            untracked = self.git("ls-files", "-z", "--others", "--exclude-standard", *spec)
            for path in untracked.split("\0"):
                if path and path not in known:
                    changes.append(Change("A", None, path))
        if suffix:
            changes = [c for c in changes if c.path.endswith(suffix)
                       or (c.old_path or "").endswith(suffix)]
        return sorted(changes, key=lambda c: c.path)

    def grep_files(self, rev: Optional[str], words: Sequence[str], suffix: str = ".py") -> List[str]:
        """Files at rev (None = working tree incl. untracked, INDEX = staged) containing any
        of `words` as a whole word: one `git grep`, no file is read into Python. When git
        grep cannot read a blob (missing from a partial clone), the readable files are
        searched one by one instead; an unreadable one is skipped, never fatal."""
        words = sorted({w for w in words if w})
        if not words:
            return []
        head = normalize_head(rev)
        args = ["grep", "-l", "-z", "-w", "-F", "--no-color", "-I"]
        for w in words:
            args += ["-e", w]
        if head is None:
            args.append("--untracked")
        elif head == INDEX:
            args.append("--cached")
        else:
            args.append(self.rev_parse(head))
        args += ["--", f"*{suffix}"]
        proc = subprocess.run(["git", *args], cwd=self.root, capture_output=True)
        if proc.returncode not in (0, 1):
            return self._grep_slowly(head, words, suffix)
        out = []
        prefix = "" if head is None or head == INDEX else self.rev_parse(head) + ":"
        for line in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if prefix and line.startswith(prefix):
                line = line[len(prefix):]
            if line:
                out.append(line)
        return sorted(set(out))

    def _grep_slowly(self, head: Optional[str], words: Sequence[str], suffix: str) -> List[str]:
        import re

        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")
        tree = self.tree(head)
        return [f for f in tree.files() if f.endswith(suffix)
                and pattern.search(tree.read(f) or "")]

    def unified_diff(
        self, base: str, head: Optional[str] = None, context: int = 3,
        paths: Optional[Sequence[str]] = None,
    ) -> str:
        """`git diff -M -U<context>` text between base and head (working tree: plus
        untracked files as new files), for the review bot's changed-line filter."""
        rng = self._diff_range(base, head)
        spec = ["--", *pathspecs(paths)]
        args = ["diff", f"-U{int(context)}", "--no-color", "--no-ext-diff",
                "--src-prefix=a/", "--dst-prefix=b/", *rng]  # despite diff.noprefix
        try:
            text = self.git(*args[:1], "-M", *args[1:], *spec)
        except GitError:  # a blob is missing: every readable file on its own
            text = ""
            for change in self.changed_files(base, head, paths):
                files = [p for p in (change.old_path, change.new_path) if p]
                try:
                    text += self.git(*args, "--no-renames", "--", *dict.fromkeys(files))
                except GitError:
                    continue
        if normalize_head(head) is None:
            untracked = self.git("ls-files", "-z", "--others", "--exclude-standard", *spec)
            for path in untracked.split("\0"):
                if not path:
                    continue
                proc = subprocess.run(
                    ["git", "diff", "--no-index", f"-U{int(context)}", "--no-color",
                     "--src-prefix=a/", "--dst-prefix=b/", "--", "/dev/null", path],
                    cwd=self.root, capture_output=True,
                )
                text += proc.stdout.decode("utf-8", "surrogateescape")
        return text


def pathspecs(paths: Optional[Sequence[str]], suffix: str = ".py") -> List[str]:
    """Literal-prefix pathspecs for the files ending in `suffix` under `paths` (files or
    folders, repo-relative; none: the whole repository). Git's default pathspec magic
    lets `*` match `/` too, so `dir/*.py` covers every depth; a path with a glob
    character of its own is passed literally."""
    if not paths:
        return [f"*{suffix}"] if suffix else []
    out: List[str] = []
    for p in paths:
        p = p.rstrip("/")
        if not p or p == ".":
            out.append(f"*{suffix}" if suffix else ".")
        elif _has_glob(p):
            out.append(f":(literal){p}")
        elif not suffix or p.endswith(suffix):
            out.append(p)
        else:
            out.append(f"{p}/*{suffix}")
    return out


def _has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _parse_name_status(out: str) -> List[Change]:
    fields = out.split("\0")
    changes: List[Change] = []
    i = 0
    while i < len(fields):
        status = fields[i]
        if not status:
            i += 1
            continue
        kind = status[0]
        if kind in ("R", "C"):
            old, new = fields[i + 1], fields[i + 2]
            changes.append(Change(kind, old, new))
            i += 3
            continue
        path = fields[i + 1]
        if kind == "A":
            changes.append(Change("A", None, path))
        elif kind == "D":
            changes.append(Change("D", path, None))
        else:
            changes.append(Change("M" if kind != "T" else "T", path, path))
        i += 2
    return changes


class SourceTreeBase:
    """SourceTree protocol (`root`, `read(relpath)`) plus blob ids for the cache."""

    repo: GitRepo
    root: str
    label: str = ""
    missing: Set[str]  # paths the tree lists but whose content could not be read
    refused: Dict[str, str]  # of those, the ones refused (too large, not a file...): why

    def read(self, relpath: str) -> Optional[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def blob_id(self, relpath: str) -> Optional[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def read_bytes(self, relpath: str) -> Optional[bytes]:
        """The file's raw content (None: absent or unreadable); for non-source files."""
        rel = _clean(relpath)
        oid = self.blob_id(rel) if rel else None
        try:
            return self.repo.read_object(oid) if oid else None
        except UnsafeFile as exc:
            self.refused[rel or relpath] = str(exc)
            return None

    def files(self) -> List[str]:  # pragma: no cover - abstract
        raise NotImplementedError


def _clean(relpath: str) -> Optional[str]:
    """A repo-relative posix path as git spells it, byte for byte (a backslash is a
    character of the name, not a separator); None for paths leaving the tree."""
    rel = relpath
    while rel.startswith("./"):
        rel = rel[2:]
    if not rel or rel.startswith("/") or rel.startswith("../") or "/../" in rel:
        return None
    return rel


def _read_listed(repo: GitRepo, table: Dict[str, str], rel: str, missing: Set[str],
                 refused: Dict[str, str]) -> Optional[str]:
    """Text of a listed file; a listed path whose blob is not in the object store (a
    partial clone, a pruned object) or is too large joins `missing` so callers can say
    so (`refused`: why, when it is too large)."""
    oid = table.get(rel)
    if not oid:
        return None
    try:
        data = repo.read_object(oid)
    except UnsafeFile as exc:
        refused[rel] = str(exc)
        data = None
    if data is None:
        missing.add(rel)
        return None
    return _decode(data)


class GitTree(SourceTreeBase):
    """Files of one commit, read through the repository's cat-file process."""

    def __init__(self, repo: GitRepo, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self.sha = repo.rev_parse(rev)
        self.root = repo.root
        self.label = rev
        self._text: Dict[str, Optional[str]] = {}
        self.missing: Set[str] = set()  # listed in the tree, blob not in the clone
        self.refused: Dict[str, str] = {}  # listed, not read: why (too large)

    def read(self, relpath: str) -> Optional[str]:
        rel = _clean(relpath)
        if rel is None:
            return None
        if rel not in self._text:
            self._text[rel] = _read_listed(self.repo, self.repo.ls_tree(self.sha), rel,
                                           self.missing, self.refused)
        return self._text[rel]

    def blob_id(self, relpath: str) -> Optional[str]:
        rel = _clean(relpath)
        return self.repo.ls_tree(self.sha).get(rel) if rel else None

    def files(self) -> List[str]:
        return sorted(self.repo.ls_tree(self.sha))


class IndexTree(SourceTreeBase):
    """The staged content (what `git commit` would record)."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.root = repo.root
        self.label = "index"
        self._table: Optional[Dict[str, str]] = None
        self._text: Dict[str, Optional[str]] = {}
        self.missing: Set[str] = set()
        self.refused: Dict[str, str] = {}

    def _entries(self) -> Dict[str, str]:
        if self._table is None:
            self._table = self.repo.ls_index()
        return self._table

    def read(self, relpath: str) -> Optional[str]:
        rel = _clean(relpath)
        if rel is None:
            return None
        if rel not in self._text:
            self._text[rel] = _read_listed(self.repo, self._entries(), rel, self.missing,
                                           self.refused)
        return self._text[rel]

    def blob_id(self, relpath: str) -> Optional[str]:
        rel = _clean(relpath)
        return self._entries().get(rel) if rel else None

    def files(self) -> List[str]:
        return sorted(self._entries())


class WorkTree(SourceTreeBase):
    """Files as they are on disk now (tracked or untracked, not ignored)."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.root = repo.root
        self.label = "working tree"
        self._raw: Dict[str, Optional[bytes]] = {}
        self.refused: Dict[str, str] = {}  # path -> why it was not read (read as absent)
        self.missing: Set[str] = set()

    def _bytes(self, rel: str) -> Optional[bytes]:
        if rel not in self._raw:
            try:  # regular files inside the work tree only (no /dev/zero link, no FIFO)
                self._raw[rel] = read_regular(os.path.join(self.root, rel), root=self.root)
            except UnsafeFile as exc:  # present but not read: said, never "deleted"
                self.refused[rel] = str(exc)
                self.missing.add(rel)
                self._raw[rel] = None
            except OSError:
                self._raw[rel] = None
        return self._raw[rel]

    def read(self, relpath: str) -> Optional[str]:
        rel = _clean(relpath)
        if rel is None:
            return None
        data = self._bytes(rel)
        return _decode(data) if data is not None else None

    def blob_id(self, relpath: str) -> Optional[str]:
        rel = _clean(relpath)
        data = self._bytes(rel) if rel else None
        return git_blob_id(data) if data is not None else None

    def read_bytes(self, relpath: str) -> Optional[bytes]:
        rel = _clean(relpath)
        return self._bytes(rel) if rel else None

    def files(self) -> List[str]:
        return self.repo.ls_worktree()


def _listing(out: str) -> Iterator[Tuple[List[str], str]]:
    """(metadata fields, path) of each NUL-terminated `<meta>\t<path>` record that
    `git ls-tree -z` and `git ls-files -s -z` print."""
    for rec in out.split("\0"):
        if rec:
            meta, _, path = rec.partition("\t")
            yield meta.split(), path
