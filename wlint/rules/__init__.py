"""WL1xx rules. Importing this package registers every rule's CodeDoc.

`analyze(tree, ...)` runs the enabled rules over one parsed module and returns
(line, col, code, message) tuples; `could_match(text)` (from wlint.prefilter)
is the text test that lets callers skip files that cannot hold a finding. Both
are used by `wlint check` and by the flake8 plugin, so the two always agree.
"""

from __future__ import annotations

import ast
from typing import Collection, List, Optional, Tuple, Union

from wlint.prefilter import could_match
from wlint.rules import loading, saving, strict
from wlint.rules.base import Context, Rule, Version
from wlint.rules.names import ModuleInfo
from wlint.torch_target import TorchTarget, parse_version

RawFinding = Tuple[int, int, str, str]  # line, col (0-based), code, message

FAMILIES = (loading, saving, strict)
ALL_RULES: List[Rule] = [rule for family in FAMILIES for rule in family.RULES]
RULE_CODES = tuple(sorted(rule.code for rule in ALL_RULES))
SEVERITY = {rule.code: rule.doc.severity for rule in ALL_RULES}  # each finding's, by code
TOO_DEEP = "cannot analyse: expressions nested too deeply; nothing in this file was checked"


def analyze(tree: ast.Module, target_torch: Union[TorchTarget, Version, None] = None,
            codes: Optional[Collection[str]] = None,
            text: Optional[str] = None) -> List[RawFinding]:
    """Findings of the rules in `codes` (default: all) for one parsed module;
    passing its source `text` lets the walk skip bodies that cannot matter."""
    rules = [r for r in ALL_RULES if codes is None or r.code in codes]
    if not rules:
        return []
    info: Optional[ModuleInfo] = None
    try:
        info = ModuleInfo(tree, text)
        ctx = Context(info, target_torch)
        found: List[RawFinding] = []
        for site in info.calls:
            for rule in rules:
                for line, col, message in rule.check(site, ctx):
                    found.append((line, col, rule.code, message))
    except RecursionError:
        return [(1, 0, "WL901", TOO_DEEP)]
    finally:
        if info is not None:
            info.release()
    found.sort()
    return found


__all__: List[str] = ["ALL_RULES", "RULE_CODES", "SEVERITY", "analyze", "could_match", "parse_version"]
