"""docs/ holds the user-facing contract: its codes table is generated from the code
registry, and what the README links stays inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from wlint.catalog import all_codes

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "contract.md"
START = "<!-- codes:start (generated from the registry; tests/test_docs_contract.py) -->"
END = "<!-- codes:end -->"


def codes_table() -> str:
    rows = ["| code | severity | what |", "|---|---|---|"]
    for doc in all_codes():
        summary = doc.summary.replace("|", "\\|")
        rows.append(f"| [{doc.code}](rules.md#{doc.code.lower()}) | {doc.severity} | {summary} |")
    return "\n".join(rows)


def test_codes_table_matches_the_registry() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    block = text[text.index(START) + len(START):text.index(END)].strip()
    assert block == codes_table(), (
        "docs/contract.md is out of date: replace the block between the codes markers "
        "with:\n" + codes_table())


def test_readme_links_stay_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert "docs/contract.md" in local
    for link in local:
        assert not link.startswith(".."), link
        assert (ROOT / link).exists(), link


def test_contract_documents_every_command() -> None:
    from wlint.cli import build_parser

    text = CONTRACT.read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in commands.choices:  # type: ignore[attr-defined]
        assert f"wlint {name}" in text, name
