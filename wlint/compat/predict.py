"""One prediction for the diff, and the blobs it read: the single predict-and-record
path of the driver (in-process) and of its worker processes (wlint.compat.parallel)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from wlint.cache import RecordingTree
from wlint.git import GitError
from wlint.model import api
from wlint.model.prediction import Prediction

Reads = Dict[str, Optional[str]]  # relpath -> content id of every file the prediction read


def predict_recorded(tree: Any, relpath: str, cls: str
                     ) -> Tuple[Optional[Prediction], Reads, Optional[str]]:
    """(prediction, reads, error) of the bare class `cls` defined in `relpath`.

    The prediction is None when `cls` turns out not to be an nn.Module (cacheable,
    with its reads) or when the predictor failed: then `error` says how (reported
    as WL290, never cached: a later wlint may do better). A GitError propagates:
    the revision itself cannot be read.
    """
    rec = RecordingTree(tree)
    try:
        pred: Optional[Prediction] = api.predict_in_tree(rec, relpath, cls)
    except api.PredictError:
        return None, rec.reads, None
    except GitError:
        raise
    except Exception as exc:  # a predictor bug must not end the run
        return None, {}, f"{type(exc).__name__}: {exc}"
    return pred, rec.reads, None
