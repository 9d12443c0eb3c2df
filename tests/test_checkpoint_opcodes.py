"""`opcodes.ops` is `pickletools.genops` for in-memory pickles: the same (name,
argument, position) triples for every pickle, and an error exactly where genops
raises one (truncated, bit-flipped and random data)."""

from __future__ import annotations

import io
import pickle
import pickletools
from typing import Any, Iterator, List, Tuple

from ckpt_truth import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlint.checkpoint.opcodes import ops

Triple = Tuple[str, Any, int]


def _genops(data: bytes) -> Iterator[Triple]:
    for op, arg, pos in pickletools.genops(io.BytesIO(data)):
        yield op.name, arg, pos


def _until_error(triples: Iterator[Triple]) -> Tuple[List[Triple], bool]:
    out: List[Triple] = []
    try:
        for t in triples:
            out.append(t)
    except ValueError:
        return out, True
    return out, False


def _same(data: bytes) -> None:
    mine = _until_error(ops(data))
    theirs = _until_error(_genops(data))
    # NaN floats compare unequal to themselves: compare their reprs
    assert repr(mine) == repr(theirs)


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70) | st.floats()
    | st.text() | st.binary() | st.binary().map(bytearray),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    | st.frozensets(st.integers(), max_size=3),
    max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=values, protocol=st.integers(0, pickle.HIGHEST_PROTOCOL))
def test_same_triples_as_genops(value: Any, protocol: int) -> None:
    _same(pickle.dumps(value, protocol=protocol))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=values, protocol=st.integers(0, pickle.HIGHEST_PROTOCOL), data=st.data())
def test_same_errors_on_damaged_pickles(value: Any, protocol: int, data: Any) -> None:
    raw = bytearray(pickle.dumps(value, protocol=protocol))
    cut = data.draw(st.integers(0, len(raw)))
    _same(bytes(raw[:cut]))
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] = data.draw(st.integers(0, 255))
    _same(bytes(raw))


@given(st.binary(max_size=64))
def test_same_errors_on_random_bytes(raw: bytes) -> None:
    _same(raw)


def test_torch_save_pickles(tmp_path: Any) -> None:
    import zipfile

    base = torch.arange(12.0).reshape(3, 4)
    state = {"a": base, "view": base[1:, ::2], "half": torch.zeros(2, dtype=torch.float16),
             "big": torch.zeros(300), **{f"l{i}.w": torch.zeros(i + 1) for i in range(300)}}
    for protocol in (2, 4):
        path = tmp_path / f"p{protocol}.pt"
        torch.save(state, str(path), pickle_protocol=protocol)
        with zipfile.ZipFile(path) as archive:
            data = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))
        _same(data)
