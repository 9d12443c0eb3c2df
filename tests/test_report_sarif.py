"""SARIF 2.1.0 output, validated against the official schema (copy in tests/schemas)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from wlint.catalog import code_doc
from wlint.findings import Finding
from wlint.report import render

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def sample() -> list:
    return [
        Finding("WL204", "models/net.py", 12, 8, "size mismatch for fc1.weight",
                cls="Net", key="fc1.weight", old_key="fc1.weight",
                old_shape=(5, 10), new_shape=(8, 10), severity="error"),
        Finding("WL203", "models/net.py", 14, 8, "conv1 renamed to conv_one", cls="Net",
                key="conv_one.weight", old_key="conv1.weight",
                old_shape=(16, 3, 3, 3), new_shape=(16, 3, 3, 3),
                fix='state = {k.replace("conv1.", "conv_one.", 1): v for k, v in state.items()}', severity="error"),
        Finding("WL206", "models/net.py", 20, 4, "stride 1 -> 2", cls="Net", severity="warning"),
        Finding("WL290", "models/gpt.py", 9, 0, "unresolved factory", cls="GPT", severity="info"),
        Finding("WL101", "train dir/train.py", 3, 4, "torch.load without map_location", severity="warning"),
        Finding("WL101", "train dir/train.py", 9, 4, "torch.load without map_location", severity="warning"),
        Finding("WL204", "models/gpt.py", 30, 8, "size mismatch", cls="GPT",
                key="h.{i}.mlp.weight", old_key="h.{i}.mlp.weight",
                old_shape=("4*n_embd", "n_embd"), new_shape=("3*n_embd", "n_embd"), severity="error"),
    ]


def sarif(findings, **ctx) -> dict:
    return json.loads(render(findings, "sarif", **ctx))


def test_valid_against_official_schema(validator) -> None:
    log = sarif(sample(), command="diff", base="main", head="HEAD")
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0]
    assert log["version"] == "2.1.0"
    empty = sarif([])
    assert not list(validator.iter_errors(empty))
    assert empty["runs"][0]["results"] == []


def test_schema_catches_a_broken_log(validator) -> None:
    """The validation above can fail: a result with a bad level is rejected."""
    log = sarif(sample())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(log))


def test_rules_carry_help_text_and_uri() -> None:
    run = sarif(sample())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    documented = 0
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["helpUri"].endswith("#" + rule["id"].lower())
        assert rule["help"]["text"]
        doc = code_doc(result["ruleId"])
        if doc is None:  # WL1xx docs live with the rules; they may not be registered
            assert result["ruleId"].startswith("WL1")
            continue
        documented += 1
        assert rule["helpUri"] == doc.help_uri
        assert doc.why in rule["help"]["text"]
        assert doc.summary == rule["shortDescription"]["text"]
    assert documented >= 5


def test_results_levels_and_locations() -> None:
    findings = sample()
    results = sarif(findings)["runs"][0]["results"]
    assert len(results) == len(findings)
    by_line = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]): r for r in results}
    r = by_line[("models/net.py", 12)]
    assert r["ruleId"] == "WL204" and r["level"] == "error"
    assert r["locations"][0]["physicalLocation"]["region"]["startColumn"] == 9  # 0-based 8
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert by_line[("models/net.py", 20)]["level"] == "warning"
    assert by_line[("models/gpt.py", 9)]["level"] == "note"
    # spaces are percent-encoded in the URI
    assert ("train%20dir/train.py", 3) in by_line
    assert "remap" in by_line[("models/net.py", 14)]["message"]["text"].lower()


def test_line_hash_follows_fingerprint_not_line() -> None:
    a = Finding("WL204", "m.py", 12, 8, "size mismatch", cls="Net", key="fc.weight",
                old_key="fc.weight", old_shape=(5, 10), new_shape=(8, 10), severity="error")
    moved = a.with_(line=40, col=0, message="size mismatch (reworded)")
    other = a.with_(key="fc.bias", old_key="fc.bias")
    h = [sarif([x])["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"]
         for x in (a, moved, other)]
    assert h[0] == h[1]
    assert h[0] != h[2]
    assert h[0].startswith(a.fingerprint[:16])


def test_duplicate_fingerprints_get_distinct_hashes() -> None:
    results = sarif(sample())["runs"][0]["results"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(hashes) == len(set(hashes))
    wl101 = [r for r in results if r["ruleId"] == "WL101"]
    assert [h["partialFingerprints"]["primaryLocationLineHash"][-2:] for h in wl101] == [":1", ":2"]


def test_absolute_and_dotted_paths(tmp_path) -> None:
    f1 = Finding("WL101", "./a/b.py", 1, 0, "m", severity="warning")
    f2 = Finding("WL101", str(tmp_path / "c.py"), 1, 0, "m", severity="warning")
    locs = [r["locations"][0]["physicalLocation"]["artifactLocation"]
            for r in sarif([f1, f2])["runs"][0]["results"]]
    uris = sorted(loc["uri"] for loc in locs)
    assert "a/b.py" in uris
    assert any(u.startswith("file://") and u.endswith("/c.py") for u in uris)
