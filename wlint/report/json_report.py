"""The stable JSON shape of DESIGN §2: {"version": ..., "findings": [...]}."""

from __future__ import annotations

import json
from typing import Any, Sequence

from wlint import __version__
from wlint.findings import Finding, sort_findings


def render(findings: Sequence[Finding], **_: Any) -> str:
    payload = {"version": __version__, "findings": [f.to_json() for f in sort_findings(findings)]}
    return json.dumps(payload, indent=2) + "\n"
