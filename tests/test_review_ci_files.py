"""action.yml and the CI snippets of docs/ci.md: valid YAML, the settings the docs
promise, and `wlint` command lines the real argument parser accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from wlint.cli import build_parser

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent


def yaml_blocks() -> list:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)]


def wlint_commands(text: str) -> list:
    """`wlint ...` command lines (shell variables replaced by a placeholder)."""
    out = []
    for m in re.finditer(r"(?:^|\s)wlint (review|check|diff) ([^\n]*)", text):
        line = re.sub(r'"?\$\{?[A-Z_]+\}?"?', "X", m.group(2)).split("||")[0]
        out.append([m.group(1), *shlex.split(line)])
    return out


def test_github_workflow() -> None:
    workflow = next(b for b in yaml_blocks() if isinstance(b, dict) and "jobs" in b)
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert "pull_request" in on
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write",
                                       "security-events": "write"}
    steps = workflow["jobs"]["wlint"]["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    review = next(s for s in steps if "wlint review" in str(s.get("run", "")))
    assert "GITHUB_TOKEN" in review["env"]
    assert "--post-github" in review["run"] and "--sarif" in review["run"]
    upload = next(s for s in steps if "upload-sarif" in str(s.get("uses", "")))
    assert upload["with"]["sarif_file"] in review["run"]


def test_gitlab_job() -> None:
    job = next(b["wlint"] for b in yaml_blocks()
               if isinstance(b, dict) and "wlint" in b and "script" in b["wlint"])
    report = job["artifacts"]["reports"]["codequality"]
    script = " ".join(job["script"])
    assert "--format gitlab" in script and f"--output {report}" in script
    assert str(job["variables"]["GIT_DEPTH"]) == "0"


def test_action_is_composite_and_uploads_sarif() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    run = "\n".join(s.get("run", "") for s in steps)
    assert '"${WLINT:-wlint}" "${args[@]}"' in run and "args=(review --base" in run
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            # inputs reach scripts through env:, never spliced into the script text
            assert "${{" not in step["run"]
    inputs = set(action["inputs"])
    assert {"base", "filter-mode", "review-comments", "upload-sarif", "github-token"} <= inputs


def test_documented_commands_parse() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    text = re.sub(r"\n\s+--", " --", text)  # folded YAML lines
    commands = wlint_commands(text)
    assert len(commands) >= 4
    parser = build_parser()
    for argv in commands:
        if any(a.endswith(("…", "...")) or a.startswith("[") for a in argv):
            continue  # the synopsis, not a runnable line
        ns = parser.parse_args(argv)
        assert ns.command == argv[0]
