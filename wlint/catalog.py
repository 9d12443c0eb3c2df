"""Every documented finding code: loads each producer so its docs are registered.

Used by `wlint rules`, the SARIF / GitLab reports and docs/rules.md, which is
regenerated with

    python -m wlint.catalog > docs/rules.md

(tests/test_rules_docs.py fails when the file is out of date).
"""

from __future__ import annotations

from typing import List, Optional

from wlint import rules, source
from wlint.checkpoint import codes as checkpoint_codes
from wlint.codes import CodeDoc, lookup, registered
from wlint.compat import codes as compat_codes

# the modules whose import registers their codes: WL1xx, WL901, WL2xx, WL290, WL3xx
PRODUCERS = (rules, source, compat_codes, checkpoint_codes)


def all_codes() -> List[CodeDoc]:
    """Every documented code, sorted by code."""
    return registered()


def code_doc(code: str) -> Optional[CodeDoc]:
    """The doc of `code` (any case), None for an unknown code."""
    return lookup(code)


def rules_markdown() -> str:
    """docs/rules.md, generated from the registry."""
    head = (
        "# wlint rules\n\n"
        "Generated from the code registry by `python -m wlint.catalog`; "
        "`wlint rules CODE` prints the same text.\n"
    )
    return head + "".join("\n" + doc.render_markdown() for doc in all_codes())


if __name__ == "__main__":  # pragma: no cover - regenerates docs/rules.md
    import sys

    sys.stdout.write(rules_markdown())
