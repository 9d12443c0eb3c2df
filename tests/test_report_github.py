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
    lines = render(findings, "github").splitlines()
    parsed = {p[1]["title"]: p for p in map(parse, lines)}
    assert parsed["WL204"][0] == "error"
    assert parsed["WL101"][0] == "warning"
    assert parsed["WL290"][0] == "notice"
    assert parsed["WL204"][1] == {"file": "models/net.py", "line": "12", "col": "9",
                                  "title": "WL204"}
    assert parsed["WL101"][1]["col"] == "1"
    assert lines[0].startswith("::error file=models/net.py,line=12,col=9,title=WL204::")


def test_escaping_round_trips() -> None:
    msg = "100% broken:\r\nsize, mismatch\nnext"
    path = "odd,dir/a:b%.py"
    f = Finding("WL204", path, 5, 2, msg, fix="state = {k: v}\n", severity="error")
    (line,) = render([f], "github").splitlines()
    assert "\n" not in line and "\r" not in line
    _cmd, props, text = parse(line)
    assert props["file"] == path
    assert text.startswith(msg)
    assert "state = {k: v}" in text
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
