"""Helpers for the checkpoint tests: torch is the truth, wlint the subject.

Checkpoints are made by torch.save / safetensors in tmp dirs; the truth is
what torch.load / load_state_dict(strict=True) really do.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Set, Tuple
from unittest import mock

torch = __import__("pytest").importorskip("torch")

Listing = Dict[str, Tuple[Tuple[int, ...], str]]


def dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def torch_listing(state: Dict[str, Any]) -> Listing:
    """key -> (shape, dtype) of the tensors of a loaded state_dict."""
    return {k: (tuple(v.shape), dtype_name(v.dtype)) for k, v in state.items()
            if isinstance(v, torch.Tensor)}


def wlint_listing(ckpt: Any) -> Listing:
    return {e.key: (tuple(e.shape), e.dtype) for e in ckpt.entries
            if e.kind in ("tensor", "parameter", "buffer")}


def codes(findings: List[Any]) -> Set[str]:
    return {f.code for f in findings}


def weights_only_refuses(path: str) -> bool:
    """Does torch.load(weights_only=True) refuse the file (an UnpicklingError)?"""
    import pickle

    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        return True
    return False


@contextmanager
def saved_on(device: str) -> Iterator[None]:
    """torch.save writes `device` as every storage's location, exactly as it would on a
    machine that has it (torch.serialization.location_tag is what torch.save asks)."""
    with mock.patch("torch.serialization.location_tag", lambda storage: device):
        yield


def follow(obj: Any, at: str) -> Any:
    """Walk a loaded object along a `state_dict_at` path ("['model']", ".state_dict()")."""
    rest = at
    while rest:
        if rest.startswith(".state_dict()"):
            obj = obj.state_dict()
            rest = rest[len(".state_dict()"):]
            continue
        m = re.match(r"\[('(?:[^'\\]|\\.)*'|\d+)\]", rest)
        assert m, f"bad path {at!r}"
        key = m.group(1)
        obj = obj[key[1:-1]] if key.startswith("'") else obj[int(key)]
        rest = rest[m.end():]
    return obj


def torch_verdict(model: Any, state: Dict[str, Any]) -> Tuple[Set[str], Set[str], Dict[str, Tuple[List[int], List[int]]]]:
    """(missing, unexpected, {key: (checkpoint shape, model shape)}) from torch's own
    strict-load error message."""
    try:
        model.load_state_dict(state, strict=True)
        return set(), set(), {}
    except RuntimeError as exc:
        message = str(exc)
    missing: Set[str] = set()
    unexpected: Set[str] = set()
    sizes: Dict[str, Tuple[List[int], List[int]]] = {}
    for part in message.split("\n\t"):
        if part.startswith("Missing key(s) in state_dict:"):
            missing = set(re.findall(r'"([^"]*)"', part))
        elif part.startswith("Unexpected key(s) in state_dict:"):
            unexpected = set(re.findall(r'"([^"]*)"', part))
        else:
            m = re.match(r"size mismatch for (\S+): copying a param with shape torch\.Size\("
                         r"\[(.*?)\]\) from checkpoint, the shape in current model is "
                         r"torch\.Size\(\[(.*?)\]\)", part)
            if m:
                sizes[m.group(1)] = (_ints(m.group(2)), _ints(m.group(3)))
    return missing, unexpected, sizes


def _ints(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def all_dtypes() -> List[Any]:
    """Every dtype torch can save in a plain strided tensor here."""
    names = ["float64", "float32", "float16", "bfloat16", "complex128", "complex64",
             "int64", "int32", "int16", "int8", "uint8", "uint16", "uint32", "uint64", "bool",
             "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
             "float8_e8m0fnu"]
    return [getattr(torch, n) for n in names if hasattr(torch, n)]


def tensor_of(dtype: Any, shape: Tuple[int, ...]) -> Any:
    return torch.zeros(shape, dtype=torch.float32).to(dtype) if dtype.is_floating_point or \
        dtype.is_complex else torch.zeros(shape, dtype=dtype)

