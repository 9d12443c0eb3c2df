"""Shared by keys_vs_torch.py and diff_vs_torch.py: a fresh process timed by wall
clock and by CPU (user + sys of the child: what it costs on a shared machine), the
torch baseline process and medians.

The torch baseline (``python bench/sidebyside.py CASE_JSON REPO_DIR DEPS``) does
what a user of torch pays to learn a state_dict and nothing more: start Python,
import torch, set up the exam's import path and stubs (bench/real_code_exam.py),
import the model's module and build EXPR under ``torch.device(case.device)``,
then read ``state_dict().keys()``.

Bytecode is cached for both sides, as an installed wlint and a project whose code
has run once have it: ``PYTHONDONTWRITEBYTECODE`` is dropped from every timed
child (``bytecode_env``) and each command runs once untimed first (``warm_up``),
so neither wlint nor the model's module compiles itself in a timed run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce

Timing = Tuple[float, float]  # (wall seconds, CPU seconds user + sys)


def run_timed(cmd: Sequence[str], cwd: str, env: Optional[Dict[str, str]], timeout: float) -> Optional[Timing]:
    """(wall, CPU) of one child process; None when it fails (exit code other than 0/1)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (wall, cpu) if proc.returncode in (0, 1) else None


def bytecode_env(env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """`env` (default: this process's) with bytecode caching allowed."""
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def warm_up(cmd: Sequence[str], cwd: str, env: Optional[Dict[str, str]], timeout: float) -> None:
    """Run once untimed so the timed runs find their bytecode cached."""
    run_timed(cmd, cwd, env, timeout)


def torch_cmd(case: rce.Case, repo_dir: Path, deps: str) -> List[str]:
    return [sys.executable, str(Path(__file__).resolve()), json.dumps(asdict(case)), str(repo_dir), deps]


def torch_build(case: rce.Case, repo_dir: Path, deps: str, timeout: float) -> Optional[Timing]:
    """The torch baseline for one case in a fresh process (bytecode cached)."""
    return run_timed(torch_cmd(case, repo_dir, deps), str(repo_dir), bytecode_env(), timeout)


def median(timings: List[Optional[Timing]]) -> Optional[Timing]:
    """Medians of wall and CPU; None when any run failed."""
    if not timings or any(t is None for t in timings):
        return None
    return (statistics.median(t[0] for t in timings if t),  # type: ignore[index]
            statistics.median(t[1] for t in timings if t))  # type: ignore[index]


def added(a: Optional[Timing], b: Optional[Timing]) -> Optional[Timing]:
    return (a[0] + b[0], a[1] + b[1]) if a and b else None


def sec(t: Optional[Timing]) -> str:
    return f"{t[0]:.2f} / {t[1]:.2f}" if t else "fail"


def ratio(a: Optional[Timing], b: Optional[Timing]) -> str:
    """torch / wlint, wall and CPU."""
    return f"{a[0] / b[0]:.1f}x / {a[1] / b[1]:.1f}x" if a and b and b[0] and b[1] else "-"


def add_common_arguments(ap: argparse.ArgumentParser, only_help: str) -> None:
    """The options keys_vs_torch and diff_vs_torch share (checkout, mirrors, deps, runs)."""
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--wlint", default=".", help="wlint checkout under test (default: current directory)")
    ap.add_argument("--deps", default=rce.DEFAULT_DEPS)
    ap.add_argument("--work", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--only", nargs="*", default=None, help=only_help)
    ap.add_argument("--eager", action="store_true", help="also time wlint with lazy imports off")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _build(case_json: str, repo_dir: str, deps: str) -> None:
    import contextlib
    import importlib
    import io

    import torch

    case = rce.case_from_json(json.loads(case_json))
    rce.setup_imports(case, Path(repo_dir), deps)
    with contextlib.redirect_stdout(io.StringIO()):
        module = importlib.import_module(case.module)
        with torch.device(case.device):
            model = eval(case.expr, vars(module))
    assert list(model.state_dict().keys()) is not None


if __name__ == "__main__":
    _build(*sys.argv[1:4])
