"""`wlint ckpt` against torch.load, picklescan and modelscan: speed, peak memory, and
what each flags on a corpus of small checkpoints (benign, weights-only-refused,
code-running).

    python bench/ckpt_speed.py [--sizes 0.25,1.0] [--corpus 12] [--batch 100] [--repeat 3]

Large checkpoints (`--sizes`, in GB; 1 MB float32 tensors, torch zip) are
generated in a temporary folder under /tmp, never in the repository. Every tool
is the same interpreter (`sys.executable`, no flags, no shell or pyenv shim in
between) with the same environment, and runs once untimed first so that every
tool's bytecode is cached as an installed package's is (PYTHONDONTWRITEBYTECODE
is dropped for the children: with it, wlint run from the source tree compiled
itself on every run while the peers' site-packages had their .pyc).

  wlint      : python -m wlint ckpt FILE --format json
  torch      : python -c "torch.load(FILE, mmap=True, weights_only=True)"
  picklescan : python -m picklescan -p FILE
  modelscan  : python -c "from modelscan.cli import main; main()" -p FILE -r json

Per tool: CPU of the fresh process (user + system of that child from wait4, best
of `--repeat`), *net* = CPU - `python -c pass` (interpreter start-up, the same for
all), the CPU of start-up plus the tool's imports, each tool's per-file call timed
in-process after its imports (what a batch pays per file), and `--batch N` copies
of a 160-tensor checkpoint scanned by every tool in one invocation.

Corpus: every file is classified by every tool in one process over the corpus
folder (wlint: `wlint check FILE...`); the script checks that wlint flags
(WL307/WL308) every file picklescan or modelscan calls dangerous and prints why.
modelscan is a bench-only dependency (`pip install modelscan`).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = sys.executable
MODELSCAN = "import sys; from modelscan.cli import main; sys.argv[0] = 'modelscan'; main()"


# ------------------------------------------------------------------ running
def _env() -> Dict[str, str]:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(cmd: Sequence[str], cwd: Optional[str] = None) -> Tuple[float, int, int, str]:
    """(wall seconds, peak RSS in MB of this child alone, exit code, stdout). The bench
    process itself stays small (torch only runs in children), so a child's ru_maxrss is
    its own and not the parent's pages it was forked with."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.DEVNULL, cwd=cwd,
                                env=_env())
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        LAST_CPU[0] = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return elapsed, usage.ru_maxrss // 1024, proc.returncode, text


LAST_CPU = [0.0]  # user + system seconds of the last child


def best(cmd: Sequence[str], repeat: int) -> Tuple[float, float, int]:
    """(best wall time, best CPU time, peak RSS MB) over `repeat` fresh processes."""
    times, cpus, peaks = [], [], []
    for _ in range(repeat):
        t, mb, _, _ = run(cmd)
        times.append(t)
        cpus.append(LAST_CPU[0])
        peaks.append(mb)
    return min(times), min(cpus), max(peaks)


TOOLS: Dict[str, Callable[[str], List[str]]] = {
    "wlint ckpt": lambda p: [PY, "-m", "wlint", "ckpt", p, "--format", "json"],
    "torch.load(mmap, weights_only)": lambda p: [
        PY, "-c", f"import torch; torch.load({p!r}, mmap=True, weights_only=True)"],
    "picklescan": lambda p: [PY, "-m", "picklescan", "-p", p],
    "modelscan": lambda p: [PY, "-c", MODELSCAN, "-p", p, "-r", "json"],
}
# what each tool imports before it reads a file (its fixed cost per process)
IMPORTS = {
    "wlint ckpt": "import wlint.cli, wlint.commands.ckpt, wlint.checkpoint.read",
    "torch.load(mmap, weights_only)": "import torch",
    "picklescan": "import picklescan.cli",
    "modelscan": "import modelscan.cli",
}
# one file in-process, after the imports: the cost a batch pays per file
PER_FILE = {
    "wlint ckpt": ("from wlint.checkpoint.read import read_checkpoint",
                   "read_checkpoint(PATH).to_json_text()"),
    "picklescan": ("import logging; logging.disable(logging.CRITICAL); "
                   "from picklescan.scanner import scan_file_path", "scan_file_path(PATH)"),
    "modelscan": ("import logging; logging.disable(logging.CRITICAL); "
                  "from modelscan.modelscan import ModelScan", "ModelScan().scan(PATH)"),
}


@functools.cache
def available(name: str) -> bool:
    module = {"picklescan": "picklescan", "modelscan": "modelscan", "torch": "torch"}.get(
        name.split(".")[0].split()[0])
    if module is None:
        return True
    return run([PY, "-c", f"import {module}"])[2] == 0


def warm_up(path: str) -> None:
    """One untimed run per tool: bytecode cached, files in the page cache."""
    for name, cmd in TOOLS.items():
        if available(name):
            run(cmd(path))


def startup(repeat: int) -> Tuple[float, Dict[str, float]]:
    """(CPU of `python -c pass`, {tool: CPU of importing it}) in fresh processes."""
    bare = best([PY, "-c", "pass"], repeat)[1]
    return bare, {name: best([PY, "-c", stmt], repeat)[1] for name, stmt in IMPORTS.items()
                  if available(name)}


# ------------------------------------------------------------------ large files
def make_large(folder: str, gb: float) -> str:
    import torch

    path = os.path.join(folder, f"large-{gb:g}GB.pt")
    count = max(1, int(gb * 1024))
    state = {f"layers.{i // 4}.{('q', 'k', 'v', 'o')[i % 4]}.weight": torch.zeros(512, 512)
             for i in range(count)}
    torch.save(state, path)
    return path


def large_table(paths: List[str], repeat: int) -> List[str]:
    warm_up(paths[0])
    bare, imports = startup(repeat)
    rows = [f"interpreter start-up alone (python -c pass): {bare:.3f} s CPU; start-up + "
            "imports: " + ", ".join(f"{n} {c:.3f} s" for n, c in imports.items()),
            "net = CPU - start-up (the per-file work is measured in-process below)", "",
            "| file | tool | wall (s) | CPU (s) | net (s) | peak RSS (MB) | CPU vs wlint "
            "| net vs wlint |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for path in paths:
        size = os.path.getsize(path) / 2**30
        results = {name: best(cmd(path), repeat) for name, cmd in TOOLS.items()
                   if name in imports}
        base = results["wlint ckpt"][1]
        base_net = max(base - bare, 1e-3)
        for name, (t, cpu, mb) in results.items():
            net = cpu - bare
            rows.append(f"| {size:.2f} GB | {name} | {t:.2f} | {cpu:.3f} | {net:.3f} | {mb} | "
                        f"{cpu / base:.1f}x | {max(net, 0) / base_net:.1f}x |")
    return rows


def per_file_table(paths: List[str], repeat: int) -> List[str]:
    """Each tool's per-file call timed in one process after its imports (best of
    5 x `repeat` calls, CPU): what a batch costs per file once start-up is paid."""
    rows = ["| file | tool | per file, in-process (ms CPU) | vs wlint |", "|---|---|---:|---:|"]
    for path in paths:
        costs: Dict[str, float] = {}
        for name, (setup, call) in PER_FILE.items():
            if not available(name):
                continue
            code = (f"import time\n{setup}\nPATH = {path!r}\nbest = 1e9\n"
                    f"for _ in range({5 * repeat}):\n    t = time.process_time()\n"
                    f"    {call}\n    best = min(best, time.process_time() - t)\nprint(best)")
            out = run([PY, "-c", code])[3].strip().splitlines()
            if out:
                costs[name] = float(out[-1]) * 1000
        label = os.path.basename(path)
        for name, ms in costs.items():
            rows.append(f"| {label} | {name} | {ms:.2f} | {ms / costs['wlint ckpt']:.1f}x |")
    return rows


def make_batch(folder: str, count: int) -> List[str]:
    """`count` checkpoints of a ResNet-like state_dict (160 tensors, small shapes)."""
    import torch

    os.makedirs(folder, exist_ok=True)
    state: Dict[str, Any] = {}
    for block in range(32):
        width = 8 + block % 4
        state[f"layers.{block}.conv.weight"] = torch.zeros(width, width, 3, 3)
        for name in ("weight", "bias", "running_mean", "running_var"):
            state[f"layers.{block}.bn.{name}"] = torch.zeros(width)
    paths = []
    for i in range(count):
        paths.append(os.path.join(folder, f"run-{i}.pt"))
        torch.save({"model": state, "epoch": i}, paths[-1])
    return paths


def batch_table(folder: str, paths: List[str], repeat: int) -> List[str]:
    """Every tool over the same `len(paths)` files in one invocation."""
    bare, imports = startup(repeat)
    cmds = {"wlint check FILES": ("wlint ckpt", [PY, "-m", "wlint", "check", "--format", "json",
                                                 *paths]),
            "picklescan -p DIR": ("picklescan", [PY, "-m", "picklescan", "-p", folder]),
            "modelscan -p DIR": ("modelscan", [PY, "-c", MODELSCAN, "-p", folder, "-r", "json"])}
    n = len(paths)
    rows = [f"| {n} files, one invocation | CPU (s) | net (s) | per file, net of start-up "
            "and imports (ms) | CPU vs wlint | per file vs wlint |",
            "|---|---:|---:|---:|---:|---:|"]
    base = base_file = None
    for label, (tool, cmd) in cmds.items():
        if tool not in imports:
            continue
        run(cmd)  # warm
        cpu = best(cmd, repeat)[1]
        per_file = max(cpu - imports[tool], 0) / n * 1000
        base = base or cpu
        base_file = base_file or max(per_file, 1e-3)
        rows.append(f"| {label} | {cpu:.2f} | {cpu - bare:.2f} | {per_file:.2f} | "
                    f"{cpu / base:.1f}x | {per_file / base_file:.1f}x |")
    return rows


# ------------------------------------------------------------------ corpus
class Reduce:
    """An object whose unpickling calls func(*args) (what a malicious file does)."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> Any:
        return self.func, self.args


def make_corpus(folder: str, count: int) -> Dict[str, str]:
    """file name -> what it is (benign / refused / code)."""
    import argparse as ap
    import builtins
    import runpy
    import socket
    import subprocess as sp
    import webbrowser

    import numpy as np
    import torch
    from safetensors.torch import save_file

    os.makedirs(folder, exist_ok=True)
    sentinel = os.path.join(folder, "SENTINEL-must-not-exist")
    net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.BatchNorm1d(8))
    sd = net.state_dict()
    payloads = {
        "os-system": Reduce(os.system, f"touch {sentinel}"),
        "exec": Reduce(builtins.exec, "import os"),
        "eval": Reduce(builtins.eval, "1+1"),
        "subprocess": Reduce(sp.Popen, ["true"]),
        "getattr-chain": Reduce(builtins.getattr, Reduce(builtins.__import__, "os"), "system"),
        "runpy": Reduce(runpy.run_path, "x.py"),
        "webbrowser": Reduce(webbrowser.open, "http://example.invalid"),
        "socket": Reduce(socket.create_connection, ("example.invalid", 1)),
        "shutil": Reduce(shutil.rmtree, "/nonexistent-wlint"),
        "nested-pickle": Reduce(pickle.loads, b"N."),
    }
    made: Dict[str, str] = {}

    def save(name: str, obj: Any, what: str, **kw: Any) -> None:
        torch.save(obj, os.path.join(folder, name), **kw)
        made[name] = what

    for i in range(max(1, count // 4)):
        save(f"benign-{i}.pt", {"model": sd, "epoch": i}, "benign")
        save(f"benign-legacy-{i}.pt", sd, "benign", _use_new_zipfile_serialization=False)
        save_file({k: v.contiguous() for k, v in sd.items()},
                  os.path.join(folder, f"benign-{i}.safetensors"))
        made[f"benign-{i}.safetensors"] = "benign"
    save("module.pt", net, "refused (whole module)")
    save("numpy.pt", {"model": sd, "rng": np.zeros(3)}, "refused (numpy)")
    save("namespace.pt", {"model": sd, "args": ap.Namespace(lr=0.1)}, "refused (argparse)")
    save("protocol4.pt", sd, "refused (protocol 4)", pickle_protocol=4)
    for name, payload in payloads.items():
        save(f"evil-{name}.pt", {"model": sd, "x": payload}, "code")
        save(f"evil-{name}-legacy.bin", {"model": sd, "x": payload}, "code",
             _use_new_zipfile_serialization=False)
        with open(os.path.join(folder, f"evil-{name}.pkl"), "wb") as handle:
            pickle.dump(payload, handle, protocol=4)
        made[f"evil-{name}.pkl"] = "code"
        with open(os.path.join(folder, f"evil-{name}-p0.pkl"), "wb") as handle:
            pickle.dump(payload, handle, protocol=0)
        made[f"evil-{name}-p0.pkl"] = "code"
    return made


def _picklescan(folder: str, names: List[str]) -> Dict[str, bool]:
    _, _, _, out = run([PY, "-m", "picklescan", "-p", folder])
    flagged = {n: False for n in names}
    for line in out.splitlines():
        if "dangerous import" in line.lower() or ("dangerous" in line.lower() and ":" in line):
            for n in names:
                if os.path.join(folder, n) in line or line.startswith(n):
                    flagged[n] = True
    return flagged


def _modelscan(folder: str, names: List[str]) -> Dict[str, bool]:
    report = os.path.join(folder, "..", "modelscan.json")
    run([PY, "-c", MODELSCAN, "-p", folder, "-r", "json", "-o", report])
    flagged = {n: False for n in names}
    try:
        with open(report) as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return flagged
    for issue in data.get("issues", []):
        source = str(issue.get("source", ""))
        for n in names:
            if source.endswith(n) or f"/{n}:" in source or source.startswith(n):
                flagged[n] = True
    return flagged


def _wlint(folder: str, names: List[str]) -> Dict[str, List[Dict[str, Any]]]:
    files = [os.path.join(folder, n) for n in names]
    _, _, _, out = run([PY, "-m", "wlint", "check", "--format", "json", *files])
    found: Dict[str, List[Dict[str, Any]]] = {n: [] for n in names}
    for f in json.loads(out or '{"findings": []}')["findings"]:
        found[os.path.basename(f["path"])].append(f)
    return found


def corpus_table(folder: str, made: Dict[str, str], repeat: int) -> Tuple[List[str], List[str]]:
    names = sorted(made)
    files = [os.path.join(folder, n) for n in names]
    timing = [f"| corpus of {len(names)} files | wall (s) | CPU (s) | peak RSS (MB) | CPU vs wlint |",
              "|---|---:|---:|---:|---:|"]
    cmds = {"wlint check FILES": [PY, "-m", "wlint", "check", "--format", "json", *files],
            "picklescan -p DIR": [PY, "-m", "picklescan", "-p", folder],
            "modelscan -p DIR": [PY, "-c", MODELSCAN, "-p", folder, "-r", "json"]}
    base = None
    for label, cmd in cmds.items():
        if label.split()[0] != "wlint" and not available(label.split()[0]):
            continue
        t, cpu, mb = best(cmd, repeat)
        base = base or cpu
        timing.append(f"| {label} | {t:.2f} | {cpu:.2f} | {mb} | {cpu / base:.1f}x |")
    ps = _picklescan(folder, names) if available("picklescan") else {}
    ms = _modelscan(folder, names) if available("modelscan") else {}
    wl = _wlint(folder, names)
    rows = ["| file | is | picklescan | modelscan | wlint | why (wlint) |", "|---|---|---|---|---|---|"]
    missed = []
    for n in names:
        codes = sorted({f["code"] for f in wl[n]})
        flagged = bool({"WL307", "WL308"} & set(codes))
        why = "; ".join(str(f.get("globals") or f["message"][:60]) for f in wl[n]
                        if f["code"] in ("WL307", "WL308"))
        if (ps.get(n) or ms.get(n)) and not flagged:
            missed.append(n)
        rows.append(f"| {n} | {made[n]} | {_yes(ps.get(n))} | {_yes(ms.get(n))} | "
                    f"{', '.join(codes) or '-'} | {why[:90]} |")
    rows.append("")
    rows.append(f"files a peer flags that wlint does not flag (WL307/WL308): {missed or 'none'}")
    flagged_code = sum(1 for n in names if made[n] == "code" and any(
        f["code"] == "WL308" for f in wl[n]))
    total_code = sum(1 for n in names if made[n] == "code")
    rows.append(f"code-running files with WL308: {flagged_code}/{total_code}; picklescan "
                f"{sum(1 for n in names if made[n] == 'code' and ps.get(n))}/{total_code}; "
                f"modelscan {sum(1 for n in names if made[n] == 'code' and ms.get(n))}/{total_code}")
    if os.path.exists(os.path.join(folder, "SENTINEL-must-not-exist")):
        rows.append("SENTINEL EXISTS: some tool ran a payload")
    return timing, rows


def _yes(value: Optional[bool]) -> str:
    return "n/a" if value is None else ("flagged" if value else "-")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.25,1.0", help="large checkpoint sizes in GB")
    parser.add_argument("--corpus", type=int, default=12, help="benign files per format x4")
    parser.add_argument("--batch", type=int, default=100, help="files scanned in one invocation")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)  # the child's job
    ns = parser.parse_args(argv)
    if ns.generate:  # runs in a child: torch never enters the measuring process
        large = [make_large(ns.generate, float(s)) for s in ns.sizes.split(",") if s]
        made = make_corpus(os.path.join(ns.generate, "corpus"), ns.corpus)
        batch = make_batch(os.path.join(ns.generate, "batch"), ns.batch)
        print(json.dumps({"large": large, "corpus": made, "batch": batch}))
        return 0
    folder = ns.keep or tempfile.mkdtemp(prefix="wlint-ckpt-bench-", dir="/tmp")
    try:
        _, _, code, out = run([PY, os.path.abspath(__file__), "--generate", folder,
                               "--sizes", ns.sizes, "--corpus", str(ns.corpus),
                               "--batch", str(ns.batch)])
        if code:
            raise SystemExit("generating the checkpoints failed")
        generated = json.loads(out)
        large, made = generated["large"], generated["corpus"]
        print("\n".join(large_table(large, ns.repeat)))
        print()
        print("\n".join(per_file_table(large[:1] + generated["batch"][:1], ns.repeat)))
        print()
        print("\n".join(batch_table(os.path.join(folder, "batch"), generated["batch"],
                                     ns.repeat)))
        print()
        timing, rows = corpus_table(os.path.join(folder, "corpus"), made, ns.repeat)
        print("\n".join(timing))
        print()
        print("\n".join(rows))
    finally:
        if not ns.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
