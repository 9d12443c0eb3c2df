"""Forked workers die with their parent, SIGKILL included (issue 11): a real
`wlint check -j 2` run is SIGKILLed mid-run and none of its workers survives;
the polling fallback used where prctl is missing does the same."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import List

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")


def _children(pid: int) -> List[int]:
    found: List[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has finished


def _wait_for_children(proc: subprocess.Popen, n: int, seconds: float = 60) -> List[int]:
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        kids = _children(proc.pid)
        if len(kids) >= n:
            return kids
        time.sleep(0.05)
    raise AssertionError(f"the run did not start {n} workers (exit {proc.poll()})")


def _assert_all_die(pids: List[int], seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not [p for p in pids if _alive(p)], "workers outlived their SIGKILLed parent"


def _slow_tree(root: Path) -> None:
    """Enough work that the workers are busy for many seconds."""
    rows = "".join(f"    ({i}, {i * 0.5!r}, 'layer_{i}.weight'),\n" for i in range(40_000))
    for i in range(48):
        (root / f"m{i:02d}.py").write_text(
            f"import torch\nTABLE = [\n{rows}]\nx = torch.load('p{i}')\n")


def test_sigkilled_check_leaves_no_worker(tmp_path: Path) -> None:
    _slow_tree(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen([sys.executable, "-m", "wlint", "check", "--no-config", "-j", "2",
                             str(tmp_path)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        workers = _wait_for_children(proc, 2)
        time.sleep(0.3)  # past the initializer
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _assert_all_die(workers)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_polling_fallback_without_prctl(tmp_path: Path) -> None:
    """Where the kernel cannot be asked (not Linux), the worker polls its parent."""
    script = textwrap.dedent("""
        import os, sys, time
        from concurrent.futures import ProcessPoolExecutor
        from wlint import workers
        workers._kernel_kills_orphan = lambda: False
        workers.POLL_SECONDS = 0.1
        pool = ProcessPoolExecutor(max_workers=1, initializer=workers.die_with_parent)
        print(pool.submit(os.getpid).result(), flush=True)
        pool.submit(time.sleep, 120)
        time.sleep(120)
    """)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                            text=True)
    try:
        worker = int(proc.stdout.readline())  # type: ignore[union-attr]
        assert _alive(worker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _assert_all_die([worker])
    finally:
        if proc.poll() is None:
            proc.kill()
