"""Every fixture under fixtures/rules/ yields exactly the findings written next to it."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from rule_fixtures import FIXTURES, Expectation, fixture_files

from wlint.check import check_source
from wlint.config import Config
from wlint.rules import RULE_CODES, analyze

FILES = fixture_files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fixture(path: Path) -> None:
    expect = Expectation(path)
    config = Config(target_torch=expect.target_torch)
    findings = check_source(str(path), expect.text, config)
    found = {(f.line, f.col + 1, f.code) for f in findings}
    assert len(found) == len(findings), "duplicate findings"
    assert expect.mismatches(found) == []


def test_each_rule_has_enough_fixtures() -> None:
    """At least 15 files per rule folder, and each rule is expected somewhere and
    also has files where it must stay quiet."""
    per_folder = Counter(p.parent.name for p in FILES)
    for code in RULE_CODES:
        assert per_folder[code.lower()] >= 15, code
    expected_codes = {code for p in FILES for (_, code) in Expectation(p).lines}
    assert set(RULE_CODES) <= expected_codes
    quiet = [p for p in FILES if not Expectation(p).lines]
    assert len(quiet) >= 20


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_skipping_cold_bodies_changes_nothing(path: Path) -> None:
    """Passing the source lets the walk skip bodies without trigger words; the
    findings must be those of the full walk."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert analyze(tree, text=text) == analyze(tree)


def test_analysis_leaves_no_reference_cycles() -> None:
    """check pauses the GC while it works: the analysis must free everything by
    reference counting, or the collection at the end costs more than the parsing."""
    import gc

    sources = [(ast.parse(p.read_text(encoding="utf-8")), p.read_text(encoding="utf-8"))
               for p in FILES]
    gc.collect()
    gc.disable()
    try:
        for tree, text in sources:
            analyze(tree, text=text)
        assert gc.collect() == 0
    finally:
        gc.enable()
