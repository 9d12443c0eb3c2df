"""Named concrete models: the configurations whose checkpoints a project keeps.

A SPEC names one model instance: `PATH:EXPR` (`models/gpt.py:GPT(GPTConfig())`)
or a name from `[tool.wlint.models]`:

    [tool.wlint.models]
    gpt2-small = "model.py:GPT(GPTConfig(n_layer=12, n_head=12, n_embd=768))"
    tiny = { spec = "model.py:GPT(GPTConfig(n_layer=2))", signature = "sigs/tiny.json" }

`signature` points at the JSON of `wlint ckpt` made from a published checkpoint
(a signature file). Paths are relative to the folder of the pyproject.toml.
This module is a leaf: config, diff, review and verify all read specs through it.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

_SPEC_KEYS = {"spec", "signature"}


class SpecError(ValueError):
    """A SPEC or a `[tool.wlint.models]` entry that cannot name a model."""


@dataclass(frozen=True)
class ModelSpec:
    """One concrete model: the file its class lives in and the call that builds it."""

    name: str
    path: str  # as written: relative to `root`, or absolute
    expr: str
    signature: Optional[str] = None
    root: str = "."

    @property
    def file(self) -> str:
        """The model file as a path usable from the current directory."""
        return os.path.normpath(os.path.join(self.root, self.path))

    @property
    def signature_file(self) -> Optional[str]:
        if self.signature is None:
            return None
        return os.path.normpath(os.path.join(self.root, self.signature))

    @property
    def text(self) -> str:
        """The `PATH:EXPR` form."""
        return f"{self.path}:{self.expr}"


def split_spec(text: str) -> Tuple[str, str]:
    """'models/gpt.py:GPT(Cfg())' -> ('models/gpt.py', 'GPT(Cfg())').

    The path ends at the first `.py:`, so an EXPR may itself contain colons
    (`Net(cfg={'a': 1})`); without `.py` the first colon separates.
    """
    cut = text.find(".py:")
    index = cut + 3 if cut >= 0 else text.find(":")
    if index <= 0:
        raise SpecError(f"model spec {text!r}: expected PATH:EXPR or a name from "
                        "[tool.wlint.models]")
    path, expr = text[:index].strip(), text[index + 1:].strip()
    if not path or not expr:
        raise SpecError(f"model spec {text!r}: expected PATH:EXPR with both parts")
    try:
        ast.parse(expr, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SpecError(f"model spec {text!r}: EXPR {expr!r} is not a Python expression") from None
    return path, expr


def parse_models_table(table: Any, root: str) -> Dict[str, ModelSpec]:
    """`[tool.wlint.models]` -> {name: ModelSpec}; every entry validated now."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise SpecError("[tool.wlint.models]: expected a table of name = \"PATH:EXPR\"")
    return {str(name): _entry(str(name), value, root) for name, value in table.items()}


def _entry(name: str, value: Any, root: str) -> ModelSpec:
    where = f"[tool.wlint.models] {name!r}"
    signature = None
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - _SPEC_KEYS)
        if unknown:
            raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(_SPEC_KEYS))})")
        signature = value.get("signature")
        if signature is not None and not isinstance(signature, str):
            raise SpecError(f"{where}: signature must be a path string")
        value = value.get("spec")
    if not isinstance(value, str):
        raise SpecError(f"{where}: expected \"PATH:EXPR\" or a table with spec = \"PATH:EXPR\"")
    try:
        path, expr = split_spec(value)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    return ModelSpec(name=name, path=path, expr=expr, signature=signature, root=root)


def resolve_spec(text: str, models: Mapping[str, ModelSpec]) -> ModelSpec:
    """A `--model` argument: a configured name first, else `PATH:EXPR` (named by itself)."""
    if text in models:
        return models[text]
    if ":" not in text:
        known = ", ".join(sorted(models)) or "none configured"
        raise SpecError(f"--model {text!r}: not PATH:EXPR and not a name from "
                        f"[tool.wlint.models] ({known})")
    path, expr = split_spec(text)
    return ModelSpec(name=text, path=path, expr=expr)


def selected_models(config: Any, specs: Sequence[str]) -> List[ModelSpec]:
    """The models `diff`/`review` compare: the `--model` arguments (resolved by
    `config.model`, which raises ConfigError), else every model of `config.models`, so
    the pre-commit hook and CI compare the configured ones without being asked."""
    if specs:
        return [config.model(text) for text in dict.fromkeys(specs)]
    return list(config.models.values())
