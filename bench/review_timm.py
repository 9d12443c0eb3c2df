"""`wlint review` of a real timm pull request, over the whole repository.

A merge commit of the timm mirror (default: PR #2501, "grad_checkpointing", 53
changed .py files of which 52 model files) is checked out into a throwaway
clone (``git clone --shared``, then a detached checkout of the merge), and

    wlint review --base MERGE^1 --head MERGE --format json

runs there in a fresh process: cold (an empty ``WLINT_CACHE_DIR``) and warm
(the cache the cold run left). `review` talks to GitHub only with
``--post-github``; without it the report is computed offline, as here. Its
cost is the `diff` of every changed file (both revisions, every model class
in them) plus `check` of the changed files.

Medians of ``--runs`` runs as "wall / CPU" seconds (CPU = user + sys of the
child and its workers); bytecode cached (bench/sidebyside.py), the load average
printed before and after. ``--jobs N`` sets ``WLINT_JOBS`` (1 = in-process; the
default lets wlint choose). Target (issue 9): < 10 s cold.

Usage::

    python bench/review_timm.py [--mirror-root /work/.mirror] [--wlint DIR] [--merge SHA ...] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_code_exam as rce
import sidebyside as sbs

REPO = "huggingface/pytorch-image-models"
DEFAULT_MERGES = (
    "8bdeeeab7f9b97eb24fe569eec300cbd2cb6953a",  # PR #2501 grad_checkpointing: 53 .py files
    "a69863ad61a30c85b7cb2ca81fad64fad5ce0c22",  # PR #2156 hiera: 40 .py files
)


def git(*args: str, cwd: Optional[str] = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def review_cmd(merge: str) -> List[str]:
    return [sys.executable, "-m", "wlint", "review", "--base", f"{merge}^1", "--head", merge, "--format", "json"]


def run_review(repo: str, merge: str, cache: str, ns: argparse.Namespace) -> Optional[sbs.Timing]:
    env = sbs.bytecode_env(rce.wlint_env(ns.wlint))
    env["WLINT_CACHE_DIR"] = cache
    if ns.jobs:
        env["WLINT_JOBS"] = str(ns.jobs)
    return sbs.run_timed(review_cmd(merge), repo, env, ns.timeout)


def summary(repo: str, merge: str, ns: argparse.Namespace) -> str:
    """Changed files and findings of one review (an untimed run, also the warm-up)."""
    env = sbs.bytecode_env(rce.wlint_env(ns.wlint))
    with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
        env["WLINT_CACHE_DIR"] = cache
        proc = subprocess.run(review_cmd(merge), cwd=repo, env=env, capture_output=True, text=True,
                              timeout=ns.timeout)
    changed = git("diff", "--name-only", f"{merge}^1", merge, "--", "*.py", cwd=repo).split()
    models = [p for p in changed if p.startswith("timm/models/")]
    try:
        findings = json.loads(proc.stdout).get("findings", [])
    except ValueError:
        return f"{len(changed)} .py files ({len(models)} model files); exit {proc.returncode}: " \
               f"{proc.stderr.strip()[-200:]}"
    codes: Dict[str, int] = {}
    for f in findings:
        codes[f["code"]] = codes.get(f["code"], 0) + 1
    return (f"{len(changed)} .py files ({len(models)} model files), exit {proc.returncode}, "
            f"{len(findings)} findings {dict(sorted(codes.items()))}")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--wlint", default=".", help="wlint checkout under test (default: current directory)")
    ap.add_argument("--merge", nargs="*", default=None, help="merge commits of the timm mirror")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0, help="WLINT_JOBS (default: wlint chooses)")
    ap.add_argument("--timeout", type=float, default=600.0)
    ns = ap.parse_args(argv)
    gitdir = rce.find_gitdir(Path(ns.mirror_root), REPO)
    print(sbs.load(), "(before)\n")
    print("| merge | pull request | what it changes | review cold wall / CPU s | warm | target |")
    print("|---|---|---|---:|---:|---:|")
    for merge in ns.merge or DEFAULT_MERGES:
        with tempfile.TemporaryDirectory(prefix="wlint-review-") as tmp:
            repo = str(Path(tmp) / "timm")
            git("clone", "-q", "--shared", "--no-checkout", str(gitdir), repo)
            git("-c", "advice.detachedHead=false", "checkout", "-q", "--detach", merge, cwd=repo)
            subject = git("log", "-1", "--format=%s", merge, cwd=repo).strip()
            what = summary(repo, merge, ns)
            cold: List[Optional[sbs.Timing]] = []
            warm: List[Optional[sbs.Timing]] = []
            for _ in range(ns.runs):
                with tempfile.TemporaryDirectory(prefix="wlint-cache-") as cache:
                    cold.append(run_review(repo, merge, cache, ns))
                    warm.append(run_review(repo, merge, cache, ns))
        print(f"| {merge[:10]} | {subject} | {what} | {sbs.sec(sbs.median(cold))} "
              f"| {sbs.sec(sbs.median(warm))} | < 10 s cold |", flush=True)
    print("\n" + sbs.load(), "(after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
