"""Torch-version branches: which torch names exist in which torch, and the version
values model code compares (`torch.__version__`, `packaging.version.parse`).

Model code adapts to the torch it runs on (`if not hasattr(F,
'scaled_dot_product_attention'): self.register_buffer('bias', ...)`,
`if torch.__version__ >= '2.0'`). The predictor evaluates such branches against
the *target torch* (`target-torch`, see wlint.config), by default the torch the
layer catalog was checked against (`layers.CHECKED_TORCH`).

`INTRODUCED` is data: a torch name and the release that introduced it (the
tests check every entry against the installed torch). At the catalog's own torch,
`torch_names.json` decides the rest: the names of torch's public namespaces as
`hasattr` sees them there (a snapshot the tests compare with that torch), so a
name it lacks is absent. Elsewhere a name the table does not know is unknown
(both branches run), except for catalog layers at a target no older than the
catalog's torch: the catalog *is* the list of what that torch has. Nothing here
imports torch.
"""

from __future__ import annotations

import json
from functools import lru_cache, total_ordering
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from wlint.model.evaluator import Evaluator
from wlint.model.layers import lookup
from wlint.model.overlays.registry import Impl, attributes, register_functions
from wlint.model.values import TorchRef, Unknown
from wlint.torch_target import CHECKED_TORCH, padded, parse_version

Version = Tuple[int, ...]

# qualified torch name -> the torch release that introduced it
INTRODUCED: Dict[str, Version] = {
    "torch.nn.Identity": (1, 1),
    "torch.nn.Hardswish": (1, 6),
    "torch.nn.Hardsigmoid": (1, 6),
    "torch.nn.functional.hardswish": (1, 6),
    "torch.nn.functional.hardsigmoid": (1, 6),
    "torch.nn.SiLU": (1, 7),
    "torch.nn.functional.silu": (1, 7),
    "torch.nn.Unflatten": (1, 7),
    "torch.nn.init.trunc_normal_": (1, 7),
    "torch.fft": (1, 7),
    "torch.nn.LazyLinear": (1, 8),
    "torch.nn.Mish": (1, 9),
    "torch.nn.functional.mish": (1, 9),
    "torch.nn.utils.parametrize": (1, 9),
    "torch.nn.utils.parametrizations": (1, 9),
    "torch.special": (1, 9),
    "torch.autocast": (1, 10),
    "torch.nn.utils.skip_init": (1, 10),
    "torch.nn.Dropout1d": (1, 12),
    "torch.backends.mps": (1, 12),
    "torch.compile": (2, 0),
    "torch._dynamo": (2, 0),
    "torch.func": (2, 0),
    "torch.vmap": (2, 0),
    "torch.nn.functional.scaled_dot_product_attention": (2, 0),
    "torch.nn.utils.parametrizations.weight_norm": (2, 1),
    "torch.compiler": (2, 1),
    "torch.export": (2, 1),
    "torch.float8_e4m3fn": (2, 1),
    "torch.nn.CircularPad1d": (2, 1),
    "torch.nn.CircularPad2d": (2, 1),
    "torch.nn.CircularPad3d": (2, 1),
    "torch.nn.ZeroPad1d": (2, 1),
    "torch.nn.ZeroPad3d": (2, 1),
    "torch.compiler.is_compiling": (2, 3),
    "torch.get_default_device": (2, 3),
    "torch.nn.RMSNorm": (2, 4),
    "torch.nn.functional.rms_norm": (2, 4),
    "torch.nn.Buffer": (2, 5),
    "torch.nn.attention.flex_attention": (2, 5),
    "torch.serialization.safe_globals": (2, 5),
    "torch.accelerator": (2, 6),
}

VERSION_NAMES = ("torch.__version__", "torch.version.__version__")


def exists(target: Version, qual: str) -> Optional[bool]:
    """Whether torch `target` has the name `qual` (`torch.nn.RMSNorm`); None: not known."""
    introduced = INTRODUCED.get(qual)
    if introduced is not None:
        return target >= introduced
    if target >= CHECKED_TORCH and qual.startswith("torch.nn.") and qual.count(".") == 2 \
            and lookup(qual.rsplit(".", 1)[1]) is not None:
        return True
    if tuple(target[:2]) == CHECKED_TORCH:
        return in_checked_torch(qual)
    return None


def in_checked_torch(qual: str) -> Optional[bool]:
    """Whether the catalog's torch has `qual`, by the snapshot; None for a namespace it
    does not list, or a submodule that is an attribute only once something imports it."""
    namespace, _, name = qual.rpartition(".")
    entry = _snapshot().get(namespace)
    if entry is None:
        return None
    names, submodules = entry
    if name in names:
        return True
    return None if name in submodules else False


@lru_cache(maxsize=1)
def _snapshot() -> Dict[str, Tuple[FrozenSet[str], FrozenSet[str]]]:
    data = json.loads(Path(__file__).with_name("torch_names.json").read_text(encoding="utf-8"))
    return {ns: (frozenset(e["names"]), frozenset(e["submodules"]))
            for ns, e in data["namespaces"].items()}


def torch_attribute(target: Version, qual: str) -> Any:
    """The value of the torch name `qual`: the target's version string for
    `torch.__version__`, else a reference to the name."""
    if qual in VERSION_NAMES:
        return TorchVersion(render(target))
    return TorchRef(qual)


def has_torch_attribute(it: Evaluator, obj: TorchRef, name: str) -> Any:
    """hasattr(torch_namespace, name) under the target torch; Unknown if not known."""
    found = exists(it.torch_version, f"{obj.qual}.{name}")
    if found is None:
        return Unknown(f"whether `{obj.qual}.{name}` exists depends on the torch version "
                       "(not in wlint's table)")
    return found


def render(version: Version) -> str:
    """(2, 4) -> '2.4.0': torch's `__version__` always has three parts."""
    return ".".join(str(p) for p in (tuple(version) + (0, 0, 0))[:max(3, len(version))])


@total_ordering
class VersionValue:
    """A parsed version (packaging.version.Version, LooseVersion): compares by release."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.release: Version = parse_version(text) or (0,)

    def _key(self, other: Any) -> Optional[Version]:
        if isinstance(other, VersionValue):
            return padded(other.release, len(self.release))
        return None

    def __eq__(self, other: Any) -> bool:
        key = self._key(other)
        if key is None:
            return NotImplemented
        return padded(self.release, len(key)) == key

    def __lt__(self, other: Any) -> bool:
        key = self._key(other)
        if key is None:
            return NotImplemented
        return padded(self.release, len(key)) < key

    def __hash__(self) -> int:
        return hash(self.release)

    def __str__(self) -> str:
        return self.text

    @property
    def major(self) -> int:
        return padded(self.release, 3)[0]

    @property
    def minor(self) -> int:
        return padded(self.release, 3)[1]

    @property
    def micro(self) -> int:
        return padded(self.release, 3)[2]

    @property
    def base_version(self) -> str:
        return ".".join(map(str, self.release))


_VERSION_ATTRIBUTES = ("major", "minor", "micro", "base_version", "release")


@attributes(VersionValue)
def _version_attribute(value: VersionValue, name: str) -> Any:
    if name in _VERSION_ATTRIBUTES:
        return getattr(value, name)
    return Unknown(f"attribute `{name}` of a version")


class TorchVersion(str):
    """`torch.__version__`: a string that compares as a version with strings, tuples
    and parsed versions (torch.torch_version.TorchVersion)."""

    def _cmp(self, other: Any) -> Optional[Tuple[Version, Version]]:
        mine = parse_version(str(self)) or (0,)
        if isinstance(other, VersionValue):
            theirs = other.release
        elif isinstance(other, tuple) and all(isinstance(p, int) for p in other):
            theirs = other
        elif isinstance(other, str):
            try:
                theirs = parse_version(other) or (0,)
            except ValueError:
                return None
        else:
            return None
        width = max(len(mine), len(theirs))
        return padded(mine, width), padded(theirs, width)

    def __eq__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else pair[0] == pair[1]

    def __ne__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else pair[0] != pair[1]

    def __lt__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else pair[0] < pair[1]

    def __le__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else pair[0] <= pair[1]

    def __gt__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else pair[0] > pair[1]

    def __ge__(self, other: Any) -> bool:
        pair = self._cmp(other)
        return NotImplemented if pair is None else pair[0] >= pair[1]

    __hash__ = str.__hash__


def _parse(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    text = args[0] if args else kw.get("version", kw.get("vstring"))
    if isinstance(text, str):
        try:
            if parse_version(text) is not None:
                return VersionValue(str(text))
        except ValueError:
            pass
    return Unknown("a version the predictor cannot parse", getattr(node, "lineno", 0))


_PARSERS: Dict[str, Impl] = {"parse": _parse, "Version": _parse}
register_functions("packaging.version", _PARSERS)
register_functions("pkg_resources", {"parse_version": _parse})
register_functions("distutils.version", {"LooseVersion": _parse, "StrictVersion": _parse})
