"""`verify(checkpoint, prediction)`: what `model.load_state_dict(sd, strict=True)` would say.

1. The strict verdict, key for key as torch computes it: missing keys (model
   keys absent from the file), unexpected keys (file keys the model lacks,
   non-persistent buffers included), size mismatches (common keys whose
   shapes differ; torch's 1-d into 0-d backward-compatibility case allowed).
2. Explanations with a fix: a wrapper prefix on every key (WL304), then
   renames / index shifts found by the comparison `wlint diff` uses (WL305),
   accepted only when they make fewer keys fail.
3. What still fails after those fixes: WL301 / WL302 / WL303, one per key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from wlint.checkpoint import codes, fixes, structure
from wlint.checkpoint.listing import Checkpoint
from wlint.checkpoint.locate import VERSION_2_CLASSES
from wlint.compat import remap
from wlint.compat.codes import WL290
from wlint.compat.compare import compare, drops_of, rules_of, shape_text
from wlint.findings import Finding
from wlint.model.prediction import Prediction

Shape = Optional[Tuple[Any, ...]]
WRAPPERS = ("module.", "_orig_mod.", "model.")
WRAPPER_NAMES = {"module.": "DataParallel / DistributedDataParallel",
                 "_orig_mod.": "torch.compile", "model.": "a Lightning / wrapper module"}


@dataclass
class Verdict:
    """What load_state_dict(strict=True) reports."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, Shape, Shape]] = field(default_factory=list)  # key, file, model

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def failures(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.mismatched)

    def to_json(self) -> Dict[str, Any]:
        return {"loads": self.ok, "missing_keys": list(self.missing),
                "unexpected_keys": list(self.unexpected),
                "size_mismatch": [{"key": k, "checkpoint_shape": _list(a), "model_shape": _list(b)}
                                  for k, a, b in self.mismatched]}


def _list(shape: Shape) -> Optional[List[Any]]:
    return list(shape) if shape is not None else None


@dataclass
class VerifyResult:
    findings: List[Finding]
    strict: Verdict  # the file as it is
    after_fix: Verdict  # after the WL304/WL305 fix
    model: str = ""

    @property
    def loads(self) -> bool:
        return self.strict.ok


def _mismatch(file_shape: Shape, model_shape: Shape) -> bool:
    if file_shape is None or model_shape is None:
        return False
    if any(isinstance(d, str) for d in model_shape):
        return False  # symbolic: not comparable
    if len(model_shape) == 0 and len(file_shape) == 1:
        return False  # torch: "loading 1-dim tensor from 0.3.* to version 0.4+"
    return tuple(file_shape) != tuple(model_shape)


def _filled_by_torch(key: str, model: Prediction, versions: Dict[str, int]) -> bool:
    """BatchNorm-style layers fill a missing `num_batches_tracked` themselves when the
    checkpoint's metadata gives their prefix no version or one below 2."""
    owner, _, name = key.rpartition(".")
    if name != "num_batches_tracked":
        return False
    types = {m.prefix: m.type for m in model.modules}
    return types.get(owner) in VERSION_2_CLASSES and versions.get(owner, 1) < 2


def strict_verdict(shapes: Dict[str, Shape], model: Prediction,
                   versions: Optional[Dict[str, int]] = None) -> Verdict:
    expected = {e.key: e.shape for e in model.entries}
    versions = versions or {}
    verdict = Verdict()
    verdict.missing = [k for k in expected if k not in shapes
                       and not _filled_by_torch(k, model, versions)]
    verdict.unexpected = [k for k in shapes if k not in expected]
    verdict.mismatched = [(k, s, expected[k]) for k, s in shapes.items()
                          if k in expected and _mismatch(s, expected[k])]
    return verdict


def wrapper_prefix(keys: Sequence[str], model_keys: Sequence[str]) -> str:
    """The prefix every key carries and the model's keys do not (stripped repeatedly:
    `module._orig_mod.`), kept only when stripping it makes more keys match."""
    expected = set(model_keys)
    prefix = ""
    current = list(keys)
    while current:
        first = current[0].split(".", 1)[0] + "."
        if "." not in current[0] or not all(k.startswith(first) for k in current):
            break
        stripped = [k[len(first):] for k in current]
        if sum(k in expected for k in stripped) <= sum(k in expected for k in current):
            break
        prefix += first
        current = stripped
    return prefix


def verify(ckpt: Checkpoint, model: Prediction, model_label: str = "") -> VerifyResult:
    path = ckpt.path
    shapes: Dict[str, Shape] = {e.key: e.shape for e in ckpt.entries}
    strict = strict_verdict(shapes, model, ckpt.versions)
    findings: List[Finding] = list(ckpt.findings) + _incomplete(model)
    if strict.ok:
        return VerifyResult(findings, strict, strict, model_label)
    prefix = wrapper_prefix(list(shapes), [e.key for e in model.entries])
    stripped = {k[len(prefix):]: s for k, s in shapes.items()}
    # the fixes strip the prefix from _metadata too, and keep renamed modules' old entries
    versions = {k[len(prefix):]: v for k, v in ckpt.versions.items() if k.startswith(prefix)}
    rules, exact, drops, renamed = _renames(path, stripped, model)
    final = _remapped(stripped, rules, exact, drops)
    after = strict_verdict(final, model, versions)
    if renamed and after.failures >= strict_verdict(stripped, model, versions).failures:
        rules, exact, drops, renamed = [], {}, [], {}  # the remap explains nothing
        after = strict_verdict(stripped, model, versions)
    cls = model.cls
    if prefix:
        findings.append(_prefix_finding(path, cls, prefix, len(shapes), after.ok and not renamed))
    if renamed:
        findings.append(_rename_finding(path, cls, prefix, rules, exact, drops, renamed, after))
    findings.extend(_left(path, cls, after, model, fixed=bool(prefix or renamed)))
    return VerifyResult(findings, strict, after, model_label)


def _remapped(shapes: Dict[str, Shape], rules: List[Tuple[str, str]], exact: Dict[str, str],
              drops: List[str]) -> Dict[str, Shape]:
    out: Dict[str, Shape] = {}
    for key, shape in shapes.items():
        new = remap.apply_rules(key, rules, exact, drops)
        if new is not None:
            out[new] = shape
    return out


def _incomplete(model: Prediction) -> List[Finding]:
    """WL290 (info): the prediction has unresolved parts or symbolic shapes, so the
    verdict may miss keys there (precision first: said, not guessed)."""
    symbolic = [e.key for e in model.entries if "{" in e.key or e.shape is None
                or any(isinstance(d, str) for d in e.shape)]
    out = []
    for u in model.unresolved[:5]:
        out.append(Finding.of(
            WL290, u.path or model.path, max(1, u.line), 0,
            f"{model.cls}: the model's state_dict is not fully known here ({u.reason}): "
            "keys created there are not compared with the checkpoint", cls=model.cls))
    if symbolic:
        out.append(Finding.of(
            WL290, model.path, 1, 0,
            f"{model.cls}: {len(symbolic)} key(s) have an unknown count or shape "
            f"({_keys(symbolic)}): give SPEC the concrete constructor arguments the checkpoint "
            "was trained with", cls=model.cls))
    return out


def _renames(path: str, stripped: Dict[str, Shape], model: Prediction) -> Tuple[
        List[Tuple[str, str]], Dict[str, str], List[str], Dict[str, str]]:
    base = structure.as_prediction(path, stripped, model)
    found = [f for f in compare(base, model) if f.code in ("WL203", "WL205")]
    rules, exact = rules_of(found)
    drops = drops_of(found)
    renamed: Dict[str, str] = {}
    for key in stripped:
        new = remap.apply_rules(key, rules, exact, drops)
        if new is not None and new != key:
            renamed[key] = new
    return rules, exact, drops, renamed


def _keys(keys: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(f'"{k}"' for k in keys[:limit])
    return shown + (f", ... ({len(keys)} keys)" if len(keys) > limit else "")


def _prefix_finding(path: str, cls: str, prefix: str, count: int, alone: bool) -> Finding:
    first = prefix.split(".")[0] + "."
    who = WRAPPER_NAMES.get(first, "a wrapper module")
    rest = ("stripping it makes the checkpoint load" if alone
            else "strip it (the WL305 fix below strips it too)")
    return Finding.of(
        codes.WL304, path, 1, 0,
        f"{cls}: every checkpoint key ({count}) starts with \"{prefix}\" (saved from {who}): "
        f"strict loading fails with every key \"Unexpected\" and every model key \"Missing\"; "
        f"{rest}",
        cls=cls, key=prefix, fix=fixes.strip_prefix_snippet(prefix),
        extra={"prefix": prefix},
    )


def _rename_finding(path: str, cls: str, prefix: str, rules: List[Tuple[str, str]],
                    exact: Dict[str, str], drops: List[str], renamed: Dict[str, str],
                    after: Verdict) -> Finding:
    pairs = sorted(renamed.items())
    shown = ", ".join(f'"{prefix}{o}" -> "{n}"' for o, n in pairs[:3])
    if len(pairs) > 3:
        shown += f", ... ({len(pairs)} keys)"
    outcome = "after remapping the checkpoint loads" if after.ok else \
        f"after remapping, {after.failures} key(s) still fail (below)"
    return Finding.of(
        codes.WL305, path, 1, 0,
        f"{cls}: the checkpoint holds the model's tensors under other names ({shown}): strict "
        f"loading reports them as missing and unexpected, strict=False drops them; {outcome}; "
        "remap with the attached remap_state_dict()",
        cls=cls, key=pairs[0][1], old_key=prefix + pairs[0][0],
        fix=fixes.remap_snippet(prefix, rules, exact, drops),
        extra={"renamed_keys": {prefix + o: n for o, n in pairs}},
    )


def _left(path: str, cls: str, after: Verdict, model: Prediction, fixed: bool) -> List[Finding]:
    note = " (after the remap above)" if fixed else ""
    nonpersistent = {e.key for e in model.nonpersistent}
    out = []
    for key in after.missing:
        out.append(Finding.of(
            codes.WL301, path, 1, 0,
            f'{cls}: Missing key(s) in state_dict: "{key}"{note}: the checkpoint lacks it; '
            "strict loading fails, strict=False leaves it at its initial value",
            cls=cls, key=key, new_shape=_shape_of(model, key)))
    for key in after.unexpected:
        why = (" (a non-persistent buffer in the model: persistent=False keeps it out of "
               "state_dict)" if key in nonpersistent else "")
        finding = Finding.of(
            codes.WL302, path, 1, 0,
            f'{cls}: Unexpected key(s) in state_dict: "{key}"{note}{why}: the model has no such '
            f'key; drop it (state_dict.pop("{key}")) or load with strict=False',
            cls=cls, old_key=key)
        if model.unresolved:  # the key may come from the part the prediction cannot see
            finding = finding.with_(severity="info", message=finding.message + (
                " [info: the model's prediction is incomplete (WL290); the key may exist there]"))
        out.append(finding)
    for key, file_shape, model_shape in after.mismatched:
        out.append(Finding.of(
            codes.WL303, path, 1, 0,
            f"{cls}: size mismatch for {key}{note}: copying a param with shape "
            f"{shape_text(file_shape)} from checkpoint, the shape in current model is "
            f"{shape_text(model_shape)}",
            cls=cls, key=key, old_key=key, old_shape=file_shape, new_shape=model_shape))
    return out


def _shape_of(model: Prediction, key: str) -> Shape:
    for e in model.entries:
        if e.key == key:
            return e.shape
    return None
