"""WL307 / WL308 / WL309: the safety tables against torch 2.13, malicious pickles that
must never run, and bad input that must be a finding, never a traceback or an
allocation the file asked for."""

from __future__ import annotations

import inspect
import os
import pickle
import re
import struct
import sys
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any, List

import pytest
from ckpt_truth import codes, torch

from wlint.checkpoint import CheckpointPathError, read_checkpoint
from wlint.checkpoint import dtypes, safety
from wlint.checkpoint.pickle_vm import pickle_from_bytes

wo = pytest.importorskip("torch._weights_only_unpickler")


# -- the tables are torch's ------------------------------------------------------------
def test_weights_only_globals_are_torchs() -> None:
    assert set(wo._get_allowed_globals()) == safety.WEIGHTS_ONLY_GLOBALS


def test_weights_only_opcodes_are_the_ones_torch_implements() -> None:
    source = inspect.getsource(wo.Unpickler.load)
    consts = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\[0\]", source))
    by_code = {getattr(pickle, c): c for c in consts if hasattr(pickle, c)}
    import pickletools

    names = {op.name for op in pickletools.opcodes if op.code.encode("latin-1") in by_code}
    assert names == safety.WEIGHTS_ONLY_OPCODES


def test_blocked_modules_are_torchs() -> None:
    assert set(wo._blocklisted_modules) == safety.WEIGHTS_ONLY_BLOCKED_MODULES
    assert all(safety.danger(f"{m}.anything") for m in wo._blocklisted_modules)


def test_dtype_tables_are_torchs() -> None:
    for name, size in dtypes.ITEMSIZE.items():
        assert torch.empty(0, dtype=getattr(torch, name)).element_size() == size, name
    for dtype, storage in torch.storage._dtype_to_storage_type_map().items():
        assert dtypes.STORAGE_DTYPE[storage] == str(dtype).replace("torch.", "")
    st = pytest.importorskip("safetensors.torch")
    for code, dtype in st._TYPES.items():
        assert dtypes.SAFETENSORS_DTYPE[code] == str(dtype).replace("torch.", "")


# -- malicious pickles -----------------------------------------------------------------
class _Reduce:
    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> Any:
        return self.func, self.args


def _payloads(sentinel: Path) -> List[Any]:
    import builtins
    import subprocess

    cmd = f"touch {sentinel}"
    return [
        _Reduce(os.system, cmd),
        _Reduce(builtins.exec, f"open({str(sentinel)!r}, 'w').close()"),
        _Reduce(builtins.eval, f"open({str(sentinel)!r}, 'w')"),
        _Reduce(subprocess.call, ["touch", str(sentinel)]),
        _Reduce(builtins.getattr, _Reduce(builtins.__import__, "os"), "system"),
    ]


@pytest.mark.parametrize("how", ["plain-pickle", "torch-zip", "torch-legacy", "protocol-0"])
@pytest.mark.parametrize("which", range(5))
def test_code_running_pickles_are_flagged_and_never_run(tmp_path: Path, how: str,
                                                        which: int) -> None:
    sentinel = tmp_path / "RAN"
    payload = _payloads(sentinel)[which]
    path = tmp_path / "evil.pt"
    obj = {"model": {"w": torch.zeros(2)}, "x": payload}
    if how == "plain-pickle":
        path.write_bytes(pickle.dumps(payload, protocol=2))
    elif how == "protocol-0":
        path.write_bytes(pickle.dumps(payload, protocol=0))
    else:
        torch.save(obj, str(path), _use_new_zipfile_serialization=how == "torch-zip")
    ckpt = read_checkpoint(str(path))
    found = codes(ckpt.findings)
    assert "WL308" in found, ckpt.findings
    wl308 = next(f for f in ckpt.findings if f.code == "WL308")
    assert any(g.split(".")[0] in ("posix", "os", "builtins", "subprocess")
               for g in wl308.extra["globals"])
    assert not sentinel.exists()
    if how.startswith("torch"):
        assert ckpt.state_dict_at == "['model']"
        with pytest.raises(pickle.UnpicklingError):
            torch.load(str(path), weights_only=True)
    assert not sentinel.exists()


def test_a_benign_unknown_class_is_wl307_not_wl308(tmp_path: Path) -> None:
    import argparse

    path = str(tmp_path / "args.pt")
    torch.save({"model": {"w": torch.zeros(1)}, "args": argparse.Namespace(lr=0.1)}, path)
    found = codes(read_checkpoint(path).findings)
    assert "WL307" in found and "WL308" not in found


# -- bad input -----------------------------------------------------------------------
def _good(tmp_path: Path) -> bytes:
    path = tmp_path / "good.pt"
    torch.save({"w": torch.zeros(64, 64), "b": torch.zeros(64)}, str(path))
    return path.read_bytes()


def _assert_wl309(path: Path) -> None:
    ckpt = read_checkpoint(str(path))
    assert codes(ckpt.findings) >= {"WL309"}, ckpt.findings
    assert all("\n" not in f.message for f in ckpt.findings)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated_zip(tmp_path: Path, cut: float) -> None:
    data = _good(tmp_path)
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: int(len(data) * cut)])
    _assert_wl309(path)
    with pytest.raises((RuntimeError, EOFError, OSError, pickle.UnpicklingError)):
        torch.load(str(path), weights_only=True)  # torch agrees the file is broken


def test_zero_length_and_garbage(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    _assert_wl309(empty)
    text = tmp_path / "notes.bin"
    text.write_text("hello, this is not a checkpoint\n")
    _assert_wl309(text)
    noise = tmp_path / "noise.ckpt"
    noise.write_bytes(os.urandom(4096))
    _assert_wl309(noise)


def test_truncated_legacy(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pt"
    torch.save({"w": torch.zeros(64, 64)}, str(path), _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    for cut in (len(data) - 100, len(data) // 2, 40):
        path.write_bytes(data[:cut])
        _assert_wl309(path)


def test_storage_record_shorter_than_its_tensor(tmp_path: Path) -> None:
    src = tmp_path / "good.pt"
    src.write_bytes(_good(tmp_path))
    out = tmp_path / "short.pt"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("data/0"):
                data = data[:100]
            zout.writestr(info, data)
    _assert_wl309(out)


def test_safetensors_bad_headers(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 60) + b"{}")
    _assert_wl309(path)
    header = b'{"w": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 4000000]}}'
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    _assert_wl309(path)  # truncated data section
    header = b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}'
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    _assert_wl309(path)  # offsets disagree with the shape


def _pickle_bytes(*ops: bytes) -> bytes:
    return b"\x80\x02" + b"".join(ops) + b"."


def test_unknown_opcode_and_absurd_sizes_allocate_nothing(tmp_path: Path) -> None:
    cases = {
        "unknown-opcode": _pickle_bytes(b"\xff"),
        "huge-binbytes": b"\x80\x03B" + struct.pack("<I", 0xFFFFFFF0) + b"abc.",
        "huge-binunicode8": b"\x80\x04\x8d" + struct.pack("<Q", 1 << 62) + b"x.",
        "huge-long4": b"\x80\x02\x8b" + struct.pack("<i", 1 << 30) + b".",
        "memo-miss": _pickle_bytes(b"h\x07"),
        "empty-stack-reduce": _pickle_bytes(b"R"),
        "no-stop": b"\x80\x02}q\x00",
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.pt"
        path.write_bytes(data)
        tracemalloc.start()
        try:
            _assert_wl309(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 8 << 20, (name, peak)


def test_tensor_outside_its_storage_is_corrupt() -> None:
    from wlint.checkpoint.values import CorruptError

    # _rebuild_tensor_v2(storage(numel=4), offset 0, size (1000, 1000), stride (1000, 1))
    data = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
            b"ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQK\x00"
            b"M\xe8\x03M\xe8\x03\x86M\xe8\x03K\x01\x86\x89NtR.")
    with pytest.raises(CorruptError, match=r"outside|needs"):
        pickle_from_bytes(data)


def test_paths_that_are_not_files(tmp_path: Path) -> None:
    with pytest.raises(CheckpointPathError):
        read_checkpoint(str(tmp_path))
    with pytest.raises(CheckpointPathError):
        read_checkpoint(str(tmp_path / "missing.pt"))
    link = tmp_path / "dangling.pt"
    link.symlink_to(tmp_path / "nowhere.pt")
    with pytest.raises(CheckpointPathError):
        read_checkpoint(str(link))
    # a symlink to a real checkpoint is read like the file (torch.load follows it too)
    real = tmp_path / "real.pt"
    real.write_bytes(_good(tmp_path))
    good_link = tmp_path / "link.pt"
    good_link.symlink_to(real)
    assert not read_checkpoint(str(good_link)).findings


def test_reading_never_imports_torch_or_numpy(tmp_path: Path) -> None:
    import subprocess

    path = tmp_path / "m.pt"
    np = pytest.importorskip("numpy")
    torch.save({"model": {"w": torch.zeros(2)}, "n": np.zeros(2)}, str(path))
    code = ("import sys; from wlint.checkpoint import read_checkpoint; "
            f"c = read_checkpoint({str(path)!r}); "
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules, sorted(sys.modules); "
            "print(len(c.entries))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
