"""Installed third-party source is read like project code, never imported (wlint.model.site).

The fake package below is our own fixture, written to a temp folder that is put on
PYTHONPATH. Truth: this test process imports it and builds the model on meta; wlint runs
in a subprocess (and in-process, where the package must stay out of sys.modules).
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

torch = pytest.importorskip("torch")

WLINT_ROOT = str(Path(__file__).resolve().parent.parent)

PACKAGE = {
    "shardlayers/__init__.py": """
        from .layers import SplitLinear, TableEmbedding
        from . import layers
    """,
    "shardlayers/_sizes.py": """
        def split(total, parts):
            assert total % parts == 0, "not divisible"
            return total // parts
    """,
    "shardlayers/layers.py": """
        import torch
        from torch import nn
        from ._sizes import split
        from shardlayers.groups import parts


        class SplitLinear(nn.Module):
            def __init__(self, d_in, d_out, bias=True):
                super().__init__()
                self.d_out = split(d_out, parts())
                self.weight = nn.Parameter(torch.empty(self.d_out, d_in))
                if bias:
                    self.bias = nn.Parameter(torch.zeros(self.d_out))
                else:
                    self.register_parameter("bias", None)


        class TableEmbedding(nn.Module):
            def __init__(self, n, d):
                super().__init__()
                self.table = nn.Embedding(n, d)
                self.proj = nn.Linear(d, 2 * d, bias=False)
                self.register_buffer("scale", torch.ones(d))
                self.register_buffer("cache", torch.zeros(3), persistent=False)
    """,
    "shardlayers/groups.py": """
        PARTS = 2


        def parts():
            return PARTS
    """,
}

MODEL = """
    from torch import nn
    from shardlayers import SplitLinear, TableEmbedding
    import shardlayers.layers as L


    class Net(nn.Module):
        def __init__(self, d=8, vocab=11):
            super().__init__()
            self.emb = TableEmbedding(vocab, d)
            self.up = SplitLinear(d, 4 * d, bias=False)
            self.down = L.SplitLinear(4 * d, d)
            self.head = nn.Linear(d, vocab)
"""

OPTIONAL = """
    from torch import nn
    try:
        from shardlayers import SplitLinear
    except ImportError:
        SplitLinear = None


    class Net(nn.Module):
        def __init__(self, d=8):
            super().__init__()
            if SplitLinear is not None:
                self.up = SplitLinear(d, 4 * d)
            else:
                self.up = nn.Linear(d, 2 * d)
"""

MISSING = """
    from torch import nn
    from notinstalled_pkg import FancyLayer


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fancy = FancyLayer(4)
            self.fc = nn.Linear(4, 2)
"""


def write(folder: Path, files: Dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture()
def env(tmp_path: Path) -> Tuple[Path, Path]:
    """(site folder with the fake package, project folder with model.py)."""
    site, proj = tmp_path / "site", tmp_path / "proj"
    write(site, PACKAGE)
    write(proj, {"model.py": MODEL, "optional_model.py": OPTIONAL, "missing_model.py": MISSING})
    return site, proj


def truth(site: Path, proj: Path, module: str, expr: str) -> List[Tuple[str, List[int], str]]:
    """torch's state_dict on meta (this process imports the fake package)."""
    sys.path[:0] = [str(site), str(proj)]
    try:
        mod = __import__(module)
        with torch.device("meta"):
            model = eval(expr, vars(mod))
        params = {k for k, _ in model.named_parameters()}
        return [(k, list(v.shape), "parameter" if k in params else "buffer")
                for k, v in model.state_dict().items()]
    finally:
        del sys.path[:2]
        for name in [n for n in sys.modules if n.split(".")[0] in ("shardlayers", module)]:
            del sys.modules[name]


def wlint_keys(proj: Path, path: str, expr: str, pythonpath: List[str], tmp: Path,
               extra_env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([WLINT_ROOT, *pythonpath])
    env["WLINT_CACHE_DIR"] = str(tmp / "cache")
    env["WLINT_THIRD_PARTY_SOURCE"] = "1"  # opt-in
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, "-m", "wlint", "keys", path, expr, "--format", "json"],
                          cwd=str(proj), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def entries(pred: Dict[str, Any]) -> List[Tuple[str, List[int], str]]:
    return [(e["key"], e["shape"], e["kind"]) for e in pred["entries"]]


@pytest.mark.parametrize("expr", ["Net()", "Net(d=16, vocab=5)"])
def test_installed_package_matches_torch(env: Tuple[Path, Path], tmp_path: Path, expr: str) -> None:
    site, proj = env
    pred = wlint_keys(proj, "model.py", expr, [str(site)], tmp_path)
    assert entries(pred) == truth(site, proj, "model", expr)
    assert pred["unresolved"] == []
    assert pred["third_party"] == [{"package": "shardlayers",
                                     "path": str(site / "shardlayers").replace(os.sep, "/")}]
    # lines point at the installed file that creates the entry
    up = next(e for e in pred["entries"] if e["key"] == "up.weight")
    assert up["path"].endswith("shardlayers/layers.py")


def test_never_imported_in_process(env: Tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from wlint.model.api import predict

    site, proj = env
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("WLINT_THIRD_PARTY_SOURCE", "1")
    monkeypatch.chdir(proj)
    pred = predict(str(proj / "model.py"), "Net()")
    assert "shardlayers" not in sys.modules
    assert ("up.weight", (16, 8)) in [(e.key, e.shape) for e in pred.entries]
    assert pred.third_party and pred.third_party[0][0] == "shardlayers"


def test_cached_prediction_follows_the_installed_package(env: Tuple[Path, Path], tmp_path: Path) -> None:
    site, proj = env
    first = wlint_keys(proj, "model.py", "Net()", [str(site)], tmp_path)
    groups = site / "shardlayers" / "groups.py"
    groups.write_text(groups.read_text(encoding="utf-8").replace("PARTS = 2", "PARTS = 4"),
                      encoding="utf-8")
    second = wlint_keys(proj, "model.py", "Net()", [str(site)], tmp_path)
    assert entries(second) == truth(site, proj, "model", "Net()") != entries(first)
    # the package disappears from the path: the cache is not reused either
    third = wlint_keys(proj, "model.py", "Net()", [], tmp_path)
    assert third["third_party"] == [] and third["unresolved"]


def test_not_installed_stays_unresolved(env: Tuple[Path, Path], tmp_path: Path) -> None:
    site, proj = env
    pred = wlint_keys(proj, "missing_model.py", "Net()", [str(site)], tmp_path)
    assert [e["key"] for e in pred["entries"]] == ["fc.weight", "fc.bias"]
    assert any("notinstalled_pkg.FancyLayer" in u["reason"] for u in pred["unresolved"])


def test_optional_import_still_forks(env: Tuple[Path, Path], tmp_path: Path) -> None:
    site, proj = env
    pred = wlint_keys(proj, "optional_model.py", "Net()", [str(site)], tmp_path)
    conditions = {e["key"]: e.get("condition") for e in pred["entries"]}
    assert conditions == {"up.weight": "not (SplitLinear is not None)",
                          "up.bias": "not (SplitLinear is not None)"}
    assert pred["third_party"] == []  # the try body's import is not read
    assert pred["unresolved"]  # the importable arm is a third-party layer, not analysed
    off = wlint_keys(proj, "optional_model.py", "Net()", [str(site)], tmp_path,
                     {"WLINT_THIRD_PARTY_SOURCE": "0"})
    assert off == pred  # exactly as without third-party source


@pytest.mark.parametrize("how", ["env", "config"])
def test_off_switch(env: Tuple[Path, Path], tmp_path: Path, how: str) -> None:
    site, proj = env
    extra = {}
    if how == "env":
        extra = {"WLINT_THIRD_PARTY_SOURCE": "0"}
    else:
        (proj / "pyproject.toml").write_text("[tool.wlint]\nthird-party-source = false\n",
                                             encoding="utf-8")
    pred = wlint_keys(proj, "model.py", "Net()", [str(site)], tmp_path, extra)
    assert [e["key"] for e in pred["entries"]] == ["head.weight", "head.bias"]
    assert pred["third_party"] == []
    assert any("shardlayers" in u["reason"] and "third-party" in u["reason"]
               for u in pred["unresolved"])


def test_extension_module_stays_unknown(env: Tuple[Path, Path], tmp_path: Path) -> None:
    """An extension module comes first in Python's path finder: its .py twin is not read."""
    site, proj = env
    fast = tmp_path / "fast"
    write(fast, {"shardlayers.py": "class SplitLinear: pass\n"})
    (fast / f"shardlayers{importlib.machinery.EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    pred = wlint_keys(proj, "model.py", "Net()", [str(fast), str(site)], tmp_path)
    assert pred["third_party"] == []
    assert [e["key"] for e in pred["entries"]] == ["head.weight", "head.bias"]


def test_project_module_shadows_installed(env: Tuple[Path, Path], tmp_path: Path) -> None:
    site, proj = env
    write(proj, {"shardlayers.py": """
        from torch import nn


        class SplitLinear(nn.Linear):
            pass


        class TableEmbedding(nn.Embedding):
            pass
    """})
    (proj / "model.py").write_text(textwrap.dedent(MODEL).replace(
        "import shardlayers.layers as L", "import shardlayers as L"), encoding="utf-8")
    pred = wlint_keys(proj, "model.py", "Net()", [str(site)], tmp_path)
    assert pred["third_party"] == []
    assert entries(pred)[0] == ("emb.weight", [11, 8], "parameter")


DISTRIBUTED = """
    import torch.distributed as dist
    from torch import nn


    class Sharded(nn.Module):
        def __init__(self, d=8):
            super().__init__()
            world, rank = dist.get_world_size(), dist.get_rank()
            self.local = nn.Linear(d, 4 * d // world)
            self.first = nn.Linear(d, 2) if rank == 0 else nn.Identity()
"""


def test_distributed_one_process(tmp_path: Path) -> None:
    """World size and rank are those of a one-process group (the unsharded model)."""
    import socket

    import torch.distributed as dist

    write(tmp_path, {"dist_model.py": DISTRIBUTED})
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        want = truth(tmp_path, tmp_path, "dist_model", "Sharded()")
    finally:
        dist.destroy_process_group()
    pred = wlint_keys(tmp_path, "dist_model.py", "Sharded()", [], tmp_path)
    assert entries(pred) == want
    assert pred["unresolved"] == []


@pytest.mark.parametrize("how", ["default", "config"])
def test_opt_in(env: Tuple[Path, Path], tmp_path: Path, how: str) -> None:
    """Off unless asked for: no variable and no config reads nothing; `third-party-source =
    true` reads the installed package even with the variable unset."""
    site, proj = env
    if how == "config":
        (proj / "pyproject.toml").write_text("[tool.wlint]\nthird-party-source = true\n",
                                             encoding="utf-8")
    pred = wlint_keys(proj, "model.py", "Net()", [str(site)], tmp_path,
                      {"WLINT_THIRD_PARTY_SOURCE": ""})
    read = [p["package"] for p in pred["third_party"]]
    assert read == (["shardlayers"] if how == "config" else [])


def test_a_package_imports_of_other_packages_stay_unknown(tmp_path: Path) -> None:
    """Installed source is read for the project's imports and a package's imports of
    itself, never for what one installed package imports from another."""
    from wlint.model.resolve import _may_read

    class Tree:
        def module_name(self, relpath: str) -> Optional[str]:
            return "alpha.layers" if relpath.startswith("/") else None

    assert _may_read(Tree(), "model.py", "beta.x")  # the project imports anything
    assert _may_read(Tree(), "/site/alpha/layers.py", "alpha.utils")  # itself
    assert not _may_read(Tree(), "/site/alpha/layers.py", "beta")  # another package
