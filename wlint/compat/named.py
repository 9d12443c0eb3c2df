"""Named concrete models in `wlint diff` / `wlint review` (DESIGN §2).

A named model (`--model PATH:EXPR`, or a `[tool.wlint.models]` entry) is the
configuration a project ships checkpoints of. Each is predicted with its own
expression at both revisions, so its keys are full and concrete (no `{i}`, no
symbols), and compared with the same `compare()` as the per-class pairs; its
findings carry `"model": NAME`. Whether it can have changed at all is decided
from the read-set of its head prediction (every file the interpreter read):
a change anywhere the state_dict depends on — a base class, a block in a
sibling module, a factory passed as an argument, a config default — is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

from wlint.compat.codes import WL201, WL206, WL290
from wlint.compat.compare import compare
from wlint.compat.signatures import SignatureCheck, check_signature
from wlint.compat.unseen import incomplete, same_state, unidentified_layers
from wlint.findings import Finding
from wlint.git import GitError
from wlint.model.prediction import Prediction

if TYPE_CHECKING:  # pragma: no cover
    from wlint.compat.driver import _Engine

STATUS_TEXT = {
    "unchanged": "nothing it is built from changed",
    "loads": "old checkpoints load (strict) and compute the same",
    "drifts": "old checkpoints load, but some layers compute differently",
    "breaks": "old checkpoints no longer load (strict)",
    "incomplete": "no difference seen, but part of the model could not be followed",
    "new": "did not exist at base: no old checkpoints to load",
    "not compared": "could not be compared",
}
_SEEN_WHOLE = ("unchanged", "loads", "drifts")  # compared in full, no shape changed
ICONS = {"unchanged": "✅", "loads": "✅", "drifts": "⚠️", "breaks": "❌", "incomplete": "ℹ️",
         "new": "🆕", "not compared": "ℹ️"}


@dataclass(frozen=True)
class NamedModel:
    """A model to compare: its name, repo-relative file and the building expression."""

    name: str
    path: str
    expr: str
    signature: Optional[str] = None  # repo-relative signature file (`wlint ckpt` JSON)

    @property
    def spec(self) -> str:
        return f"{self.path}:{self.expr}"


@dataclass
class ModelVerdict:
    """What comparing one named model found (one line of the review)."""

    model: NamedModel
    status: str
    findings: List[Finding] = field(default_factory=list)
    detail: str = ""
    covers: Set[Tuple[str, str]] = field(default_factory=set)  # (path, class) it builds
    checkpoint: Optional[SignatureCheck] = None  # the head model against its signature

    @property
    def text(self) -> str:
        counts = ""
        errors = sum(f.severity == "error" for f in self.findings)
        if errors:
            counts = f" ({errors} error finding{'s' if errors != 1 else ''})"
        detail = f": {self.detail}" if self.detail else ""
        icon = ICONS[self.status]
        published = ""
        if self.checkpoint is not None:
            published = f"; {self.checkpoint.text}"
            if not self.checkpoint.loads:
                icon = ICONS["breaks"]
        return (f"{icon} `{self.model.name}` (`{self.model.spec}`): "
                f"{STATUS_TEXT[self.status]}{counts}{detail}{published}")

    def to_json(self) -> Dict[str, object]:
        data: Dict[str, object] = {"model": self.model.name, "spec": self.model.spec,
                                   "status": self.status, "detail": self.detail,
                                   "findings": len(self.findings)}
        if self.checkpoint is not None:
            data["signature"] = self.checkpoint.to_json()
        return data


def compare_models(engine: _Engine, models: List[NamedModel],
                   renamed: Dict[str, str]) -> List[ModelVerdict]:
    """One verdict per named model. Raises GitError (exit 2) for a model that names no
    file, or an EXPR that builds no module at either revision."""
    inverse = {new: old for old, new in renamed.items()}
    return [_against_signature(engine, m, _compare_model(engine, m, inverse.get(m.path, m.path)))
            for m in models]


def _against_signature(engine: _Engine, model: NamedModel, verdict: ModelVerdict) -> ModelVerdict:
    """The head model verified against its signature file, when it has one and builds
    at head (a model gone at head is WL201 already)."""
    if model.signature is None or verdict.status == "not compared" or \
            engine.head_tree.blob_id(model.path) is None:
        return verdict
    head = engine.predict(engine.head_tree, model.path, model.expr)
    if head is None:
        return verdict
    verdict.checkpoint, found = check_signature(engine.head_tree, model.name, model.signature,
                                                head)
    verdict.findings = verdict.findings + found
    return verdict


def _compare_model(engine: _Engine, model: NamedModel, base_path: str) -> ModelVerdict:
    head_tree, base_tree = engine.head_tree, engine.base_tree
    at_head = head_tree.blob_id(model.path) is not None
    at_base = base_tree.blob_id(base_path) is not None
    if not at_head and not at_base:
        raise GitError(f"--model {model.name}: no such file {model.path}")
    head = engine.predict(head_tree, model.path, model.expr) if at_head else None
    failed = engine.failures.get((model.path, model.expr))
    if failed:
        return _not_compared(model, f"the predictor could not follow it at head ({failed})")
    if head is None:
        return _gone_at_head(engine, model, base_path, at_head)
    verdict = ModelVerdict(model, "unchanged", covers=set(head.uses) | {(model.path, head.cls)})
    reads = engine.reads(head_tree, model.path, model.expr)
    missing = engine.missing_reads(head_tree, reads)
    if reads is not None and not missing and base_path == model.path \
            and not engine.changed_reads(reads):
        return verdict
    base = engine.predict(base_tree, base_path, model.expr) if at_base else None
    failed = engine.failures.get((base_path, model.expr))
    if failed:
        return _not_compared(model, f"the predictor could not follow it at base ({failed})")
    if base is None:
        verdict.status = "new"
        return verdict
    missing += engine.missing_reads(base_tree, engine.reads(base_tree, base_path, model.expr))
    if missing:
        return _not_compared(model, f"{', '.join(sorted(set(missing))[:3])} cannot be read "
                                    "(the blob is not in this clone)")
    verdict.findings = _findings(engine, model, base, head)
    verdict.status = _status(verdict.findings)
    return verdict


def _findings(engine: _Engine, model: NamedModel, base: Prediction,
              head: Prediction) -> List[Finding]:
    from wlint.compat.grouping import expand, unfold_moves

    # a named model's findings keep one concrete key per copy (compare merges siblings)
    found = unfold_moves(expand(compare(base, head), head.cls)) if not same_state(base,
                                                                                 head) else []
    found = unidentified_layers(found, base, head, head.cls)
    found += incomplete(base, head, model.path, head.cls, model=model.name)
    return [f.with_(extra={**{k: v for k, v in f.extra.items() if k != "siblings"},
                           "model": model.name},
                    message=f"model {model.name}: {f.message}"
                    if not f.message.startswith(f"model {model.name}") else f.message)
            for f in found]


def _status(findings: List[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "breaks"
    if "warning" in severities:
        return "drifts"
    return "incomplete" if findings else "loads"


def _not_compared(model: NamedModel, why: str) -> ModelVerdict:
    finding = Finding.of(WL290, path=model.path, line=1, col=0,
                         message=f"model {model.name}: state_dict not compared: {why}",
                         extra={"model": model.name})
    return ModelVerdict(model, "not compared", [finding], detail=why)


def _gone_at_head(engine: _Engine, model: NamedModel, base_path: str,
                  at_head: bool) -> ModelVerdict:
    """The EXPR builds nothing at head: a removal if it built a model at base, else the
    SPEC is wrong (exit 2)."""
    from wlint.compat.predict import rejection

    error = rejection(engine.head_tree, model.path, model.expr, engine.torch_version) if at_head else ""
    base = engine.predict(engine.base_tree, base_path, model.expr)
    if base is None:
        why = error or f"{model.expr} does not build an nn.Module in {model.path}"
        raise GitError(f"--model {model.name}: {why}")
    where = f"{model.expr} no longer builds a module ({error})" if at_head else \
        f"{model.path} was removed"
    finding = Finding.of(
        WL201, path=base_path, line=1, col=0, cls=base.cls,
        message=(f"model {model.name}: {where}: checkpoints saved from it "
                 f"({len(base.entries)} state_dict keys) have no model to load into"),
        extra={"model": model.name, "removed_class": True})
    return ModelVerdict(model, "breaks", [finding], detail=where)


def equal_under_models(findings: List[Finding], classes: Dict[Tuple[str, str], List[Finding]],
                       verdicts: List[ModelVerdict]) -> List[Finding]:
    """A symbolic WL204 of a class that named models build is no error when none of
    those models changes shape: the formula changed, its value under the configurations
    the project keeps did not (WL206, info)."""
    if not verdicts:
        return findings
    demote: Dict[int, str] = {}
    for (path, cls), own in classes.items():
        covering = [v for v in verdicts if (path, cls) in v.covers]
        if not covering or any(v.status not in _SEEN_WHOLE for v in covering):
            continue
        names = ", ".join(v.model.name for v in covering)
        for f in own:
            if f.code == "WL204" and _symbolic(f):
                demote[id(f)] = names
    if not demote:
        return findings
    return [f.with_(code=WL206.code, severity="info",
                    message=f"{f.message} — equal under the named model(s) {demote[id(f)]}")
            if id(f) in demote else f for f in findings]


def _symbolic(f: Finding) -> bool:
    return any(isinstance(d, str) for shape in (f.old_shape, f.new_shape) if shape
               for d in shape)


def named_model(name: str, relpath: Optional[str], expr: str,
                signature: Optional[str] = None) -> NamedModel:
    """`signature`: the repo-relative signature file ("" when it is outside the repository)."""
    if relpath is None or relpath.startswith("../"):
        raise GitError(f"--model {name}: the file is outside the repository")
    if signature == "":
        raise GitError(f"model {name}: the signature file is outside the repository")
    return NamedModel(name, relpath, expr, signature)
