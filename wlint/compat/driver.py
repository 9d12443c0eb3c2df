"""`diff_revisions`: which classes to compare between two revisions, and comparing them.

1. `git diff -M` gives the changed `.py` files (renames paired).
2. Every class of a changed file is predicted at base and at head, with the
   bare class name as expression (required constructor parameters become
   symbols, so both sides share one symbolic environment). A class that moved
   to another changed file is paired by name.
3. Classes elsewhere that may contain a changed class are found by a text
   prefilter (a file mentioning the module name of a changed file, to a fixed
   point through re-exporting modules); they are predicted on both sides too
   and reported *affected* when their state_dict differs.
4. `compare()` turns each pair into findings.

Predictions are cached per blob with the blobs they read (see wlint.cache).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from wlint.cache import Cache, decoded
from wlint.compat.codes import WL201, WL290
from wlint.compat.compare import Anchor, CompareOptions, compare
from wlint.compat.named import ModelVerdict, NamedModel, compare_models, equal_under_models
from wlint.compat.named import named_model as _named_model
from wlint.compat.unseen import incomplete, same_state, unidentified_layers
from wlint.compat import grouping
from wlint.compat.grouping import group_findings
from wlint.compat.summary import ClassSummary, FileSummary, module_stem, summarize, syntax_digest
from wlint.findings import Finding, sort_findings
from wlint.git import GitError, GitRepo, GitTree, normalize_head
from wlint.torch_target import CHECKED_TORCH
from wlint.model.prediction import Prediction
from wlint.model.site import current_site
from wlint.noqa import drop_suppressed
from wlint.source import WL901

__all__ = ["ClassDiff", "ClassSummary", "DiffResult", "FileSummary", "diff_findings_for_file",
           "diff_revisions", "diff_single_file", "module_stem", "summarize"]


@dataclass
class ClassDiff:
    """Base and head predictions of one class and what comparing them found."""

    cls: str
    base_path: Optional[str]
    head_path: Optional[str]
    base: Optional[Prediction]
    head: Optional[Prediction]
    affected: bool = False
    affected_by: str = ""
    findings: List[Finding] = field(default_factory=list)


@dataclass
class DiffResult:
    findings: List[Finding]
    changed_files: List[str]
    predictions: Dict[str, ClassDiff]  # "path::Class" -> ClassDiff
    base: str = ""
    head: Optional[str] = None
    renamed_files: Dict[str, str] = field(default_factory=dict)  # old path -> new path
    cache_hits: int = 0
    cache_misses: int = 0
    root: str = ""
    models: List[ModelVerdict] = field(default_factory=list)  # one per named model

    def remap_snippet(self) -> Optional[str]:
        """The --emit-remap script: one remap function per model class (or None)."""
        return grouping.remap_script(self.findings, self.base, self.head)


# -- the engine ---------------------------------------------------------------------


_SHA1 = re.compile(r"[0-9a-f]{40}")


class _Engine:
    def __init__(self, repo: GitRepo, base: str, head: Optional[str], cache: Cache,
                 torch_version: Tuple[int, ...] = CHECKED_TORCH) -> None:
        self.repo = repo
        self.torch_version = torch_version  # the target torch of version branches
        self.base_rev = base
        self.head_rev = normalize_head(head)
        if self.head_rev is not None and self.head_rev != ":index":
            repo.rev_parse_many([base, self.head_rev])  # one process for both
        self.base_tree = repo.tree(base)
        self.head_tree = repo.tree(self.head_rev)
        self.cache = cache
        self._summaries: Dict[Tuple[int, str], Optional[FileSummary]] = {}
        self.failures: Dict[Tuple[str, str], str] = {}  # (path, class) -> predictor error
        self._preds: Dict[Tuple[int, str, str], Optional[Prediction]] = {}
        # (tree, path, expr) -> every (path, blob id) the prediction read; absent: unknown
        self._reads: Dict[Tuple[int, str, str], Dict[str, Optional[str]]] = {}
        self._default_changes: Optional[List[Any]] = None  # defaults.DefaultChange of the diff
        self.default_notes: Set[int] = set()  # id() of the WL290 notes on changed defaults

    def default_changes(self, paths: Set[str]) -> List[Any]:
        """Class-level defaults changed in the diff's files (computed once per run)."""
        if self._default_changes is None:
            from wlint.compat.defaults import diff_default_changes

            self._default_changes = diff_default_changes(paths, self.base_tree.read,
                                                         self.head_tree.read)
        return self._default_changes

    def _cache_expr(self, expr: str) -> str:
        """The cache key of `expr`'s prediction: a target torch other than the default
        takes other branches, so it is part of the key; so are the folders installed
        third-party source is read from (wlint.model.site)."""
        site = current_site(self.repo.root).fingerprint()
        if self.torch_version == CHECKED_TORCH:
            return f"{expr}\0{site}"
        return f"{expr}\0torch {'.'.join(map(str, self.torch_version))}\0{site}"

    def reads(self, tree: Any, relpath: str, expr: str) -> Optional[Dict[str, Optional[str]]]:
        """What the prediction of `expr` read (None: not known, e.g. an old cache entry)."""
        return self._reads.get((id(tree), relpath, expr))

    def changed_reads(self, reads: Dict[str, Optional[str]]) -> Set[str]:
        """The files of a read-set whose syntax differs between base and head. A
        prediction is a function of the files it read, so when none changed, the other
        revision's prediction is the same (formatting and comment edits do not count)."""
        out = set()
        for path in reads:
            if self.base_tree.blob_id(path) != self.head_tree.blob_id(path) and \
                    self.file_digest(self.base_tree, path) != self.file_digest(self.head_tree,
                                                                              path):
                out.add(path)
        return out

    def file_digest(self, tree: Any, relpath: str) -> Optional[str]:
        """Syntax-tree digest of a whole file (None: absent or unreadable): one dump of
        the module, kept per blob in the cache."""
        blob = tree.blob_id(relpath)
        if blob is None:
            return None
        hit = self.cache.load("syntax", blob)
        if isinstance(hit, str) and _SHA1.fullmatch(hit):  # anything else: a miss
            return hit
        text = tree.read(relpath)
        digest = syntax_digest(text) if text is not None else blob
        self.cache.store("syntax", blob, digest)
        return digest  # type: ignore[no-any-return]

    def missing_reads(self, tree: Any, reads: Optional[Dict[str, Optional[str]]]) -> List[str]:
        """Files the prediction needed that the tree lists but could not read (a blob
        missing from a partial clone)."""
        if not reads:
            return []
        return sorted(p for p, blob in reads.items() if blob is None
                      and tree.blob_id(p) is not None)

    def summary(self, tree: Any, relpath: Optional[str]) -> Optional[FileSummary]:
        if relpath is None:
            return None
        memo = (id(tree), relpath)
        if memo in self._summaries:
            return self._summaries[memo]
        result: Optional[FileSummary] = None
        blob = tree.blob_id(relpath)
        if blob is not None:
            ok, result = decoded(_cached_summary, self.cache.load("classes", blob))
            if not ok or result is None:
                text = tree.read(relpath)
                if text is not None:
                    result = summarize(text)
                    self.cache.store("classes", blob, result.to_json())
        self._summaries[memo] = result
        return result

    def syntax_summary(self, tree: Any, relpath: Optional[str]) -> Optional[FileSummary]:
        """`summary` with the classes' syntax digests and names read (own-file checks)."""
        memo = (id(tree), f"{relpath}\0syntax")
        if memo not in self._summaries:
            text = tree.read(relpath) if relpath else None
            self._summaries[memo] = summarize(text, syntax=True) if text is not None else None
        return self._summaries[memo]

    def _spec(self, tree: Any) -> Tuple[str, ...]:
        if isinstance(tree, GitTree):
            return ("commit", tree.sha)
        return ("index",) if self.head_rev == ":index" else ("worktree",)

    def prefetch(self, tasks: List[Tuple[Any, str, str]]) -> None:
        """Predict the cache misses among `tasks` in worker processes when there are
        many (see wlint.compat.parallel); predict() then finds them in memory."""
        from wlint.compat import parallel

        todo: List[Tuple[Any, str, str]] = []
        for tree, relpath, cls in dict.fromkeys(tasks):
            key = (id(tree), relpath, cls)
            if key in self._preds:
                continue
            ok, pred = self._from_hit(key, self.cache.get_prediction(tree, relpath,
                                                                     self._cache_expr(cls)))
            if ok:
                self._preds[key] = pred
            else:
                todo.append((tree, relpath, cls))
        jobs = parallel.jobs_for(len(todo))
        if jobs <= 1:
            return
        trees = {self._spec(t): t for t, _, _ in todo}
        results = parallel.predict_many(self.repo.root, self.repo.git_dir,
                                        [(self._spec(t), r, c) for t, r, c in todo], jobs,
                                        self.torch_version)
        for (spec, relpath, cls), data, reads, error in results:
            tree = trees[spec]
            if error is not None:
                self.failures[(relpath, cls)] = error
                self._preds[(id(tree), relpath, cls)] = None
                continue
            self._preds[(id(tree), relpath, cls)] = (Prediction.from_cache(data)
                                                     if data is not None else None)
            self._reads[(id(tree), relpath, cls)] = reads
            if self.cache.enabled:
                self.cache.put_prediction(tree, relpath, self._cache_expr(cls),
                                          {"prediction": data, "reads": reads}, reads)

    def predict(self, tree: Any, relpath: str, cls: str) -> Optional[Prediction]:
        """Prediction of the bare class name (None: not an nn.Module after all)."""
        key = (id(tree), relpath, cls)
        if key in self._preds:
            return self._preds[key]
        pred = self._predict(tree, relpath, cls)
        self._preds[key] = pred
        return pred

    def _from_hit(self, key: Tuple[int, str, str], hit: Any) -> Tuple[bool, Optional[Prediction]]:
        """(found, prediction) of a cache entry; its read-set is kept for could_change."""
        ok, pred = decoded(_cached_prediction, hit)
        reads = hit.get("reads") if ok and isinstance(hit, dict) else None
        if isinstance(reads, dict):
            self._reads[key] = reads
        return ok, pred

    def _predict(self, tree: Any, relpath: str, cls: str) -> Optional[Prediction]:
        key = (id(tree), relpath, cls)
        ok, cached = self._from_hit(key, self.cache.get_prediction(tree, relpath,
                                                                   self._cache_expr(cls)))
        if ok:
            return cached
        from wlint.compat.predict import predict_recorded

        pred, reads, error = predict_recorded(tree, relpath, cls, self.torch_version)
        if error is not None:
            self.failures[(relpath, cls)] = error
            return None  # not cached: a later wlint may do better
        self._reads[key] = reads
        if self.cache.enabled:
            self.cache.put_prediction(tree, relpath, self._cache_expr(cls),
                                      {"prediction": pred.to_cache() if pred else None,
                                       "reads": reads}, reads)
        return pred


def _cached_summary(hit: Any) -> FileSummary:
    """A cached class list back as a FileSummary; raises on an entry of the wrong shape."""
    summary = FileSummary.from_json(hit)
    if summary.imports is not None and not all(isinstance(i, str) for i in summary.imports):
        raise TypeError("imports")
    return summary


def _cached_prediction(hit: Any) -> Optional[Prediction]:
    """A cache hit back as a Prediction (None: not a module); raises on a miss or an
    entry of the wrong shape (see cache.decoded)."""
    data = hit["prediction"]
    return Prediction.from_cache(data) if data is not None else None


def diff_revisions(
    repo: str, base: str, head: Optional[str] = None, paths: Optional[Sequence[str]] = None,
    use_cache: bool = True, cache_dir: Optional[str] = None, models: Sequence[Any] = (),
    torch_version: Tuple[int, ...] = CHECKED_TORCH,
) -> DiffResult:
    """WL2xx findings for every model class between `base` and `head`.

    head None = working tree, ":index" (or "--staged") = the index. `paths`
    restricts the classes reported (files or folders, repo-relative or
    absolute); changes anywhere still count for classes that contain them.
    `models`: named models (`wlint.named_models.ModelSpec`: name, file, expr,
    signature_file), each compared concretely, with a verdict in `DiffResult.models`
    (and verified against its signature file at head, when it has one). Torch-version
    branches are taken as torch `torch_version` takes them.
    Raises GitError (one line) for a bad repository or revision, a missing path,
    or a model that names no file or builds no module.
    """
    with GitRepo.open(repo) as git:
        engine = _Engine(git, base, head, Cache(cache_dir, enabled=use_cache, tree_root=git.root),
                         torch_version)
        selection = _normalise_paths(git.root, repo, paths)
        for given, rel in zip(paths or [], selection or []):
            if not _path_exists(engine, rel):
                sides = engine.base_rev + ("" if engine.head_rev is None
                                           else f" or {engine.head_rev}")
                raise GitError(f"no such path: {given} (not in the working tree, nor at {sides})")
        return _run(engine, selection, _named_models(git.root, models))


def _named_models(root: str, models: Sequence[Any]) -> List[NamedModel]:
    """The ModelSpecs as repo-relative NamedModels (GitError for a file outside)."""
    return [_named_model(m.name, _inside(root, m.file), m.expr, _signature_path(root, m))
            for m in models]


def _signature_path(root: str, model: Any) -> Optional[str]:
    """A named model's signature file, repo-relative ("": outside; None: it has none)."""
    path = getattr(model, "signature_file", None)
    return None if path is None else (_inside(root, path) or "")


def _inside(root: str, path: str) -> Optional[str]:
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    return None if rel == ".." or rel.startswith("../") else rel


def _path_exists(engine: _Engine, rel: str) -> bool:
    """A selection path names something: on disk, or a file or folder at either side."""
    if rel == "" or os.path.exists(os.path.join(engine.repo.root, rel)):
        return True
    folder = rel.rstrip("/") + "/"
    for tree in (engine.head_tree, engine.base_tree):
        if tree.blob_id(rel) is not None or any(f.startswith(folder) for f in tree.files()):
            return True
    return False


def _normalise_paths(root: str, repo: str, paths: Optional[Sequence[str]]) -> Optional[List[str]]:
    if not paths:
        return None
    out = []
    for p in paths:
        full = os.path.abspath(p)
        if not os.path.exists(full) and not os.path.isabs(p):
            full = os.path.join(root, p)  # a repo-relative path (e.g. a deleted file)
        rel = os.path.relpath(os.path.abspath(full), root).replace(os.sep, "/")
        out.append("" if rel == "." else rel)
    return out


def _selected(path: Optional[str], paths: Optional[List[str]]) -> bool:
    if path is None:
        return False
    if paths is None:
        return True
    return any(p == "" or path == p or path.startswith(p.rstrip("/") + "/") for p in paths)


Pair = Tuple[str, Optional[str], Optional[ClassSummary], Optional[str], Optional[ClassSummary]]


@dataclass
class _Plan:
    """What to compare: computed once per (repository, base, head)."""

    changes: List[Any]
    pairs: List[Pair]
    changed_paths: Set[str]
    changed_names: Set[Tuple[str, str]]
    renamed: Dict[str, str]
    syntax: List[Tuple[str, Finding]]  # (selection path, WL901 finding)


def _run(engine: _Engine, paths: Optional[List[str]],
         models: Sequence[NamedModel] = ()) -> DiffResult:
    # files named one by one are covered by their read-sets: no search for importers
    only_files = bool(paths) and all(p.endswith(".py") for p in paths or [])
    plan = _plan(engine, candidates=not only_files)
    return _with_models(engine, _evaluate(engine, plan, paths), models, plan.renamed)


def _with_models(engine: _Engine, result: DiffResult, models: Sequence[NamedModel],
                 renamed: Dict[str, str]) -> DiffResult:
    """`result` with every named model compared concretely: its findings and verdicts."""
    if not models:
        return result
    verdicts = compare_models(engine, list(models), renamed)
    own = {(d.head_path or "", d.cls): d.findings for d in result.predictions.values()}
    findings = equal_under_models(result.findings, own, verdicts)
    findings += _drop_noqa(engine, [f for v in verdicts for f in v.findings])
    result.findings = _dedupe(sort_findings(findings))
    result.models = verdicts
    return result


def _plan(engine: _Engine, candidates: bool = True) -> _Plan:
    git = engine.repo
    changes = git.changed_files(engine.base_rev, engine.head_rev)
    syntax: List[Tuple[str, Finding]] = []
    renamed = {c.old_path: c.new_path for c in changes
               if c.status == "R" and c.old_path and c.new_path}

    # classes of changed files, paired by name (also across files: a moved class)
    base_classes: Dict[str, Tuple[str, ClassSummary]] = {}
    head_classes: Dict[str, Tuple[str, ClassSummary]] = {}
    pairs: List[Pair] = []
    for change in changes:
        bsum = engine.summary(engine.base_tree, change.old_path)
        hsum = engine.summary(engine.head_tree, change.new_path)
        unreadable = [(tree, path) for tree, path in ((engine.base_tree, change.old_path),
                                                      (engine.head_tree, change.new_path))
                      if path and path in tree.missing]
        for tree, path in unreadable:
            syntax.append((change.new_path or path, _unreadable_finding(path, tree)))
        if unreadable:
            continue  # its classes are neither removed nor compared
        if hsum is not None and hsum.error is not None and change.new_path:
            syntax.append((change.new_path,
                           _syntax_finding(change.new_path, hsum.error, engine.head_tree)))
        if bsum is not None and bsum.error is not None and change.old_path:
            syntax.append((change.new_path or change.old_path,
                           _syntax_finding(change.old_path, bsum.error, engine.base_tree)))
        if any(s is not None and s.error is not None for s in (bsum, hsum)):
            continue  # one side unparsable: its classes are neither removed, added nor compared
        for c in (bsum.classes if bsum else []):
            if c.maybe_module:
                base_classes.setdefault(f"{change.old_path}::{c.name}", (change.old_path or "", c))
        for c in (hsum.classes if hsum else []):
            if c.maybe_module:
                head_classes.setdefault(f"{change.new_path}::{c.name}", (change.new_path or "", c))
    head_by_name: Dict[str, List[str]] = {}
    for k, (_, c) in head_classes.items():
        head_by_name.setdefault(c.name, []).append(k)
    used_head: Set[str] = set()
    for bpath, bc in base_classes.values():
        target = renamed.get(bpath, bpath)
        hkey = f"{target}::{bc.name}"
        if hkey not in head_classes:
            movers = [k for k in head_by_name.get(bc.name, []) if k not in used_head
                      and f"{_path_of(k)}::{bc.name}" not in base_classes]
            hkey = movers[0] if len(movers) == 1 else ""
        if hkey and hkey in head_classes and hkey not in used_head:
            used_head.add(hkey)
            hpath, hc = head_classes[hkey]
            pairs.append((bc.name, bpath, bc, hpath, hc))
        else:
            pairs.append((bc.name, bpath, bc, None, None))
    _pair_renamed_classes(engine, pairs, head_classes, used_head, renamed)
    changed_paths = {p for c in changes for p in (c.old_path, c.new_path) if p}

    # classes that may contain a changed class: files importing a changed module
    for hpath in (_candidate_files(engine, changes) if candidates else []):
        if hpath in changed_paths:
            continue
        hsum = engine.summary(engine.head_tree, hpath)
        if hsum is None or hsum.error is not None:
            continue
        for c in hsum.classes:
            if c.maybe_module:
                pairs.append((c.name, hpath, c, hpath, c))

    # module classes that existed at base and whose own source changed (or that moved):
    # a finding inside an instance of one of them is "affected"
    base_digest = {(renamed.get(p, p), c.name): c.digest for p, c in base_classes.values()}
    moved_from = {(hp, hc.name): (bp, bc) for _, bp, bc, hp, hc in pairs
                  if hc is not None and bc is not None and hp is not None}
    changed_names: Set[Tuple[str, str]] = set()
    for hp, hc in head_classes.values():
        old = moved_from.get((hp, hc.name))
        digest = old[1].digest if old else base_digest.get((hp, hc.name))
        if digest is None:
            continue  # a new class: containing it is the container's own change
        if digest != hc.digest or (old is not None and old[0] != hp
                                   and renamed.get(old[0] or "") != hp):
            changed_names.add((hp, hc.name))
    return _Plan(changes, pairs, changed_paths, changed_names, renamed, syntax)


def _evaluate(engine: _Engine, plan: _Plan, paths: Optional[List[str]]) -> DiffResult:
    findings: List[Finding] = [f for sel, f in plan.syntax if _selected(sel, paths)]
    diffs: Dict[str, ClassDiff] = {}
    pairs = [p for p in plan.pairs if _selected(p[3] or p[1], paths)]
    pairs += _named_file_pairs(engine, plan, paths, pairs)
    heads = [(engine.head_tree, hpath, name) for name, _, _, hpath, _ in pairs if hpath]
    engine.prefetch(heads)
    engine.prefetch([(engine.base_tree, bpath, bc.name if bc else name)
                     for name, bpath, bc, hpath, hc in pairs if bpath and (
                         hpath is None or hc is None or engine.failures.get((hpath, name))
                         or could_change(engine, bpath, bc, hpath, hc))])
    for name, bpath, bc, hpath, hc in pairs:
        report_path = hpath or bpath
        key = f"{report_path}::{name}"
        if hc is None or hpath is None:
            diff = _deleted_class(engine, name, bpath or "", bc)
        else:
            diff = _compare_class(engine, name, bpath or "", bc, hpath, hc, plan.changed_paths,
                                  plan.changed_names)
        diffs[key] = diff
        findings.extend(diff.findings)
    findings = _drop_covered_default_notes(engine, diffs, findings)
    findings = _drop_noqa(engine, findings)
    findings = group_findings(findings, diffs, engine.base_tree.read, engine.head_tree.read, plan.renamed)
    return DiffResult(
        findings=_dedupe(sort_findings(findings)),
        changed_files=sorted({c.path for c in plan.changes}),
        predictions=diffs, base=engine.base_rev, head=engine.head_rev,
        renamed_files=plan.renamed, cache_hits=engine.cache.hits,
        cache_misses=engine.cache.misses, root=engine.repo.root,
    )


def _named_file_pairs(engine: _Engine, plan: _Plan, paths: Optional[List[str]],
                      pairs: List[Pair]) -> List[Pair]:
    """Every module class of a file the user named, when the plan does not compare it
    already: whether a change reached it (a base class, a constant, a config class in
    another file, through any import chain) is decided from its head prediction's
    read-set (see could_change), so naming only the model's file is enough."""
    files = [p for p in paths or [] if p.endswith(".py")]
    if not files:
        return []
    known = {(hpath, name) for name, _, _, hpath, _ in pairs}
    inverse = {new: old for old, new in plan.renamed.items()}
    out: List[Pair] = []
    for hpath in files:
        hsum = engine.summary(engine.head_tree, hpath)
        if hsum is None or hsum.error is not None:
            continue
        bpath = inverse.get(hpath, hpath)
        old = engine.summary(engine.base_tree, bpath)
        olds = old.by_name() if old is not None else {}
        for c in hsum.classes:
            if c.maybe_module and (hpath, c.name) not in known and c.name in olds:
                out.append((c.name, bpath, olds[c.name], hpath, c))
    return out


def _pair_renamed_classes(engine: _Engine, pairs: List[Pair],
                          head_classes: Dict[str, Tuple[str, ClassSummary]],
                          used_head: Set[str], renamed: Dict[str, str]) -> None:
    """A class that lost its name and one that gained one in the same file are the same
    class renamed when exactly one of each is left there and at least half of their
    key names agree; the class name is not part of any state_dict key."""
    for i, (_, bpath, bc, _, hc) in enumerate(pairs):
        if hc is not None or bc is None or bpath is None:
            continue
        target = renamed.get(bpath, bpath)
        left_b = [p for p in pairs if p[3] is None and p[1] == bpath]
        left_h = [k for k, (hp, _) in head_classes.items() if hp == target and k not in used_head]
        if len(left_b) != 1 or len(left_h) != 1:
            continue
        new_path, new_cls = head_classes[left_h[0]]
        base = engine.predict(engine.base_tree, bpath, bc.name)
        head = engine.predict(engine.head_tree, new_path, new_cls.name)
        if base is None or head is None or not base.entries:
            continue
        old_keys = {e.key for e in base.entries}
        new_keys = {e.key for e in head.entries}
        if 2 * len(old_keys & new_keys) >= max(len(old_keys), len(new_keys)):
            used_head.add(left_h[0])
            pairs[i] = (new_cls.name, bpath, bc, new_path, new_cls)


def _path_of(key: str) -> str:
    return key.rsplit("::", 1)[0]


def _candidate_files(engine: _Engine, changes: Sequence[Any]) -> List[str]:
    """Files that import, directly or through re-exporting modules, a changed module.

    `git grep -w` finds the files mentioning a changed module's name; of those, the
    ones whose import statements name it (per-blob summary, cached) are kept; their own
    module names join the search until nothing new turns up (`pkg/__init__.py`
    re-exporting from a changed file brings in the importers of `pkg`). Dynamic imports
    (importlib, __import__) are not followed."""
    stems = {module_stem(p) for c in changes for p in (c.old_path, c.new_path) if p}
    found: Set[str] = set()
    pending = set(stems)
    while pending:
        try:
            hits = set(engine.repo.grep_files(engine.head_rev, sorted(pending)))
        except GitError:
            break
        new = set()
        for f in sorted(hits - found):
            summary = engine.summary(engine.head_tree, f)
            if summary is not None and summary.imports_any(stems):
                new.add(f)
        found |= new
        pending = {module_stem(f) for f in new} - stems
        stems |= pending
    return sorted(found)


def _compare_class(engine: _Engine, name: str, bpath: str, bc: Optional[ClassSummary],
                   hpath: str, hc: ClassSummary, changed_paths: Set[str],
                   changed_names: Set[Tuple[str, str]]) -> ClassDiff:
    base_name = bc.name if bc else name
    head = engine.predict(engine.head_tree, hpath, name)
    diff = ClassDiff(name, bpath, hpath, None, head)
    failed = engine.failures.get((hpath, name))
    if not failed and not could_change(engine, bpath, bc, hpath, hc):
        diff.base = head  # nothing the prediction read changed: the base is the same
        _default_change_note(engine, diff, changed_paths)  # unless a default it stands for did
        return diff
    base = engine.predict(engine.base_tree, bpath, base_name)
    diff.base = base
    failed = failed or engine.failures.get((bpath, base_name))
    if failed:
        diff.findings = [Finding.of(
            WL290, path=hpath, line=hc.line, col=0, cls=name,
            message=f"{name}: state_dict not compared: the predictor failed ({failed})",
        )]
        return diff
    missing = _missing_note(engine, hpath, name, bpath, base_name)
    if missing:
        diff.findings = [Finding.of(WL290, path=hpath, line=hc.line, col=0, cls=name,
                                    message=f"{name}: state_dict not compared: {missing}")]
        return diff
    if base is None or head is None:
        return diff
    if not same_state(base, head):
        found = compare(base, head, _options(base, head, hc, hpath, name, changed_names))
        found = unidentified_layers(found, base, head, name)
        diff.findings = _equal_after_renames(engine, found, bpath, base_name, hpath, name)
    if not _default_config_findings(engine, diff, base_name, hc, changed_names):
        _default_change_note(engine, diff, changed_paths)
    _mark_inherited(engine, diff, hc, changed_names)
    labels = sorted({f.message.rsplit("[affected: this class contains the changed ", 1)[-1]
                     .rstrip("]") for f in diff.findings if f.affected})
    diff.affected = bool(labels)
    diff.affected_by = ", ".join(labels[:3])
    diff.findings.extend(incomplete(base, head, hpath, name))
    return diff


def could_change(engine: _Engine, bpath: Optional[str], bc: Optional[ClassSummary],
                 hpath: str, hc: ClassSummary) -> bool:
    """May the class's prediction differ between base and head? No only when it is
    provable: the head prediction's read-set is known, and every file in it has the
    same syntax tree at both revisions, except perhaps the class's own file, where
    nothing the class can reach changed (its own body, the code outside classes, and
    the classes of that file it names, transitively)."""
    if bc is None or bpath != hpath:
        return True
    reads = engine.reads(engine.head_tree, hpath, hc.name)
    if reads is None:
        return True
    changed = engine.changed_reads(reads)
    if not changed:
        return False
    return changed != {hpath} or _own_file_change_reaches(engine, hpath, hc)


def _own_file_change_reaches(engine: _Engine, path: str, hc: ClassSummary) -> bool:
    bsum = engine.syntax_summary(engine.base_tree, path)
    hsum = engine.syntax_summary(engine.head_tree, path)
    if bsum is None or hsum is None or bsum.error or hsum.error or not hsum.toplevel_digest \
            or bsum.toplevel_digest != hsum.toplevel_digest:
        return True
    old, new = bsum.by_name(), hsum.by_name()
    changed = {n for n, c in new.items()
               if n not in old or not c.ast_digest or old[n].ast_digest != c.ast_digest}
    changed |= set(old) - set(new)
    seen: Set[str] = set()
    todo = [hc.name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        cls = new.get(name)
        if cls is not None:
            names = list(cls.refs) + [b.rsplit(".", 1)[-1] for b in cls.bases]
            todo.extend(n for n in names if n in new or n in old)
    return bool(seen & changed)


def _missing_note(engine: _Engine, hpath: str, name: str, bpath: str, base_name: str) -> str:
    """Why a comparison cannot be trusted because a file it needs has no blob here."""
    parts = []
    for tree, path, expr in ((engine.head_tree, hpath, name), (engine.base_tree, bpath,
                                                                base_name)):
        gone = engine.missing_reads(tree, engine.reads(tree, path, expr))
        if gone:
            where = getattr(tree, "label", "") or "head"
            parts.append(f"{', '.join(gone[:3])} cannot be read at {where} (the blob is not in "
                         "this clone: fetch it, or clone without a blob filter)")
    return "; ".join(parts)


def _mark_inherited(engine: _Engine, diff: ClassDiff, hc: ClassSummary,
                    changed_names: Set[Tuple[str, str]]) -> None:
    """Findings of a class whose own code is unchanged but whose base class (or mixin)
    changed belong to that base class: mark them affected by it (one change, one
    finding; the class is a container of the change)."""
    if not diff.findings or any(f.affected for f in diff.findings) or diff.base is None:
        return
    bsum = engine.syntax_summary(engine.base_tree, diff.base_path)
    hsum = engine.syntax_summary(engine.head_tree, diff.head_path)
    old = bsum.by_name().get(diff.cls) if bsum else None
    new = hsum.by_name().get(hc.name) if hsum else None
    if old is None or new is None or not old.ast_digest or old.ast_digest != new.ast_digest:
        return  # the class's own code changed
    bases = {b.rsplit(".", 1)[-1] for b in hc.bases}
    owners = sorted(f"{c} ({p})" for p, c in changed_names if c in bases and c != diff.cls)
    if not owners:
        return
    label = owners[0]
    diff.findings = [f if f.code == "WL290" else f.with_(
        affected=True, message=f"{f.message} [affected: this class contains the changed {label}]")
        for f in diff.findings]


def _options(base: Prediction, head: Prediction, hc: ClassSummary, hpath: str, name: str,
             changed_names: Set[Tuple[str, str]]) -> CompareOptions:
    opts = CompareOptions(ignore_missing=hc.ignore_missing,
                          ignore_unexpected=hc.ignore_unexpected)
    contained = _changed_classes_used(base, head, changed_names, name, hpath)
    if contained:
        # findings inside an instance of a changed class are reported here too, with full
        # keys, marked affected, at the line of this class's file that builds it
        opts.changed_types = {label.split(" (", 1)[0]: label for label in contained}
        opts.anchor = Anchor(hpath, hc.line)
    return opts


def _default_change_note(engine: _Engine, diff: ClassDiff, changed_paths: Set[str]) -> None:
    """WL290 when the class's symbolic shapes read `param.field` and a class-level default
    `field: T = value` changed in this diff (see wlint.compat.defaults)."""
    if diff.base is None or diff.head is None or not diff.head_path:
        return
    from wlint.compat.defaults import default_change_note

    note = default_change_note(diff.cls, engine.head_tree.read(diff.head_path) or "", diff.base,
                               diff.head, lambda: engine.default_changes(changed_paths))
    if note is not None:
        engine.default_notes.add(id(note))
        diff.findings.append(note)


def _drop_covered_default_notes(engine: _Engine, diffs: Dict[str, ClassDiff],
                                findings: List[Finding]) -> List[Finding]:
    """One change, one finding: a class noted for a changed default that a class
    containing it reports errors for (its default-config variant saw the change) keeps
    no note of its own."""
    if not engine.default_notes:
        return findings
    covered = {use for d in diffs.values() if d.head is not None
               and any(f.severity == "error" for f in d.findings) for use in d.head.uses}
    drop = {id(f) for d in diffs.values() if (d.head_path, d.cls) in covered
            for f in d.findings if id(f) in engine.default_notes}
    return [f for f in findings if id(f) not in drop]


def _default_config_findings(engine: _Engine, diff: ClassDiff, base_name: str,
                             hc: ClassSummary, changed_names: Set[Tuple[str, str]]) -> bool:
    """Also compare `Net(Cfg())` when every required parameter of `Net.__init__` is
    annotated with a project class constructible with no arguments: a change of a `Cfg`
    default is invisible to the bare-name prediction (`config.vocab` on both sides).
    Both sides use the same arguments, resolved in their own namespace (a config class
    renamed or missing at one side: no variant); only findings the symbolic comparison
    did not make are added, each saying it holds with the default config. True when the
    variant was compared (changed or not)."""
    from wlint.compat.configs import config_call_args, required_config_params

    bpath, hpath, name = diff.base_path or "", diff.head_path or "", diff.cls
    params = required_config_params(engine.head_tree.read(hpath) or "", name)
    if params is None:
        return False
    base_params = required_config_params(engine.base_tree.read(bpath) or "", base_name)
    if base_params != params:
        return False
    args = config_call_args(engine.head_tree, hpath, params)
    if args is None or config_call_args(engine.base_tree, bpath, params) != args:
        return False
    base = engine.predict(engine.base_tree, bpath, f"{base_name}({args})")
    head = engine.predict(engine.head_tree, hpath, f"{name}({args})")
    if base is None or head is None:
        return False
    if same_state(base, head):
        return True
    seen = {(f.code, f.key, f.old_key) for f in diff.findings}
    found = compare(base, head, _options(base, head, hc, hpath, name, changed_names))
    with_cfg = f" (with the default {args})"
    for f in found:
        if (f.code, f.key, f.old_key) not in seen:
            text, sep, tail = f.message.partition(" [affected: ")
            diff.findings.append(f.with_(message=text + with_cfg + sep + tail))
    return True


def _equal_after_renames(engine: _Engine, findings: List[Finding], bpath: str, base_name: str,
                         hpath: str, name: str) -> List[Finding]:
    """Drop a WL204 whose old and new symbolic shapes are equal once the constructor
    parameters renamed between the revisions (same position, new name) are substituted:
    `in_planes * 4` -> `in_channels * 4` is the same tensor."""
    if not any(f.code == "WL204" for f in findings):
        return findings
    renames = renamed_params(engine.base_tree.read(bpath) or "", base_name,
                             engine.head_tree.read(hpath) or "", name)
    if not renames:
        return findings
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renames)) + r")\b")

    def subst(shape: Any) -> Any:
        return tuple(pattern.sub(lambda m: renames[m.group(1)], d) if isinstance(d, str) else d
                     for d in shape)
    return [f for f in findings if not (
        f.code == "WL204" and f.old_shape is not None and f.new_shape is not None
        and subst(f.old_shape) == tuple(f.new_shape))]


def renamed_params(base_text: str, base_name: str, head_text: str, name: str) -> Dict[str, str]:
    """{old: new} of `__init__` parameters renamed in place (same position, the old name
    gone, the new one not there before)."""
    old, new = init_params(base_text, base_name), init_params(head_text, name)
    if old is None or new is None or len(old) != len(new):
        return {}
    return {a: b for a, b in zip(old, new) if a != b and a not in new and b not in old}


def init_params(text: str, name: str) -> Optional[List[str]]:
    from wlint.compat.configs import _parse

    module = _parse(text)
    cls = next((n for n in module.body if isinstance(n, ast.ClassDef) and n.name == name),
               None) if module else None
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None) if cls else None
    if init is None:
        return None
    spec = init.args
    return [a.arg for a in list(spec.posonlyargs) + list(spec.args) + list(spec.kwonlyargs)]


def _changed_classes_used(base: Prediction, head: Prediction,
                          changed_names: Set[Tuple[str, str]], own: str,
                          own_path: str) -> List[str]:
    """Changed module classes (other than itself) the class instantiates at either side."""
    uses = list(getattr(head, "uses", None) or []) + list(getattr(base, "uses", None) or [])
    return sorted({f"{c} ({p})" for p, c in (tuple(u) for u in uses)
                   if (p, c) in changed_names and not (c == own and p == own_path)})


def _deleted_class(engine: _Engine, name: str, bpath: str, bc: Optional[ClassSummary]) -> ClassDiff:
    base = engine.predict(engine.base_tree, bpath, name)
    diff = ClassDiff(name, bpath, None, base, None)
    if base is not None and base.entries:
        diff.findings = [Finding.of(
            WL201, path=bpath, line=bc.line if bc else 1, col=0, cls=name,
            message=(f"class {name} removed ({len(base.entries)} state_dict keys): checkpoints "
                     "saved from it have no class to load into; keep the class (or an alias) "
                     "while such checkpoints are in use"),
            key=None, old_key=None, extra={"removed_class": True},
        )]
    return diff


def _unreadable_finding(path: str, tree: Any) -> Finding:
    where = getattr(tree, "label", "") or "head"
    why = getattr(tree, "refused", {}).get(path)
    reason = why[why.rfind(": ") + 2:] if why else \
        "its blob is not in this clone (a partial clone or a pruned object)"
    return Finding.of(WL290, path=path, line=1, col=0,
                      message=f"cannot read {path} at {where}: {reason}; its classes are not "
                              "compared")


def _syntax_finding(path: str, error: Tuple[int, str], tree: Any) -> Finding:
    where = getattr(tree, "label", "") or "head"
    return Finding.of(WL901, path=path, line=max(1, int(error[0])), col=0,
                   message=f"cannot parse {path} at {where}: {error[1]}; its classes are not "
                           "compared")


def _drop_noqa(engine: _Engine, findings: List[Finding]) -> List[Finding]:
    """`# noqa` / `# noqa: WL204` / `# noqa: WL2` on the reported line (the base file's
    for removals), by the same rules as WL1xx (wlint.noqa)."""
    def text_of(f: Finding) -> str:
        removal = (f.key is None and f.old_key is not None) or f.code == "WL201"
        tree = engine.base_tree if removal else engine.head_tree
        return tree.read(f.path) or ""

    return drop_suppressed(findings, text_of)


def _dedupe(findings: List[Finding]) -> List[Finding]:
    seen: Set[Tuple[Any, ...]] = set()
    out = []
    for f in findings:
        ident = (f.code, f.path, f.line, f.cls, f.key, f.old_key, f.extra.get("model"))
        if ident not in seen:
            seen.add(ident)
            out.append(f)
    return out


# -- one file against its old self ----------------------------------------------------


def diff_single_file(rev: str, old_path: str, new_path: Optional[str] = None,
                     use_cache: bool = True, cache_dir: Optional[str] = None,
                     models: Sequence[Any] = (),
                     torch_version: Tuple[int, ...] = CHECKED_TORCH) -> DiffResult:
    """`wlint diff REV:PATH [PATH]`: the classes of PATH at REV against NEW_PATH (default
    the same path) in the working tree, paired by class name; named `models` (ModelSpecs)
    compared concretely as in `diff_revisions` (a model of PATH is read at REV from
    PATH's old name)."""
    start = os.path.dirname(os.path.abspath(new_path or old_path)) if os.path.exists(
        new_path or old_path) else os.getcwd()
    with GitRepo.open(start) as git:
        engine = _Engine(git, rev, None, Cache(cache_dir, enabled=use_cache, tree_root=git.root),
                         torch_version)
        old_rel = _repo_rel(git.root, old_path)
        new_rel = _repo_rel(git.root, new_path or old_path)
        bsum = engine.summary(engine.base_tree, old_rel)
        if bsum is None:
            raise GitError(f"{old_rel} does not exist at {rev}")
        hsum = engine.summary(engine.head_tree, new_rel)
        if hsum is None:
            raise GitError(f"no such file: {new_path or old_path}")
        findings: List[Finding] = []
        if hsum.error is not None:
            findings.append(_syntax_finding(new_rel, hsum.error, engine.head_tree))
        heads = {c.name: c for c in hsum.classes if c.maybe_module}
        diffs: Dict[str, ClassDiff] = {}
        changed_names = {(old_rel, c.name) for c in bsum.classes} | {
            (new_rel, c.name) for c in hsum.classes}
        for bc in bsum.classes:
            if not bc.maybe_module:
                continue
            hc = heads.get(bc.name)
            if hc is None:
                diff = _deleted_class(engine, bc.name, old_rel, bc)
            else:
                diff = _compare_class(engine, bc.name, old_rel, bc, new_rel, hc,
                                      {old_rel, new_rel}, changed_names)
            diffs[f"{new_rel}::{bc.name}"] = diff
            findings.extend(diff.findings)
        findings = _drop_noqa(engine, findings)
        findings = group_findings(findings, diffs, engine.base_tree.read, engine.head_tree.read, {})
        result = DiffResult(findings=_dedupe(sort_findings(findings)), changed_files=[new_rel],
                            predictions=diffs, base=rev, head=None,
                            cache_hits=engine.cache.hits, cache_misses=engine.cache.misses,
                            root=git.root)
        renamed = {old_rel: new_rel} if old_rel != new_rel else {}
        return _with_models(engine, result, _named_models(git.root, models), renamed)


def _repo_rel(root: str, path: str) -> str:
    full = os.path.abspath(path)
    if not os.path.exists(full) and not os.path.isabs(path):
        cand = os.path.join(root, path)
        if os.path.exists(cand) or not os.path.exists(os.path.dirname(full)):
            full = cand
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    if rel.startswith("../"):
        rel = path.replace(os.sep, "/")
    return rel


# -- flake8 ---------------------------------------------------------------------------


_FLAKE8_PLANS: Dict[Tuple[str, str], Tuple[_Engine, _Plan]] = {}


def diff_findings_for_file(filename: str, base: str) -> List[Finding]:
    """WL2xx findings for the classes defined in `filename` (working tree vs `base`),
    placed in that file: findings that point elsewhere (a removal's base line, a
    change inside an imported class) are moved to the class's line.

    flake8 calls this once per file: the plan (changed files, candidate classes) is
    computed once per (repository, base) and process. A git problem (no repository,
    unknown base, shallow clone) is returned as one WL290 finding on line 1."""
    full = os.path.abspath(filename)
    try:
        root = GitRepo.open(os.path.dirname(full)).root
        memo = _FLAKE8_PLANS.get((root, base))
        if memo is None:
            git = GitRepo.open(root)
            engine = _Engine(git, base, None, Cache(tree_root=git.root))
            memo = (engine, _plan(engine))
            _FLAKE8_PLANS[(root, base)] = memo
    except GitError as exc:
        # flake8 shows a plugin's exception as a raw traceback (or hangs a worker pool on
        # SystemExit): say it as a finding on line 1 instead
        return [Finding.of(WL290, path=filename, line=1, col=0,
                        message=f"--wlint-base {base}: WL2xx not checked: {exc}")]
    engine, plan = memo
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    result = _evaluate(engine, plan, [rel])
    out = []
    for diff in result.predictions.values():
        if diff.head_path != rel:
            continue
        line = _class_line(engine, rel, diff.cls)
        for f in diff.findings:
            if f.code == "WL201":  # a base line: meaningless in the working file
                f = f.with_(path=rel, line=line,
                            message=f.message + f" (was {f.path}:{f.line} at {base})")
            elif f.path != rel:
                f = f.with_(path=rel, line=line, message=f.message + f" (at {f.path}:{f.line})")
            out.append(f.with_(path=filename))
    return sort_findings(out)


def _class_line(engine: _Engine, rel: str, name: str) -> int:
    summary = engine.summary(engine.head_tree, rel)
    for c in (summary.classes if summary else []):
        if c.name == name:
            return c.line
    return 1
