"""`wlint verify CKPT --model SPEC`: would `model.load_state_dict(sd, strict=True)` succeed?

CKPT is a checkpoint file or its signature (the JSON of `wlint ckpt`); SPEC is
`PATH:EXPR` or a name from `[tool.wlint.models]`. Exit 0 when the checkpoint
would load (and nothing else is to be said about it), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List

from wlint import __version__
from wlint.checkpoint.read import CheckpointPathError, read_checkpoint
from wlint.checkpoint.verify import VerifyResult, verify
from wlint.commands import config_from_args, emit, findings_exit, option, render_report
from wlint.config import ConfigError
from wlint.findings import Finding, sort_findings
from wlint.model.api import PredictError, predict

ERRORS = (CheckpointPathError, ConfigError, PredictError)


def run(ns: argparse.Namespace) -> int:
    config = config_from_args(ns)
    spec = config.model(ns.model)
    ckpt = read_checkpoint(ns.ckpt)
    if not ckpt.readable:
        findings = list(ckpt.findings)
        emit(render_report(findings, ns, "verify"), option(ns, "output"))
        return 1
    result = verify(ckpt, predict(spec.file, spec.expr), spec.name)
    findings = [f.with_(extra={**f.extra, "model": spec.name}) for f in result.findings]
    fmt = option(ns, "format", "text")
    if fmt == "json":
        text = json.dumps(_json(findings, result, ckpt.state_dict_at, spec.text), indent=2) + "\n"
    else:
        text = render_report(findings, ns, "verify")
        if fmt == "text":
            text += _fixes(findings) + _summary(result, ns.ckpt, spec.name)
    emit(text, option(ns, "output"))
    return findings_exit(findings)


def _json(findings: List[Finding], result: VerifyResult, at: Any, model: str) -> Dict[str, Any]:
    return {"version": __version__, "findings": [f.to_json() for f in sort_findings(findings)],
            "model": model, "state_dict_at": at, "strict_load": result.strict.to_json(),
            "after_fix": result.after_fix.to_json()}


def _fixes(findings: List[Finding]) -> str:
    """The snippet of the most complete fix (WL305 strips a prefix too), once."""
    fixes = {f.code: f.fix for f in findings if f.code in ("WL304", "WL305") and f.fix}
    code = "WL305" if "WL305" in fixes else "WL304" if "WL304" in fixes else None
    if code is None:
        return ""
    return f"\nfix ({code}):\n\n{fixes[code]}\n"


def _summary(result: VerifyResult, path: str, model: str) -> str:
    strict = result.strict
    if strict.ok:
        return f"{path}: loads into {model} with strict=True\n"
    parts = [f"{len(strict.missing)} missing", f"{len(strict.unexpected)} unexpected",
             f"{len(strict.mismatched)} size mismatch(es)"]
    line = f"{path}: does not load into {model} with strict=True ({', '.join(parts)})"
    if result.after_fix.ok:
        line += "; it loads after the attached remap_state_dict()"
    return line + "\n"
