"""A prediction kept across runs (`wlint keys`): stored in the cache (wlint.cache)
with every file it read, and looked up before the interpreter is even imported,
so a run whose files are unchanged costs a hash per file read."""

from __future__ import annotations

import os
from typing import Optional, Tuple

from wlint.cache import Cache, RecordingTree, decoded
from wlint.model.prediction import PredictError, Prediction
from wlint.model.resolve import tree_for_path
from wlint.model.site import current_site


def predict_cached(path: str, expr: str, torch_version: Optional[Tuple[int, ...]] = None,
                   cache_dir: Optional[str] = None) -> Prediction:
    """`wlint.model.api.predict`, through the cache (keyed by EXPR, the target torch and
    the import roots as well as the file's blob)."""
    if not os.path.isfile(path):
        raise PredictError(f"no such file: {path}")
    tree, relpath, extra = tree_for_path(path)
    cache = Cache(cache_dir, tree_root=tree.root)
    site = current_site(tree.root).fingerprint()  # where installed third-party source is read
    key = "\0".join(("keys", expr, f"torch={torch_version}", f"site={site}", "roots=", *extra))
    ok, pred = decoded(Prediction.from_cache, cache.get_prediction(tree, relpath, key))
    if not ok or pred is None:
        from wlint.model.api import predict_in_tree  # the interpreter: on a miss only

        recording = RecordingTree(tree)
        target = {} if torch_version is None else {"torch_version": torch_version}
        pred = predict_in_tree(recording, relpath, expr, extra_roots=extra, **target)
        cache.put_prediction(tree, relpath, key, pred.to_cache(), recording.reads)
    pred.path = path
    return pred
