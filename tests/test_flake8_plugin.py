"""The flake8 plugin reports exactly what `wlint check` reports, and stays cheap."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
import types
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest
from rule_fixtures import ROOT, Expectation, fixture_files

import wlint.rules
from wlint.findings import Finding
from wlint.integrations.flake8_plugin import WlintPlugin

Triple = Tuple[str, int, int, str]


def _triples(output: str) -> Set[Triple]:
    found: Set[Triple] = set()
    for line in output.splitlines():
        path, row, col, rest = line.split(":", 3)
        found.add((str(Path(path).resolve()), int(row), int(col), rest.strip().split()[0]))
    return found


def _run(args: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)


def test_flake8_equals_wlint_check_on_every_fixture() -> None:
    groups: Dict[Optional[str], List[str]] = defaultdict(list)
    for path in fixture_files():
        groups[Expectation(path).target_torch].append(str(path))
    total = 0
    for target, files in groups.items():
        flake8 = [sys.executable, "-m", "flake8", "--isolated", "--select", "WL"]
        wlint = [sys.executable, "-m", "wlint", "check", "--no-config", "--quiet"]
        if target:
            flake8 += ["--wlint-target-torch", target]
            wlint += ["--target-torch", target]
        by_flake8 = _run(flake8 + files)
        by_wlint = _run(wlint + files)
        assert by_flake8.returncode in (0, 1), by_flake8.stderr
        assert by_wlint.returncode in (0, 1), by_wlint.stderr
        assert _triples(by_flake8.stdout) == _triples(by_wlint.stdout), target
        total += len(_triples(by_wlint.stdout))
    assert total >= 90  # the fixtures really produce findings


def _plugin(source: str, filename: str = "m.py") -> WlintPlugin:
    text = textwrap.dedent(source)
    return WlintPlugin(compile(text, filename, "exec", 0x400), filename,
                       text.splitlines(keepends=True))


def _options(**values: object) -> argparse.Namespace:
    base = {"wlint_target_torch": None, "wlint_base": None}
    base.update(values)
    return argparse.Namespace(**base)


def test_target_torch_option() -> None:
    src = "import torch\nx = torch.load('p', map_location='cpu')\n"
    WlintPlugin.parse_options(_options(wlint_target_torch="2.6"))
    assert list(_plugin(src).run()) == []
    WlintPlugin.parse_options(_options(wlint_target_torch="2.5"))
    assert [r[2][:5] for r in _plugin(src).run()] == ["WL102"]
    WlintPlugin.parse_options(_options())


def test_prefilter_skips_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise AssertionError("analyze called on a file without triggers")

    monkeypatch.setattr(wlint.rules, "analyze", boom)
    WlintPlugin.parse_options(_options())
    src = "import os\n\ndef f(x):\n    return os.path.join(x, 'a')\n"
    assert list(_plugin(src).run()) == []


def test_base_option_yields_compat_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: List[Tuple[str, str]] = []

    def diff_findings_for_file(filename: str, base: str) -> List[Finding]:
        calls.append((filename, base))
        return [Finding("WL204", filename, 3, 4, "size mismatch for fc.weight", severity="error")]

    fake = types.ModuleType("wlint.compat")
    fake.diff_findings_for_file = diff_findings_for_file  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wlint.compat", fake)
    try:
        WlintPlugin.parse_options(_options(wlint_base="origin/main"))
        results = list(_plugin("x = 1\n", "net.py").run())
    finally:
        WlintPlugin.parse_options(_options())
    assert calls == [("net.py", "origin/main")]
    assert [(r[0], r[1], r[2]) for r in results] == [(3, 4, "WL204 size mismatch for fc.weight")]


def test_base_option_without_compat_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    blocker = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "wlint.compat":
                    raise ImportError("wlint.compat is blocked for this test")
        sys.meta_path.insert(0, Block())
        from flake8.main.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", blocker, "--isolated", "--select", "WL", "--wlint-base", "HEAD",
         str(tmp_path / "m.py")],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert proc.returncode != 0
    assert "--wlint-base needs wlint.compat.diff_findings_for_file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plugin_import_is_light() -> None:
    code = ("import sys, wlint.integrations.flake8_plugin as p; "
            "bad = [m for m in ('torch', 'libcst', 'wlint.compat', 'wlint.rules') "
            "if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_prefilter_covers_every_rule() -> None:
    from wlint.prefilter import FAMILIES
    from wlint.rules import RULE_CODES

    codes = [code for family, _ in FAMILIES for code in family]
    assert sorted(codes) == sorted(RULE_CODES)
