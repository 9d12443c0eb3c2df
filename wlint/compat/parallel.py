"""Predicting many classes in worker processes (large diffs: a shared module changed).

Each worker opens its own `GitRepo` (its own `git cat-file --batch`: the parent's
pipes are never shared) and rebuilds the revision trees from a small spec, so
only plain data crosses process boundaries: (tree spec, path, class) in,
(prediction as cache JSON, the reads it made, an error) out. Used only where
the `fork` start method exists (no re-import of wlint per worker); elsewhere, or
for few predictions, the caller predicts in-process.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

TreeSpec = Tuple[str, ...]  # ("commit", sha) | ("index",) | ("worktree",)
Task = Tuple[TreeSpec, str, str]
Result = Tuple[Task, Optional[Dict[str, Any]], Dict[str, Optional[str]], Optional[str]]

MIN_TASKS = 24  # below this, process start-up costs more than it saves

_REPO: Any = None
_TORCH: Tuple[int, ...] = ()  # the target torch of the run (wlint.model.overlays.torch_versions)
_TREES: Dict[TreeSpec, Any] = {}


def jobs_for(n_tasks: int) -> int:
    """Worker count for n predictions: WLINT_JOBS overrides (1 = in-process)."""
    if multiprocessing.current_process().daemon:  # daemons may not have children
        return 1
    env = os.environ.get("WLINT_JOBS", "")
    if env.isdigit():
        return max(1, int(env))
    if n_tasks < MIN_TASKS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8, n_tasks // 12))


def _init(root: str, git_dir: str, torch_version: Tuple[int, ...]) -> None:
    global _REPO, _TORCH
    from wlint.git import GitRepo
    from wlint.workers import die_with_parent

    die_with_parent()  # a SIGKILLed `wlint diff` leaves no worker behind

    _REPO = GitRepo(root, git_dir)
    _TORCH = torch_version
    _TREES.clear()


def _tree(spec: TreeSpec) -> Any:
    if spec not in _TREES:
        rev = None if spec[0] == "worktree" else (":index" if spec[0] == "index" else spec[1])
        _TREES[spec] = _REPO.tree(rev)
    return _TREES[spec]


def _predict(task: Task) -> Result:
    from wlint.compat.predict import predict_recorded

    spec, relpath, cls = task
    pred, reads, error = predict_recorded(_tree(spec), relpath, cls, _TORCH)
    return task, pred.to_cache() if pred is not None else None, reads, error


def predict_many(root: str, git_dir: str, tasks: List[Task], jobs: int,
                 torch_version: Tuple[int, ...]) -> List[Result]:
    """Run the predictions in `jobs` forked workers (target torch `torch_version`);
    results in task order."""
    ctx = multiprocessing.get_context("fork")
    chunk = max(1, len(tasks) // (jobs * 4))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init,
                             initargs=(root, git_dir, torch_version)) as pool:
        return list(pool.map(_predict, tasks, chunksize=chunk))
