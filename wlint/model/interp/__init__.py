"""The evaluation core of the state-dict predictor (pytype's abstract.py-style façade).

    core.py         Interpreter: budget, notes, module loading, dispatch, the handler API
    frames.py       Scope and the dynamic context (file, conditions, loop atoms)
    statements.py   if/for/while/try/with, def and class
    assignments.py  targets, unpacking, augmented assignment, delete
    imports.py      import statements and module attributes
    expressions.py  names, literals, subscripts, comprehensions, yield, iteration
    operators.py    binary/unary/boolean operators, comparisons, truth
    calls.py        calls by callee kind, argument binding, instantiation
    attributes.py   attribute lookup, MRO, super()

Library knowledge lives in `wlint.model.overlays`.
"""

from wlint.model.interp.core import Interpreter
from wlint.model.interp.frames import Scope

__all__ = ["Interpreter", "Scope"]
