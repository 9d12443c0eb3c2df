"""The predictor skips walking a class or function for a name its file never contains
(`ModuleNamespace.mentions`): generators and load-state-dict pre-hooks are still found
when the file has them, also when the word only appears in another module."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from predict_truth import import_file, predicted_state, real_state
from wlint.model.api import predict

torch = pytest.importorskip("torch")

GENERATOR = """\
import torch.nn as nn


def blocks(n):
    for i in range(n):
        yield nn.Linear(i + 1, i + 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(blocks(3))
"""

HOOKED = """\
import torch.nn as nn


class Hooked(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def enable_migration(self):  # never run by the constructor: found by reading the class
        self._register_load_state_dict_pre_hook(lambda *args: None)
"""

PLAIN = """\
import torch.nn as nn
from hooked import Hooked


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)


class Wrapper(Hooked):
    pass
"""


def test_a_generator_in_the_file_is_still_run_as_one(tmp_path: Path) -> None:
    path = tmp_path / "gen.py"
    path.write_text(GENERATOR)
    pred = predict(str(path), "Net()")
    real = real_state(vars(import_file(str(path), "gen_prefilter")), "Net()")
    assert predicted_state(pred) == real


def test_pre_hooks_are_found_in_the_module_defining_them(tmp_path: Path) -> None:
    (tmp_path / "hooked.py").write_text(HOOKED)
    (tmp_path / "plain.py").write_text(PLAIN)
    assert predict(str(tmp_path / "hooked.py"), "Hooked()").migrates_checkpoints
    assert not predict(str(tmp_path / "plain.py"), "Plain()").migrates_checkpoints
    # the subclass's own file never mentions the hook; its base's file does
    assert predict(str(tmp_path / "plain.py"), "Wrapper()").migrates_checkpoints
