"""A second expression for classes built from a required config object.

`wlint diff` predicts a bare class name, so a required `config: Cfg` parameter
becomes a symbol and a change of a `Cfg` *default* is invisible (both sides read
`config.vocab`). When every required constructor parameter is annotated with a
project class that can be built with no arguments, `Net(Cfg())` is predicted too
(see driver._default_config_findings). Nothing here imports the analysed code.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any, List, Optional, Tuple

from wlint.source import dotted_name, parse

__all__ = ["config_call_args", "required_config_params"]


def _dotted(node: Optional[ast.expr]) -> Optional[str]:
    """`Cfg`, `cfgmod.Cfg` or the string annotation "Cfg" (anything else: None)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    return dotted_name(node) if node is not None else None


def _parse(text: str) -> Optional[ast.Module]:
    """The run's one parse of this text (wlint.source caches it)."""
    return parse(text)[0]


def required_config_params(text: str, cls_name: str) -> Optional[List[Tuple[str, str, bool]]]:
    """(param, annotation, keyword-only) of every required `__init__` parameter of the
    top-level class `cls_name`, when there is at least one and all are annotated with a
    (dotted) name; None otherwise. A pure syntax check: cheap enough for every class."""
    module = _parse(text)
    if module is None:
        return None
    cls = next((n for n in module.body if isinstance(n, ast.ClassDef) and n.name == cls_name),
               None)
    if cls is None:
        return None
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None)
    if init is None:
        return None
    spec = init.args
    positional = list(spec.posonlyargs) + list(spec.args)
    required = positional[1:len(positional) - len(spec.defaults)]
    out: List[Tuple[str, str, bool]] = [(a.arg, _dotted(a.annotation) or "", False)
                                        for a in required]
    out += [(a.arg, _dotted(a.annotation) or "", True)
            for a, d in zip(spec.kwonlyargs, spec.kw_defaults) if d is None]
    if not out or any(not ann or ann.split(".", 1)[0] in _NOT_CONFIG for _, ann, _ in out):
        return None
    return out


# annotation roots that never name a project config class: deciding that without loading
# the module (and everything it imports) keeps the check as cheap as the docstring says
_NOT_CONFIG = frozenset(dir(builtins)) | frozenset({
    "typing", "Optional", "Union", "List", "Tuple", "Dict", "Set", "Sequence", "Mapping",
    "Callable", "Any", "Type", "Iterable", "Literal", "torch", "nn", "Tensor", "np", "numpy"})


def config_call_args(tree: Any, relpath: str, params: List[Tuple[str, str, bool]]) -> Optional[str]:
    """The argument list `Cfg(), opts=Opts()` when every annotation resolves, in the
    module namespace of `relpath` as the predictor sees it, to a non-module project
    class constructible with no arguments; None otherwise."""
    from wlint.model.api import constructible_with_defaults

    if not constructible_with_defaults(tree, relpath, [ann for _, ann, _ in params]):
        return None
    return ", ".join(f"{name}={ann}()" if kw else f"{ann}()" for name, ann, kw in params)
