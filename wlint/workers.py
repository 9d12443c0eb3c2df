"""Worker processes that die with the process that started them.

A CI job that times out SIGKILLs wlint; its forked pool workers must not keep
running with parent 1. Each worker calls `die_with_parent()` as its
pool initializer: on Linux the kernel delivers SIGKILL when the parent goes
(`prctl(PR_SET_PDEATHSIG)`, set through ctypes, no dependency); elsewhere, or
if that call fails, a daemon thread polls the parent pid once a second and
exits the worker when it changed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 1.0


def die_with_parent() -> None:
    """Make this (worker) process end when its parent ends, SIGKILL included. The
    parent is whoever started the worker (wlint itself, or multiprocessing's fork
    server, which exits with wlint)."""
    parent = os.getppid()
    if parent == 1:  # orphaned already
        os._exit(1)
    if not _kernel_kills_orphan():
        _watch(parent)
    elif os.getppid() != parent:  # the parent died before the call took effect
        os._exit(1)


def _kernel_kills_orphan() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError, TypeError):
        return False


def _watch(parent: int) -> None:
    def poll() -> None:
        while True:
            time.sleep(POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=poll, name="wlint-parent-watch", daemon=True).start()
