"""Unidentified submodules (issue 9 deliverable 3): the predictor records every slot
that may hold a module it cannot identify (`Prediction.unidentified`), and the
comparison never calls the keys there added or removed.

Truth: torch builds the same model with the third-party package importable (a
stand-in package outside the project, invisible to wlint): its keys are exactly
the predicted keys plus the keys under the unidentified prefixes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from predict_truth import import_file
from wlint.compat import diff_revisions
from wlint.model.api import predict

MODEL = """\
import torch.nn as nn
from apex.normalization import FusedLayerNorm
from apex.blocks import make_block


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = FusedLayerNorm(d)
        self.fc = nn.Linear(d, d)


class Net(nn.Module):
    def __init__(self, d=4):
        super().__init__()
        self.blocks = nn.ModuleList([Block(d) for _ in range(2)])
        self.body = nn.Sequential(nn.Linear(d, d), make_block(d))
        self.ln = nn.LayerNorm(d)
        self.swapped = FusedLayerNorm(d)
        self.swapped = nn.LayerNorm(d)
        self.head = nn.Linear(d, 2)
"""

APEX: Dict[str, str] = {
    "apex/__init__.py": "",
    "apex/normalization.py": "import torch.nn as nn\n\n\nclass FusedLayerNorm(nn.LayerNorm):\n"
                             "    pass\n",
    "apex/blocks.py": "import torch.nn as nn\n\n\ndef make_block(d):\n"
                      "    return nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 1))\n",
}


def test_unidentified_slots_are_exactly_where_the_unpredicted_keys_are(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    project, elsewhere = tmp_path / "project", tmp_path / "site"
    project.mkdir()
    (project / "net.py").write_text(MODEL)
    for name, text in APEX.items():
        (elsewhere / name).parent.mkdir(parents=True, exist_ok=True)
        (elsewhere / name).write_text(text)
    pred = predict(str(project / "net.py"), "Net()")
    sys.path.insert(0, str(elsewhere))
    try:
        module = import_file(str(project / "net.py"), "unidentified_net")
        with torch.device("meta"):
            real = module.Net()
    finally:
        sys.path.remove(str(elsewhere))
        for name in [m for m in sys.modules if m == "apex" or m.startswith("apex.")]:
            del sys.modules[name]
    prefixes = {u.prefix for u in pred.unidentified}
    real_modules = dict(real.named_modules())
    assert prefixes and prefixes <= set(real_modules)
    predicted = set(pred.keys())
    under = {k for k in real.state_dict() if any(k.startswith(p + ".") for p in prefixes)}
    assert predicted | under == set(real.state_dict())
    assert not predicted & under
    assert all(u.line > 0 and u.reason for u in pred.unidentified)
    assert "swapped" not in prefixes  # re-assigned a known layer: identified after all


def test_an_unknown_argument_slot_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "wrap.py"
    path.write_text("import torch.nn as nn\n\n\nclass Wrap(nn.Module):\n"
                    "    def __init__(self, backbone, width):\n        super().__init__()\n"
                    "        self.backbone = backbone\n        self.head = nn.Linear(width, 2)\n")
    assert [u.prefix for u in predict(str(path), "Wrap").unidentified] == ["backbone"]


ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

ENCODER = """\
import torch.nn as nn
from thirdparty import Encoder


class Net(nn.Module):
    def __init__(self, d=4):
        super().__init__()
        self.enc = Encoder(d)
        self.head = nn.Linear(d, 2)
"""


def _repo(root: Path, before: str, after: str) -> str:
    root.mkdir()
    (root / "net.py").write_text(before)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=ENV)
    (root / "net.py").write_text(after)
    return str(root)


@pytest.mark.parametrize("direction", ["identified at head", "identified at base"])
def test_keys_below_an_unidentified_layer_are_neither_added_nor_removed(
        tmp_path: Path, direction: str) -> None:
    known = ENCODER.replace("Encoder(d)", "nn.Sequential(nn.Linear(d, d), nn.ReLU())")
    before, after = (ENCODER, known) if direction == "identified at head" else (known, ENCODER)
    found = diff_revisions(_repo(tmp_path / "r", before, after), "HEAD", None,
                           use_cache=False).findings
    assert not {"WL201", "WL202"} & {f.code for f in found}
    unseen = [f for f in found if "keeps its keys" in f.message]
    assert len(unseen) == 1 and "`enc`" in unseen[0].message
