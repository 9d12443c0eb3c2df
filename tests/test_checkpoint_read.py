"""`read_checkpoint` against torch: every listing equals what torch.load returns.

Each case builds a checkpoint with torch.save / safetensors in a tmp dir and
says where its state_dict is; the test loads it with torch and compares key
for key (shape, dtype), and checks WL307 against torch's weights-only verdict.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from ckpt_truth import (all_dtypes, codes, follow, saved_on, tensor_of, torch, torch_listing,
                        weights_only_refuses, wlint_listing)

from wlint.checkpoint import read_checkpoint

nn = torch.nn


def _net() -> Any:
    torch.manual_seed(0)
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(3, 4, 3)), ("bn", nn.BatchNorm2d(4)), ("flat", nn.Flatten()),
        ("fc", nn.Linear(16, 5)), ("emb", nn.Embedding(7, 5)),
    ]))


def _sd() -> Dict[str, Any]:
    return _net().state_dict()


def _views() -> Dict[str, Any]:
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(), "tail": base[2:, 3:],
            "tied_a": base, "flat": base.view(-1)}


def _dtypes() -> Dict[str, Any]:
    return {f"t_{str(d).split('.')[-1]}": tensor_of(d, (2, 3)) for d in all_dtypes()}


def _lightning() -> Dict[str, Any]:
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    return {"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.1.0",
            "state_dict": OrderedDict(("model." + k, v) for k, v in net.state_dict().items()),
            "loops": {}, "callbacks": {}, "optimizer_states": [opt.state_dict()],
            "lr_schedulers": [], "hparams_name": "kwargs", "hyper_parameters": {"lr": 0.1}}


def _training() -> Dict[str, Any]:
    net = _net()
    opt = torch.optim.Adam(net.parameters())
    net(torch.zeros(1, 3, 4, 4)[:, :, :, :]).sum() if False else None
    return {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 7,
            "best_acc": 0.91, "config": {"lr": 1e-3, "layers": [1, 2]}}


class TiedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(11, 4)
        self.head = nn.Linear(4, 11, bias=False)
        self.head.weight = self.emb.weight
        self.register_buffer("mask", torch.ones(3), persistent=False)
        self.register_buffer("scale", torch.ones(2))


# name -> (object to save, where its state_dict is, expected state_dict_at, save kwargs)
CASES: Dict[str, Tuple[Callable[[], Any], Callable[[Any], Any], str, Dict[str, Any]]] = {
    "plain": (_sd, lambda o: o, "", {}),
    "views-shared-storage": (_views, lambda o: o, "", {}),
    "every-dtype": (_dtypes, lambda o: o, "", {}),
    "nested-training": (_training, lambda o: o["model"], "['model']", {}),
    "state_dict-key": (lambda: {"state_dict": _sd(), "epoch": 1}, lambda o: o["state_dict"],
                       "['state_dict']", {}),
    "model_state_dict": (lambda: {"model_state_dict": _sd(), "optimizer_state_dict": {}},
                         lambda o: o["model_state_dict"], "['model_state_dict']", {}),
    "model-and-ema": (lambda: {"ema": _sd(), "model": _sd()}, lambda o: o["model"],
                      "['model']", {}),
    "lightning": (_lightning, lambda o: o["state_dict"], "['state_dict']", {}),
    "ddp-prefix": (lambda: {f"module.{k}": v for k, v in _sd().items()}, lambda o: o, "", {}),
    "compile-prefix": (lambda: {f"_orig_mod.{k}": v for k, v in _sd().items()}, lambda o: o,
                       "", {}),
    "list-of-state-dicts": (lambda: [{"step": 1}, _sd()], lambda o: o[1], "[1]", {}),
    "protocol-4": (_sd, lambda o: o, "", {"pickle_protocol": 4}),
}

LEGACY = {"_use_new_zipfile_serialization": False}


def _save(tmp_path: Path, name: str, obj: Any, kwargs: Dict[str, Any], suffix: str = ".pt") -> str:
    path = str(tmp_path / (name + suffix))
    torch.save(obj, path, **kwargs)
    return path


@pytest.mark.parametrize("layout", ["zip", "legacy"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_listing_equals_torch_load(tmp_path: Path, name: str, layout: str) -> None:
    make, select, at, kwargs = CASES[name]
    kwargs = dict(kwargs, **(LEGACY if layout == "legacy" else {}))
    try:
        path = _save(tmp_path, name, make(), kwargs, ".ckpt" if name == "lightning" else ".pt")
    except (RuntimeError, KeyError, NotImplementedError) as exc:  # dtype the legacy format lacks
        pytest.skip(f"torch cannot save this case as {layout}: {exc}")
    ckpt = read_checkpoint(path)
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=False)
    except AttributeError as exc:  # torch writes new dtypes in legacy files it cannot read
        pytest.skip(f"torch cannot load its own {layout} file of this case: {exc}")
    truth = select(loaded)
    assert ckpt.format == ("torch-zip" if layout == "zip" else "torch-legacy")
    assert ckpt.state_dict_at == at
    assert follow(loaded, at) is truth
    assert wlint_listing(ckpt) == torch_listing(truth)
    assert [e.key for e in ckpt.entries] == list(truth)  # file order
    assert {e.device for e in ckpt.entries} == {"cpu"}
    if isinstance(loaded, dict) and at:
        assert ckpt.other == [k for k in loaded if k != at[2:-2]]
    assert ("WL307" in codes(ckpt.findings)) == weights_only_refuses(path)
    assert "WL308" not in codes(ckpt.findings) and "WL309" not in codes(ckpt.findings)


def test_shared_storages_are_reported_shared(tmp_path: Path) -> None:
    path = _save(tmp_path, "views", _views(), {})
    ckpt = read_checkpoint(path)
    storages = {e.key: e.storage for e in ckpt.entries}
    assert len(set(storages.values())) == 1


@pytest.mark.parametrize("layout", ["zip", "legacy"])
def test_whole_pickled_module(tmp_path: Path, layout: str) -> None:
    net = nn.Sequential(TiedNet(), nn.Linear(4, 2), nn.BatchNorm1d(2))
    path = _save(tmp_path, "module", net, LEGACY if layout == "legacy" else {})
    ckpt = read_checkpoint(path)
    truth = torch.load(path, weights_only=False).state_dict()
    assert ckpt.module_class == "torch.nn.modules.container.Sequential"
    assert ckpt.state_dict_at == ".state_dict()"
    assert wlint_listing(ckpt) == torch_listing(truth)
    assert [e.key for e in ckpt.entries] == list(truth)
    kinds = {e.key: e.kind for e in ckpt.entries}
    assert kinds["0.emb.weight"] == "parameter" and kinds["0.scale"] == "buffer"
    wl307 = [f for f in ckpt.findings if f.code == "WL307"]
    assert wl307 and "torch.nn.modules.container.Sequential" in wl307[0].message
    assert f"{__name__}.TiedNet" in wl307[0].extra["globals"]
    assert weights_only_refuses(path)


def test_module_nested_in_a_dict(tmp_path: Path) -> None:
    path = _save(tmp_path, "mod", {"model": TiedNet(), "epoch": 2}, {})
    ckpt = read_checkpoint(path)
    assert ckpt.state_dict_at == "['model'].state_dict()"
    truth = torch.load(path, weights_only=False)["model"].state_dict()
    assert wlint_listing(ckpt) == torch_listing(truth)
    assert ckpt.other == ["epoch"]


def test_numpy_arrays_inside(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    obj = {"model": _sd(), "rng": np.arange(6, dtype=np.int32).reshape(2, 3),
           "best": np.float64(0.5)}
    path = _save(tmp_path, "np", obj, {})
    ckpt = read_checkpoint(path)
    assert ckpt.state_dict_at == "['model']"
    assert wlint_listing(ckpt) == torch_listing(torch.load(path, weights_only=False)["model"])
    assert weights_only_refuses(path)
    wl307 = [f for f in ckpt.findings if f.code == "WL307"]
    assert wl307 and any(g.startswith("numpy") for g in wl307[0].extra["globals"])
    # the attached fix really makes weights_only=True accept the file
    scope: Dict[str, Any] = {"path": path}
    exec(wl307[0].fix, scope)
    assert set(scope["checkpoint"]) == set(obj)
    torch.serialization.clear_safe_globals()


def test_numpy_array_as_state_dict_value(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    sd = dict(_sd())
    sd["extra"] = np.zeros((3, 2), dtype=np.float32)
    path = _save(tmp_path, "npsd", sd, {})
    entry = {e.key: e for e in read_checkpoint(path).entries}["extra"]
    assert (entry.kind, entry.shape, entry.dtype) == ("ndarray", (3, 2), "float32")


@pytest.mark.parametrize("layout", ["zip", "legacy"])
def test_cuda_tagged_checkpoint(tmp_path: Path, layout: str) -> None:
    with saved_on("cuda:0"):
        path = _save(tmp_path, "cuda", {"model": _sd()}, LEGACY if layout == "legacy" else {})
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)
    ckpt = read_checkpoint(path)
    assert {e.device for e in ckpt.entries} == {"cuda:0"}
    wl306 = [f for f in ckpt.findings if f.code == "WL306"]
    assert wl306 and "cuda:0" in wl306[0].message
    assert wlint_listing(ckpt) == torch_listing(torch.load(path, map_location="cpu")["model"])


def test_safetensors_every_dtype(tmp_path: Path) -> None:
    st = pytest.importorskip("safetensors.torch")
    from safetensors.torch import _TYPES

    tensors = {f"w.{str(d).split('.')[-1]}": tensor_of(d, (3, 2)) for d in set(_TYPES.values())}
    tensors["scalar"] = torch.tensor(1.5)
    tensors["empty"] = torch.zeros(0, 4)
    path = str(tmp_path / "m.safetensors")
    st.save_file(tensors, path, metadata={"format": "pt"})
    ckpt = read_checkpoint(path)
    assert ckpt.format == "safetensors" and ckpt.state_dict_at == ""
    assert wlint_listing(ckpt) == torch_listing(st.load_file(path))
    assert ckpt.metadata == {"format": "pt"} and not ckpt.findings and ckpt.globals == []


def test_sharded_safetensors_index(tmp_path: Path) -> None:
    st = pytest.importorskip("safetensors.torch")
    import json

    sd = {k: v.contiguous() for k, v in _sd().items()}
    keys = list(sd)
    shards = {"model-00001-of-00002.safetensors": keys[:3],
              "model-00002-of-00002.safetensors": keys[3:]}
    for name, ks in shards.items():
        st.save_file({k: sd[k] for k in ks}, str(tmp_path / name))
    index = {"metadata": {"total_size": 1}, "weight_map": {k: n for n, ks in shards.items()
                                                           for k in ks}}
    path = tmp_path / "model.safetensors.index.json"
    path.write_text(json.dumps(index))
    ckpt = read_checkpoint(str(path))
    truth: Dict[str, Any] = {}
    for name in shards:
        truth.update(st.load_file(str(tmp_path / name)))
    assert ckpt.format == "sharded-index"
    assert wlint_listing(ckpt) == torch_listing(truth)
    assert ckpt.shards == sorted(shards)
    # a key the index puts in the wrong shard is a WL309
    index["weight_map"][keys[0]] = "model-00002-of-00002.safetensors"
    path.write_text(json.dumps(index))
    assert "WL309" in codes(read_checkpoint(str(path)).findings)


def test_sharded_bin_index(tmp_path: Path) -> None:
    import json

    sd = _sd()
    keys = list(sd)
    shards = {"pytorch_model-00001-of-00002.bin": keys[:4],
              "pytorch_model-00002-of-00002.bin": keys[4:]}
    for name, ks in shards.items():
        torch.save({k: sd[k] for k in ks}, str(tmp_path / name))
    path = tmp_path / "pytorch_model.bin.index.json"
    path.write_text(json.dumps({"weight_map": {k: n for n, ks in shards.items() for k in ks}}))
    ckpt = read_checkpoint(str(path))
    assert wlint_listing(ckpt) == torch_listing(sd)
    os.remove(tmp_path / "pytorch_model-00002-of-00002.bin")
    assert "WL309" in codes(read_checkpoint(str(path)).findings)


def test_signature_round_trip(tmp_path: Path) -> None:
    import json

    from wlint.checkpoint.listing import Checkpoint

    path = _save(tmp_path, "sig", {"model": _sd(), "epoch": 1}, {})
    ckpt = read_checkpoint(path)
    sig = tmp_path / "sig.json"
    sig.write_text(json.dumps(ckpt.to_json()))
    again = read_checkpoint(str(sig))
    assert again.signature and isinstance(again, Checkpoint)
    assert again.entries == [e.__class__(e.key, e.shape, e.dtype, e.device, e.kind)
                             for e in ckpt.entries]
    assert again.state_dict_at == ckpt.state_dict_at and again.format == ckpt.format


def _listing_cases() -> List[str]:
    return sorted(CASES)
