"""The cross-revision codes (WL2xx) and WL290, declared next to their producer
(the comparison and the diff driver), which sets each finding's severity from them."""

from __future__ import annotations

from typing import Dict

from wlint.codes import CodeDoc, register

DOCS: Dict[str, CodeDoc] = {}


def _declare(doc: CodeDoc) -> CodeDoc:
    DOCS[doc.code] = register(doc)
    return doc


def severity(code: str) -> str:
    """The severity of a WL2xx code (KeyError for a code this family does not declare)."""
    return DOCS[code].severity


WL201 = _declare(CodeDoc(
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
WL202 = _declare(CodeDoc(
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
WL203 = _declare(CodeDoc(
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
WL204 = _declare(CodeDoc(
    code="WL204", name="shape-changed", severity="error",
    summary="A key keeps its name but its shape changes.",
    why="Loading an old checkpoint fails with 'size mismatch for KEY: copying a param with shape ...'.",
    bad="""\
self.fc = nn.Linear(256, 10)  ->  self.fc = nn.Linear(512, 10)""",
    good="""\
# version the architecture: keep the old width for old checkpoints,
# or convert/retrain and bump the checkpoint format explicitly.""",
))
WL205 = _declare(CodeDoc(
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
WL206 = _declare(CodeDoc(
    code="WL206", name="behaviour-changed", severity="warning",
    summary=("A layer keeps its keys and shapes but computes something else (stride, padding, "
             "eps, dropout p, activation class, batch_first...), or two same-shape layers swapped "
             "definitions."),
    why=("The checkpoint loads without error, yet the network now computes a different function: "
         "accuracy silently drops. Settings that act only while training (BatchNorm/InstanceNorm "
         "momentum, Dropout p, a Dropout added or removed, Embedding sparse / "
         "scale_grad_by_freq) leave inference unchanged: those are reported at severity info, "
         "saying so."),
    bad="""\
nn.Conv2d(16, 32, 3, stride=1)  ->  nn.Conv2d(16, 32, 3, stride=2)""",
    good="""\
# keep the old setting while old checkpoints are in use (make it a constructor
# argument), or retrain / fine-tune after the change. `inplace=` is not reported.""",
))
WL207 = _declare(CodeDoc(
    code="WL207", name="buffer-persistence-changed", severity="error",
    summary="A buffer's persistent= flag changed, so its key appears in or disappears from state_dict.",
    why="Old checkpoints then miss the key or carry an unexpected one.",
    bad="""\
self.register_buffer("mask", m)  ->  self.register_buffer("mask", m, persistent=False)""",
    good="""\
# handle the key in _load_from_state_dict, or strip it from old checkpoints explicitly""",
))
WL290 = _declare(CodeDoc(
    code="WL290", name="analysis-incomplete", severity="info",
    summary="A construct could not be resolved statically; keys under it are not predicted.",
    why=("wlint never guesses: where it cannot know a key or shape it says so, so that an absent "
         "finding is not mistaken for a proof of compatibility."),
    bad="""\
self.layers = build_from_registry(cfg["name"])   # third-party factory""",
    good="""\
self.layers = nn.Sequential(*[Block(cfg.dim) for _ in range(cfg.depth)])""",
))
