"""`wlint ckpt` against torch.load, picklescan and modelscan: speed, peak memory, and
what each flags on a corpus of small checkpoints (benign, weights-only-refused,
code-running).

    python bench/ckpt_speed.py [--sizes 0.25,1.0] [--corpus 40] [--keep DIR] [--repeat 3]

Large checkpoints (`--sizes`, in GB; 1 MB float32 tensors, torch zip) are
generated in a temporary folder under /tmp, never in the repository. Every
measurement is a fresh process: its wall time (best of `--repeat`) and its
peak RSS (ru_maxrss from wait4, i.e. of that child alone).

  wlint      : python -m wlint ckpt FILE --format json
  torch      : python -c "torch.load(FILE, mmap=True, weights_only=True)"
  picklescan : picklescan -p FILE
  modelscan  : modelscan -p FILE -r json

Corpus: every file is classified by every tool in one process over the corpus
folder (wlint: `wlint check FILE...`); the script checks that wlint flags
(WL307/WL308) every file picklescan or modelscan calls dangerous and prints why.
modelscan is a bench-only dependency (`pip install modelscan`).
"""

from __future__ import annotations

import argparse
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


# ------------------------------------------------------------------ running
def run(cmd: Sequence[str], cwd: Optional[str] = None) -> Tuple[float, int, int, str]:
    """(wall seconds, peak RSS in MB of this child alone, exit code, stdout). The bench
    process itself stays small (torch only runs in children), so a child's ru_maxrss is
    its own and not the parent's pages it was forked with."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.DEVNULL, cwd=cwd,
                                env=env)
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
    "picklescan": lambda p: ["picklescan", "-p", p],
    "modelscan": lambda p: ["modelscan", "-p", p, "-r", "json"],
}


def available(name: str) -> bool:
    return name.split()[0] not in ("picklescan", "modelscan") or shutil.which(name) is not None


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
    start = best([PY, "-c", "pass"], repeat)[1]
    rows = [f"interpreter start-up alone (python -c pass): {start:.2f} s CPU; 'net' = CPU - that",
            "", "| file | tool | wall (s) | CPU (s) | net CPU (s) | peak RSS (MB) | CPU vs wlint "
            "| net vs wlint |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for path in paths:
        size = os.path.getsize(path) / 2**30
        results: Dict[str, Tuple[float, float, int]] = {}
        for name, cmd in TOOLS.items():
            if available(name):
                results[name] = best(cmd(path), repeat)
        base = results["wlint ckpt"][1]
        net = max(base - start, 0.01)
        for name, (t, cpu, mb) in results.items():
            rows.append(f"| {size:.2f} GB | {name} | {t:.2f} | {cpu:.2f} | {cpu - start:.2f} | "
                        f"{mb} | {cpu / base:.1f}x | {max(cpu - start, 0) / net:.1f}x |")
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
    _, _, _, out = run(["picklescan", "-p", folder])
    flagged = {n: False for n in names}
    for line in out.splitlines():
        if "dangerous import" in line.lower() or ("dangerous" in line.lower() and ":" in line):
            for n in names:
                if os.path.join(folder, n) in line or line.startswith(n):
                    flagged[n] = True
    return flagged


def _modelscan(folder: str, names: List[str]) -> Dict[str, bool]:
    report = os.path.join(folder, "..", "modelscan.json")
    run(["modelscan", "-p", folder, "-r", "json", "-o", report])
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
            "picklescan -p DIR": ["picklescan", "-p", folder],
            "modelscan -p DIR": ["modelscan", "-p", folder, "-r", "json"]}
    base = None
    for label, cmd in cmds.items():
        if not shutil.which(cmd[0]) and cmd[0] != PY:
            continue
        t, cpu, mb = best(cmd, repeat)
        base = base or cpu
        timing.append(f"| {label} | {t:.2f} | {cpu:.2f} | {mb} | {cpu / base:.1f}x |")
    ps = _picklescan(folder, names) if shutil.which("picklescan") else {}
    ms = _modelscan(folder, names) if shutil.which("modelscan") else {}
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
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)  # the child's job
    ns = parser.parse_args(argv)
    if ns.generate:  # runs in a child: torch never enters the measuring process
        large = [make_large(ns.generate, float(s)) for s in ns.sizes.split(",") if s]
        made = make_corpus(os.path.join(ns.generate, "corpus"), ns.corpus)
        print(json.dumps({"large": large, "corpus": made}))
        return 0
    folder = ns.keep or tempfile.mkdtemp(prefix="wlint-ckpt-bench-", dir="/tmp")
    try:
        _, _, code, out = run([PY, os.path.abspath(__file__), "--generate", folder,
                               "--sizes", ns.sizes, "--corpus", str(ns.corpus)])
        if code:
            raise SystemExit("generating the checkpoints failed")
        generated = json.loads(out)
        large, made = generated["large"], generated["corpus"]
        print("\n".join(large_table(large, ns.repeat)))
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
