"""`wlint check DIR` walks checkpoint files too (`.pt .pth .bin .ckpt .safetensors`), with
WL306-WL309 judged against torch: a walked file is flagged WL307/WL308 exactly when
`torch.load(weights_only=True)` refuses it, WL306 exactly when it was saved on an
accelerator; a file of no checkpoint format found by the walk (random bytes, a git-lfs
pointer) is skipped, named on the command line it is WL309 (torch.load fails on it)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any, Dict, List
from unittest import mock

import pytest
from ckpt_truth import saved_on, torch, weights_only_refuses
from test_checkpoint_cli import _run


class _Payload:
    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> Any:
        return os.system, (f"touch {self.sentinel}",)


def _tree(root: Path) -> Dict[str, str]:
    """A repository with committed checkpoints; name -> what it is."""
    (root / "ckpts").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "excluded").mkdir()
    (root / "model.py").write_text("import torch\n\nx = torch.load('a.pt')\n")
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    torch.save(net.state_dict(), str(root / "ckpts" / "good.pt"))
    torch.save(net.state_dict(), str(root / "ckpts" / "legacy.bin"),
               _use_new_zipfile_serialization=False)
    torch.save(net, str(root / "ckpts" / "module.pth"))
    with saved_on("cuda:0"):
        torch.save({"state_dict": net.state_dict()}, str(root / "ckpts" / "gpu.ckpt"))
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in net.state_dict().items()},
              str(root / "ckpts" / "good.safetensors"))
    payload = _Payload(root / "SENTINEL")
    torch.save({"model": net.state_dict(), "x": payload}, str(root / "data" / "evil.pt"))
    (root / "data" / "evil-p0.bin").write_bytes(pickle.dumps(payload, protocol=0))
    (root / "data" / "random.bin").write_bytes(bytes(range(7, 107)))
    (root / "data" / "lfs.pt").write_text("version https://git-lfs.github.com/spec/v1\n"
                                          "oid sha256:0123\nsize 12\n")
    (root / "data" / "data.pkl").write_bytes(pickle.dumps(payload, protocol=0))  # not walked
    torch.save(payload, str(root / "excluded" / "evil.pt"))
    (root / "pyproject.toml").write_text('[tool.wlint]\nexclude = ["excluded/*"]\n')
    return {"ckpts/good.pt": "checkpoint", "ckpts/legacy.bin": "checkpoint",
            "ckpts/module.pth": "checkpoint", "ckpts/gpu.ckpt": "checkpoint",
            "ckpts/good.safetensors": "checkpoint", "data/evil.pt": "checkpoint",
            "data/evil-p0.bin": "pickle", "data/random.bin": "other", "data/lfs.pt": "other"}


def _by_file(out: str) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for f in json.loads(out)["findings"]:
        found.setdefault(f["path"].replace(os.sep, "/"), []).append(f["code"])
    return found


def _torch_fails(path: Path) -> bool:
    try:
        torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:  # any failure of torch.load is the truth here
        return True
    return False


def test_check_dir_walks_checkpoints(tmp_path: Path, capsys: Any) -> None:
    made = _tree(tmp_path)
    code, out, _ = _run(["check", "--format", "json", "."], tmp_path, capsys)
    found = _by_file(out)
    assert code == 1 and {"WL101", "WL102"} <= set(found["model.py"])
    assert not any(p.startswith("excluded/") or p.endswith(".pkl") for p in found)
    for name, what in made.items():
        codes = set(found.get(name, []))
        path = tmp_path / name
        if what == "other":  # no checkpoint format: skipped by the walk
            assert not codes and _torch_fails(path), name
            continue
        refused = weights_only_refuses(str(path))
        assert bool(codes & {"WL307", "WL308"}) == refused, name
        assert ("WL306" in codes) == (name == "ckpts/gpu.ckpt"), name
        if what == "checkpoint" and not refused and name != "ckpts/gpu.ckpt":
            torch.load(str(path), weights_only=True)  # clean means torch loads it
            assert not codes, name
    assert {"WL308"} <= set(found["data/evil.pt"]) and {"WL308"} <= set(found["data/evil-p0.bin"])
    assert not (tmp_path / "SENTINEL").exists()


def test_named_unrecognised_file_is_wl309(tmp_path: Path, capsys: Any) -> None:
    _tree(tmp_path)
    for name in ("data/random.bin", "data/lfs.pt"):
        code, out, _ = _run(["check", "--format", "json", name], tmp_path, capsys)
        assert code == 1 and _by_file(out) == {name: ["WL309"]}
        assert _torch_fails(tmp_path / name)


@pytest.mark.parametrize("select", ["WL1", "WL101,WL102"])
def test_checkpoints_not_read_when_no_checkpoint_code_is_selected(
        tmp_path: Path, capsys: Any, select: str) -> None:
    _tree(tmp_path)
    with mock.patch("wlint.checkpoint.lint.read_checkpoint", side_effect=AssertionError):
        code, out, _ = _run(["check", "--format", "json", "--select", select, "."], tmp_path,
                            capsys)
    assert code == 1 and set(_by_file(out)) == {"model.py"}


def test_fix_reports_walked_checkpoints_and_never_rewrites_them(tmp_path: Path,
                                                                capsys: Any) -> None:
    _tree(tmp_path)
    before = (tmp_path / "data" / "evil.pt").read_bytes()
    code, out, _ = _run(["check", "--fix", "--format", "json", "."], tmp_path, capsys)
    assert code == 1
    assert "WL308" in _by_file(out)["data/evil.pt"]
    assert (tmp_path / "data" / "evil.pt").read_bytes() == before
