"""Wall time, CPU time and peak memory of `wlint keys` on the pathological inputs of issue 11
(tests/hostile_inputs.py), one subprocess each, with the note it ends in.

    PYTHONPATH=$PWD python bench/hostile_budget.py [--timeout 60] [--memory-gib 3] [NAME ...]

Run it with PYTHONPATH at an older tree to get the "before" column. Each run is capped
(address space `--memory-gib`, wall `--timeout`) so a runaway input cannot take the
machine down; a capped run shows as `>TIMEOUT` or a MemoryError.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import hostile_inputs


def _limit(gib: float) -> None:
    cap = int(gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def measure(h: hostile_inputs.Hostile, work: Path, timeout: float, gib: float) -> Tuple[str, ...]:
    """(wall, CPU, max RSS, exit, outcome) of `wlint keys --format json` on one input."""
    path = work / f"{h.name}.py"
    path.write_text(h.source)
    argv = ["/usr/bin/time", "-f", "%U %S %M", sys.executable, "-m", "wlint", "keys",
            "--no-config", "--format", "json", str(path), h.expr]
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=lambda: _limit(gib), env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return (f">{timeout:.0f}", "?", "?", "killed", "no answer")
    wall = time.perf_counter() - start
    lines = proc.stderr.strip().splitlines()
    user, system, rss = lines[-1].split() if lines else ("0", "0", "0")
    return (f"{wall:.1f}", f"{float(user) + float(system):.1f}", f"{int(rss) / 1024:.0f}",
            str(proc.returncode), _outcome(proc.stdout, lines[:-1]))


def _outcome(stdout: str, stderr: List[str]) -> str:
    if any("Traceback" in line for line in stderr):
        return "traceback: " + (stderr[-1][:80] if stderr else "")
    try:
        report = json.loads(stdout)
    except ValueError:
        return "stderr: " + (stderr[-1][:100] if stderr else "(nothing)")
    notes = [f"line {n['line']}: {n['reason']}" for n in report.get("unresolved", [])]
    limit_notes = [n for n in notes if "too large" in n or "budget" in n or "too deep" in n]
    shown = limit_notes or notes
    return ("; ".join(shown)[:110] or "no note") + f" ({len(report.get('entries', []))} keys)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="inputs to run (default: all)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--memory-gib", type=float, default=3.0)
    ns = parser.parse_args()
    inputs = [h for h in hostile_inputs.all_inputs() if not ns.names or h.name in ns.names]
    print(f"wlint from {os.environ.get('PYTHONPATH', '(installed)')}")
    print("| input | what | wall s | CPU s | max RSS MB | exit | outcome |")
    print("|---|---|---:|---:|---:|---|---|")
    with tempfile.TemporaryDirectory(prefix="wlint-hostile-") as tmp:
        for h in inputs:
            wall, cpu, rss, code, outcome = measure(h, Path(tmp), ns.timeout, ns.memory_gib)
            print(f"| {h.name} | {h.what} | {wall} | {cpu} | {rss} | {code} | {outcome} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
