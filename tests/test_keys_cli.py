"""`wlint keys` (text and json), its exit codes, the Python API, source trees,
import roots, and precision (unknowns are declared, never guessed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Dict, List, Optional

import jsonschema
import pytest

from wlint.cli import main
from wlint.model.api import ClassInfo, PredictError, module_classes, predict, predict_in_tree

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "fixtures", "models")

KEYS_SCHEMA = {
    "type": "object",
    "required": ["path", "expr", "class", "entries", "unresolved"],
    "properties": {
        "path": {"type": "string"}, "expr": {"type": "string"}, "class": {"type": "string"},
        "entries": {"type": "array", "items": {
            "type": "object", "required": ["key", "shape", "kind", "line"],
            "properties": {
                "key": {"type": "string"},
                "shape": {"type": ["array", "null"],
                          "items": {"type": ["integer", "string"]}},
                "kind": {"enum": ["parameter", "buffer"]},
                "line": {"type": "integer", "minimum": 1},
            }}},
        "unresolved": {"type": "array", "items": {
            "type": "object", "required": ["line", "reason"],
            "properties": {"line": {"type": "integer"}, "reason": {"type": "string"}}}},
    },
}


def write(tmp: str, files: Dict[str, str]) -> None:
    for rel, text in files.items():
        full = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text))


NET = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, n_embd, n_layer=2):
        super().__init__()
        self.fc1 = nn.Linear(10, 5)
        self.blocks = nn.ModuleList([nn.Linear(n_embd, 4 * n_embd) for _ in range(n_layer)])
"""


def run(argv: List[str], capsys: pytest.CaptureFixture[str]) -> tuple:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output(tmp_path, capsys) -> None:
    write(str(tmp_path), {"net.py": NET})
    code, out, _ = run(["keys", str(tmp_path / "net.py"), "Net(3)"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["fc1.weight", "parameter", "(5,", "10)", "line", "7"]
    assert any(line.split()[0] == "blocks.1.bias" and "(12,)" in line for line in lines)


def test_json_output_schema_and_symbols(tmp_path, capsys) -> None:
    write(str(tmp_path), {"net.py": NET})
    code, out, _ = run(["keys", str(tmp_path / "net.py"), "Net", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    jsonschema.validate(data, KEYS_SCHEMA)
    assert data["class"] == "Net" and data["expr"] == "Net"
    by_key = {e["key"]: e for e in data["entries"]}
    assert by_key["fc1.weight"]["shape"] == [5, 10]
    assert by_key["blocks.0.weight"]["shape"] == ["4*n_embd", "n_embd"]
    assert by_key["blocks.1.bias"]["shape"] == ["4*n_embd"]
    assert data["unresolved"] == []


def test_unknown_count_uses_index_placeholder(tmp_path, capsys) -> None:
    write(str(tmp_path), {"net.py": NET})
    code, out, _ = run(["keys", str(tmp_path / "net.py"), "Net(n_layer=n_layer, n_embd=8)",
                        "--format", "json"], capsys)
    # n_layer is not defined in the module: an unknown, not a usage error
    assert code == 0
    data = json.loads(out)
    assert data["unresolved"], "an undefined name must be declared unresolved"


def test_bare_class_symbolic_count(tmp_path) -> None:
    write(str(tmp_path), {"net.py": NET.replace("n_layer=2", "n_layer")})
    pred = predict(str(tmp_path / "net.py"), "Net")
    assert pred.keys() == ["fc1.weight", "fc1.bias", "blocks.{i}.weight", "blocks.{i}.bias"]
    assert pred.shapes()["blocks.{i}.weight"] == ("4*n_embd", "n_embd")
    assert not pred.unresolved


def test_output_file(tmp_path, capsys) -> None:
    write(str(tmp_path), {"net.py": NET})
    target = tmp_path / "out.json"
    code, out, _ = run(["keys", str(tmp_path / "net.py"), "Net(2)", "--format", "json",
                        "-o", str(target)], capsys)
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["entries"][0]["key"] == "fc1.weight"


@pytest.mark.parametrize("argv_tail,needle", [
    (["missing.py", "Net()"], "no such file"),
    (["net.py", "Nope()"], "unknown class"),
    (["net.py", "Net(("], "cannot parse"),
    (["net.py", "1 + 2"], "EXPR"),
])
def test_usage_errors_exit_2(tmp_path, capsys, argv_tail, needle) -> None:
    write(str(tmp_path), {"net.py": NET})
    argv = ["keys", str(tmp_path / argv_tail[0]), argv_tail[1]]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and out == ""


def test_unresolved_is_reported_with_line(tmp_path, capsys) -> None:
    write(str(tmp_path), {"net.py": """\
        import torch.nn as nn
        from timm.layers import Mlp


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 3)
                self.mlp = Mlp(3)
        """})
    code, out, _ = run(["keys", str(tmp_path / "net.py"), "Net()", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert [e["key"] for e in data["entries"]] == ["fc.weight", "fc.bias"]
    assert data["unresolved"][0]["line"] == 9
    assert "timm" in data["unresolved"][0]["reason"]


def test_unknown_branch_gives_conditional_keys(tmp_path) -> None:
    write(str(tmp_path), {"net.py": """\
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, use_norm, d=4):
                super().__init__()
                if use_norm:
                    self.norm = nn.LayerNorm(d)
                else:
                    self.norm = nn.Identity()
                self.fc = nn.Linear(d, d, bias=use_norm)
        """})
    pred = predict(str(tmp_path / "net.py"), "Net")
    conds = {e.key: e.condition for e in pred.entries}
    assert conds == {"norm.weight": "use_norm", "norm.bias": "use_norm", "fc.weight": None,
                     "fc.bias": "use_norm"}


def test_plain_folder_sibling_and_package_imports(tmp_path, monkeypatch) -> None:
    write(str(tmp_path), {
        "models/layers.py": """\
            import torch.nn as nn

            class Mlp(nn.Module):
                def __init__(self, d):
                    super().__init__()
                    self.fc = nn.Linear(d, 2 * d)
            """,
        "models/net.py": """\
            import torch.nn as nn
            from layers import Mlp

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.mlp = Mlp(3)
            """,
        "pkg/__init__.py": "from .sub.blocks import Block\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/blocks.py": """\
            import torch.nn as nn

            class Block(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = nn.Conv2d(1, 2, 3)
            """,
        "pkg/sub/net.py": """\
            import torch.nn as nn
            from pkg import Block
            from ..sub import blocks

            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = Block()
                    self.b = blocks.Block()
            """,
    })
    monkeypatch.chdir(tmp_path)
    pred = predict("models/net.py", "Net()")
    assert pred.keys() == ["mlp.fc.weight", "mlp.fc.bias"]
    assert pred.entries[0].path == "models/layers.py"
    assert ("models/layers.py", "Mlp") in pred.uses
    pred = predict(str(tmp_path / "pkg" / "sub" / "net.py"), "Net()")
    assert pred.keys() == ["a.conv.weight", "a.conv.bias", "b.conv.weight", "b.conv.bias"]
    assert not pred.unresolved


class DictTree:
    """A SourceTree over a dict (what a git revision looks like to the predictor)."""

    def __init__(self, files: Dict[str, str]) -> None:
        self.root = "<memory>"
        self.files = files

    def read(self, relpath: str) -> Optional[str]:
        return self.files.get(relpath)


def test_predict_in_tree_and_module_classes() -> None:
    tree = DictTree({
        "a/__init__.py": "",
        "a/base.py": "import torch.nn as nn\nclass Base(nn.Module):\n    pass\n",
        "a/net.py": textwrap.dedent("""\
            import torch.nn as nn
            from .base import Base

            class Cfg:
                d = 3

            class Net(Base):
                def __init__(self, cfg=Cfg()):
                    super().__init__()
                    self.fc = nn.Linear(cfg.d, 1)

            class Plain:
                pass

            class Seq(nn.Sequential):
                pass
            """),
    })
    pred = predict_in_tree(tree, "a/net.py", "Net()")
    assert pred.keys() == ["fc.weight", "fc.bias"] and pred.shapes()["fc.weight"] == (1, 3)
    infos = module_classes(tree, "a/net.py")
    assert infos == [ClassInfo("Net", 7, ["Base"]), ClassInfo("Seq", 15, ["nn.Sequential"])]
    with pytest.raises(PredictError):
        predict_in_tree(tree, "a/net.py", "Plain()")


def test_modules_and_migration_and_nonpersistent(tmp_path) -> None:
    write(str(tmp_path), {"net.py": """\
        import torch
        import torch.nn as nn


        class Net(nn.Module):
            _version = 2

            def __init__(self):
                super().__init__()
                self.seq = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.GELU())
                self.register_buffer("tmp", torch.zeros(3), persistent=False)
        """})
    pred = predict(str(tmp_path / "net.py"), "Net()")
    assert pred.migrates_checkpoints
    records = {m.prefix: m for m in pred.modules}
    assert records[""].type == "Net"
    assert records["seq.0"].type == "Conv2d" and ("stride", "2") in records["seq.0"].args
    assert records["seq.1"].type == "GELU"
    assert [e.key for e in pred.nonpersistent] == ["tmp"]


def test_step_budget_terminates(tmp_path) -> None:
    write(str(tmp_path), {"net.py": """\
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                i = 0
                while True:
                    i += 1
        """})
    pred = predict(str(tmp_path / "net.py"), "Net()")
    assert pred.unresolved and "budget" in pred.unresolved[0].reason


def test_recursion_is_bounded(tmp_path) -> None:
    write(str(tmp_path), {"net.py": """\
        import torch.nn as nn


        def f(n):
            return f(n + 1)


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(f(1), 2)
        """})
    pred = predict(str(tmp_path / "net.py"), "Net()")
    assert pred.unresolved


def test_predictor_never_imports_torch(tmp_path) -> None:
    # Speed is measured by bench/predict_accuracy.py; this asserts the behaviour behind it.
    big = os.path.join(ROOT, "m05_dataclass_gpt.py")
    code = (
        "import sys\n"
        "from wlint.model.api import predict\n"
        f"p = predict({big!r}, 'GPT(GPTConfig(n_layer=100))')\n"
        "assert len(p.entries) > 1000, len(p.entries)\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_append_under_unknown_condition_is_conditional(tmp_path) -> None:
    write(str(tmp_path), {"net.py": """\
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, use_bn, d=4):
                super().__init__()
                layers = [nn.Conv2d(3, d, 3)]
                if use_bn:
                    layers.append(nn.BatchNorm2d(d))
                layers.append(nn.Conv2d(d, d, 1))
                self.seq = nn.Sequential(*layers)
        """})
    pred = predict(str(tmp_path / "net.py"), "Net")
    conds = {e.key: e.condition for e in pred.entries}
    assert conds["seq.0.weight"] is None
    assert conds["seq.1.weight"] == "use_bn"
    # the last conv is seq.1 or seq.2: never guessed, always declared
    assert any("depends on an unknown condition" in u.reason for u in pred.unresolved)
