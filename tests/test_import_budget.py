"""Each command loads only what it uses: a fresh process runs one `wlint` command and
reports the wlint (and libcst / torch) modules it imported. `wlint ckpt` never loads the
predictor, the rules or the compat layer; `wlint check` over checkpoint files never loads
the WL1xx rules; `wlint keys` loads neither the rules nor the code catalog, and a cached
prediction does not even load the interpreter. Behaviour, not timing."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set

from rule_fixtures import ROOT

PREDICTOR = ("wlint.model.api", "wlint.model.interp", "wlint.model.layers")
RULES = ("wlint.rules", "wlint.prefilter")
ELSEWHERE = ("wlint.compat", "wlint.catalog", "wlint.fix", "wlint.integrations", "libcst",
             "torch", "concurrent.futures.process")

NET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.fc = nn.Linear(width, 2)
"""


def _loaded(argv: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> Set[str]:
    """The modules of interest in sys.modules after `wlint.cli.main(argv)` in a fresh process."""
    code = ("import json, sys\nfrom wlint.cli import main\n"
            f"rc = main({argv!r})\n"
            "names = [m for m in sys.modules if m.split('.')[0] in ('wlint', 'libcst', 'torch')"
            " or m.startswith('concurrent.futures')]\n"
            "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + json.dumps([rc, names]) + '\\n')\n")
    full = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env=full, check=False)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, proc.stderr
    rc, names = json.loads(line[-1][len("MODULES "):])
    assert rc in (0, 1), proc.stderr
    return set(names)


def _under(names: Set[str], prefixes: tuple) -> Set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)}


def _safetensors(path: Path) -> Path:
    header = json.dumps({"fc.weight": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}})
    path.write_bytes(struct.pack("<Q", len(header)) + header.encode() + bytes(32))
    return path


def test_ckpt_loads_no_predictor_rules_or_compat(tmp_path: Path) -> None:
    ckpt = _safetensors(tmp_path / "w.safetensors")
    for fmt in ("json", "text"):
        names = _loaded(["ckpt", str(ckpt), "--no-config", "--format", fmt], tmp_path)
        assert "wlint.checkpoint.read" in names
        assert _under(names, PREDICTOR + RULES + ELSEWHERE) == set(), fmt
    # SARIF lists every rule (the catalog), still without the predictor
    names = _loaded(["ckpt", str(ckpt), "--no-config", "--format", "sarif"], tmp_path)
    assert "wlint.catalog" in names and _under(names, PREDICTOR) == set()


def test_check_of_checkpoint_files_loads_no_rules(tmp_path: Path) -> None:
    ckpt = _safetensors(tmp_path / "w.safetensors")
    names = _loaded(["check", "--no-config", "--format", "json", str(ckpt)], tmp_path)
    assert "wlint.checkpoint.lint" in names
    assert _under(names, PREDICTOR + RULES + ELSEWHERE) == set()


def test_check_of_python_files_loads_the_rules_only_then(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch\nsd = torch.load('x.pt')\n")
    names = _loaded(["check", "--no-config", str(tmp_path / "train.py")], tmp_path)
    assert "wlint.rules" in names
    assert _under(names, PREDICTOR + ELSEWHERE) == set()


def test_keys_loads_no_rules_catalog_or_compat_and_a_cached_run_no_interpreter(
        tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    env = {"WLINT_CACHE_DIR": str(tmp_path.parent / f"{tmp_path.name}-cache")}
    argv = ["keys", str(tmp_path / "net.py"), "Net()", "--no-config", "--format", "json"]
    cold = _loaded(argv, tmp_path, env)
    assert "wlint.model.api" in cold
    assert _under(cold, RULES + ELSEWHERE) == set()
    assert {n for n in cold if n.startswith("wlint.report.")} == set()  # no reporter
    warm = _loaded(argv, tmp_path, env)
    assert "wlint.model.cached" in warm
    assert _under(warm, PREDICTOR + RULES + ELSEWHERE) == set()


def test_select_still_checks_codes_against_the_catalog(tmp_path: Path) -> None:
    ckpt = _safetensors(tmp_path / "w.safetensors")
    proc = subprocess.run([sys.executable, "-m", "wlint", "check", "--no-config", "--select",
                           "WL99X", str(ckpt)], capture_output=True, text=True, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    assert proc.returncode == 2 and "unknown code 'WL99X'" in proc.stderr


def test_version_loads_no_command() -> None:
    code = ("import json, sys\nfrom wlint.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('MODULES ' + json.dumps(sorted(sys.modules)) + '\\n')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), check=False)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line and proc.stdout.startswith("wlint "), proc.stdout + proc.stderr
    names = set(json.loads(line[-1][len("MODULES "):]))
    assert {n for n in names if n.startswith("wlint.commands.")} == set()
    assert _under(names, ("wlint.config", "wlint.findings", "wlint.checkpoint")) == set()
