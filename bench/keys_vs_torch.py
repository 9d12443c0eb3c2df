"""`wlint keys` against torch, side by side: who tells the state_dict of a real model faster.

For each case of the real-code exam (bench/real_code_exam.py: same mirrors,
pinned commits and deps folder) and in one run:

* torch: a fresh process imports torch, imports the model's module from the
  extracted source and builds EXPR on the meta device (the exam's truth
  worker, one case per process);
* wlint cold: a fresh ``wlint keys PATH EXPR --format json`` process with an
  empty cache directory (``WLINT_CACHE_DIR``);
* wlint warm: the same command again with the cache the cold run left.

Each figure is the median of ``--runs`` runs (wall clock, process start-up
included: what a user pays).  Targets (issue 12): wlint >= 10x faster than
torch on timm's ResNet and ViT and on every exam model, >= 20x on
single-file models.

Usage::

    python bench/keys_vs_torch.py --mirror-root /work/.mirror [--wlint DIR] [--runs 3]
        [--only CASE_ID ...] [--all]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce

# timm's ResNet and ViT (factory and class), then single-file models
DEFAULT_CASES = (
    "timm-resnet18", "timm-resnet-class", "timm-vit-tiny", "timm-vit-class",
    "nanogpt-gpt", "mingpt-gpt", "clip-vit", "vit", "whisper", "llama-transformer", "unet-transposed",
)
SINGLE_FILE = {"karpathy/nanoGPT", "karpathy/minGPT", "openai/CLIP", "lucidrains/vit-pytorch", "openai/whisper",
               "meta-llama/llama"}


def time_torch(case: rce.Case, work: Path, deps: str, timeout: float) -> Optional[float]:
    t0 = time.perf_counter()
    out = rce.run_truth_group([case], rce.case_dir(work, case), deps, timeout)[0]
    return time.perf_counter() - t0 if out.get("ok") else None


def time_wlint(case: rce.Case, work: Path, wlint: str, cache: str, timeout: float) -> Optional[float]:
    env = rce.wlint_env(wlint)
    env["WLINT_CACHE_DIR"] = cache
    cmd = [sys.executable, "-m", "wlint", "keys", case.path, case.expr, "--format", "json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(rce.case_dir(work, case)), capture_output=True, text=True, env=env,
                          timeout=timeout)
    return time.perf_counter() - t0 if proc.returncode in (0, 1) else None


def measure(case: rce.Case, work: Path, ns: argparse.Namespace) -> Dict[str, Optional[float]]:
    torch_s, cold_s, warm_s = [], [], []
    for _ in range(ns.runs):
        with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
            cold_s.append(time_wlint(case, work, ns.wlint, cache, ns.timeout))
            warm_s.append(time_wlint(case, work, ns.wlint, cache, ns.timeout))
        torch_s.append(time_torch(case, work, ns.deps, ns.timeout))

    def med(xs: List[Optional[float]]) -> Optional[float]:
        vals = [x for x in xs if x is not None]
        return statistics.median(vals) if len(vals) == len(xs) else None

    return {"torch": med(torch_s), "cold": med(cold_s), "warm": med(warm_s)}


def _ratio(a: Optional[float], b: Optional[float]) -> str:
    return f"{a / b:.1f}x" if a and b else "-"


def _sec(x: Optional[float]) -> str:
    return f"{x:.2f}" if x is not None else "fail"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--wlint", default=".", help="wlint checkout under test (default: current directory)")
    ap.add_argument("--deps", default=rce.DEFAULT_DEPS)
    ap.add_argument("--work", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--only", nargs="*", default=None, help="case ids of bench/real_code_exam.py")
    ap.add_argument("--all", action="store_true", help="every case of the real-code exam")
    ns = ap.parse_args(argv)
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-code-exam"
    wanted = ns.only or DEFAULT_CASES
    cases = list(rce.CASES) if ns.all else [c for c in rce.CASES if c.id in wanted]
    print("| model | kind | torch (import + build on meta) s | wlint keys cold s | warm s "
          "| torch / cold | torch / warm | target |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for case in cases:
        err = rce.prepare(case, work, Path(ns.mirror_root))
        if err:
            print(f"| {case.id} | setup error: {err} |")
            continue
        m = measure(case, work, ns)
        single = case.repo in SINGLE_FILE
        print(f"| {case.id} | {'single file' if single else 'package'} | {_sec(m['torch'])} | {_sec(m['cold'])} "
              f"| {_sec(m['warm'])} | {_ratio(m['torch'], m['cold'])} | {_ratio(m['torch'], m['warm'])} "
              f"| {'20x' if single else '10x'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
