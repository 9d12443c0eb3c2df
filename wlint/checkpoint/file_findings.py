"""WL306-WL309: what a checkpoint file itself tells before anyone loads it."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from wlint.checkpoint import codes, safety
from wlint.checkpoint.contents import Contents
from wlint.checkpoint.listing import TensorEntry
from wlint.findings import Finding

HOST_DEVICES = ("cpu", "meta")


def corrupt(path: str, reason: str) -> Finding:
    return Finding.of(codes.WL309, path, 1, 0, f"checkpoint unreadable: {reason}")


def accelerator(path: str, entries: Sequence[TensorEntry], script: bool = False) -> Optional[Finding]:
    """WL306: storages saved on an accelerator. A TorchScript archive is loaded by
    torch.jit.load, which fails there with another message than torch.load."""
    counts: Dict[str, int] = {}
    for e in entries:
        if e.device and e.device.split(":")[0] not in HOST_DEVICES and e.kind != "ndarray" \
                and e.kind != "object":
            counts[e.device] = counts.get(e.device, 0) + 1
    if not counts:
        return None
    where = ", ".join(f"{n} on {d}" for d, n in sorted(counts.items()))
    kind = sorted(counts)[0].split(":")[0]
    if script:
        fails = (f"torch.jit.load without map_location fails on a machine without {kind} "
                 "(\"Could not run 'aten::empty_strided' with arguments from the 'CUDA' backend\")")
        fix = 'torch.jit.load(path, map_location="cpu")'
    else:
        fails = (f"torch.load without map_location fails on a machine without {kind} "
                 "(\"Attempting to deserialize object on a CUDA device but "
                 "torch.cuda.is_available() is False\")")
        fix = 'torch.load(path, map_location="cpu", weights_only=True)'
    return Finding.of(
        codes.WL306, path, 1, 0,
        f"tensors saved on an accelerator ({where}): {fails}; load with map_location=\"cpu\"",
        fix=fix, extra={"devices": sorted(counts)},
    )


def dangerous(path: str, names: Sequence[Tuple[str, str]]) -> Optional[Finding]:
    """WL308: globals that run code when the pickle is loaded."""
    if not names:
        return None
    what = "; ".join(f"{n} ({why})" for n, why in names)
    return Finding.of(
        codes.WL308, path, 1, 0,
        f"the pickle references callables that run code when loaded: {what}; do not load "
        "this file with torch.load(weights_only=False) or pickle (weights_only=True refuses it)",
        extra={"globals": [n for n, _ in names]},
    )


def refused(path: str, unsafe: Sequence[str], opcodes: Sequence[str],
            module_class: Optional[str], built: Sequence[str] = ()) -> Optional[Finding]:
    """WL307: torch.load(weights_only=True) would refuse the file."""
    if not unsafe and not opcodes:
        return None
    parts: List[str] = []
    if module_class:
        parts.append(f"the file is a whole pickled nn.Module of class {module_class} "
                     "(torch.save(model))")
    if unsafe:
        parts.append("it references globals outside torch's weights-only set: "
                     + ", ".join(unsafe[:8]) + (f", ... ({len(unsafe)})" if len(unsafe) > 8 else ""))
    if opcodes:
        parts.append("it uses pickle opcodes the weights-only unpickler does not implement: "
                     + ", ".join(opcodes))
    if module_class or opcodes:
        advice = ("re-save the state_dict once from a trusted environment: "
                  "torch.save(model.state_dict(), path)")
        fix = _resave_fix(module_class)
    else:
        advice = "if you trust the file, allowlist them with torch.serialization.add_safe_globals " \
                 "(attached), or re-save the state_dict"
        fix = _safe_globals_fix(list(unsafe) + [t for t in built if t not in unsafe])
    return Finding.of(
        codes.WL307, path, 1, 0,
        "torch.load(weights_only=True) refuses this file (\"Unsupported global\" / "
        f"\"Unsupported operand\"): {'; '.join(parts)}; {advice}",
        fix=fix, extra={"globals": list(unsafe), "opcodes": list(opcodes)},
    )


def _safe_globals_fix(names: Sequence[str]) -> str:
    lines = ["import torch"]
    aliases: List[str] = []
    used: Dict[str, int] = {}
    for name in names:
        module, _, attr = name.rpartition(".")
        alias = attr if attr.isidentifier() and attr not in used else f"_safe{len(aliases)}"
        used[alias] = 1
        lines.append(f"from {module} import {attr}" + (f" as {alias}" if alias != attr else ""))
        aliases.append(alias)
    lines.append(f"torch.serialization.add_safe_globals([{', '.join(aliases)}])")
    lines.append('checkpoint = torch.load(path, map_location="cpu", weights_only=True)')
    return "\n".join(lines) + "\n"


def _resave_fix(module_class: Optional[str]) -> str:
    load = 'torch.load(path, map_location="cpu", weights_only=False)  # only for a file you trust'
    obj = "obj.state_dict()" if module_class else "obj"
    return f"import torch\nobj = {load}\ntorch.save({obj}, new_path)\n"


def torchscript_refused(path: str, module_class: Optional[str]) -> Finding:
    """WL307 for a TorchScript archive: torch.load refuses any with weights_only=True."""
    return Finding.of(
        codes.WL307, path, 1, 0,
        f"a TorchScript archive (torch.jit.save of {module_class}): torch.load(weights_only=True) "
        "refuses it (\"Cannot use weights_only=True with TorchScript archives\"); "
        "torch.jit.load(path, map_location=\"cpu\") loads it and runs its TorchScript code "
        "(only for a file you trust); re-save its state_dict for weights-only loading",
        fix=('import torch\nmodule = torch.jit.load(path, map_location="cpu")  # only for a '
             "file you trust\ntorch.save(module.state_dict(), new_path)\n"),
        extra={"globals": [], "opcodes": [], "torchscript": True},
    )


def _without_torchscript_classes(names: Sequence[str]) -> List[str]:
    """The archive's own TorchScript classes (`__torch__.*`) are resolved against its
    code/ by torch.jit.load, never imported: not globals to judge."""
    return [n for n in names if not n.startswith("__torch__.")]


def file_findings(path: str, contents: Contents, entries: Sequence[TensorEntry],
                  module_class: Optional[str]) -> List[Finding]:
    found: List[Finding] = []
    if contents.not_torch:
        found.append(corrupt(path, contents.not_torch))
    found.extend(corrupt(path, msg) for code, msg in contents.problems if code == "WL309")
    script = contents.format == "torchscript"
    names = _without_torchscript_classes(contents.globals) if script else contents.globals
    bad, unsafe = safety.classify(names)
    opcodes = safety.refused_opcodes(contents.opcodes) if contents.format != "safetensors" else []
    weights_only = torchscript_refused(path, module_class) if script else \
        refused(path, unsafe, opcodes, module_class, contents.built_types)
    for finding in (accelerator(path, entries, script), dangerous(path, bad), weights_only):
        if finding is not None:
            found.append(finding)
    return found
