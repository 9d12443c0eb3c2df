"""docs/rules.md (where every help URI points) is generated from the registry and kept in sync."""

from __future__ import annotations

from pathlib import Path

from wlint.catalog import all_codes, rules_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rules_markdown_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == rules_markdown(), (
        "regenerate with: python -m wlint.catalog > docs/rules.md"
    )


def test_every_code_has_an_anchor_its_help_uri_names() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for doc in all_codes():
        anchor = doc.help_uri.rsplit("#", 1)[1]
        assert f'<a id="{anchor}"></a>' in text
        assert doc.bad.strip() and doc.good.strip() and doc.why.strip()
