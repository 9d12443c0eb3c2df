"""`wlint verify CKPT --model SPEC`: would `model.load_state_dict(sd, strict=True)` succeed?

CKPT is a checkpoint file or its signature (the JSON of `wlint ckpt`); SPEC is
`PATH:EXPR` or a name from `[tool.wlint.models]`. Without CKPT, every named
model that has a `signature` (or just `--model NAME`) is verified against it:
the CI check that published checkpoints still load into the code. Exit 0 when
every checkpoint would load (and nothing else is to be said), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, Tuple

from wlint import __version__
from wlint.checkpoint.read import CheckpointPathError, read_checkpoint
from wlint.checkpoint.verify import VerifyResult, verify
from wlint.commands import UsageError, config_from_args, emit, findings_exit, option, render_report
from wlint.config import ConfigError
from wlint.findings import Finding, sort_findings
from wlint.model.cached import predict_cached
from wlint.model.prediction import PredictError, Prediction
from wlint.named_models import ModelSpec

ERRORS = (CheckpointPathError, ConfigError, PredictError)


def _pairs(ns: argparse.Namespace, config: Any) -> List[Tuple[str, ModelSpec]]:
    """(checkpoint or signature path, model) to verify."""
    model = option(ns, "model")
    ckpt = option(ns, "ckpt")
    if ckpt:
        if not model:
            raise UsageError("wlint verify CKPT needs --model SPEC")
        return [(ckpt, config.model(model))]
    specs = [config.model(model)] if model else [
        s for s in config.models.values() if s.signature]
    pairs = [(s.signature_file, s) for s in specs if s.signature_file]
    if not pairs:
        raise UsageError("nothing to verify: give CKPT --model SPEC, or a [tool.wlint.models] "
                         "entry with a signature")
    return pairs  # type: ignore[return-value]


def run(ns: argparse.Namespace) -> int:
    findings: List[Finding] = []
    reports: List[Dict[str, Any]] = []
    summaries: List[str] = []
    config = config_from_args(ns)
    for path, spec in _pairs(ns, config):
        ckpt = read_checkpoint(path)
        if not ckpt.readable:
            findings.extend(ckpt.findings)
            continue
        result = verify(ckpt, _predict(ns, spec, config.model_torch), spec.name)
        found = [f.with_(extra={**f.extra, "model": spec.name}) for f in result.findings]
        findings.extend(found)
        reports.append({"checkpoint": path, "model": spec.text, "name": spec.name,
                        "state_dict_at": ckpt.state_dict_at,
                        "strict_load": result.strict.to_json(),
                        "after_fix": result.after_fix.to_json()})
        summaries.append(_fixes(found) + _summary(result, path, spec.name))
    fmt = option(ns, "format", "text")
    if fmt == "json":
        text = json.dumps(_json(findings, reports), indent=2) + "\n"
    else:
        text = render_report(findings, ns, "verify")
        if fmt == "text":
            text += "".join(summaries)
    emit(text, option(ns, "output"))
    return findings_exit(findings)


def _predict(ns: argparse.Namespace, spec: ModelSpec, torch_version: Tuple[int, ...]) -> Prediction:
    """The model's prediction, through the cache as `wlint keys` has it (--no-cache: not)."""
    if option(ns, "no_cache", False):
        from wlint.model.api import predict  # the interpreter, imported when it runs

        return predict(spec.file, spec.expr, torch_version=torch_version)
    return predict_cached(spec.file, spec.expr, torch_version=torch_version)


def _json(findings: List[Finding], reports: List[Dict[str, Any]]) -> Dict[str, Any]:
    data: Dict[str, Any] = {"version": __version__,
                            "findings": [f.to_json() for f in sort_findings(findings)]}
    if len(reports) == 1:
        data.update({k: v for k, v in reports[0].items() if k not in ("checkpoint", "name")})
    data["checkpoints"] = reports
    return data


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
