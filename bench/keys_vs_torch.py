"""`wlint keys` against torch, side by side: who tells the state_dict of a real model faster.

For each case of the real-code exam (bench/real_code_exam.py: same mirrors,
pinned commits and deps folder) and in one run:

* torch: a fresh process imports torch, imports the model's module from the
  extracted source and builds EXPR on the meta device, nothing else
  (bench/sidebyside.py);
* wlint cold: a fresh ``wlint keys PATH EXPR --format json`` process with an
  empty cache directory (``WLINT_CACHE_DIR``);
* wlint warm: the same command again with the cache the cold run left;
* wlint eager (``--eager``): cold with lazy import resolution off
  (``WLINT_EAGER_IMPORTS=1``), the figure before issue 12 deliverable 3.

Each figure is the median of ``--runs`` runs, as "wall / CPU" seconds (wall
clock with process start-up, what a user waits; CPU = user + sys of the child,
what it costs on a shared machine). The load average is printed before and
after. Targets (issue 12): wlint >= 10x faster than torch on timm's ResNet and
ViT and on every exam model, >= 20x on single-file models.

Usage::

    python bench/keys_vs_torch.py --mirror-root /work/.mirror [--wlint DIR] [--runs 3]
        [--only CASE_ID ...] [--all] [--eager]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce
import sidebyside as sbs

# timm's ResNet and ViT (factory and class), then single-file models
DEFAULT_CASES = (
    "timm-resnet18", "timm-resnet-class", "timm-vit-tiny", "timm-vit-class",
    "nanogpt-gpt", "mingpt-gpt", "clip-vit", "vit", "whisper", "llama-transformer", "unet-transposed",
)
SINGLE_FILE = {"karpathy/nanoGPT", "karpathy/minGPT", "openai/CLIP", "lucidrains/vit-pytorch", "openai/whisper",
               "meta-llama/llama"}


def time_wlint(case: rce.Case, work: Path, ns: argparse.Namespace, cache: str,
               eager: bool = False) -> Optional[sbs.Timing]:
    env = sbs.bytecode_env(rce.wlint_env(ns.wlint))
    env["WLINT_CACHE_DIR"] = cache
    if eager:
        env["WLINT_EAGER_IMPORTS"] = "1"
    cmd = [sys.executable, "-m", "wlint", "keys", case.path, case.expr, "--format", "json"]
    return sbs.run_timed(cmd, str(rce.case_dir(work, case)), env, ns.timeout)


def measure(case: rce.Case, work: Path, ns: argparse.Namespace) -> Dict[str, Optional[sbs.Timing]]:
    runs: Dict[str, List[Optional[sbs.Timing]]] = {"torch": [], "cold": [], "warm": [], "eager": []}
    with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:  # bytecode of both sides
        time_wlint(case, work, ns, cache)
    sbs.warm_up(sbs.torch_cmd(case, rce.case_dir(work, case), ns.deps), str(rce.case_dir(work, case)),
                sbs.bytecode_env(), ns.timeout)
    for _ in range(ns.runs):
        with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
            runs["cold"].append(time_wlint(case, work, ns, cache))
            runs["warm"].append(time_wlint(case, work, ns, cache))
        if ns.eager:
            with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
                runs["eager"].append(time_wlint(case, work, ns, cache, eager=True))
        runs["torch"].append(sbs.torch_build(case, rce.case_dir(work, case), ns.deps, ns.timeout))
    return {k: sbs.median(v) for k, v in runs.items()}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sbs.add_common_arguments(ap, only_help="case ids of bench/real_code_exam.py")
    ap.add_argument("--all", action="store_true", help="every case of the real-code exam")
    ns = ap.parse_args(argv)
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-code-exam"
    wanted = ns.only or DEFAULT_CASES
    cases = list(rce.CASES) if ns.all else [c for c in rce.CASES if c.id in wanted]
    print(sbs.load(), "(before)\n")
    print("| model | kind | torch (import + build on meta) wall / CPU s | wlint keys cold | warm "
          + ("| eager cold (lazy imports off) " if ns.eager else "")
          + "| torch / cold | torch / warm | target |")
    print("|---|---|---:|---:|---:|" + ("---:|" if ns.eager else "") + "---:|---:|---:|")
    for case in cases:
        err = rce.prepare(case, work, Path(ns.mirror_root))
        if err:
            print(f"| {case.id} | setup error: {err} |")
            continue
        m = measure(case, work, ns)
        single = case.repo in SINGLE_FILE
        eager = f"| {sbs.sec(m['eager'])} " if ns.eager else ""
        print(f"| {case.id} | {'single file' if single else 'package'} | {sbs.sec(m['torch'])} "
              f"| {sbs.sec(m['cold'])} | {sbs.sec(m['warm'])} {eager}| {sbs.ratio(m['torch'], m['cold'])} "
              f"| {sbs.ratio(m['torch'], m['warm'])} | {'20x' if single else '10x'} |", flush=True)
    print("\n" + sbs.load(), "(after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
