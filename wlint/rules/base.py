"""What every WL1xx rule shares: the per-module context, call-argument lookup and
the `Rule` base class. A rule sees one call at a time and yields (line, col,
message); it never knows about files, configuration, the CLI or git."""

from __future__ import annotations

import ast
from typing import Any, Dict, Iterator, Optional, Tuple, Union

from wlint.codes import CodeDoc, register
from wlint.rules.names import CallSite, ModuleInfo
from wlint.torch_target import DEFAULT_SOURCE, TorchTarget

Version = Tuple[int, ...]
Hit = Tuple[int, int, str]  # line (1-based), col (0-based, as ast/flake8), message

MISSING = object()  # the argument is not passed
UNKNOWN = object()  # cannot tell: *args or **kwargs could carry it


class Context:
    """One module under analysis, shared by all rules; caches callee names."""

    def __init__(self, info: ModuleInfo, target: Union[TorchTarget, Version, None]) -> None:
        self.info = info
        if not isinstance(target, TorchTarget):
            target = (TorchTarget(target, "target-torch") if target is not None
                      else TorchTarget(None, DEFAULT_SOURCE))
        self.target = target  # the torch version WL102 assumes, and where it came from
        self.target_torch = target.version
        self._callee: Dict[int, Optional[str]] = {}
        self.cache: Dict[str, Any] = {}

    def callee(self, site: CallSite) -> Optional[str]:
        """Canonical qualified name of the called function (`torch.load`), if imported."""
        key = id(site.node)
        if key not in self._callee:
            self._callee[key] = self.info.qualname(site.node.func, site.scope)
        return self._callee[key]


def argument(call: ast.Call, name: str, position: Optional[int]) -> Any:
    """The expression passed for parameter `name` (at `position` when positional),
    MISSING when it is certainly absent, UNKNOWN when `*args`/`**kwargs` may hold it."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if position is not None:
        for index, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return UNKNOWN
            if index == position:
                return arg
    if any(kw.arg is None for kw in call.keywords):
        return UNKNOWN
    return MISSING


def is_false(node: Any) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def is_none(node: Any) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class Rule:
    """A WL1xx rule: its code, message and documentation in one place."""

    doc: CodeDoc

    @property
    def code(self) -> str:
        return self.doc.code

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        raise NotImplementedError

    def hit(self, site: CallSite, message: str) -> Hit:
        return (site.node.lineno, site.node.col_offset, message)


def documented(cls: type) -> type:
    """Class decorator: register the rule's CodeDoc with the code registry."""
    register(cls.doc)  # type: ignore[attr-defined]
    return cls
