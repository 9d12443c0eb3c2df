"""One budget for everything (issue 11, deliverable 1): one regression test per
pathological input of `tests/hostile_inputs.py`, run as `wlint keys` in a subprocess
capped at 2 GiB of address space, plus unit tests of the size estimates.

A test asserts the behaviour: exit 0 and valid JSON, no traceback, the note naming the
line with "value too large to follow" (or the budget's reason), and the rest of the
model still predicted. The subprocess timeout is only a safety net that fails the test
(no timing is asserted; bench/hostile_budget.py measures time and memory).
"""

from __future__ import annotations

import ast
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import hostile_inputs
from wlint.model import budget
from wlint.model.signals import TOO_LARGE, TooLarge
from wlint.model.symbolic import Sym

ROOT = Path(__file__).resolve().parent.parent
MEMORY_CAP = 2 << 30
SAFETY_NET_S = 600  # a hang fails the test; not a speed assertion
BUDGET = "step budget exhausted"
REST = {"fc.weight", "fc.bias"}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def wlint(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "wlint", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=SAFETY_NET_S, preexec_fn=_cap_memory,
                          check=False)


CASES = [h for h in hostile_inputs.all_inputs() if h.expect != "unparsable"]


@pytest.mark.parametrize("h", CASES, ids=[h.name for h in CASES])
def test_pathological_input_ends_in_a_note(h: hostile_inputs.Hostile, tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(h.source)
    proc = wlint(["keys", "--no-config", "--format", "json", "model.py", h.expr], tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    notes = [(n["line"], n["reason"]) for n in report["unresolved"]]
    keys = {e["key"] for e in report["entries"]}
    if h.expect == "exact":
        assert keys == REST and not notes
        return
    word = TOO_LARGE if h.expect == "too-large" else BUDGET
    lines = [line for line, reason in notes if word in reason]
    assert lines, notes
    if h.expect == "too-large" and h.line:
        assert h.line in lines, notes
    if h.keeps_rest:
        assert keys >= REST, (keys, notes)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo,
                   check=True, capture_output=True)


@pytest.mark.parametrize("command", ["check", "keys", "diff", "review"])
def test_deep_code_is_a_finding_in_every_subcommand(command: str, tmp_path: Path) -> None:
    deep = hostile_inputs.hostile("deep-expression")
    _git(tmp_path, "init", "-q")
    (tmp_path / "model.py").write_text(hostile_inputs.net([]))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "model.py").write_text(deep.source)
    argv = {"check": ["check", "--no-config", "--format", "json", "model.py"],
            "keys": ["keys", "--no-config", "model.py", "Net"],
            "diff": ["diff", "--no-config", "--no-cache", "--base", "HEAD", "--format", "json"],
            "review": ["review", "--no-config", "--no-cache", "--base", "HEAD", "--format",
                       "json"]}[command]
    proc = wlint(argv, tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if command == "keys":  # no findings in keys: the file is bad input, one line, exit 2
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert "cannot parse" in proc.stderr
        return
    assert proc.returncode == 1, proc.stderr
    codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert "WL901" in codes


# -- the size estimates ----------------------------------------------------------------------

@pytest.mark.parametrize("op, a, b", [
    (ast.Pow(), 10 ** 4000, 4000), (ast.Pow(), 2, 1 << 20), (ast.LShift(), 1, 1 << 40),
    (ast.Mult(), 7 ** 40000, 7 ** 40000), (ast.Add(), "ab" * (1 << 19), "ab" * (1 << 19)),
    (ast.Mult(), "a", 10 ** 10), (ast.Mult(), [0], 10 ** 9), (ast.Add(), [0] * 150_000,
                                                            [0] * 150_000),
], ids=lambda v: type(v).__name__)
def test_results_past_a_limit_are_refused_before_computing(op: ast.operator, a: object,
                                                            b: object) -> None:
    with pytest.raises(TooLarge):
        budget.binop_cost(op, a, b)


@pytest.mark.parametrize("op, a, b", [
    (ast.Pow(), 2, 64), (ast.Pow(), 10, 4000), (ast.LShift(), 1, 4096), (ast.Mult(), "ab", 100),
    (ast.Add(), [1], [2]), (ast.Pow(), 1, 10 ** 12), (ast.Pow(), -1, 10 ** 12),
    (ast.Pow(), 0, 10 ** 12), (ast.Pow(), 2, -10 ** 12), (ast.FloorDiv(), 10 ** 9, 7),
], ids=lambda v: type(v).__name__)
def test_model_sized_values_are_computed(op: ast.operator, a: object, b: object) -> None:
    cost = budget.binop_cost(op, a, b)
    assert cost < 1000
    fn = {ast.Pow: pow, ast.LShift: lambda x, y: x << y, ast.Mult: lambda x, y: x * y,
          ast.Add: lambda x, y: x + y, ast.FloorDiv: lambda x, y: x // y}[type(op)]
    fn(a, b)  # and Python computes them at once


def test_the_cost_of_a_value_grows_with_its_size() -> None:
    small, big = budget.size_cost("a" * 100), budget.size_cost("a" * 100_000)
    assert small < big and budget.size_cost([0] * 10_000) > budget.size_cost([0] * 100)
    assert budget.size_cost(1 << 60_000) > budget.size_cost(1 << 600)


def test_symbolic_growth_is_refused() -> None:
    a, b, c, d = (Sym.name(n) for n in "abcd")
    with pytest.raises(TooLarge):
        budget.binop_cost(ast.Pow(), a + b + c + d, 4000)
    with pytest.raises(TooLarge):
        a ** 100_000
    x = a + b
    for _ in range(3):
        x = x * x  # 2, 3, 5 ... terms: model-sized
    assert isinstance(x, Sym) and budget.binop_cost(ast.Mult(), x, x) < 1000


@pytest.mark.parametrize("spec", [">10000000000", ".2000000f", "010000001"])
def test_format_widths_past_the_string_limit_are_refused(spec: str) -> None:
    with pytest.raises(TooLarge):
        budget.check_spec(spec)
    with pytest.raises(TooLarge):
        budget.check_template("{:" + spec + "}", [])


def test_format_widths_of_model_code_pass() -> None:
    budget.check_spec(">8")
    budget.check_template("layer_{:03d}.{}", [1, "w"])
    budget.check_percent("%5.2f %s", (1.0, "x"))
    with pytest.raises(TooLarge):
        budget.check_percent("%*d", (10 ** 10, 1))


@pytest.mark.parametrize("name, args", [
    ("pow", [10, 10 ** 8]), ("prod", [[10 ** 4000] * 4000]), ("set", [range(10 ** 10)]),
    ("repeat", ["x", 10 ** 9]), ("sorted", [range(10 ** 8)]),
], ids=lambda v: v if isinstance(v, str) else "args")
def test_builtins_past_a_limit_are_refused(name: str, args: list) -> None:
    with pytest.raises(TooLarge):
        budget.call_cost(name, args, {})


@pytest.mark.parametrize("owner, name, args", [
    ("a", "ljust", [10 ** 10]), ("a", "zfill", [10 ** 10]), ("ab" * 1000, "join", [["x" * 1000] * 1000]),
    ("a" * 1000, "replace", ["a", "b" * 2000]), ("{:>10000000000}", "format", [1]),
    ("a", "__mul__", [10 ** 10]), (3, "__pow__", [10 ** 9]), ("\t" * 1000, "expandtabs", [10 ** 6]),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else type(v).__name__)
def test_methods_past_a_limit_are_refused(owner: object, name: str, args: list) -> None:
    with pytest.raises(TooLarge):
        budget.method_cost(owner, name, args, {})


def test_an_mro_past_the_cap_is_one_line_naming_the_limit(tmp_path: Path) -> None:
    h = hostile_inputs.hostile("mro-chain", budget.MAX_MRO * 4 // 3 + 100)
    (tmp_path / "model.py").write_text(h.source)
    proc = wlint(["keys", "--no-config", "model.py", h.expr], tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr[-2000:]
    assert TOO_LARGE in proc.stderr and "base class is unknown" in proc.stderr
