"""The long fuzz campaign of issue 11: runs every hostile input class of
tests/fuzzgen.py many times and prints runs / failures per class, with the
distinct failure messages (most frequent first).

    PYTHONPATH=$PWD python bench/fuzz_campaign.py --runs 300 [--classes fix-separators,...]

Each run is seeded (`--seed` + run number), so a failure is reproduced by
`--seed S --runs 1 --classes C`. Runs happen in this process (wlint.cli.main),
each class in a fresh temporary folder; a run over its bound is a failure.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzgen


def campaign(classes: list, runs: int, seed: int, verbose: bool) -> int:
    total_failures = 0
    rows = []
    for name in classes:
        check = fuzzgen.CLASSES[name]
        failures: collections.Counter = collections.Counter()
        first_seed = {}
        start = time.perf_counter()
        base = Path(tempfile.mkdtemp(prefix=f"wlint-fuzz-{name}-"))
        try:
            for i in range(runs):
                work = base / f"r{i}"
                work.mkdir()
                rng = random.Random(seed + i)
                failure = check(rng, work)
                if failure:
                    failures[failure] += 1
                    first_seed.setdefault(failure, seed + i)
                    if verbose:
                        print(f"  {name} seed={seed + i}: {failure}", file=sys.stderr)
        finally:
            for folder, dirs, _ in os.walk(base):
                for d in dirs:
                    os.chmod(os.path.join(folder, d), 0o755)
            shutil.rmtree(base, ignore_errors=True)
        elapsed = time.perf_counter() - start
        n_fail = sum(failures.values())
        total_failures += n_fail
        rows.append((name, runs, n_fail, elapsed))
        print(f"{name:<18} runs {runs:>5}  failures {n_fail:>5}  ({elapsed:.1f} s)")
        for message, count in failures.most_common(8):
            print(f"    {count:>5} x {message}  [seed {first_seed[message]}]")
        sys.stdout.flush()
    print()
    print("| input class | runs | failures |")
    print("|---|---|---|")
    for name, n, f, _ in rows:
        print(f"| {name} | {n} | {f} |")
    return total_failures


def limit_memory(gib: float) -> None:
    """Cap the address space: an input that makes wlint read /dev/zero whole must fail
    here as a MemoryError, not take the machine down."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    cap = int(gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per input class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", default=",".join(fuzzgen.CLASSES),
                        help="comma-separated input classes")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failure")
    parser.add_argument("--memory-gib", type=float, default=3.0,
                        help="address-space limit of this process (a MemoryError is a failure)")
    ns = parser.parse_args()
    limit_memory(ns.memory_gib)
    classes = [c for c in ns.classes.split(",") if c]
    unknown = [c for c in classes if c not in fuzzgen.CLASSES]
    if unknown:
        parser.error(f"unknown classes {unknown}; known: {', '.join(fuzzgen.CLASSES)}")
    campaign(classes, ns.runs, ns.seed, ns.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
