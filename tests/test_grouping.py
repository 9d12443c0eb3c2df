"""One change, one finding: sibling copies, numeric order, removals at head lines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wlint.compat import diff_revisions
from wlint.compat.grouping import KeyNormalizer, head_line
from wlint.findings import natural_key
from wlint.model.prediction import ModuleRecord, Prediction

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=ENV)


def test_only_indices_of_repeated_children_are_normalised() -> None:
    modules = [ModuleRecord("", "Net", 1), ModuleRecord("layers", "ModuleList", 2),
               ModuleRecord("layers.0", "Block", 2), ModuleRecord("layers.1", "Block", 2),
               ModuleRecord("layers.0.net", "Sequential", 3),
               ModuleRecord("layers.0.net.0", "Linear", 3), ModuleRecord("layers.0.net.1", "GELU", 3),
               ModuleRecord("layers.0.net.2", "Linear", 3),
               ModuleRecord("heads.{i}", "Linear", 4)]
    norm = KeyNormalizer([Prediction("n.py", "Net", "Net", modules=modules)]).norm
    assert norm("layers.1.net.2.weight") == "layers.{i}.net.2.weight"
    assert norm("heads.3.weight") == "heads.{i}.weight"
    assert norm("other.0.weight") == "other.0.weight"


def test_natural_key_orders_indices_numerically() -> None:
    keys = ["layers.10.w", "layers.2.w", "layers.1.w", "head.w"]
    assert sorted(keys, key=natural_key) == ["head.w", "layers.1.w", "layers.2.w", "layers.10.w"]


lines = st.lists(st.sampled_from(["a", "b", "c", "d", "# x", ""]), min_size=1, max_size=30)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lines, lines, st.integers(0, 30))
@example(["b", "a", "a", "a", "b"], ["b"], 2)  # SequenceMatcher alone calls line 4 deleted
def test_head_line_of_a_surviving_line_has_its_text(old: list, inserted: list, at: int) -> None:
    at = min(at, len(old))
    new = old[:at] + inserted + old[at:]
    for n in range(1, len(old) + 1):
        mapped = head_line("\n".join(old) + "\n", "\n".join(new) + "\n", n)
        assert 1 <= mapped <= len(new)
        assert new[mapped - 1] == old[n - 1]


NET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.extra = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 2)
"""


def test_a_removal_points_at_the_head_line_and_keeps_the_base_line(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    head = NET.replace("import torch.nn as nn\n", "import torch.nn as nn\n# one\n# two\n# three\n")
    head = head.replace("        self.extra = nn.Linear(4, 4)\n", "")
    (tmp_path / "net.py").write_text(head)
    found = diff_revisions(str(tmp_path), "HEAD", None, use_cache=False).findings
    removed = [f for f in found if f.code == "WL201"]
    assert {f.old_key for f in removed} == {"extra.weight", "extra.bias"}
    for f in removed:
        assert f.extra["base_line"] == 8
        assert head.splitlines()[f.line - 1].strip() == "self.fc2 = nn.Linear(4, 2)"
