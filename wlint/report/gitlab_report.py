"""GitLab Code Quality report: a JSON array of issues (`artifacts:reports:codequality`).

GitLab needs, per issue: `description`, `check_name`, `fingerprint` (unique in
the report; GitLab compares fingerprints between the source and target branch
to show new/fixed issues), `severity` in its own vocabulary
(info/minor/major/critical/blocker), `location.path` and `location.lines.begin`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from wlint.catalog import code_doc
from wlint.findings import Finding, sort_findings
from wlint.report.github_report import relative_path
from wlint.report.sarif_report import numbered_fingerprints

# error: strict loading fails -> critical; warning: loads but wrong/risky -> major;
# info: informational -> info. (blocker is left for humans to decide.)
SEVERITIES = {"error": "critical", "warning": "major", "info": "info"}


def gitlab_severity(severity: str) -> str:
    return SEVERITIES.get(severity, "major")


def unique_fingerprint(fingerprint: str, occurrence: int) -> str:
    """The finding's own fingerprint for its first occurrence; later findings
    sharing it get a derived, still stable, one."""
    if occurrence == 1:
        return fingerprint
    return hashlib.sha256(f"{fingerprint}:{occurrence}".encode()).hexdigest()[:32]


def _issue(f: Finding, fingerprint: str) -> dict[str, Any]:
    doc = code_doc(f.code)
    category = "Bug Risk" if f.severity == "error" or f.code.startswith("WL1") else "Clarity"
    body = f.message
    if doc is not None:
        body = f"{f.message}\n\n{doc.why}\n\nSee {doc.help_uri}"
    if f.fix:
        body += f"\n\nRemap old checkpoints:\n\n```python\n{f.fix.rstrip()}\n```"
    return {
        "type": "issue",
        "description": f"{f.code} {f.message}",
        "check_name": f.code,
        "fingerprint": fingerprint,
        "severity": gitlab_severity(f.severity),
        "categories": [category],
        "content": {"body": body},
        "location": {"path": relative_path(f.path), "lines": {"begin": max(f.line, 1)}},
    }


def build_issues(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    ordered = sort_findings(findings)
    return [
        _issue(f, unique_fingerprint(fp, n))
        for f, (fp, n) in zip(ordered, numbered_fingerprints(ordered))
    ]


def render(findings: Sequence[Finding], **_: Any) -> str:
    return json.dumps(build_issues(findings), indent=2) + "\n"
