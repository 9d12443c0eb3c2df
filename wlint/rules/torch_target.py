"""Which torch version WL102 assumes, and where that came from.

torch >= 2.6 loads with `weights_only=True` by default, so whether a
`torch.load(path)` without `weights_only` is unsafe depends on the torch the
project runs. In order: `target-torch` of `[tool.wlint]`; else the lowest
version a torch requirement of the project allows (`torch==2.1.0`,
`torch>=2.6`, `torch~=2.4` in `[project] dependencies` / optional
dependencies of pyproject.toml, or in `requirements*.txt` next to it); else
the default: below 2.6 (the unsafe default, so nothing risky goes unsaid).
"""

from __future__ import annotations

import functools
import glob
import os
import re
from typing import Iterable, List, NamedTuple, Optional, Tuple

Version = Tuple[int, ...]

DEFAULT_SOURCE = "assumed: no target-torch in [tool.wlint], no torch pin found"
# `torch==2.1.0`, `torch >= 2.6, <3`, `torch~=2.4.0`, `torch[opt]==2.2` (not torchvision)
_REQUIREMENT = re.compile(r"^\s*torch(?:\[[^\]]*\])?\s*(?P<spec>(?:[<>=!~]=?|===)[^;#]*)?",
                          re.IGNORECASE)
_CLAUSE = re.compile(r"(?P<op>===|==|~=|>=|>|<=|<|!=)\s*(?P<version>[0-9][0-9A-Za-z.+*]*)")


class TorchTarget(NamedTuple):
    """The torch version assumed (None: below 2.6, nothing known) and why."""

    version: Optional[Version]
    source: str

    def describe(self) -> str:
        """`torch 2.1 (the torch==2.1.0 pin in requirements.txt)` for messages."""
        if self.version is None:
            return f"torch < 2.6 ({self.source})"
        return f"torch {'.'.join(map(str, self.version))} ({self.source})"


def lowest_allowed(spec: str) -> Optional[Version]:
    """The lowest version a requirement specifier allows, when it has a lower bound
    (`==`, `===`, `~=`, `>=`, `>`); None for `<2.6`, `!=2.5` or no specifier."""
    from wlint.rules import parse_version

    lows: List[Version] = []
    for clause in _CLAUSE.finditer(spec):
        if clause.group("op") in ("==", "===", "~=", ">=", ">"):
            try:
                version = parse_version(clause.group("version").rstrip(".*"))
            except ValueError:
                continue
            if version is not None:
                lows.append(version)
    return max(lows) if lows else None


def pins_in(lines: Iterable[str]) -> List[Tuple[str, Optional[Version]]]:
    """(requirement text, lowest allowed version) of every torch requirement."""
    found = []
    for line in lines:
        match = _REQUIREMENT.match(line.strip().strip("\"',"))
        if match is None:
            continue
        rest = line.strip().strip("\"',")[match.end():].lstrip()
        if rest and rest[0] not in ";#":
            continue  # torchvision, torch-geometric, ...
        spec = (match.group("spec") or "").strip()
        found.append((f"torch{spec}".replace(" ", ""), lowest_allowed(spec)))
    return found


def _pyproject_requirements(path: str) -> List[str]:
    from wlint.config import ConfigError, _read_toml

    try:
        data = _read_toml(path)
    except ConfigError:
        return []
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    out = [str(r) for r in project.get("dependencies", []) or []]
    for extra in (project.get("optional-dependencies") or {}).values():
        out.extend(str(r) for r in extra or [])
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if isinstance(poetry, dict) and isinstance(poetry.get("torch"), str):
        out.append("torch" + _poetry_spec(poetry["torch"]))
    return out


def _poetry_spec(spec: str) -> str:
    spec = spec.strip()
    if spec.startswith("^"):
        return ">=" + spec[1:]
    return spec if spec[:1] in "<>=!~" else "==" + spec


@functools.lru_cache(maxsize=64)
def detect(root: str) -> TorchTarget:
    """The torch pin of the project at `root` (pyproject.toml, then requirements*.txt);
    the default when there is none with a lower bound."""
    candidates: List[Tuple[str, List[str]]] = []
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        candidates.append(("pyproject.toml", _pyproject_requirements(pyproject)))
    for path in sorted(glob.glob(os.path.join(root, "requirements*.txt"))
                       + glob.glob(os.path.join(root, "requirements", "*.txt"))):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                candidates.append((os.path.relpath(path, root).replace(os.sep, "/"),
                                   handle.read().splitlines()))
        except OSError:
            continue
    for where, lines in candidates:
        for text, low in pins_in(lines):
            if low is not None:
                return TorchTarget(low, f"the {text} pin in {where}")
    return TorchTarget(None, DEFAULT_SOURCE)


def resolve(configured: Optional[str], config_source: Optional[str], root: str) -> TorchTarget:
    """target-torch when configured, else the project's torch pin, else the default."""
    from wlint.rules import parse_version

    if configured:
        where = os.path.basename(config_source) if config_source else "the command line"
        return TorchTarget(parse_version(configured), f"target-torch in {where}")
    return detect(os.path.abspath(root))
