"""GitLab Code Quality report: required fields, GitLab's severity words, unique
and stable fingerprints."""

from __future__ import annotations

import json

from wlint.findings import Finding
from wlint.report import render

VOCAB = {"info", "minor", "major", "critical", "blocker"}


def issues(findings):
    return json.loads(render(findings, "gitlab"))


def test_required_fields_and_severity() -> None:
    findings = [
        Finding("WL204", "models/net.py", 12, 8, "size mismatch", cls="Net", key="fc.weight",
                old_key="fc.weight", severity="error"),
        Finding("WL206", "models/net.py", 20, 4, "stride changed", cls="Net", severity="warning"),
        Finding("WL290", "models/net.py", 30, 0, "unresolved", severity="info"),
        Finding("WL101", "train.py", 3, 0, "torch.load without map_location", severity="warning"),
    ]
    out = issues(findings)
    assert isinstance(out, list) and len(out) == 4
    for item in out:
        assert set(item) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert item["severity"] in VOCAB
        assert isinstance(item["location"]["path"], str)
        assert isinstance(item["location"]["lines"]["begin"], int)
        assert item["location"]["lines"]["begin"] >= 1
    sev = {i["check_name"]: i["severity"] for i in out}
    assert sev == {"WL204": "critical", "WL206": "major", "WL290": "info", "WL101": "major"}
    first = next(i for i in out if i["check_name"] == "WL204")
    assert first["fingerprint"] == findings[0].fingerprint
    assert first["location"] == {"path": "models/net.py", "lines": {"begin": 12}}


def test_fingerprints_unique_and_stable() -> None:
    a = Finding("WL101", "train.py", 3, 0, "torch.load without map_location", severity="warning")
    b = a.with_(line=9)
    fps = [i["fingerprint"] for i in issues([a, b])]
    assert len(set(fps)) == 2
    # both lines move down by 5: the report's fingerprints do not change
    moved = [i["fingerprint"] for i in issues([a.with_(line=8), b.with_(line=14)])]
    assert moved == fps


def test_empty_is_an_empty_array() -> None:
    assert issues([]) == []
