"""`wlint review --post-github` end to end: a throwaway git repo, the real CLI, and a
fake GitHub API on 127.0.0.1 that records every request."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from rule_fixtures import finding_lines
from test_github_api import REPO, TOKEN, FakeGitHub

from wlint.cli import main
from wlint.integrations import github_api
from wlint.report.markdown_report import MARKER

GITHUB_VARS = ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_API_URL",
               "GITHUB_STEP_SUMMARY", "GITHUB_SERVER_URL", "http_proxy", "https_proxy",
               "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """main: a training script with one risky torch.load; feature: adds another."""
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.test")
    git(root, "config", "user.name", "t")
    (root / "train.py").write_text('import torch\n\nold = torch.load("old.pt")\n')
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    with open(root / "train.py", "a") as handle:
        handle.write('\nstate = torch.load("ckpt.pt")\n')
    git(root, "commit", "-q", "-am", "load a checkpoint")
    return root


@pytest.fixture()
def env(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for var in GITHUB_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("WLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(github_api, "BACKOFF_BASE", 0.001)
    monkeypatch.setattr(github_api, "TIMEOUT", 5.0)
    fake = FakeGitHub()
    event = tmp_path / "event.json"
    head = git(repo, "rev-parse", "HEAD")
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head},
                                                  "base": {"sha": git(repo, "rev-parse",
                                                                      "main")}}}))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    yield fake
    fake.close()


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple:
    code = main(["review", "--base", "main", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_first_run_creates_second_run_updates(env: FakeGitHub, capsys) -> None:
    code, out, err = run(capsys, "--post-github")
    assert code == 1
    assert out.startswith(MARKER)
    assert "checkpoint-hygiene" in out
    assert "created the review comment on octo/models#7" in err
    (comment,) = env.comments.values()
    assert comment["body"].startswith(MARKER) and "train.py" in comment["body"]
    # the link points at the head commit on github.com
    assert "/octo/models/blob/" in comment["body"]

    with open("train.py", "a") as handle:
        handle.write('\nmore = torch.load("more.pt")\n')
    git(Path.cwd(), "commit", "-q", "-am", "another load")
    code, out, err = run(capsys, "--post-github")
    assert code == 1 and "updated the review comment" in err
    assert len(env.comments) == 1
    assert [r["method"] for r in env.requests].count("POST") == 1
    assert [r["method"] for r in env.requests].count("PATCH") == 1
    assert "train.py:7" in next(iter(env.comments.values()))["body"]
    # the token travels only in the Authorization header
    assert env.token_leaks() == []
    assert TOKEN not in out and TOKEN not in err


def test_inline_review_comments_on_changed_lines(env: FakeGitHub, capsys) -> None:
    head = git(Path.cwd(), "rev-parse", "HEAD")
    # torch.load on line 5 is the added line; line 3 is outside the diff context? no:
    # with 3 lines of context it is inside the hunk, but it is not a changed line and
    # the default filter (added) does not report it.
    env.diff_lines = {("train.py", 5, "RIGHT")}
    code, _out, err = run(capsys, "--post-github", "--review-comments", "--head", "feature")
    assert code == 1, err
    posted = [json.loads(r["body"]) for r in env.requests
              if r["method"] == "POST" and r["path"].endswith("/pulls/7/comments")]
    assert posted and all(p["path"] == "train.py" and p["line"] == 5 and p["side"] == "RIGHT"
                          and p["commit_id"] == head for p in posted)
    assert {p["body"].split("**")[1] for p in posted} <= {"WL101", "WL102"}
    # a second run does not duplicate them
    env.requests.clear()
    code, _, err = run(capsys, "--post-github", "--review-comments", "--head", "feature")
    assert not [r for r in env.requests if r["method"] == "POST"]
    assert "unchanged" in err
    assert env.token_leaks() == []


def test_without_token_falls_back_to_annotations_and_summary(
        env: FakeGitHub, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = run(capsys, "--post-github")
    assert code == 1
    assert "::warning file=train.py,line=5," in out
    assert MARKER not in out
    text = summary.read_text()
    assert text.startswith("previous step\n") and MARKER in text
    assert "GITHUB_TOKEN is not set" in err and "job summary" in err
    assert env.requests == []


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_client_errors_exit_2_with_one_line(env: FakeGitHub, capsys, status: int) -> None:
    env.failures = [(status, {}, {"message": "nope"})]
    code, out, err = run(capsys, "--post-github")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wlint: error: ") and str(status) in lines[0]
    assert TOKEN not in err and TOKEN not in out
    assert len(env.requests) == 1  # no retry


def test_server_errors_and_rate_limits_are_retried(env: FakeGitHub, capsys) -> None:
    env.failures = [(502, {}, None), (429, {"Retry-After": "0"}, {"message": "slow down"}),
                    (403, {"X-RateLimit-Remaining": "0", "Retry-After": "0"},
                     {"message": "API rate limit exceeded"})]
    code, _, err = run(capsys, "--post-github")
    assert code == 1, err
    assert "created the review comment" in err
    assert len(env.comments) == 1


def test_missing_pull_request_event_is_a_usage_error(env: FakeGitHub, capsys,
                                                     monkeypatch, tmp_path) -> None:
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    code, _, err = run(capsys, "--post-github")
    assert code == 2 and "pull_request.number" in err


def test_sarif_and_formats(env: FakeGitHub, capsys, tmp_path) -> None:
    sarif = tmp_path / "out.sarif"
    code, out, _ = run(capsys, "--format", "gitlab", "--sarif", str(sarif))
    assert code == 1
    issues = json.loads(out)
    assert {i["location"]["path"] for i in issues} == {"train.py"}
    assert {i["location"]["lines"]["begin"] for i in issues} == {5}
    log = json.loads(sarif.read_text())
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"WL101", "WL102"}
    code, out, _ = run(capsys, "--filter-mode", "file", "--format", "text")
    assert sorted({line.split(":")[1] for line in finding_lines(out)}) == ["3", "5"]
    assert env.requests == []
