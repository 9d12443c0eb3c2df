"""Torch versions: which one WL102 assumes and where that came from, the newest one
wlint's layer catalog was checked against, and version parsing (pure: no files read;
wlint.config finds the project's requirements). A leaf module: the config, the rules
and the predictor read it, so importing it loads none of them.

torch >= 2.6 loads with `weights_only=True` by default, so whether a
`torch.load(path)` without `weights_only` is unsafe depends on the torch the
project runs. In order: `target-torch` of `[tool.wlint]`; else the lowest
version a torch requirement of the project allows (`torch==2.1.0`,
`torch>=2.6`, `torch~=2.4` in `[project] dependencies` / optional
dependencies of pyproject.toml, or in `requirements*.txt` next to it); else
the default: below 2.6 (the unsafe default, so nothing risky goes unsaid).
"""

from __future__ import annotations

import re
from typing import Iterable, List, NamedTuple, Optional, Tuple

Version = Tuple[int, ...]

# the newest torch the layer catalog (wlint.model.layers) was checked against
CHECKED_TORCH: Version = (2, 13)

DEFAULT_SOURCE = "assumed: no target-torch in [tool.wlint], no torch pin found"
# `torch==2.1.0`, `torch >= 2.6, <3`, `torch~=2.4.0`, `torch[opt]==2.2` (not torchvision)
_REQUIREMENT = re.compile(r"^\s*torch(?:\[[^\]]*\])?\s*(?P<spec>(?:[<>=!~]=?|===)[^;#]*)?",
                          re.IGNORECASE)
_CLAUSE = re.compile(r"(?P<op>===|==|~=|>=|>|<=|<|!=)\s*(?P<version>[0-9][0-9A-Za-z.+*]*)")


class TorchTarget(NamedTuple):
    """The torch version assumed (None: below 2.6, nothing known), why, and the
    requirement it came from (`torch>=1.8`; "" when not from a pin)."""

    version: Optional[Version]
    source: str
    requirement: str = ""

    def describe(self) -> str:
        """`torch 2.1 (the torch==2.1.0 pin in requirements.txt)` for messages."""
        if self.version is None:
            return f"torch < 2.6 ({self.source})"
        return f"torch {'.'.join(map(str, self.version))} ({self.source})"


def lowest_allowed(spec: str) -> Optional[Version]:
    """The lowest version a requirement specifier allows, when it has a lower bound
    (`==`, `===`, `~=`, `>=`, `>`); None for `<2.6`, `!=2.5` or no specifier."""
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


def allows(spec: str, version: Version) -> bool:
    """Whether a requirement specifier (`>=1.8,<2.0`, `==2.1.*`) allows `version`."""
    for clause in _CLAUSE.finditer(spec):
        op, text = clause.group("op"), clause.group("version")
        wildcard = text.endswith(".*")
        try:
            bound = parse_version(text.rstrip(".*"))
        except ValueError:
            continue
        if bound is None:
            continue
        width = max(len(bound), len(version))
        mine, theirs = padded(version, width), padded(bound, width)
        if wildcard and op in ("==", "!="):
            same = version[:len(bound)] == bound
            ok = same if op == "==" else not same
        elif op == "~=":
            ok = mine >= theirs and version[:max(1, len(bound) - 1)] == bound[:max(1, len(bound) - 1)]
        else:
            ok = {"==": mine == theirs, "===": mine == theirs, "!=": mine != theirs,
                  ">=": mine >= theirs, ">": mine > theirs, "<=": mine <= theirs,
                  "<": mine < theirs}[op]
        if not ok:
            return False
    return True


def padded(version: Version, width: int) -> Version:
    """(2, 4) padded to width 3: (2, 4, 0), for comparing versions of different lengths."""
    return tuple(version) + (0,) * (width - len(version))


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


def parse_version(text: Optional[str]) -> Optional[Version]:
    """'2.6' / '2.6.0+cu121' -> (2, 6, 0); None or '' -> None; raises ValueError."""
    if not text:
        return None
    core = str(text).strip().split("+", 1)[0]
    parts: List[int] = []
    for piece in core.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    if not parts:
        raise ValueError(f"not a version: {text!r}")
    return tuple(parts)
