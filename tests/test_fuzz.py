"""Bounded fuzzing in the suite (issue 11): hypothesis drives the hostile input
classes of tests/fuzzgen.py (mutated fixtures and generated programs through
check, keys, diff and --fix; special files; odd file names; wrong-shape cache
entries; hostile GitHub answers) with a fixed, derandomised example budget, so
the whole module stays well under a minute. Each class asserts its oracle: no
traceback, exit in {0, 1, 2}, valid JSON, and for --fix a result that parses,
is idempotent, keeps line endings and edits only loader calls.

bench/fuzz_campaign.py runs the same classes for thousands of inputs."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzgen

BUDGET = {  # examples per class: ~35 s in all on an idle core
    "fix-separators": 60, "fix-mutated": 60, "fix-filesystem": 16, "check-mutated": 60,
    "keys-generated": 25, "diff-generated": 10, "fs-special": 12, "names-surrogate": 16,
    "output-paths": 12, "cache-shapes": 30, "github-hostile": 12,
}


def _run(name: str, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix="wlint-fuzz-") as tmp:
        work = Path(tmp)
        try:
            failure = fuzzgen.CLASSES[name](rng, work)
        finally:
            for folder in [work, *work.rglob("*")]:
                if folder.is_dir() and not folder.is_symlink():
                    folder.chmod(0o755)
    assert failure is None, failure


def _fast_github(rng: random.Random, work: Path) -> fuzzgen.Failure:
    """The slow hostile answers (a dripped body, 24 MB) have their own tests."""
    kinds = [k for k in fuzzgen.GITHUB_KINDS if k not in ("drip", "oversized")]
    return fuzzgen.github_hostile(rng, work, rng.choice(kinds))


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_fuzz(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(fuzzgen.CLASSES, "github-hostile", _fast_github)

    @settings(max_examples=BUDGET[name], derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(rng=st.randoms(use_true_random=False))
    def check(rng: random.Random) -> None:
        _run(name, rng)

    check()
