"""Named models against their signature files in `wlint diff` / `wlint review`.

A `[tool.wlint.models]` entry with `signature = "sigs/tiny.json"` names the
listing of a published checkpoint (`wlint ckpt --format json`). The head
revision's prediction of the model is verified against it exactly as `wlint
verify` does: WL301-WL305 (WL309 for a malformed signature) with `"model":
NAME`, and the model's verdict line says whether the published checkpoint
still loads with strict=True. The signature is read from the head revision
(working tree, index or commit), so a change that re-publishes a checkpoint is
checked against its new signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from wlint.findings import Finding
from wlint.git import GitError
from wlint.model.prediction import Prediction

if TYPE_CHECKING:  # pragma: no cover
    from wlint.checkpoint.verify import Verdict

# what verify says that belongs to the model meeting the file; the file's own
# findings (WL306-WL308) are `wlint check`'s, incompleteness (WL290) the diff's
KEPT = ("WL301", "WL302", "WL303", "WL304", "WL305", "WL309")


@dataclass
class SignatureCheck:
    """The head model against one signature: torch's strict verdict and after the fix."""

    path: str  # repo-relative
    strict: Optional[Verdict] = None  # None: the signature could not be read
    after_fix: Optional[Verdict] = None  # after the WL304 / WL305 fix

    @property
    def loads(self) -> Optional[bool]:
        return None if self.strict is None else self.strict.ok

    @property
    def text(self) -> str:
        where = f"published checkpoint `{self.path}`"
        if self.strict is None:
            return f"{where}: the signature cannot be read (WL309)"
        if self.strict.ok:
            return f"{where} still loads (strict=True)"
        line = (f"{where} does not load (strict=True: {len(self.strict.missing)} missing, "
                f"{len(self.strict.unexpected)} unexpected, {len(self.strict.mismatched)} "
                "size mismatch(es))")
        fixed = self.after_fix is not None and self.after_fix.ok
        return line + ("; it loads after the attached remap_state_dict()" if fixed else "")

    def to_json(self) -> Dict[str, Any]:
        """The shape of `wlint verify --format json`'s per-checkpoint report."""
        return {"path": self.path, "loads": self.loads,
                "strict_load": self.strict.to_json() if self.strict else None,
                "after_fix": self.after_fix.to_json() if self.after_fix else None}


def check_signature(tree: Any, name: str, relpath: str,
                    head: Prediction) -> Tuple[SignatureCheck, List[Finding]]:
    """Verify `head` against the signature at `relpath` of `tree`. Raises GitError (exit
    2, like `wlint verify` with a missing file) when the tree has no such file."""
    from wlint.checkpoint.read import read_checkpoint_bytes
    from wlint.checkpoint.verify import verify

    data = tree.read_bytes(relpath)
    if data is None:
        raise GitError(f"model {name}: signature {relpath}: no such file in the "
                       f"{tree.label or 'head revision'}")
    ckpt = read_checkpoint_bytes(data, relpath)
    if not ckpt.readable:
        return SignatureCheck(relpath), _as_model(name, relpath, ckpt.findings)
    result = verify(ckpt, head, name)
    check = SignatureCheck(relpath, result.strict, result.after_fix)
    return check, _as_model(name, relpath, [f for f in result.findings if f.code in KEPT])


def _as_model(name: str, relpath: str, findings: List[Finding]) -> List[Finding]:
    return [f.with_(path=relpath, message=f"model {name}: signature {relpath}: {f.message}",
                    extra={**f.extra, "model": name, "signature": relpath})
            for f in findings]
