"""The options every command shares behave alike (ruff's names and meanings)."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import List, Tuple

import pytest

from wlint.cli import build_parser, main

LOADS = "import torch\n\nstate = torch.load('ckpt.pt')\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def run(args: List[str], capsys: pytest.CaptureFixture[str]) -> Tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def subcommands() -> dict:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_and_every_command_takes_config() -> None:
    for name, sub in subcommands().items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue
            assert action.help, (name, action.option_strings or action.dest)
        flags = {s for a in sub._actions for s in a.option_strings}
        if name != "rules":
            assert {"--config", "--no-config"} <= flags, name


def test_keys_offers_only_what_it_implements() -> None:
    keys = subcommands()["keys"]
    fmt = next(a for a in keys._actions if "--format" in a.option_strings)
    assert list(fmt.choices) == ["text", "json"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(LOADS)
    return tmp_path


def test_quiet_exit_zero_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "bad.py"], capsys)
    assert code == 1 and out.endswith("Found 2 warnings in 1 file.\n")
    code, out, _ = run(["check", "-q", "bad.py"], capsys)
    assert code == 1 and len(out.splitlines()) == 2 and "Found" not in out
    assert run(["check", "--exit-zero", "bad.py"], capsys)[0] == 0
    code, out, _ = run(["check", "--statistics", "bad.py"], capsys)
    assert code == 1
    assert [line.split("\t") for line in out.splitlines()] == [
        ["1", "WL101", "load-without-map-location"], ["1", "WL102", "load-without-weights-only"]]
    code, out, _ = run(["check", "--statistics", "--format", "json", "bad.py"], capsys)
    assert [row["code"] for row in json.loads(out)] == ["WL101", "WL102"]


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
@pytest.mark.parametrize("command", [["check", "bad.py"], ["diff"]])
def test_unknown_codes_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str],
                                        flag: str, command: List[str]) -> None:
    for bad in ("XYZ", "WL9999"):
        code, out, err = run([*command, flag, bad], capsys)
        assert code == 2 and out == ""
        assert bad in err and "WL1, WL2, WL3, WL9" in err and err.count("\n") == 1


def test_keys_expr_that_builds_no_module_is_exit_2(project: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (project / "x.py").write_text("def test():\n    return 3\n")
    code, out, err = run(["keys", "x.py", "test()"], capsys)
    assert code == 2 and out == "" and "does not build an nn.Module" in err


def test_explicit_file_that_does_not_parse_is_wl901(project: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (project / "broken.py").write_text("def f(:\n    return 1\n")  # never mentions torch
    code, out, _ = run(["check", "-q", "broken.py"], capsys)
    assert code == 1 and out.startswith("broken.py:1:") and " WL901 " in out
    (project / "pkg").mkdir()
    (project / "pkg" / "broken.py").write_text("def f(:\n")
    assert run(["check", "-q", "pkg"], capsys)[:2] == (0, "")  # a walk keeps the prefilter


def test_review_reads_base_from_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True,
                       env={**GIT_ENV, "PATH": "/usr/bin:/bin"})

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    code, _, err = run(["review", "--no-cache"], capsys)
    assert code == 2 and "--base" in err and "[tool.wlint]" in err
    (project / "pyproject.toml").write_text('[tool.wlint]\nbase = "HEAD"\n')
    code, out, err = run(["review", "--no-cache"], capsys)
    assert code == 0, err
    assert "No checkpoint-loading problems" in out
