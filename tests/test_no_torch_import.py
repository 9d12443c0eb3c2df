"""The lint path never imports torch (nor libcst, which only --fix needs)."""

from __future__ import annotations

import subprocess
import sys

from rule_fixtures import FIXTURES, ROOT


def _imported(code: str) -> set:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, "no -X importtime output"
    return names


def test_check_never_imports_torch_or_libcst() -> None:
    names = _imported(
        "import sys; from wlint.cli import main; "
        f"rc = main(['check', '--no-config', {str(FIXTURES)!r}]); assert rc == 1")
    heavy = {n for n in names if n.split(".")[0] in ("torch", "libcst")}
    assert heavy == set()


def test_flake8_plugin_run_never_imports_torch_or_libcst() -> None:
    # TorchFix's own flake8 plugin imports libcst: leave it out to see what wlint imports.
    driver = ROOT / "bench" / "flake8_plugins.py"
    names = _imported(
        "import runpy, sys\n"
        f"sys.argv = [{str(driver)!r}, '--drop', 'torchfix', '--', '--isolated', "
        f"'--select', 'WL', '-j', '1', {str(FIXTURES)!r}]\n"
        "try:\n"
        f"    runpy.run_path({str(driver)!r}, run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 1, e.code\n")
    assert "wlint.rules" in names and "flake8.checker" in names
    heavy = {n for n in names if n.split(".")[0] in ("torch", "libcst", "torchfix")}
    assert heavy == set()
