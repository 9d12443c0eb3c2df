"""GitHub Actions workflow commands: severities, 1-based positions, escaping."""

from __future__ import annotations

import re

from wlint.findings import Finding
from wlint.report import render
from wlint.report.github_report import escape_data, escape_property


def unescape(text: str) -> str:
    """The runner's decoding (actions/toolkit command.ts, reversed)."""
    return (text.replace("%3A", ":").replace("%2C", ",").replace("%0D", "\r")
            .replace("%0A", "\n").replace("%25", "%"))


COMMAND = re.compile(r"^::(?P<cmd>\w+) (?P<props>[^:]*)::(?P<msg>.*)$")


def parse(line: str):
    m = COMMAND.match(line)
    assert m, line
    props = {}
    for item in m.group("props").split(","):
        k, _, v = item.partition("=")
        props[k] = unescape(v)
    return m.group("cmd"), props, unescape(m.group("msg"))


def test_severity_mapping_and_positions() -> None:
    findings = [
        Finding("WL204", "models/net.py", 12, 8, "size mismatch for fc.weight", cls="Net",
                key="fc.weight", old_key="fc.weight", severity="error"),
        Finding("WL101", "train.py", 3, 0, "torch.load without map_location", severity="warning"),
        Finding("WL290", "models/net.py", 30, 4, "unresolved", severity="info"),
    ]
    lines = render(findings, "github", step_summary="").splitlines()
    parsed = {p[1]["title"].split()[0]: p for p in map(parse, lines)}
    assert parsed["WL204"][0] == "error"
    assert parsed["WL101"][0] == "warning"
    assert parsed["WL290"][0] == "notice"
    assert parsed["WL204"][1] == {"file": "models/net.py", "line": "12", "col": "9",
                                  "title": "WL204 Net: size mismatch for fc.weight"}
    assert parsed["WL101"][1]["col"] == "1"
    assert lines[0].startswith("::error file=models/net.py,line=12,col=9,title=WL204 Net")


def test_escaping_round_trips() -> None:
    msg = "100% broken:\r\nsize, mismatch\nnext"
    path = "odd,dir/a:b%.py"
    f = Finding("WL204", path, 5, 2, msg, fix="state = {k: v}\n", severity="error")
    (line,) = render([f], "github", step_summary="").splitlines()
    assert "\n" not in line and "\r" not in line
    _cmd, props, text = parse(line)
    assert props["file"] == path
    assert text.startswith(msg)
    assert "state = {k: v}" not in text and "job summary" in text  # the code is not inlined
    assert escape_data("a%b\r\n") == "a%25b%0D%0A"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # the message keeps ':' and ',' (only properties escape them)
    assert "broken:" in line and "size, mismatch" in line


def test_empty() -> None:
    assert render([], "github") == ""


def test_absolute_paths_below_cwd_become_relative(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    f = Finding("WL101", str(tmp_path / "pkg" / "train.py"), 3, 0, "m", severity="warning")
    (line,) = render([f], "github").splitlines()
    assert parse(line)[1]["file"] == "pkg/train.py"
    outside = Finding("WL101", "/elsewhere/x.py", 3, 0, "m", severity="warning")
    assert parse(render([outside], "github").strip())[1]["file"] == "/elsewhere/x.py"


def test_errors_first_at_most_ten_per_level_and_the_rest_in_the_summary(tmp_path) -> None:
    errors = [Finding("WL204", "m.py", 100 + i, 0, f"size mismatch for l{i}.weight", cls="Net",
                      key=f"l{i}.weight", old_key=f"l{i}.weight", severity="error",
                      fix="def remap_state_dict(s):\n    return s\n") for i in range(14)]
    hygiene = [Finding("WL101", "a.py", 1, 0, "torch.load without map_location",
                       severity="warning")]
    summary = tmp_path / "summary.md"
    lines = render(hygiene + errors, "github", step_summary=str(summary)).splitlines()
    commands = [parse(line) for line in lines]
    assert [c[0] for c in commands] == ["error"] * 10 + ["warning"]
    assert "5 errors more" in commands[9][2]
    assert all(len(line) < 1000 for line in lines)  # short: no remap code inline
    text = summary.read_text()
    assert text.count("| WL204") == 14 and "def remap_state_dict" in text  # everything there
