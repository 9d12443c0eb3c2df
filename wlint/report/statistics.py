"""`--statistics`: how many findings each code has (ruff's layout: count, code, name),
most frequent first; `--format json` gives the same as a list."""

from __future__ import annotations

import json
from collections import Counter
from typing import Optional, Sequence

from wlint.codes import CodeDoc
from wlint.findings import Finding


def _name(doc: Optional[CodeDoc]) -> str:
    return doc.name if doc else ""


def render_statistics(findings: Sequence[Finding], fmt: str = "text") -> str:
    from wlint.catalog import code_doc

    counts = Counter(f.code for f in findings)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    names = {code: _name(code_doc(code)) for code in counts}
    if fmt == "json":
        data = [{"code": code, "name": names[code], "count": n} for code, n in rows]
        return json.dumps(data, indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    return "".join(f"{str(n).rjust(width)}\t{code}\t{names[code]}\n" for code, n in rows)
