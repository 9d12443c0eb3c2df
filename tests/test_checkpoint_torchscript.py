"""TorchScript archives (`torch.jit.save`) read without torch: the listing must equal
`torch.jit.load(f).state_dict()` key for key (order, shape, dtype, parameter vs
buffer), every archive is WL307 exactly as `torch.load(weights_only=True)` refuses
it, and `verify` of an archive equals torch's strict load of that state_dict."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from ckpt_truth import codes, torch, torch_listing, torch_verdict, wlint_listing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_checkpoint_verify import MUTATIONS, _load_class, _mutate, _source, models

from wlint.checkpoint import read_checkpoint
from wlint.checkpoint.verify import verify
from wlint.model.api import predict

_counter = itertools.count()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning",
                                        "ignore:'torch.load' received a zip file")

MODELS = {
    "layers": """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
        self.register_buffer("mask", torch.ones(2), persistent=False)
        self.p = nn.Parameter(torch.zeros(3, dtype=torch.float16))

    def forward(self, x):
        return self.body(x)
""",
    "containers-tied-none": """\
import torch
import torch.nn as nn


class Inner(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 3, bias=False)
        self.plain = torch.ones(4)
        self.register_buffer("flags", torch.zeros(2, dtype=torch.bool))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("first", torch.zeros(1, dtype=torch.bfloat16))
        self.emb = nn.Embedding(5, 2)
        self.head = nn.Linear(2, 5, bias=False)
        self.head.weight = self.emb.weight
        self.blocks = nn.ModuleList([Inner(), Inner()])
        self.table = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.LayerNorm(3)})
        self.scale = 2.0
        self.register_buffer("empty", None)
        self.x = nn.Parameter(torch.ones(2, 2, dtype=torch.float64)[:, 0])
        self.q = nn.Parameter(torch.ones(3, dtype=torch.int8), requires_grad=False)
""",
    "single-layer": """\
import torch.nn as nn


class Net(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)
""",
}


def _write(tmp: Path, source: str) -> Path:
    path = tmp / f"ts_model_{next(_counter)}.py"
    path.write_text(source)
    return path


def _truth(path: Path) -> Dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.load(str(path), map_location="cpu").state_dict()


def _check_listing(archive: Path) -> Any:
    ckpt = read_checkpoint(str(archive))
    state = _truth(archive)
    assert ckpt.format == "torchscript" and ckpt.state_dict_at == ".state_dict()"
    assert [e.key for e in ckpt.entries] == list(state)  # order too
    assert wlint_listing(ckpt) == torch_listing(state)
    loaded = torch.jit.load(str(archive), map_location="cpu")
    params = {k for k, _ in loaded.named_parameters(remove_duplicate=False)}
    assert {e.key for e in ckpt.entries if e.kind == "parameter"} == params & set(state)
    assert {e.key for e in ckpt.entries if e.kind == "buffer"} == set(state) - params
    # torch.load(weights_only=True) refuses every TorchScript archive: WL307, nothing else
    with pytest.raises(RuntimeError, match="TorchScript"):
        torch.load(str(archive), weights_only=True)
    assert codes(ckpt.findings) == {"WL307"}
    return ckpt


SAVERS: Dict[str, Callable[[Any], Any]] = {
    "script": torch.jit.script,
    "frozen": lambda m: torch.jit.freeze(torch.jit.script(m.eval())),
}


@pytest.mark.parametrize("saver", sorted(SAVERS))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_listing_equals_jit_load(tmp_path: Path, name: str, saver: str) -> None:
    model = _load_class(_write(tmp_path, MODELS[name]))()
    archive = tmp_path / "scripted.pt"
    torch.jit.save(SAVERS[saver](model), str(archive))
    _check_listing(archive)


def test_traced_module_and_extra_files(tmp_path: Path) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
    archive = tmp_path / "traced.pt"
    torch.jit.save(torch.jit.trace(model.eval(), torch.zeros(4, 2)), str(archive),
                   _extra_files={"notes.txt": "trained on x"})
    _check_listing(archive)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(a=models(), how=st.sampled_from(MUTATIONS), data=st.data())
def test_generated_archives_and_verify(tmp_path_factory: Any, a: Dict[str, Any], how: str,
                                       data: Any) -> None:
    """A scripted model A listed as jit.load lists it; verify(A's archive, B) is torch's
    strict load of A's state_dict into the eager model B."""
    tmp = tmp_path_factory.mktemp("ts")
    archive = tmp / "a.pt"
    torch.jit.save(torch.jit.script(_load_class(_write(tmp, _source(a)))()), str(archive))
    ckpt = _check_listing(archive)
    b_path = _write(tmp, _source(_mutate(a, how, data)))
    result = verify(ckpt, predict(str(b_path), "Net()"))
    missing, unexpected, sizes = torch_verdict(_load_class(b_path)(), _truth(archive))
    strict = result.strict
    assert (set(strict.missing), set(strict.unexpected)) == (missing, unexpected)
    assert {k: (list(x), list(y)) for k, x, y in strict.mismatched} == sizes


def test_undeclared_class_is_wl309(tmp_path: Path) -> None:
    """An archive whose code/ lacks a class the pickle names cannot be listed faithfully:
    WL309, not a guess."""
    import zipfile

    archive = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(_load_class(_write(tmp_path, MODELS["layers"]))()),
                   str(archive))
    broken = tmp_path / "broken.pt"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            if "/code/__torch__/torch/nn/modules/conv.py" not in info.filename:
                dst.writestr(info, src.read(info))
    ckpt = read_checkpoint(str(broken))
    assert codes(ckpt.findings) == {"WL309"} and "not declared" in ckpt.findings[0].message


def _retagged(archive: Path, out: Path, device: str) -> Path:
    """The archive as `torch.jit.save` writes it on a machine with `device`: every
    storage's location string in data.pkl is `device` (torch.jit.save writes the
    storage's real device there, so a CPU machine cannot produce it otherwise)."""
    import pickletools
    import zipfile

    with zipfile.ZipFile(archive) as src:
        infos = src.infolist()
        pkl = next(i.filename for i in infos if i.filename.endswith("/data.pkl"))
        data = src.read(pkl)
        # protocol 2: no FRAME lengths to rewrite, and the location is memoised once
        assert data[:2] == b"\x80\x02" and not any(
            op.name == "FRAME" for op, _, _ in pickletools.genops(data))
        old = b"X" + (3).to_bytes(4, "little") + b"cpu"
        assert data.count(old) == 1
        new = data.replace(old, b"X" + len(device).to_bytes(4, "little") + device.encode())
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
            for info in infos:
                dst.writestr(info, new if info.filename == pkl else src.read(info))
    return out


def test_cuda_tagged_archive_is_wl306_with_a_fix_that_loads(tmp_path: Path) -> None:
    model = _load_class(_write(tmp_path, MODELS["layers"]))()
    archive = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(model), str(archive))
    tagged = _retagged(archive, tmp_path / "cuda.pt", "cuda:0")
    if not torch.cuda.is_available():
        with pytest.raises(Exception, match="CUDA"):
            torch.jit.load(str(tagged))
    ckpt = read_checkpoint(str(tagged))
    state = _truth(tagged)  # with map_location="cpu"
    assert wlint_listing(ckpt) == torch_listing(state)
    assert {e.device for e in ckpt.entries} == {"cuda:0"}
    assert codes(ckpt.findings) == {"WL306", "WL307"}
    wl306 = next(f for f in ckpt.findings if f.code == "WL306")
    assert "torch.jit.load" in wl306.message and "cuda:0" in wl306.message
    loaded = eval(wl306.fix, {"torch": torch, "path": str(tagged)})  # the fix loads it
    assert list(loaded.state_dict()) == list(state)
