"""`wlint rules [CODE]`: list every code, or print one code's documentation."""

from __future__ import annotations

import argparse
import sys

from wlint.catalog import all_codes, code_doc
from wlint.commands import UsageError, option

ERRORS = ()


def run(ns: argparse.Namespace) -> int:
    code = option(ns, "code")
    if code:
        doc = code_doc(code)
        if doc is None:
            raise UsageError(f"unknown code {code!r}; `wlint rules` lists them")
        sys.stdout.write(doc.render())
        return 0
    for doc in all_codes():
        sys.stdout.write(f"{doc.code}  {doc.severity:<7}  {doc.summary}\n")
    return 0
