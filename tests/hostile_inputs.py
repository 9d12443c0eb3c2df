"""The pathological model files of issue 11 (work the step budget must count by size).

One place for the inputs that `tests/test_budget.py` runs (one regression test each),
`bench/hostile_budget.py` measures (wall time and peak memory before/after) and the
`budget-pathological` class of `tests/fuzzgen.py` varies (`size` scales each one).

Each input is a model file defining `Net` whose `__init__` (or the module's top level)
does something that is cheap to write and huge to compute; `line` is the 1-based line
a note must name. `NET` wraps a body into such a file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Dict, List

HEADER = "import copy\nimport math\nimport torch\nfrom torch import nn\n\n"
HEAD_LINES = HEADER.count("\n")


def net(body: List[str], params: str = "", top: str = "") -> str:
    """A file: `top` (module level), then `class Net` running `body` before a Linear."""
    init = "\n".join("        " + line for line in body)
    return (HEADER + top + f"class Net(nn.Module):\n    def __init__(self{params}):\n"
            "        super().__init__()\n" + init + "\n        self.fc = nn.Linear(2, 3)\n")


def body_line(top: str = "", index: int = 0) -> int:
    """Line of the `index`-th body statement of `net(...)`."""
    return HEAD_LINES + top.count("\n") + 4 + index


@dataclass(frozen=True)
class Hostile:
    """A pathological input: its source, the EXPR of `wlint keys`, the line of the work."""

    name: str
    what: str
    source: str
    line: int  # 0: the work spreads over many lines (any line may be named)
    expect: str = "too-large"  # "too-large" (the note at `line`), "budget", "exact" (no
    # note, the right keys) or "unparsable" (a WL901 finding; keys: exit 2)
    keeps_rest: bool = True  # the Linear after the work is still predicted
    expr: str = "Net"


def _inside(name: str, what: str, body: List[str], index: int = 0, params: str = "",
            expect: str = "too-large", keeps_rest: bool = True) -> Hostile:
    return Hostile(name, what, net(body, params), body_line("", index), expect, keeps_rest)


def _mro_chain(n: int) -> Hostile:
    top = "class C0(nn.Module):\n    pass\n" + "".join(
        f"class C{i}(C{i - 1}):\n    pass\n" for i in range(1, n))
    text = HEADER + top + (f"class Net(C{n - 1}):\n    def __init__(self):\n"
                           "        super().__init__()\n        self.fc = nn.Linear(2, 3)\n")
    return Hostile("mro-chain", f"{n}-class inheritance chain", text, 0, "exact")


def _many_classes(n: int) -> Hostile:
    top = "".join(f"class C{i}(nn.Module):\n    pass\n" for i in range(n))
    return Hostile("classes-100k", f"{n} classes in one file", net([], top=top), 0, "exact")


def _deep_expression(n: int) -> Hostile:
    terms = n * 25
    return _inside("deep-expression", f"`x = 1 + 1 + ...` ({terms} terms)",
                   ["x = " + " + ".join(["1"] * terms)], expect="unparsable")


BUILDERS: Dict[str, Callable[[int], Hostile]] = {
    "bigint-pow": lambda n: _inside("bigint-pow", "`(10**4000)**4000`",
                                    [f"x = (10**{n})**{n}"]),
    "bigint-square": lambda n: _inside("bigint-square", "`x *= x` forty times",
                                       ["x = 3", f"for _ in range({n // 100}):", "    x *= x"], 2),
    "bigint-shift": lambda n: _inside("bigint-shift", "`1 << huge`", [f"x = 1 << (1 << {n // 100})"]),
    "bigint-prod": lambda n: _inside("bigint-prod", "`math.prod` of big ints",
                                     [f"x = math.prod([10**{n}] * {n})"]),
    "bigint-builtin-pow": lambda n: _inside("bigint-builtin-pow", "`pow()` of big ints",
                                            [f"x = pow(10, 10**{n // 500})"]),
    "sym-pow": lambda n: _inside("sym-pow", "`(a+b+c+d)**4000` over symbols",
                                 [f"x = (a + b + c + d) ** {n}"], params=", a, b, c, d"),
    "sym-grow": lambda n: _inside("sym-grow", "a growing symbolic expression",
                                  ["x = a", f"for i in range({n // 100}):", "    x = x * (x + b)"],
                                  2, params=", a, b"),
    "deepcopy-loop": lambda n: _inside("deepcopy-loop", "a `copy.deepcopy` loop",
                                       ["x = [1]", f"for _ in range({n // 100}):",
                                        "    x = [copy.deepcopy(x), copy.deepcopy(x)]"], 2,
                                       expect="budget", keeps_rest=False),
    "mro-chain": lambda n: _mro_chain(n * 3 // 4),
    "lstm-layers": lambda n: _inside("lstm-layers", "`nn.LSTM(4, 4, num_layers=10**6)`",
                                     [f"self.rnn = nn.LSTM(4, 4, num_layers=10**{n // 666})"]),
    "str-double": lambda n: _inside("str-double", "`s = s + s` forty times",
                                    ["s = 'ab'", f"for _ in range({n // 100}):", "    s = s + s"], 2),
    "str-ljust": lambda n: _inside("str-ljust", "`str.ljust` width",
                                   [f"s = 'a'.ljust(10**{n // 400})"]),
    "str-format-width": lambda n: _inside("str-format-width", "format width",
                                          [f"s = f\"{{1:>{{10**{n // 400}}}}}\""]),
    "str-join": lambda n: _inside("str-join", "`''.join` doubling",
                                  ["s = 'ab'", f"for _ in range({n // 100}):",
                                   "    s = ''.join([s, s])"], 2),
    "str-repeat": lambda n: _inside("str-repeat", "`'a' * n`", [f"s = 'a' * 10**{n // 400}"]),
    "set-range": lambda n: _inside("set-range", "a set over a huge range",
                                   [f"x = set(range(10**{n // 400}))"]),
    "list-extend": lambda n: _inside("list-extend", "`x.extend(x)` forty times",
                                     ["x = [0]", f"for _ in range({n // 100}):", "    x.extend(x)"], 2),
    "comprehension-sum": lambda n: _inside("comprehension-sum", "`sum(range)` in a comprehension",
                                           [f"x = [sum(range({n * 50})) for _ in range({n * 50})]"],
                                           expect="budget", keeps_rest=False),
    "nested-modules": lambda n: _inside("nested-modules", "deeply nested modules",
                                        ["m = nn.Linear(2, 2)", f"for _ in range({n}):",
                                         "    m = nn.Sequential(m)", "self.m = m"], 2),
    "shared-modules": lambda n: _inside("shared-modules", "a module shared 2**40 ways",
                                        ["m = nn.Linear(2, 2)", f"for _ in range({n // 100}):",
                                         "    m = nn.Sequential(m, m)", "self.m = m"], 2,
                                        keeps_rest=False),
    "while-200k": lambda n: _inside("while-200k", "a 200k-iteration `while`",
                                    ["i = 0", f"while i < {n * 50}:", "    i += 1"], 1,
                                    expect="budget", keeps_rest=False),
    "nested-list": lambda n: _inside("nested-list", "a list nested 100k deep, copied and printed",
                                     ["x = 1", f"for _ in range({n * 25}):", "    x = [x]",
                                      "y = copy.deepcopy(x)", "z = str(x)",
                                      "self.drop = nn.Dropout(p=x)"], 3),
    "deep-expression": _deep_expression,
}

DEFAULT_SIZE = 4000
"""`BUILDERS[name](DEFAULT_SIZE)` is the input as the issue wrote it (4000, forty, 10**6...)."""


def hostile(name: str, size: int = DEFAULT_SIZE) -> Hostile:
    return BUILDERS[name](size)


def all_inputs() -> List[Hostile]:
    inputs = [hostile(name) for name in BUILDERS]
    return inputs + [_many_classes(100_000)]


def random_input(rng: random.Random) -> Hostile:
    """One input at a random size between half and twice the issue's."""
    name = rng.choice(sorted(BUILDERS))
    return hostile(name, rng.randint(DEFAULT_SIZE // 2, DEFAULT_SIZE * 2))
