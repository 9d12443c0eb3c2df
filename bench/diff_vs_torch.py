"""`wlint diff` of one model file between two real commits against torch at both, side by side.

For each target of the real-history exam (bench/real_history_exam.py: same
mirrors, pinned walk and deps folder) the newest commit pair that touched the
model file and where EXPR builds at both commits is put in a throwaway
two-commit git repository, then in one run:

* torch: two fresh processes (base and head) each import torch, import the
  model's module from that revision and build EXPR on the meta device, nothing
  else (bench/sidebyside.py); the figure is their sum;
* wlint cold: ``wlint diff --base HEAD~1 --head HEAD --format json PATH`` in a
  fresh process with an empty cache directory (``WLINT_CACHE_DIR``);
* wlint warm: the same command again with the cache the cold run left.
  With ``--model`` (when the wlint under test has it) PATH:EXPR is named too.

Medians of ``--runs`` runs as "wall / CPU" seconds (process start-up included;
CPU = user + sys of the children), the load average before and after; ``--eager``
adds cold with lazy import resolution off (``WLINT_EAGER_IMPORTS=1``).
Targets (issue 9): cold >= 5x faster than torch, warm >= 20x.

Usage::

    python bench/diff_vs_torch.py --mirror-root /work/.mirror [--wlint DIR] [--runs 3] [--only TARGET ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce
import real_history_exam as rhe
import sidebyside as sbs

DEFAULT_TARGETS = ("timm-resnet18", "timm-vit", "nanogpt", "mingpt", "clip", "vit", "whisper", "litgpt-pythia",
                   "llama", "xt-decoder")


def first_buildable_pair(t: rhe.Target, work: Path, ns: argparse.Namespace) -> Optional[Tuple[str, str]]:
    """The newest (base, head) of the target's walk where torch builds EXPR at both commits."""
    gitdir = rce.find_gitdir(Path(ns.mirror_root), t.case.repo)
    for base, head, _subject in rhe.history_pairs(gitdir, t.watch, 6, t.until or rhe.PINS[t.case.repo]):
        cases = [rhe._at(t.case, c) for c in (base, head)]
        if any(rce.prepare(c, work, Path(ns.mirror_root)) for c in cases):
            continue
        truths = rce.run_truths(cases, work, ns.deps, ns.timeout, 1)
        if all(truths[c.id].get("ok") for c in cases):
            return base, head
    return None


def time_torch(t: rhe.Target, base: str, head: str, work: Path, ns: argparse.Namespace) -> Optional[sbs.Timing]:
    """torch at both revisions: two fresh processes (bench/sidebyside.py), summed."""
    total: Optional[sbs.Timing] = (0.0, 0.0)
    for commit in (base, head):
        case = replace(t.case, commit=commit)
        total = sbs.added(total, sbs.torch_build(case, rce.case_dir(work, case), ns.deps, ns.timeout))
    return total


def time_wlint(t: rhe.Target, repo: Path, cache: str, ns: argparse.Namespace, model: bool,
               eager: bool = False) -> Optional[sbs.Timing]:
    env = sbs.bytecode_env(rce.wlint_env(ns.wlint))
    env["WLINT_CACHE_DIR"] = cache
    if eager:
        env["WLINT_EAGER_IMPORTS"] = "1"
    cmd = [sys.executable, "-m", "wlint", "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"]
    if model:
        cmd += ["--model", f"{t.case.path}:{t.case.expr}"]
    cmd.append(t.case.path)
    return sbs.run_timed(cmd, str(repo), env, ns.timeout)


def measure(t: rhe.Target, base: str, head: str, work: Path, ns: argparse.Namespace,
            model: bool) -> Dict[str, Optional[sbs.Timing]]:
    runs: Dict[str, List[Optional[sbs.Timing]]] = {"torch": [], "cold": [], "warm": [], "eager": []}
    with tempfile.TemporaryDirectory(prefix="wlint-pair-") as tmp:
        repo = Path(tmp)
        rhe._pair_repo(t.case, base, head, work, repo)
        with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:  # bytecode of both sides
            time_wlint(t, repo, cache, ns, model)
        time_torch(t, base, head, work, ns)
        for _ in range(ns.runs):
            with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
                runs["cold"].append(time_wlint(t, repo, cache, ns, model))
                runs["warm"].append(time_wlint(t, repo, cache, ns, model))
            if ns.eager:
                with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
                    runs["eager"].append(time_wlint(t, repo, cache, ns, model, eager=True))
            runs["torch"].append(time_torch(t, base, head, work, ns))
    return {k: sbs.median(v) for k, v in runs.items()}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sbs.add_common_arguments(ap, only_help="target ids of bench/real_history_exam.py")
    ns = ap.parse_args(argv)
    work = Path(ns.work) if ns.work else Path(tempfile.gettempdir()) / "wlint-real-history-exam"
    model = rhe.supports_model(ns.wlint)
    wanted = ns.only or DEFAULT_TARGETS
    print(f"wlint diff {'with' if model else 'without'} --model (the wlint under test "
          f"{'has' if model else 'has no'} diff --model)\n")
    print(sbs.load(), "(before)\n")
    print("| target | pair | torch at both revisions wall / CPU s | wlint diff cold | warm "
          + ("| eager cold (lazy imports off) " if ns.eager else "") + "| torch / cold | torch / warm |")
    print("|---|---|---:|---:|---:|" + ("---:|" if ns.eager else "") + "---:|---:|")
    for t in rhe.TARGETS:
        if t.id not in wanted:
            continue
        pair = first_buildable_pair(t, work, ns)
        if pair is None:
            print(f"| {t.id} | no buildable pair |")
            continue
        m = measure(t, pair[0], pair[1], work, ns, model)
        eager = f"| {sbs.sec(m['eager'])} " if ns.eager else ""
        print(f"| {t.id} | {pair[0][:8]}..{pair[1][:8]} | {sbs.sec(m['torch'])} | {sbs.sec(m['cold'])} "
              f"| {sbs.sec(m['warm'])} {eager}| {sbs.ratio(m['torch'], m['cold'])} "
              f"| {sbs.ratio(m['torch'], m['warm'])} |", flush=True)
    print("\n" + sbs.load(), "(after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
