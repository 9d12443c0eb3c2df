"""One prediction for the diff, and the blobs it read: the single predict-and-record
path of the driver (in-process) and of its worker processes (wlint.compat.parallel)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from wlint.cache import RecordingTree
from wlint.git import GitError
from wlint.model import api
from wlint.torch_target import CHECKED_TORCH
from wlint.model.prediction import Prediction

Version = Tuple[int, ...]
Reads = Dict[str, Optional[str]]  # relpath -> content id of every file the prediction read


def predict_recorded(tree: Any, relpath: str, cls: str, torch_version: Version = CHECKED_TORCH
                     ) -> Tuple[Optional[Prediction], Reads, Optional[str]]:
    """(prediction, reads, error) of the bare class `cls` defined in `relpath` (torch-version
    branches as torch `torch_version` takes them).

    The prediction is None when `cls` turns out not to be an nn.Module (cacheable,
    with its reads) or when the predictor failed or could not look (a budget spent
    loading the module, a file it cannot parse): then `error` says how (reported
    as WL290, never cached: a later wlint may do better). A GitError propagates:
    the revision itself cannot be read.
    """
    rec = RecordingTree(tree)
    try:
        pred: Optional[Prediction] = api.predict_in_tree(rec, relpath, cls,
                                                         torch_version=torch_version)
    except api.PredictError as exc:
        return None, rec.reads, str(exc) if incomplete_request(str(exc)) else None
    except GitError:
        raise
    except Exception as exc:  # a predictor bug must not end the run
        return None, {}, f"{type(exc).__name__}: {exc}"
    return pred, rec.reads, None


def incomplete_request(message: str) -> bool:
    """A PredictError that means "could not look", not "this is not a model class"."""
    return "budget" in message or "cannot parse" in message or "too deep" in message


def rejection(tree: Any, relpath: str, expr: str, torch_version: Version = CHECKED_TORCH) -> str:
    """Why `expr` builds no module in `relpath` (the PredictError text, "" if it does)."""
    try:
        api.predict_in_tree(tree, relpath, expr, torch_version=torch_version)
    except api.PredictError as exc:
        return str(exc)
    except Exception as exc:  # reported, never raised
        return f"{type(exc).__name__}: {exc}"
    return ""
