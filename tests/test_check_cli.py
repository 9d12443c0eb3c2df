"""`wlint check` end to end: exit codes, formats, configuration, noqa, -j."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import List, Tuple

import pytest

from rule_fixtures import finding_lines

from wlint.check import check_paths
from wlint.cli import main
from wlint.config import Config, ConfigError, load_config

LOADS = "import torch\n\nstate = torch.load('ckpt.pt')\n"


def _tree(tmp_path: Path, files: dict) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _run(args: List[str], capsys: pytest.CaptureFixture[str]) -> Tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exit_codes_and_text_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, {"clean.py": "import torch\n", "bad.py": LOADS})
    assert _run(["check", "clean.py"], capsys) == (0, "All checks passed!\n", "")
    assert _run(["check", "-q", "clean.py"], capsys) == (0, "", "")
    code, out, _ = _run(["check"], capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("bad.py:3:9: WL101 ")
    assert [line.split()[1] for line in finding_lines(out)] == ["WL101", "WL102"]
    assert out.splitlines()[-1] == "Found 2 warnings in 1 file."


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, {"bad.py": LOADS})
    code, out, _ = _run(["check", "--format", "json", "bad.py"], capsys)
    assert code == 1
    payload = json.loads(out)
    first = payload["findings"][0]
    assert (first["code"], first["path"], first["line"], first["col"]) == ("WL101", "bad.py", 3, 8)
    assert first["severity"] == "warning" and len(first["fingerprint"]) == 32
    for key in ("class", "key", "old_key", "old_shape", "new_shape", "fix"):
        assert first[key] is None


def test_missing_path_is_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["check", "nope.py"], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "nope.py" in err


def test_rules_command_documents_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["rules"], capsys)
    assert code == 0
    for rule in ("WL101", "WL102", "WL103", "WL104", "WL105", "WL106"):
        assert rule in out
        code, doc, _ = _run(["rules", rule.lower()], capsys)
        assert code == 0
        for part in ("What:", "Why:", "Bad:", "Good:"):
            assert part in doc


def test_rule_docs_examples_agree_with_rules() -> None:
    """Each rule's bad example is reported by that rule, its good example is not."""
    from wlint.check import check_source
    from wlint.catalog import code_doc

    header = ("import torch\nimport torch.nn as nn\n"
              "class Net(nn.Module):\n    pass\n"
              "def f(path, state):\n    model = Net()\n")
    for rule in ("WL101", "WL102", "WL103", "WL104", "WL105", "WL106"):
        doc = code_doc(rule)
        assert doc is not None
        for example, expected in ((doc.bad, True), (doc.good, False)):
            body = textwrap.indent(example, "    ")
            found = check_source("doc.py", header + body + "\n", Config())
            assert (rule in {f.code for f in found}) is expected, (rule, example)


def test_select_ignore_flags(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, {"bad.py": LOADS})
    _, out, _ = _run(["check", "--select", "WL102"], capsys)
    assert [line.split()[1] for line in finding_lines(out)] == ["WL102"]
    _, out, _ = _run(["check", "--ignore", "WL1"], capsys)
    assert finding_lines(out) == [] and "All checks passed" in out
    code, _, err = _run(["check", "--select", "bogus!"], capsys)
    assert code == 2 and "bogus" in err


def test_pyproject_configuration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, {
        "pyproject.toml": """\
            [tool.wlint]
            ignore = ["WL101"]
            per-file-ignores = {"scripts/*" = ["WL102"]}
            exclude = ["generated"]
            target-torch = "2.5"
            """,
        "pkg/model.py": LOADS,
        "scripts/run.py": LOADS,
        "generated/out.py": LOADS,
    })
    code, out, _ = _run(["check"], capsys)
    assert code == 1
    assert [line.split(":")[0] + " " + line.split()[1] for line in finding_lines(out)] == [
        os.path.join("pkg", "model.py") + " WL102"]
    # flags override the file
    _, out, _ = _run(["check", "--ignore", "", "--target-torch", "2.6"], capsys)
    assert sorted(line.split()[1] for line in finding_lines(out)) == ["WL101", "WL101"]
    _, out, _ = _run(["check", "--no-config"], capsys)
    assert len(finding_lines(out)) == 6


def test_config_precedence_and_errors(tmp_path: Path) -> None:
    config = Config(select=["WL1"], ignore=["WL10"])
    assert not config.is_enabled("WL101", "a.py")
    config = Config(select=["WL101"], ignore=["WL1"])
    assert config.is_enabled("WL101", "a.py") and not config.is_enabled("WL102", "a.py")
    (tmp_path / "pyproject.toml").write_text('[tool.wlint]\nselct = ["WL1"]\n')
    with pytest.raises(ConfigError, match="selct"):
        load_config(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text('[tool.wlint]\ntarget-torch = "banana"\n')
    with pytest.raises(ConfigError, match="target-torch"):
        load_config(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text('[tool.wlint]\nbase = "origin/main"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    loaded = load_config(str(sub))
    assert loaded.base == "origin/main" and loaded.root == str(tmp_path)


def test_noqa_file_level(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, {"a.py": "# flake8: noqa\n" + LOADS})
    assert _run(["check", "a.py"], capsys)[0] == 0


def test_parallel_equals_serial(tmp_path: Path) -> None:
    files = {f"m{i}.py": (LOADS if i % 3 else "import os\n") for i in range(40)}
    _tree(tmp_path, files)
    serial = check_paths([str(tmp_path)], Config())
    parallel = check_paths([str(tmp_path)], Config(), jobs=3)
    assert serial == parallel and len(serial) == 2 * 26


def test_output_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, {"bad.py": LOADS})
    code, out, _ = _run(["check", "-o", "report.txt", "bad.py"], capsys)
    assert code == 1 and out == ""
    assert "WL101" in (project / "report.txt").read_text()


def test_each_file_parsed_at_most_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ast as ast_module

    from wlint import source as source_module

    _tree(tmp_path, {"a.py": LOADS, "b.py": LOADS + "torch.save(x, 'p')\n",
                     "c.py": "import os\n", "d.py": "def f():\n    return 1\n"})
    parsed: List[str] = []
    real = ast_module.parse

    def counting(source: str, filename: str = "<unknown>", *args: object, **kw: object) -> object:
        parsed.append(os.path.basename(filename))
        return real(source, filename, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(source_module.ast, "parse", counting)
    check_paths([str(tmp_path)], Config())
    assert sorted(parsed) == ["a.py", "b.py"]  # c.py and d.py fail the prefilter
