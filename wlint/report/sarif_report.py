"""SARIF 2.1.0 for code-scanning services (GitHub code scanning, Azure DevOps, IDEs).

Rules carry their help text and help URI; results carry
`partialFingerprints.primaryLocationLineHash` derived from the finding's stable
`fingerprint` (code, path, class, key, old key: no line, no message), so an
alert survives lines moving above it and is closed only when the problem is gone.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from wlint import __version__
from wlint.catalog import all_codes, code_doc
from wlint.codes import HELP_URI, CodeDoc
from wlint.findings import Finding, sort_findings

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/wlint/wlint"

LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def sarif_level(severity: str) -> str:
    """wlint severity -> SARIF `level` (info has no SARIF twin: `note`)."""
    return LEVELS.get(severity, "warning")


def numbered_fingerprints(findings: Iterable[Finding]) -> list[tuple[str, int]]:
    """(fingerprint, occurrence) per finding, in order: two findings sharing a
    fingerprint (e.g. two `torch.load` calls in one file) get occurrences 1, 2, ...
    so that consumers which require unique ids still tell them apart."""
    seen: dict[str, int] = {}
    out: list[tuple[str, int]] = []
    for f in findings:
        fp = f.fingerprint
        seen[fp] = seen.get(fp, 0) + 1
        out.append((fp, seen[fp]))
    return out


def artifact_location(path: str) -> dict[str, Any]:
    """Relative paths become URIs against %SRCROOT% (what upload-sarif expects);
    absolute paths become file:// URIs."""
    if os.path.isabs(path):
        return {"uri": _file_uri(path)}
    rel = posixpath.normpath(path.replace(os.sep, "/"))
    rel = rel.removeprefix("./")
    return {"uri": quote(rel, safe="/"), "uriBaseId": "%SRCROOT%"}


def _file_uri(path: str) -> str:
    from pathlib import Path

    return Path(path).as_uri()


def _rule(doc: CodeDoc) -> dict[str, Any]:
    text = (
        f"{doc.summary}\n\nWhy: {doc.why}\n\nBad:\n{doc.bad}\n\nGood:\n{doc.good}\n"
    )
    markdown = (
        f"**{doc.code} ({doc.name})**: {doc.summary}\n\n{doc.why}\n\n"
        f"Bad:\n\n```python\n{doc.bad}\n```\n\nGood:\n\n```python\n{doc.good}\n```\n"
    )
    family = "compatibility" if doc.code.startswith("WL2") else (
        "hygiene" if doc.code.startswith("WL1") else "analysis")
    return {
        "id": doc.code,
        "name": _camel(doc.name),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.why},
        "help": {"text": text, "markdown": markdown},
        "helpUri": doc.help_uri,
        "defaultConfiguration": {"level": sarif_level(doc.severity)},
        "properties": {"tags": ["pytorch", "checkpoint", family]},
    }


def _camel(name: str) -> str:
    """`key-removed` -> `KeyRemoved` (SARIF recommends an identifier-like name)."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))


def _fallback_rule(code: str, severity: str) -> dict[str, Any]:
    """A code without a registered doc still gets a rule (SARIF consumers need one)."""
    text = f"{code}: see `wlint rules {code}`."
    return {
        "id": code,
        "shortDescription": {"text": code},
        "help": {"text": text},
        "helpUri": HELP_URI.format(code=code.lower()),
        "defaultConfiguration": {"level": sarif_level(severity)},
    }


def _result(f: Finding, rule_index: int, fp: str, occurrence: int) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(f.line, 1), "startColumn": max(f.col, 0) + 1}
    props: dict[str, Any] = {"severity": f.severity, "fingerprint": f.fingerprint}
    for name, value in (("class", f.cls), ("key", f.key), ("old_key", f.old_key)):
        if value is not None:
            props[name] = value
    if f.old_shape is not None:
        props["old_shape"] = list(f.old_shape)
    if f.new_shape is not None:
        props["new_shape"] = list(f.new_shape)
    if f.affected:
        props["affected"] = True
    if f.fix:
        props["fix"] = f.fix
    text = f.message if not f.fix else f"{f.message}\n\nRemap old checkpoints:\n{f.fix}"
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": sarif_level(f.severity),
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact_location(f.path),
                "region": region,
            }
        }],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{fp[:16]}:{occurrence}",
            "wlintFingerprint/v1": f"{fp}:{occurrence}",
        },
        "properties": props,
    }
    if "base_line" in f.extra:  # a removal: where the statement stood in the base revision
        base_path = str(f.extra.get("base_path", f.path))
        result["relatedLocations"] = [{
            "id": 1,
            "physicalLocation": {"artifactLocation": artifact_location(base_path),
                                 "region": {"startLine": max(int(f.extra["base_line"]), 1)}},
            "message": {"text": f"removed from {base_path}:{f.extra['base_line']} "
                                "of the base revision"},
        }]
    return result


def build_sarif(findings: Sequence[Finding], **context: Any) -> dict[str, Any]:
    """The SARIF log as a dict (render() serialises it)."""
    ordered = sort_findings(findings)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for doc in all_codes():
        index[doc.code] = len(rules)
        rules.append(_rule(doc))
    for f in ordered:
        if f.code not in index:
            known = code_doc(f.code)
            index[f.code] = len(rules)
            rules.append(_rule(known) if known is not None else _fallback_rule(f.code, f.severity))
    results = [
        _result(f, index[f.code], fp, n)
        for f, (fp, n) in zip(ordered, numbered_fingerprints(ordered))
    ]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "wlint",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": rules,
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {
            "text": "The repository root (paths are relative to it)."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    command = context.get("command")
    if command:
        run["automationDetails"] = {"id": f"wlint/{command}/"}
    props = {k: context[k] for k in ("base", "head") if context.get(k)}
    if props:
        run["properties"] = props
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(findings: Sequence[Finding], **context: Any) -> str:
    return json.dumps(build_sarif(findings, **context), indent=2) + "\n"
