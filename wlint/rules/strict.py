"""WL103: `load_state_dict(..., strict=False)` whose result nobody reads."""

from __future__ import annotations

import ast
from typing import Iterator

from wlint.codes import CodeDoc
from wlint.rules.base import Context, Hit, Rule, argument, documented
from wlint.rules.names import IMPORT, CallSite


def _falsy_literal(node: object) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, 0) and node.value is not None


@documented
class DiscardedNonStrictLoad(Rule):
    doc = CodeDoc(
        code="WL103", name="strict-false-result-discarded", severity="warning",
        summary=("model.load_state_dict(..., strict=False) (or strict passed positionally) as a "
                 "bare statement: the returned missing/unexpected keys are never looked at."),
        why=("strict=False turns 'Missing key(s) in state_dict' and 'Unexpected key(s) in "
             "state_dict' into a return value. Thrown away, a renamed layer silently keeps its "
             "random initialisation. Assigning or checking the result is not reported "
             "(`_ = ...` counts as a deliberate choice); neither is a non-literal strict=, nor "
             "a module-level helper function called load_state_dict (e.g. utils.load_state_dict)."),
        bad="model.load_state_dict(state, strict=False)",
        good=("missing, unexpected = model.load_state_dict(state, strict=False)\n"
              "assert not unexpected and set(missing) <= {\"head.weight\", \"head.bias\"}"),
    )

    def check(self, site: CallSite, ctx: Context) -> Iterator[Hit]:
        call = site.node
        func = call.func
        if not site.discarded or not isinstance(func, ast.Attribute):
            return
        if func.attr != "load_state_dict" or self._is_module_function(func.value, site, ctx):
            return
        if _falsy_literal(argument(call, "strict", 1)):
            yield self.hit(site, "load_state_dict(strict=False) result discarded: Missing "
                                 "key(s) and Unexpected key(s) in state_dict are silently "
                                 "ignored (check the returned keys)")

    @staticmethod
    def _is_module_function(receiver: ast.expr, site: CallSite, ctx: Context) -> bool:
        """`helpers.load_state_dict(...)` on an imported module or class is a plain function."""
        root = receiver
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return False
        binding = ctx.info.lookup(root.id, site.scope, (root.lineno, root.col_offset))
        return binding is not None and binding.kind == IMPORT


RULES = [DiscardedNonStrictLoad()]
