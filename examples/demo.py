"""wlint demo: builds a throwaway git repository from examples/demo/ and runs
`wlint check`, `wlint keys` and `wlint diff` on it, printing what each finds.

Run: python examples/demo.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "demo"


def sh(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def wlint(*args: str, cwd: Path) -> None:
    print(f"\n$ wlint {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "wlint", *args], cwd=cwd, check=False)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wlint-demo-") as tmp:
        repo = Path(tmp)
        env = {"GIT_AUTHOR_NAME": "demo", "GIT_AUTHOR_EMAIL": "demo@example.invalid",
               "GIT_COMMITTER_NAME": "demo", "GIT_COMMITTER_EMAIL": "demo@example.invalid"}
        os.environ.update(env)
        sh("git", "init", "-q", cwd=repo)
        shutil.copy(HERE / "before" / "model.py", repo / "model.py")
        sh("git", "add", "model.py", cwd=repo)
        sh("git", "commit", "-q", "-m", "classifier as trained", cwd=repo)
        shutil.copy(HERE / "after" / "model.py", repo / "model.py")
        print(f"demo repository: {repo} (HEAD = the trained model, working tree = the cleanup)")
        wlint("check", "model.py", cwd=repo)
        wlint("keys", "model.py", "Classifier()", cwd=repo)
        wlint("diff", "--base", "HEAD", cwd=repo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
