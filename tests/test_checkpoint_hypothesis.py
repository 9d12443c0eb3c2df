"""Property tests of the pickle machine and the readers.

- Any plain Python data (dicts, lists, tuples, sets, str, bytes, int, float,
  bool, None) pickled with any protocol 0-5 is described as itself: the machine
  agrees with the object pickle.dumps was given (nothing is ever unpickled).
- Any generated state_dict (keys, shapes, every dtype, views into shared
  storages), saved by torch in the zip or the legacy format or as safetensors,
  is listed exactly as torch.load / safetensors load it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Dict

from ckpt_truth import all_dtypes, tensor_of, torch, torch_listing, wlint_listing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlint.checkpoint import read_checkpoint
from wlint.checkpoint.pickle_vm import pickle_from_bytes

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False), st.text(max_size=20), st.binary(max_size=20))
hashable = st.one_of(st.booleans(), st.integers(-1000, 1000), st.text(max_size=8))
data = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(hashable, inner, max_size=4), st.frozensets(hashable, max_size=3)),
    max_leaves=25)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=150, deadline=None)
@given(value=data, protocol=st.integers(0, 5))
def test_machine_describes_plain_data_as_itself(value: Any, protocol: int) -> None:
    described = pickle_from_bytes(pickle.dumps(value, protocol=protocol)).top
    if protocol < 3 and isinstance(value, bytes):  # protocol <3 pickles bytes via a call
        return
    if protocol < 3 and _has_bytes(value):
        return
    if protocol < 4 and _has_frozenset(value):  # pickled as a call to builtins.frozenset
        return
    assert _same(value, described)


def _has_bytes(value: Any) -> bool:
    if isinstance(value, bytes):
        return True
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_bytes(v) for v in value)
    return False


def _has_frozenset(value: Any) -> bool:
    if isinstance(value, frozenset):
        return True
    if isinstance(value, dict):
        return any(_has_frozenset(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_frozenset(v) for v in value)
    return False


keys = st.lists(st.from_regex(r"[a-z]{1,6}(\.[a-z0-9]{1,4}){0,3}", fullmatch=True),
                min_size=1, max_size=8, unique=True)
shapes = st.lists(st.integers(0, 5), max_size=4).map(tuple)


@st.composite
def state_dicts(draw: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    base = None
    for key in draw(keys):
        if base is not None and draw(st.booleans()):
            out[key] = draw(st.sampled_from([base, base.t(), base[1:], base[:, 1]]))
            continue
        tensor = tensor_of(draw(st.sampled_from(all_dtypes())), draw(shapes))
        out[key] = tensor
        if tensor.dim() == 2 and min(tensor.shape) > 1 and base is None:
            base = tensor
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(state=state_dicts(), layout=st.sampled_from(["zip", "legacy", "safetensors"]))
def test_listing_equals_torch_for_generated_state_dicts(tmp_path_factory: Any,
                                                        state: Dict[str, Any],
                                                        layout: str) -> None:
    folder: Path = tmp_path_factory.mktemp("sd")
    if layout == "safetensors":
        from safetensors.torch import _TYPES, load_file, save_file

        state = {k: v.contiguous().clone() for k, v in state.items() if v.dtype in _TYPES.values()}
        if not state:
            return
        path = str(folder / "m.safetensors")
        save_file(state, path)
        truth = load_file(path)
    else:
        path = str(folder / "m.pt")
        torch.save(state, path, _use_new_zipfile_serialization=layout == "zip")
        try:
            truth = torch.load(path, weights_only=True)
        except (AttributeError, pickle.UnpicklingError):  # torch cannot reload new dtypes
            return  # from its own legacy files
    assert wlint_listing(read_checkpoint(path)) == torch_listing(truth)
