"""Speed of `wlint check` against flake8 (WL plugin), TorchFix and pyflakes-only
flake8 on a generated corpus, plus the WL plugin's overhead on a plain flake8 run.

    python bench/check_speed.py [--files 2400] [--repeat 3] [--keep DIR]

The corpus (deterministic, written to a temporary folder) mixes training /
checkpoint scripts, model definitions that import torch but never load or save,
and ordinary Python that never mentions torch. Every tool runs single-process.
flake8 runs through bench/flake8_plugins.py with TorchFix's flake8 plugin left
out (installed, it would run on every flake8 invocation and dominate the
numbers); `--as-installed` adds the plain `flake8` command lines as well.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "flake8_plugins.py")

# ----------------------------------------------------------------- corpus
TRAIN_FUNCS = [
    '''def save_checkpoint_{i}(model, optimizer, epoch, path):
    """Write a training checkpoint."""
    state = {{"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "epoch": epoch}}
    torch.save(state, path)
''',
    '''def resume_{i}(model, path):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"], strict=False)
    return checkpoint.get("epoch", 0)
''',
    '''def export_{i}(path):
    net = Net{i}()
    torch.save(net, path)
''',
    '''def wrap_and_save_{i}(model, path, rank):
    ddp = DDP(model, device_ids=[rank])
    torch.save(ddp.state_dict(), path)
''',
    '''def restore_{i}(model, path):
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise RuntimeError(f"unexpected keys: {{unexpected}}")
''',
]

MODEL_CLASS = '''class Net{i}(nn.Module):
    """Block {i}: conv, norm, activation, projection."""

    def __init__(self, width: int = {w}, depth: int = {d}) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, width, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(width)
        self.blocks = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU())
             for _ in range(depth)]
        )
        self.head = nn.Linear(width, {classes})
        self.register_buffer("scale", torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm(self.stem(x)))
        for block in self.blocks:
            x = x + block(x)
        x = x.mean(dim=(2, 3)) * self.scale
        return self.head(x)
'''

PLAIN_FUNC = '''def process_{i}(records, threshold={t}):
    """Filter and summarise records {i}."""
    kept = [r for r in records if r.get("score", 0) >= threshold]
    total = sum(r["value"] for r in kept)
    names = sorted({{r["name"] for r in kept}})
    if not kept:
        return {{"count": 0, "total": 0, "names": []}}
    mean = total / len(kept)
    spread = max(r["value"] for r in kept) - min(r["value"] for r in kept)
    return {{"count": len(kept), "total": total, "mean": mean,
            "spread": spread, "names": names}}
'''

PLAIN_CLASS = '''class Record{i}:
    """A small value object with validation."""

    def __init__(self, name: str, value: float) -> None:
        if not name:
            raise ValueError("name is required")
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"Record{i}({{self.name!r}}, {{self.value!r}})"

    def scaled(self, factor: float) -> "Record{i}":
        return Record{i}(self.name, self.value * factor)
'''

TRAIN_HEADER = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
                "from torch.nn.parallel import DistributedDataParallel as DDP\n\n\n")
MODEL_HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
PLAIN_HEADER = "import json\nimport os\nfrom typing import Dict, List\n\n\n"


def _file(rng: random.Random, kind: str, n: int) -> str:
    parts: List[str] = []
    if kind == "train":
        parts.append(TRAIN_HEADER)
        for j in range(rng.randint(2, 4)):
            parts.append(MODEL_CLASS.format(i=n * 10 + j, w=rng.choice([32, 64]), d=2, classes=10))
        for j in range(rng.randint(3, 6)):
            parts.append(rng.choice(TRAIN_FUNCS).format(i=n * 10 + j))
    elif kind == "model":
        parts.append(MODEL_HEADER)
        for j in range(rng.randint(4, 8)):
            parts.append(MODEL_CLASS.format(i=n * 10 + j, w=rng.choice([32, 64, 128]),
                                            d=rng.randint(1, 4), classes=rng.choice([10, 100])))
    else:
        parts.append(PLAIN_HEADER)
        for j in range(rng.randint(5, 12)):
            template = PLAIN_FUNC if rng.random() < 0.5 else PLAIN_CLASS
            parts.append(template.format(i=n * 10 + j, t=rng.randint(1, 9)))
    return "\n\n".join(parts)


def make_corpus(root: str, files: int, seed: int = 7) -> Dict[str, Tuple[int, int]]:
    """Write the corpus; returns {kind: (files, lines)}. Ordinary code goes to
    root/plain/ as well, so the plugin overhead can be timed on it alone."""
    rng = random.Random(seed)
    stats: Dict[str, Tuple[int, int]] = {}
    for n in range(files):
        roll = rng.random()
        kind = "train" if roll < 0.15 else "model" if roll < 0.5 else "plain"
        text = _file(rng, kind, n)
        folder = os.path.join(root, kind, f"pkg{n % 40}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"mod_{n}.py"), "w", encoding="utf-8") as handle:
            handle.write(text)
        count, lines = stats.get(kind, (0, 0))
        stats[kind] = (count + 1, lines + text.count("\n"))
    return stats


# ----------------------------------------------------------------- timing
def _time(cmd: Sequence[str], repeat: int, ok: Sequence[int] = (0, 1)) -> Tuple[float, float, int]:
    """Best wall time and best CPU time (user+sys of the child) of `repeat` runs, and
    the number of output lines. CPU time is what the ratios use: it does not depend on
    what else the machine is doing."""
    best_wall, best_cpu, lines = float("inf"), float("inf"), 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        lines = proc.stdout.count("\n")
    return best_wall, best_cpu, lines


def plugin_cost(folder: str) -> Tuple[float, float]:
    """CPU seconds the WL plugin itself spends on every file under `folder` (as
    flake8 calls it: the file's lines, the tree flake8 parsed), and the cost of
    importing it in a fresh interpreter."""
    import ast

    from wlint.integrations.flake8_plugin import WlintPlugin

    inputs = []
    for base, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(base, name), encoding="utf-8") as handle:
                lines = handle.readlines()
            inputs.append((ast.parse("".join(lines)), name, lines))
    WlintPlugin.parse_options(argparse.Namespace(wlint_target_torch=None, wlint_base=None))
    start = time.process_time()
    for tree, name, lines in inputs:
        list(WlintPlugin(tree, name, lines).run())
    own = time.process_time() - start
    code = ("import time; t = time.process_time(); import wlint.integrations.flake8_plugin; "
            "print(time.process_time() - t)")
    startup = min(float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                       text=True, check=True).stdout) for _ in range(3))
    return own, startup


def _flake8(args: Sequence[str], drop: str) -> List[str]:
    return [sys.executable, DRIVER, "--drop", drop, "--", "--isolated", "-j", "1", *args]


def run(files: int, repeat: int, keep: Optional[str], as_installed: bool,
        overhead_repeat: int = 3) -> None:
    root = keep or tempfile.mkdtemp(prefix="wlint-bench-")
    if keep and os.path.isdir(keep):
        shutil.rmtree(keep)
    try:
        stats = make_corpus(root, files)
        total_files = sum(c for c, _ in stats.values())
        total_lines = sum(n for _, n in stats.values())
        print(f"corpus: {total_files} files, {total_lines} lines "
              + ", ".join(f"{k}: {c} files/{n} lines" for k, (c, n) in sorted(stats.items())))
        py = sys.executable
        tools: List[Tuple[str, List[str], Sequence[int]]] = [
            ("wlint check", [py, "-m", "wlint", "check", "--no-config", root], (0, 1)),
            ("flake8 --select WL", _flake8(["--select", "WL", root], "torchfix"), (0, 1)),
            ("torchfix -j 1", ["torchfix", "-j", "1", root], (0, 1)),
            ("flake8 --select F", _flake8(["--select", "F", root], "torchfix"), (0, 1)),
        ]
        if as_installed:
            tools += [
                ("flake8 --select WL (as installed)",
                 ["flake8", "--isolated", "-j", "1", "--select", "WL", root], (0, 1)),
                ("flake8 --select F (as installed)",
                 ["flake8", "--isolated", "-j", "1", "--select", "F", root], (0, 1)),
            ]
        results: Dict[str, Tuple[float, float, int]] = {}
        for name, cmd, ok in tools:
            results[name] = _time(cmd, repeat if name == "wlint check" else 1, ok)
        base = results["wlint check"][1]
        print(f"\n{'tool (single process)':<36}{'cpu s':>8}{'wall s':>8}{'x wlint':>9}"
              f"{'lines/cpu s':>13}{'findings':>10}")
        for name, (wall, cpu, out) in results.items():
            print(f"{name:<36}{cpu:>8.2f}{wall:>8.2f}{cpu / base:>9.1f}"
                  f"{total_lines / cpu:>13.0f}{out:>10}")

        plain = os.path.join(root, "plain")
        plain_lines = stats.get("plain", (0, 0))[1]
        without = with_wl = float("inf")
        for _ in range(overhead_repeat):  # interleaved, so drift hits both alike
            without = min(without, _time(_flake8(["--select", "F", plain], "torchfix,wlint"), 1)[1])
            with_wl = min(with_wl, _time(_flake8(["--select", "F", plain], "torchfix"), 1)[1])
        own, startup = plugin_cost(plain)
        print(f"\nWL plugin overhead on non-checkpoint code ({plain_lines} lines, "
              f"flake8 --select F, cpu s, best of {overhead_repeat}):")
        print(f"  end to end: without WL plugin {without:.2f}, with WL plugin {with_wl:.2f}, "
              f"difference {100 * (with_wl - without) / without:+.1f}% (target < 10%)")
        print(f"  direct: the plugin's run() on all {stats.get('plain', (0, 0))[0]} files "
              f"{own:.3f}s + import {startup:.3f}s = "
              f"{100 * (own + startup) / without:.2f}% of the run without it")
        print(f"\nwlint check vs torchfix: {results['torchfix -j 1'][1] / base:.1f}x less cpu "
              f"(target >= 3x); vs pyflakes-only flake8: "
              f"{results['flake8 --select F'][1] / base:.1f}x less cpu (target >= 1x)")
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2400)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for wlint check")
    parser.add_argument("--overhead-repeat", type=int, default=3,
                        help="best of N for the plugin-overhead pair")
    parser.add_argument("--keep", metavar="DIR", help="write the corpus to DIR and keep it")
    parser.add_argument("--as-installed", action="store_true",
                        help="also time the plain flake8 command (TorchFix plugin included)")
    ns = parser.parse_args(argv)
    run(ns.files, ns.repeat, ns.keep, ns.as_installed, ns.overhead_repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
