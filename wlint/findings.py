"""The Finding dataclass and the registry of codes with their documentation.

Every output format, the flake8 plugin and the review bot consume `Finding`;
every code a finding can carry has a `CodeDoc` (what, why, bad, good example)
printed by `wlint rules CODE`. WL1xx rules declare their own docs next to
their visitors (``wlint/rules``); the cross-revision and meta codes are
documented here because they are produced by the comparison module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

ShapeItem = Union[int, str]
Shape = Tuple[ShapeItem, ...]

SEVERITIES = ("error", "warning", "info")

HELP_URI = "https://github.com/wlint/wlint/blob/main/docs/rules.md#{code}"


@dataclass(frozen=True)
class CodeDoc:
    """Documentation of one finding code."""

    code: str
    name: str
    summary: str
    severity: str
    why: str
    bad: str
    good: str

    @property
    def help_uri(self) -> str:
        return HELP_URI.format(code=self.code.lower())

    def render(self) -> str:
        """The text `wlint rules CODE` prints."""
        return (
            f"{self.code} ({self.name}) [{self.severity}]\n\n"
            f"What: {self.summary}\n\n"
            f"Why: {self.why}\n\n"
            f"Bad:\n{_indent(self.bad)}\n\n"
            f"Good:\n{_indent(self.good)}\n"
        )


    def render_markdown(self) -> str:
        """The section of docs/rules.md that `help_uri` points at."""
        return (
            f'<a id="{self.code.lower()}"></a>\n\n'
            f"## {self.code} `{self.name}` ({self.severity})\n\n"
            f"**What.** {self.summary}\n\n**Why.** {self.why}\n\n"
            f"Bad:\n\n```python\n{self.bad.strip()}\n```\n\n"
            f"Good:\n\n```python\n{self.good.strip()}\n```\n"
        )


def rules_markdown() -> str:
    """docs/rules.md, generated from the registry (a test keeps the file in sync)."""
    head = (
        "# wlint rules\n\n"
        "Generated from the code registry by `python -m wlint.findings`; "
        "`wlint rules CODE` prints the same text.\n"
    )
    return head + "".join("\n" + doc.render_markdown() for doc in all_codes())


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.strip("\n").splitlines())


@dataclass(frozen=True)
class Finding:
    """One reported problem. Columns are 0-based (flake8 adds 1 itself)."""

    code: str
    path: str
    line: int
    col: int
    message: str
    severity: str = ""
    cls: Optional[str] = None
    key: Optional[str] = None
    old_key: Optional[str] = None
    old_shape: Optional[Shape] = None
    new_shape: Optional[Shape] = None
    fix: Optional[str] = None
    affected: bool = False
    extra: Dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", default_severity(self.code))

    @property
    def fingerprint(self) -> str:
        """Stable identity across pushes: code, path, class, key and old key only."""
        raw = "\x1f".join(
            [self.code, self.path, self.cls or "", self.key or "", self.old_key or ""]
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]

    def with_(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def sort_key(self) -> Tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.key or self.old_key or "")

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "message": self.message,
            "class": self.cls,
            "key": self.key,
            "old_key": self.old_key,
            "old_shape": list(self.old_shape) if self.old_shape is not None else None,
            "new_shape": list(self.new_shape) if self.new_shape is not None else None,
            "fix": self.fix,
            "fingerprint": self.fingerprint,
            "affected": self.affected,
        }
        data.update(self.extra)
        return data


_REGISTRY: Dict[str, CodeDoc] = {}


def register(doc: CodeDoc) -> CodeDoc:
    """Add a code's documentation; codes are added, never renumbered."""
    if doc.severity not in SEVERITIES:
        raise ValueError(f"bad severity {doc.severity!r} for {doc.code}")
    existing = _REGISTRY.get(doc.code)
    if existing is not None and existing != doc:
        raise ValueError(f"code {doc.code} registered twice")
    _REGISTRY[doc.code] = doc
    return doc


def all_codes() -> List[CodeDoc]:
    """Every documented code, WL1xx rules included, sorted by code."""
    import wlint.rules  # noqa: F401  (registers the WL1xx docs)

    return [_REGISTRY[c] for c in sorted(_REGISTRY)]


def code_doc(code: str) -> Optional[CodeDoc]:
    code = code.upper()
    if code not in _REGISTRY:
        all_codes()
    return _REGISTRY.get(code)


def default_severity(code: str) -> str:
    doc = _REGISTRY.get(code)
    if doc is not None:
        return doc.severity
    if code.startswith("WL1"):
        return "warning"
    if code in ("WL290",):
        return "info"
    if code == "WL206":
        return "warning"
    return "error"


def sort_findings(findings: Sequence[Finding]) -> List[Finding]:
    return sorted(findings, key=Finding.sort_key)


register(CodeDoc(
    code="WL201", name="key-removed", severity="error",
    summary="A state_dict key that the base revision produced is gone in the head revision.",
    why=("Checkpoints saved from the old code still carry the key: a strict load fails with "
         "'Unexpected key(s) in state_dict', and strict=False silently drops those weights."),
    bad="""\
# before                          # after
self.proj = nn.Linear(64, 64)     # (line deleted)""",
    good="""\
# keep the layer, or drop the key from old checkpoints explicitly:
state.pop("proj.weight"); state.pop("proj.bias")""",
))
register(CodeDoc(
    code="WL202", name="key-added", severity="error",
    summary="The head revision produces a state_dict key that base checkpoints do not have.",
    why=("Loading an old checkpoint fails with 'Missing key(s) in state_dict'; with strict=False "
         "the new layer silently keeps its random initialisation."),
    bad="""\
self.norm = nn.LayerNorm(64)   # new layer, old checkpoints lack norm.weight/norm.bias""",
    good="""\
missing, unexpected = model.load_state_dict(state, strict=False)
assert set(missing) <= {"norm.weight", "norm.bias"}""",
))
register(CodeDoc(
    code="WL203", name="key-renamed", severity="error",
    summary="A module or parameter was renamed: same type and shapes under a new key.",
    why=("The weights exist in old checkpoints under the old name: strict loading fails with "
         "missing and unexpected keys, and strict=False drops the trained weights."),
    bad="""\
self.conv1 = nn.Conv2d(3, 16, 3)  ->  self.convolution_one = nn.Conv2d(3, 16, 3)""",
    good="""\
# the finding's `fix` (or `wlint diff --emit-remap remap.py`) is a ready function:
from remap import remap_state_dict
model.load_state_dict(remap_state_dict(torch.load(path, map_location="cpu", weights_only=True)))
# it rewrites "conv1.weight" -> "convolution_one.weight" on whole name components
# ("conv10.weight" is left alone, unlike a plain str.replace)""",
))
register(CodeDoc(
    code="WL204", name="shape-changed", severity="error",
    summary="A key keeps its name but its shape changes.",
    why="Loading an old checkpoint fails with 'size mismatch for KEY: copying a param with shape ...'.",
    bad="""\
self.fc = nn.Linear(256, 10)  ->  self.fc = nn.Linear(512, 10)""",
    good="""\
# version the architecture: keep the old width for old checkpoints,
# or convert/retrain and bump the checkpoint format explicitly.""",
))
register(CodeDoc(
    code="WL205", name="index-shift", severity="error",
    summary="Layers of an nn.Sequential / ModuleList moved to other indices.",
    why=("Keys are positional (features.3.weight): inserting a layer shifts every later index, "
         "so old weights fail to load or, worse, load into the wrong layer when shapes agree."),
    bad="""\
nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))
->  nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.1), nn.ReLU(), nn.Linear(8, 8))""",
    good="""\
# append new layers at the end (a plain addition, WL202), or load old checkpoints
# through the attached snippet, which maps old indices to new ones (2->3, 3->4)
# without cascading: model.load_state_dict(remap_state_dict(state))""",
))
register(CodeDoc(
    code="WL206", name="behaviour-changed", severity="warning",
    summary=("A layer keeps its keys and shapes but computes something else (stride, padding, "
             "eps, dropout p, activation class, batch_first...), or two same-shape layers swapped "
             "definitions."),
    why=("The checkpoint loads without error, yet the network now computes a different function: "
         "accuracy silently drops."),
    bad="""\
nn.Conv2d(16, 32, 3, stride=1)  ->  nn.Conv2d(16, 32, 3, stride=2)""",
    good="""\
# keep the old setting while old checkpoints are in use (make it a constructor
# argument), or retrain / fine-tune after the change. `inplace=` is not reported.""",
))
register(CodeDoc(
    code="WL207", name="buffer-persistence-changed", severity="error",
    summary="A buffer's persistent= flag changed, so its key appears in or disappears from state_dict.",
    why="Old checkpoints then miss the key or carry an unexpected one.",
    bad="""\
self.register_buffer("mask", m)  ->  self.register_buffer("mask", m, persistent=False)""",
    good="""\
# handle the key in _load_from_state_dict, or strip it from old checkpoints explicitly""",
))
register(CodeDoc(
    code="WL290", name="analysis-incomplete", severity="info",
    summary="A construct could not be resolved statically; keys under it are not predicted.",
    why=("wlint never guesses: where it cannot know a key or shape it says so, so that an absent "
         "finding is not mistaken for a proof of compatibility."),
    bad="""\
self.layers = build_from_registry(cfg["name"])   # third-party factory""",
    good="""\
self.layers = nn.Sequential(*[Block(cfg.dim) for _ in range(cfg.depth)])""",
))
register(CodeDoc(
    code="WL901", name="syntax-error", severity="error",
    summary="The file cannot be parsed (at this revision).",
    why="Nothing in it can be checked; wlint reports it and continues with the other files.",
    bad="""\
def forward(self, x)
    return x""",
    good="""\
def forward(self, x):
    return x""",
))


if __name__ == "__main__":  # pragma: no cover - regenerates docs/rules.md
    import sys

    from wlint.findings import rules_markdown as _registry_markdown  # the registry rules fill

    sys.stdout.write(_registry_markdown())
