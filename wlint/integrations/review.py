"""`wlint review`: one pull-request report from `check` + `diff` over the changed files.

The base is taken as a pull request sees it: the merge base of `--base` and
the head (GitHub's three-dot diff), so commits that landed on the target
branch after the branch point are not mistaken for the PR's changes.
WL2xx findings are all reported (they are about the classes the change
touches); WL1xx findings are kept by `--filter-mode` (reviewdog's modes:
`added`, `diff_context`, `file`, `nofilter`).

`--post-github` publishes the Markdown as one PR comment (updated in place on
later pushes) and, with `--review-comments`, inline comments on changed lines.
Without a token (pull requests from forks) it prints workflow-command
annotations and appends the Markdown to the job summary instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wlint.findings import Finding, sort_findings
from wlint.integrations.hunks import FileDiff, comment_anchor, filter_findings, parse_unified_diff

UNIFIED_CONTEXT = 3  # what GitHub shows around changes: review comments must land in it


@dataclass
class Review:
    """Everything the review report is made from."""

    root: str
    base: str  # as given
    base_sha: str  # the merge base actually compared
    head: str | None  # as given; None = working tree
    head_sha: str | None
    filter_mode: str
    compat: list[Finding] = field(default_factory=list)
    hygiene: list[Finding] = field(default_factory=list)  # kept by the filter
    hidden: list[Finding] = field(default_factory=list)  # dropped by the filter
    changed_files: list[str] = field(default_factory=list)
    diffs: dict[str, FileDiff] = field(default_factory=dict)
    remap: str | None = None
    link_sha: str | None = None  # commit whose blobs the report links to
    models: list[Any] = field(default_factory=list)  # one ModelVerdict per named model

    @property
    def findings(self) -> list[Finding]:
        return sort_findings(self.compat + self.hygiene)

    def context(self, environ: Mapping[str, str]) -> dict[str, Any]:
        """Keyword context for the reporters (markdown uses all of it)."""
        ctx: dict[str, Any] = {
            "command": "review", "review": True, "base": _short(self.base, self.base_sha),
            "head": _short(self.head, self.head_sha) if self.head else "working tree",
            "filter_mode": self.filter_mode, "hidden": len(self.hidden),
            "changed_files": self.changed_files, "remap": self.remap,
        }
        blob = blob_url_template(environ, self.link_sha)
        if blob:
            ctx["blob_url"] = blob
            base_blob = blob_url_template(environ, self.base_sha)
            if base_blob:
                ctx["base_blob_url"] = base_blob
        return ctx


def _short(label: str, sha: str | None) -> str:
    if sha and not label.startswith(sha[:7]):
        return f"{label} ({sha[:7]})"
    return label


def blob_url_template(environ: Mapping[str, str], sha: str | None) -> str | None:
    """`{server}/{repo}/blob/{sha}/{path}#L{line}` inside GitHub Actions, else None."""
    repo = environ.get("GITHUB_REPOSITORY", "")
    if not repo or not sha:
        return None
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return f"{server}/{repo}/blob/{sha}/{{path}}#L{{line}}"


# ----------------------------------------------------------------- analysis

def merge_base(repo: Any, base: str, head: str | None) -> str:
    """The commit a PR from `head` into `base` is compared with (falls back to base)."""
    base_sha = repo.rev_parse(base)
    head_rev = repo.rev_parse(head) if head else repo.rev_parse("HEAD")
    out = repo.git("merge-base", base_sha, head_rev, check=False).strip()
    return out.split()[0] if out else base_sha


def build_review(
    start: str, base: str, head: str | None = None, filter_mode: str = "added",
    use_cache: bool = True, config: Any = None, models: Sequence[str] = (),
) -> Review:
    """Run check + diff over the files changed between (the merge base of) base and head;
    `models` (`--model` SPECs; default: every configured model) are compared concretely.
    Raises GitError / ConfigError (one line) for the CLI to report."""
    from wlint.check import check_source
    from wlint.compat.driver import diff_revisions
    from wlint.config import load_config
    from wlint.git import GitRepo, normalize_head
    from wlint.named_models import selected_models

    head = normalize_head(head)
    with GitRepo.open(start) as repo:
        root = repo.root
        cfg = config if config is not None else load_config(root)
        base_sha = merge_base(repo, base, head if head != ":index" else None)
        head_sha = repo.rev_parse(head) if head and head != ":index" else None
        link_sha = head_sha or (_clean_head(repo) if head is None else None)
        diffs = parse_unified_diff(repo.unified_diff(base_sha, head, context=UNIFIED_CONTEXT))
        changes = repo.changed_files(base_sha, head)
        tree = repo.tree(head)
        hygiene: list[Finding] = []
        for change in changes:
            rel = change.new_path
            if not rel or not rel.endswith(".py"):
                continue
            full = os.path.join(root, rel)
            if cfg.is_excluded(full, defaults=False):
                continue
            text = tree.read(rel)
            if text is None:
                continue
            hygiene.extend(f.with_(path=rel) for f in check_source(full, text, cfg, cache=True))
    result = diff_revisions(root, base_sha, head, use_cache=use_cache,
                            models=selected_models(cfg, models), torch_version=cfg.model_torch)
    compat = [_rel(f, root) for f in result.findings]
    compat = [f for f in compat if cfg.is_enabled(f.code, os.path.join(root, f.path))]
    kept, dropped = filter_findings(sort_findings(hygiene), diffs, filter_mode)
    return Review(
        root=root, base=base, base_sha=base_sha, head=head, head_sha=head_sha,
        filter_mode=filter_mode, compat=sort_findings(compat), hygiene=kept, hidden=dropped,
        changed_files=sorted({c.path for c in changes}), diffs=diffs,
        remap=result.remap_snippet(), link_sha=link_sha, models=result.models,
    )


def with_model_verdicts(markdown: str, review: Review) -> str:
    """The report with one verdict line per named model, right after its headline (the
    first paragraph that is not a marker comment or a heading)."""
    if not review.models:
        return markdown
    lines = "\n".join(f"- {v.text}" for v in review.models)
    block = f"**Named models** (each compared with its own configuration):\n\n{lines}"
    paragraphs = markdown.split("\n\n")
    at = next((i + 1 for i, p in enumerate(paragraphs)
               if p.strip() and not p.lstrip().startswith(("<!--", "#"))), len(paragraphs))
    return "\n\n".join(paragraphs[:at] + [block] + paragraphs[at:])


def _clean_head(repo: Any) -> str | None:
    """HEAD's commit when the working tree has no tracked changes (its lines are HEAD's)."""
    if repo.git("status", "--porcelain", "--untracked-files=no", check=False).strip():
        return None
    return repo.rev_parse("HEAD")


def _rel(f: Finding, root: str) -> Finding:
    if os.path.isabs(f.path):
        return f.with_(path=os.path.relpath(f.path, root).replace(os.sep, "/"))
    return f


# ----------------------------------------------------------------- GitHub

def inline_comments(review: Review) -> list[Any]:
    """One inline comment per shown finding whose line is inside the PR diff."""
    from wlint.catalog import code_doc
    from wlint.integrations.github_api import InlineComment
    from wlint.report.sarif_report import numbered_fingerprints

    findings = review.findings
    out = []
    for f, (fp, n) in zip(findings, numbered_fingerprints(findings)):
        anchor = comment_anchor(review.diffs, f)
        if anchor is None:
            continue
        path, line, side = anchor
        doc = code_doc(f.code)
        body = f"**{f.code}** ({f.severity}): {f.message}"
        if doc is not None:
            body += f"\n\n{doc.why} ([{f.code}]({doc.help_uri}))"
        if f.fix:
            body += ("\n\n<details><summary>Remap snippet</summary>\n\n```python\n"
                     f"{f.fix.rstrip()}\n```\n\n</details>")
        out.append(InlineComment(path, line, side, body, f"{fp}:{n}"))
    return out


def publish(review: Review, markdown: str, environ: Mapping[str, str],
            review_comments: bool = False) -> None:
    """Post/update the PR comment (and, with `review_comments`, inline comments).
    Raises GitHubError."""
    from wlint.integrations.github_api import (
        client_from_env,
        post_review_comments,
        pull_request_from_env,
        upsert_comment,
    )
    from wlint.report.markdown_report import GITHUB_COMMENT_LIMIT, truncate

    client = client_from_env(environ)
    assert client is not None
    pr = pull_request_from_env(environ)
    action, _cid = upsert_comment(client, pr, truncate(markdown, GITHUB_COMMENT_LIMIT - 1000))
    sys.stderr.write(f"wlint: {action} the review comment on {pr.repository}#{pr.number}\n")
    if review_comments:
        commit = review.head_sha or pr.head_sha
        if not commit:
            from wlint.integrations.github_api import GitHubError

            raise GitHubError("--review-comments needs the head commit: pass --head or run "
                              "on a pull_request event")
        counts = post_review_comments(client, pr, commit, inline_comments(review))
        sys.stderr.write(
            "wlint: inline comments: "
            + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + "\n"
            if any(counts.values()) else "wlint: no inline comments (no finding on a changed line)\n"
        )


def fallback(review: Review, markdown: str, environ: Mapping[str, str]) -> None:
    """No token: annotations on stdout and the report in the job summary."""
    from wlint.report import render

    sys.stdout.write(render(review.findings, "github", step_summary=""))  # written below
    sys.stdout.flush()
    summary = environ.get("GITHUB_STEP_SUMMARY", "")
    where = "printed annotations"
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")
        where += " and appended the report to the job summary"
    sys.stderr.write(f"wlint: GITHUB_TOKEN is not set (a pull request from a fork?): {where} "
                     "instead of commenting on the pull request\n")
