"""`wlint diff` speed on a generated repository: 200 model files, 10 changed between
two commits. Targets: under 2 s cold (empty cache), under 0.5 s warm.

    python bench/diff_speed.py [--files 200] [--changed 10] [--runs 3]

Each run is a fresh `python -m wlint diff --base HEAD~1 --head HEAD` process (what a
user or CI pays, interpreter start-up included); "cold" uses a new, empty cache
directory every run, "warm" a cache filled by a previous run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

MODEL = '''\
import torch
import torch.nn as nn

from models.common import Norm


class Block{i}(nn.Module):
    """Residual MLP block of model {i}."""

    def __init__(self, dim: int = {dim}, mult: int = 4, p: float = 0.1):
        super().__init__()
        self.norm = Norm(dim)
        self.fc_in = nn.Linear(dim, mult * dim)
        self.act = nn.GELU()
        self.drop = nn.Dropout(p)
        self.fc_out = nn.Linear(mult * dim, dim)

    def forward(self, x):
        return x + self.drop(self.fc_out(self.act(self.fc_in(self.norm(x)))))


class Model{i}(nn.Module):
    def __init__(self, vocab: int = {vocab}, dim: int = {dim}, depth: int = 3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.stem = nn.Sequential(
            nn.Conv1d(dim, dim, kernel_size=3, padding=1),
            nn.BatchNorm1d(dim),
            nn.ReLU(),
        )
        self.blocks = nn.ModuleList([Block{i}(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, vocab, bias=False)
        self.register_buffer("pos", torch.zeros(1, 64, dim))

    def forward(self, idx):
        x = self.embed(idx)
        x = self.stem(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        return self.head(x)
'''

COMMON = '''\
import torch
import torch.nn as nn


class Norm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * self.weight
'''


def _git(cwd: str, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def make_repo(root: str, files: int, changed: int, touch_common: bool = False) -> None:
    os.makedirs(os.path.join(root, "models"))
    with open(os.path.join(root, "models", "__init__.py"), "w") as fh:
        fh.write("")
    with open(os.path.join(root, "models", "common.py"), "w") as fh:
        fh.write(COMMON)
    for i in range(files):
        with open(os.path.join(root, "models", f"model_{i:03d}.py"), "w") as fh:
            fh.write(MODEL.format(i=i, dim=32 + 8 * (i % 5), vocab=100 + i))
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    step = max(1, files // changed)
    for n in range(changed):
        i = n * step
        path = os.path.join(root, "models", f"model_{i:03d}.py")
        with open(path) as fh:
            text = fh.read()
        kind = n % 4
        if kind == 0:  # wider head
            text = text.replace("nn.Linear(dim, vocab, bias=False)", "nn.Linear(dim, vocab, bias=True)")
        elif kind == 1:  # index shift
            text = text.replace("            nn.BatchNorm1d(dim),\n",
                                "            nn.Dropout(0.1),\n            nn.BatchNorm1d(dim),\n")
        elif kind == 2:  # rename
            text = text.replace("self.head = ", "self.lm_head = ").replace("self.head(", "self.lm_head(")
        else:  # behaviour
            text = text.replace("kernel_size=3, padding=1", "kernel_size=3, padding=1, dilation=1, stride=2")
        with open(path, "w") as fh:
            fh.write(text)
    if touch_common:  # a shared module every model imports: all 200 files become candidates
        with open(os.path.join(root, "models", "common.py"), "a") as fh:
            fh.write("\n\nclass Unused(nn.Module):\n    pass\n")
    _git(root, "commit", "-qam", "head")


def _env(cache: str) -> Dict[str, str]:
    """Like a user's shell: bytecode caching on (some CI images set
    PYTHONDONTWRITEBYTECODE, which would recompile wlint on every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["WLINT_CACHE_DIR"] = cache
    return env


def compile_wlint() -> None:
    """Write wlint's bytecode once, as `pip install` does, before timing."""
    subprocess.run([sys.executable, "-c", "import wlint.cli, wlint.commands.diff, "
                    "wlint.compat.driver, wlint.model.api, wlint.report.text_report"],
                   check=True, env=_env(""))


CPU: Dict[str, List[float]] = {"cold": [], "warm": []}


def run_diff(root: str, cache: str, kind: str = "") -> float:
    """Wall time of one run; its CPU time (user + system, immune to a busy machine)
    goes to CPU[kind]."""
    env = _env(cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "wlint", "diff", "--base", "HEAD~1", "--head",
                           "HEAD"], cwd=root, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"wlint diff failed ({proc.returncode}): {proc.stderr.strip()}")
    if kind:
        CPU[kind].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def count_findings(root: str) -> int:
    proc = subprocess.run([sys.executable, "-m", "wlint", "diff", "--base", "HEAD~1", "--head",
                           "HEAD", "--no-cache"], cwd=root, capture_output=True, text=True)
    return len(proc.stdout.splitlines())


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--touch-common", action="store_true",
                        help="also change the module every model imports (worst case)")
    ns = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="wlint-bench-")
    try:
        root = os.path.join(tmp, "repo")
        make_repo(root, ns.files, ns.changed, ns.touch_common)
        compile_wlint()
        results: Dict[str, List[float]] = {"cold": [], "warm": []}
        for run in range(ns.runs):
            cache = os.path.join(tmp, f"cache-{run}")
            results["cold"].append(run_diff(root, cache, "cold"))
            results["warm"].append(run_diff(root, cache, "warm"))
        findings = count_findings(root)
        cold, warm = statistics.median(results["cold"]), statistics.median(results["warm"])
        extra = " + the shared module they all import" if ns.touch_common else ""
        print(f"repository: {ns.files} model files, {ns.changed} changed{extra}, "
              f"{findings} findings")
        print(f"cold (empty cache): median {cold:.3f} s  runs "
              + " ".join(f"{t:.3f}" for t in results["cold"]) + "  target < 2 s")
        print(f"warm (cache hit):   median {warm:.3f} s  runs "
              + " ".join(f"{t:.3f}" for t in results["warm"]) + "  target < 0.5 s")
        print(f"CPU time (user+sys, children): cold {statistics.median(CPU['cold']):.3f} s, "
              f"warm {statistics.median(CPU['warm']):.3f} s  (load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        ok = cold < 2.0 and warm < 0.5
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
