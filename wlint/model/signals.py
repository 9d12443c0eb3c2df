"""Exceptions that cross the abstract interpreter.

`BudgetExceeded` and `CannotInterpret` are what an overlay may raise; the
others are control flow of the analysed code (return, break, continue, raise),
caught by the statement handlers.
"""

from __future__ import annotations

from typing import Any

class BudgetExceeded(Exception):
    """The step budget of one prediction is spent."""


class ReturnSig(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class BreakSig(Exception):
    pass


class ContinueSig(Exception):
    pass


class RaiseSig(Exception):
    """The analysed code raises (an `assert`-like guard): this path is dead."""


class CannotInterpret(Exception):
    """The interpreter cannot handle a construct (becomes a note)."""



TOO_LARGE = "value too large to follow"


class TooLarge(CannotInterpret):
    """A value whose size would pass a limit of `wlint.model.budget` (refused before
    it is computed)."""

    def __init__(self, what: str = TOO_LARGE) -> None:
        super().__init__(what)
