"""The names torch's public namespaces have, as `hasattr` sees them in a fresh
process that ran `import torch` and imported only that namespace.

`wlint/model/overlays/torch_names.json` is this snapshot for the torch the
catalog was checked against (`layers.CHECKED_TORCH`); `test_torch_versions`
compares it with the installed torch. Regenerate after moving the catalog to a
new torch::

    python tests/torch_names_snapshot.py --write
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

SNAPSHOT = Path(__file__).resolve().parents[1] / "wlint" / "model" / "overlays" / "torch_names.json"

# the namespaces model code asks `hasattr` of, or imports names from inside `try`
NAMESPACES = (
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
    "torch.nn.attention", "torch.backends", "torch.backends.cuda", "torch.cuda", "torch.amp",
    "torch.compiler", "torch.utils", "torch.utils.checkpoint", "torch.linalg", "torch.fft",
    "torch.special", "torch.Tensor",
)

_PROBE = r'''
import importlib, json, pkgutil, sys
import torch
ns = sys.argv[1]
parent, _, last = ns.rpartition(".")
try:
    obj = importlib.import_module(ns)
except ImportError:  # a class (torch.Tensor), not a module
    obj = getattr(importlib.import_module(parent), last)
listed = sorted(dir(obj))  # before any hasattr: a lazy __getattr__ may import more
subs = {m.name for m in pkgutil.iter_modules(getattr(obj, "__path__", None) or [])}
names = [n for n in listed if hasattr(obj, n)]
print(json.dumps({"names": names, "submodules": sorted(subs - set(names))}))
'''
# A submodule that is not an attribute right after `import torch` is one only once
# something imports it (or a lazy `__getattr__` does): its hasattr stays unknown.


def snapshot() -> Dict[str, object]:
    """The snapshot of the installed torch (a fresh process per namespace)."""
    import torch

    spaces: Dict[str, Dict[str, List[str]]] = {}
    for ns in NAMESPACES:
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        out = subprocess.run([sys.executable, "-c", _PROBE, ns], capture_output=True,
                             text=True, check=True, env=env).stdout
        spaces[ns] = json.loads(out)
    version = ".".join(torch.__version__.split("+")[0].split(".")[:2])
    return {"torch": version, "namespaces": spaces}


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/torch_names_snapshot.py --write")
    SNAPSHOT.write_text(json.dumps(snapshot(), indent=0, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")
