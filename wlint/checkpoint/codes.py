"""The checkpoint codes WL301-WL309, declared next to their producer (wlint/checkpoint),
which sets each finding's severity from them (`wlint rules WL30x`)."""

from __future__ import annotations

from typing import Dict

from wlint.codes import CodeDoc, register

_LOAD = 'model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))'

DOCS: Dict[str, CodeDoc] = {}


def _declare(doc: CodeDoc) -> CodeDoc:
    DOCS[doc.code] = register(doc)
    return doc


WL301 = _declare(CodeDoc(
    code="WL301", name="checkpoint-missing-key", severity="error",
    summary="The checkpoint lacks keys the model expects (\"Missing key(s) in state_dict\").",
    why=("load_state_dict(strict=True) raises; with strict=False those layers silently keep "
         "their random initialisation."),
    bad="""\
# checkpoint saved before `self.norm = nn.LayerNorm(64)` was added
model.load_state_dict(torch.load("old.pt", weights_only=True))  # Missing key(s): norm.weight""",
    good="""\
missing, unexpected = model.load_state_dict(sd, strict=False)
assert set(missing) <= {"norm.weight", "norm.bias"} and not unexpected""",
))
WL302 = _declare(CodeDoc(
    code="WL302", name="checkpoint-unexpected-key", severity="error",
    summary="The checkpoint has keys the model does not (\"Unexpected key(s) in state_dict\").",
    why=("load_state_dict(strict=True) raises; strict=False drops the weights. A buffer "
         "registered with persistent=False is not in the model's state_dict either."),
    bad="""\
model.load_state_dict(sd)  # Unexpected key(s) in state_dict: "proj.weight", "proj.bias\"""",
    good="""\
for key in ("proj.weight", "proj.bias"):
sd.pop(key)
model.load_state_dict(sd)""",
))
WL303 = _declare(CodeDoc(
    code="WL303", name="checkpoint-size-mismatch", severity="error",
    summary="A key of the checkpoint has another shape than the model's (\"size mismatch for\").",
    why="load_state_dict raises even with strict=False: the architecture differs from the saved one.",
    bad="""\
model = Net(hidden=512)       # checkpoint trained with hidden=256
model.load_state_dict(sd)     # size mismatch for fc.weight""",
    good="""\
model = Net(hidden=256)       # the configuration the checkpoint was trained with
model.load_state_dict(sd)""",
))
WL304 = _declare(CodeDoc(
    code="WL304", name="checkpoint-wrapper-prefix", severity="error",
    summary=("Every checkpoint key carries a wrapper prefix (`module.` from DataParallel/DDP, "
             "`_orig_mod.` from torch.compile, `model.` from Lightning): strip it."),
    why=("The state_dict was saved from the wrapper instead of the model: every key is "
         "\"unexpected\" and every model key \"missing\"."),
    bad="""\
torch.save(ddp_model.state_dict(), path)   # keys: module.fc.weight ...
model.load_state_dict(torch.load(path, weights_only=True))""",
    good="""\
# the finding's fix defines remap_state_dict(), which strips the prefix:
model.load_state_dict(remap_state_dict(torch.load(path, weights_only=True)))
# and save the unwrapped model next time: torch.save(ddp_model.module.state_dict(), path)""",
))
WL305 = _declare(CodeDoc(
    code="WL305", name="checkpoint-renamed-keys", severity="error",
    summary=("The checkpoint holds the model's tensors under other names (renamed modules, "
             "nn.Sequential / ModuleList index shifts): a remap snippet is attached."),
    why=("Strict loading fails with missing and unexpected keys; strict=False drops the "
         "trained weights, or loads them into the wrong layer when shapes agree."),
    bad="""\
# checkpoint saved when the layer was `self.conv1`, the code now says `self.stem`
model.load_state_dict(sd)""",
    good="""\
# the finding's fix defines remap_state_dict(state_dict):
""" + _LOAD.replace("torch.load", "remap_state_dict(torch.load") + ")",
))
WL306 = _declare(CodeDoc(
    code="WL306", name="checkpoint-on-accelerator", severity="warning",
    summary="Tensors were saved on an accelerator (`cuda:0`): loading them needs that device.",
    why=("torch.load without map_location fails on a CPU-only machine (\"Attempting to "
         "deserialize object on a CUDA device\") and fills GPU 0 on a multi-GPU one."),
    bad="""\
sd = torch.load("ckpt.pt")""",
    good="""\
sd = torch.load("ckpt.pt", map_location="cpu", weights_only=True)""",
))
WL307 = _declare(CodeDoc(
    code="WL307", name="checkpoint-not-weights-only", severity="warning",
    summary=("torch.load(weights_only=True) would refuse the file: its pickle references "
             "globals outside torch's weights-only set (or is a whole pickled nn.Module)."),
    why=("weights_only=True is the default since torch 2.6; loading with weights_only=False "
         "runs whatever the pickle references. Allowlist trusted globals explicitly, or "
         "re-save only the state_dict."),
    bad="""\
torch.save(model, "model.pt")                       # the whole module: its class is pickled
torch.save({"model": sd, "args": argparse_ns}, p)   # argparse.Namespace is not allowlisted""",
    good="""\
torch.save(model.state_dict(), "model.pt")
# or, for a trusted file:
torch.serialization.add_safe_globals([argparse.Namespace])""",
))
WL308 = _declare(CodeDoc(
    code="WL308", name="checkpoint-runs-code", severity="error",
    summary=("The pickle references callables that run code when loaded (os.system, "
             "builtins.exec/eval, subprocess, runpy, socket, ...): do not load it."),
    why=("Unpickling calls them: torch.load(weights_only=False) or pickle.load of this file "
         "executes attacker-chosen code. wlint only reads the opcodes; nothing is run."),
    bad="""\
torch.load("downloaded.bin", weights_only=False)""",
    good="""\
# do not load it; ask for a .safetensors file, or load with weights_only=True
torch.load("downloaded.bin", map_location="cpu", weights_only=True)  # refuses the file""",
))
WL309 = _declare(CodeDoc(
    code="WL309", name="checkpoint-unreadable", severity="error",
    summary=("The checkpoint file is truncated, corrupt or of an unknown format (bad zip, "
             "missing storage record, bad safetensors header, not a torch pickle)."),
    why="torch.load would fail on it (or, for a truncated storage, read garbage).",
    bad="""\
$ head -c 1000000 model.pt > copy.pt   # an interrupted download or copy""",
    good="""\
$ sha256sum model.pt copy.pt           # re-download, and check the checksum""",
))
