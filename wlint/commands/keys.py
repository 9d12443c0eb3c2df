"""`wlint keys PATH EXPR`: the predicted state_dict of one model, as text or JSON."""

from __future__ import annotations

import argparse
import os
import json
from typing import List

from wlint.commands import UsageError, config_from_args, emit, option
from wlint.config import ConfigError
from wlint.model.cached import predict_cached
from wlint.model.prediction import Entry, PredictError, Prediction

ERRORS = (PredictError, ConfigError)


def run(ns: argparse.Namespace) -> int:
    """Exit 0 with the prediction (unresolved parts included), 2 when the request is wrong."""
    config = config_from_args(ns, os.path.dirname(os.path.abspath(ns.path)))
    if option(ns, "no_cache", False):
        from wlint.model.api import predict  # the interpreter, imported when it runs

        pred = predict(ns.path, ns.expr, torch_version=config.model_torch)
    else:
        pred = predict_cached(ns.path, ns.expr, torch_version=config.model_torch)
    if not pred.entries and any(u.reason.endswith("did not produce a module")
                                for u in pred.unresolved):
        raise UsageError(f"{ns.expr} does not build an nn.Module in {ns.path}")
    if option(ns, "format", "text") == "text":
        text = format_text(pred)
    else:
        text = json.dumps(pred.to_json(), indent=2) + "\n"
    emit(text, option(ns, "output"))
    return 0


def format_text(pred: Prediction) -> str:
    """One aligned line per key, then non-persistent buffers and what stayed unresolved."""
    lines: List[str] = []
    width = max((len(e.key) for e in pred.entries), default=0)
    for e in pred.entries:
        lines.append(_entry_line(e, width))
    if pred.nonpersistent:
        lines.append("")
        lines.append("non-persistent buffers (not in state_dict):")
        for e in pred.nonpersistent:
            lines.append("  " + _entry_line(e, width))
    if pred.unresolved:
        lines.append("")
        lines.append("unresolved:")
        for u in pred.unresolved:
            where = f"{u.path}:" if u.path else ""
            lines.append(f"  {where}line {u.line}: {u.reason}")
    if pred.third_party:
        lines.append("")
        lines.append("read from installed third-party source (not the project; may differ "
                     "where the model is trained):")
        for package, where in pred.third_party:
            lines.append(f"  {package}: {where}")
    if not pred.entries and not pred.unresolved:
        lines.append("(empty state_dict)")
    return "\n".join(lines) + "\n"


def _entry_line(e: Entry, width: int) -> str:
    if e.shape is None:
        shape = "(?)"
    else:
        items = [str(d) for d in e.shape]
        shape = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    where = f"{e.path}:" if e.path else ""
    text = f"{e.key:<{width}}  {e.kind:<9}  {shape}  {where}line {e.line}"
    if e.condition:
        text += f"  if {e.condition}"
    return text
