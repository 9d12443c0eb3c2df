"""Markdown report: plain findings lists (check/diff) and the review layout."""

from __future__ import annotations

from wlint.findings import Finding
from wlint.report import render
from wlint.report.markdown_report import MARKER, code_block, truncate


def compat_findings():
    return [
        Finding("WL204", "models/net.py", 12, 8, "size mismatch for fc1.weight", cls="Net",
                key="fc1.weight", old_key="fc1.weight", old_shape=(5, 10), new_shape=(8, 10), severity="error"),
        Finding("WL203", "models/net.py", 14, 8, "conv1 renamed", cls="Net",
                key="conv_one.weight", old_key="conv1.weight",
                old_shape=(16, 3, 3, 3), new_shape=(16, 3, 3, 3),
                fix='state = {k.replace("conv1.", "conv_one.", 1): v for k, v in state.items()}', severity="error"),
        Finding("WL201", "models/gpt.py", 40, 8, "Unexpected key(s) in state_dict: ln.bias",
                cls="GPT", key=None, old_key="ln.bias", old_shape=("n_embd",), severity="error"),
        Finding("WL206", "models/other.py", 7, 8, "eps 1e-5 -> 1e-6", cls="Other", severity="warning"),
    ]


def test_review_layout() -> None:
    hygiene = Finding("WL101", "train.py", 3, 4, "torch.load without map_location | x", severity="warning")
    md = render(compat_findings() + [hygiene], "markdown", review=True, base="abc123",
                head="def456", filter_mode="added", hidden=2, changed_files=["a.py", "b.py"],
                blob_url="https://example.test/blob/def456/{path}#L{line}")
    assert md.startswith(MARKER + "\n")
    verdict = md.splitlines()[3]
    assert "2 model classes break checkpoint loading" in verdict
    assert "1 model class loads but computes differently" in verdict
    assert "1 checkpoint-hygiene finding on changed lines" in verdict
    # one table per class, old -> new
    assert "#### `Net` in `models/net.py`: breaks checkpoint loading" in md
    assert "| `conv1.weight` | (16, 3, 3, 3) | `conv_one.weight` | (16, 3, 3, 3) | WL203 |" in md
    assert "| `fc1.weight` | (5, 10) | `fc1.weight` | (8, 10) | WL204 |" in md
    assert "| `ln.bias` | (n_embd,) | — | — | WL201 | L40 (base) |" in md
    # remap snippet collapsed
    assert "<details><summary>Remap snippet for <code>Net</code>" in md
    assert 'k.replace("conv1.", "conv_one.", 1)' in md
    assert md.count("<details>") == md.count("</details>")
    # hygiene table, pipes escaped, linked location
    assert "torch.load without map_location \\| x" in md
    assert "[train.py:3](https://example.test/blob/def456/train.py#L3)" in md
    assert "2 hygiene findings outside the filter not shown" in md


def test_plain_list_for_check_and_diff() -> None:
    md = render([Finding("WL101", "a.py", 1, 0, "m", severity="warning")], "markdown", command="check")
    assert MARKER not in md
    assert md.startswith("## wlint check")
    assert "1 checkpoint-hygiene finding" in md
    md = render(compat_findings(), "markdown")
    assert "2 model classes break checkpoint loading" in md
    ok = render([], "markdown", command="diff")
    assert "No checkpoint-loading problems found" in ok
    unseen = render([Finding("WL290", "m.py", 3, 0, "cannot see `blocks`", severity="info",
                             cls="Net")], "markdown", command="diff")
    assert "No checkpoint-loading problems" not in unseen
    assert "1 model class could not be compared completely (WL290)" in unseen


def test_single_class_verdict_and_info_only() -> None:
    one = render(compat_findings()[:1], "markdown")
    assert "1 model class breaks checkpoint loading" in one
    info = compat_findings()[0].with_(severity="info")
    md = render([info], "markdown")
    assert "1 model class changes keys but migrates old checkpoints itself" in md
    assert "❌" not in md and "⚠️" not in md and "ℹ️" in md


def test_code_block_fence_grows() -> None:
    snippet = "x = '''\n```\n'''"
    block = code_block(snippet)
    assert block.startswith("````python\n") and block.endswith("\n````")


def test_truncate_keeps_blocks_balanced() -> None:
    md = render(compat_findings() * 50, "markdown", review=True)
    cut = truncate(md, 1200)
    assert len(cut) <= 1200
    assert cut.count("```") % 2 == 0
    assert cut.count("<details>") == cut.count("</details>")
    assert "truncated" in cut
    assert truncate(md, 0) == md


def test_one_hundred_findings_stay_readable() -> None:
    """100 key changes of one class: 30 rows shown, the rest collapsed, in numeric order."""
    findings = [Finding("WL204", "net.py", 10 + i, 0, f"size mismatch for layers.{i}.weight",
                        cls="Net", key=f"layers.{i}.weight", old_key=f"layers.{i}.weight",
                        old_shape=(4, 4), new_shape=(8, 4), severity="error")
                for i in range(100)]
    md = render(findings, "markdown")
    visible, _, hidden = md.partition("<details><summary>70 more rows</summary>")
    assert hidden, md[:500]
    def rows(text: str) -> int:
        return sum(1 for line in text.splitlines() if line.startswith("| `layers."))

    assert rows(visible) == 30 and rows(hidden) == 70
    keys = [line.split("`")[1] for line in md.splitlines() if line.startswith("| `layers.")]
    assert keys[:3] == ["layers.0.weight", "layers.1.weight", "layers.2.weight"]
    assert keys.index("layers.10.weight") > keys.index("layers.9.weight")  # not text order
    assert max(len(line) for line in md.splitlines()) < 200


def test_a_named_model_has_its_own_section_not_the_class_rows_twice() -> None:
    """The class comparison and a named model at the class defaults find the same key:
    one row in the class's table and one in the model's, never two in one table."""
    base = compat_findings()[0]
    model = base.with_(message=f"model tiny: {base.message}", extra={"model": "tiny"})
    md = render([base, model], "markdown", command="diff")
    sections = md.split("#### ")[1:]
    assert [s.splitlines()[0] for s in sections] == [
        "`Net` in `models/net.py`: breaks checkpoint loading",
        "model `tiny` (`Net` in `models/net.py`): breaks checkpoint loading"]
    row = "| `fc1.weight` | (5, 10) | `fc1.weight` | (8, 10) | WL204 |"
    assert [s.count(row) for s in sections] == [1, 1]
    verdict = md.splitlines()[2]
    assert "1 model class breaks checkpoint loading" in verdict
    assert "1 named model breaks checkpoint loading" in verdict
