"""A small GitHub REST client for the review bot (standard library only).

What it guarantees, because CI logs are public:

- the token travels only in the `Authorization` header, added as an
  *unredirected* header, and redirects are never followed (so it cannot be
  forwarded to another host); pagination links are followed only on the API's
  own origin; error messages never contain it;
- 401/403/404/422 fail fast with one clear line (`GitHubError`);
- 5xx, network errors/timeouts and rate limits (429, or 403 with
  `x-ratelimit-remaining: 0` / `retry-after`) are retried a bounded number of
  times with exponential backoff; `sleep` and `backoff_base` are injectable so
  tests run in milliseconds; a POST whose answer was lost is never replayed
  blindly (callers look for what it would have created first).

On top of it: `upsert_comment` (one PR comment found again by a hidden marker,
updated on later runs) and `post_review_comments` (inline comments on changed
lines, de-duplicated across pushes by the findings' fingerprints).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from wlint import __version__

DEFAULT_API_URL = "https://api.github.com"
COMMENT_MARKER = "<!-- wlint-review -->"
INLINE_MARKER = "<!-- wlint-inline:{fp} -->"
MAX_PAGES = 100
MAX_INLINE_COMMENTS = 50

# Tunables (module level so tests and unusual setups can shrink them).
TIMEOUT = 20.0
MAX_RETRIES = 4
BACKOFF_BASE = 1.0
MAX_WAIT = 60.0


class GitHubError(Exception):
    """A one-line, user-facing failure talking to GitHub (the CLI exits 2)."""

    def __init__(self, message: str, status: int | None = None, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.status = status
        # a POST that failed with 5xx / no answer may still have been applied
        self.ambiguous = ambiguous


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    data: Any  # decoded JSON, or None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a 3xx surfaces as an HTTPError we report."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GitHubClient:
    """Minimal REST client: JSON in, JSON out, bounded retries."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_base: float | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        parts = urllib.parse.urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GitHubError(f"GITHUB_API_URL is not an http(s) URL: {_one_line(api_url, 100)}")
        self._token = token
        self.api_url = api_url
        self._origin = (parts.scheme, parts.netloc)
        self.timeout = TIMEOUT if timeout is None else timeout
        self.max_retries = MAX_RETRIES if max_retries is None else max_retries
        self.backoff_base = BACKOFF_BASE if backoff_base is None else backoff_base
        self.max_wait = MAX_WAIT if max_wait is None else max_wait
        self.sleep = sleep
        self.clock = clock
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- plumbing ------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.api_url + path

    def _same_origin(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return (parts.scheme, parts.netloc) == self._origin

    def _send(self, method: str, url: str, body: bytes | None) -> Response:
        req = urllib.request.Request(url, data=body, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", f"wlint/{__version__}")
        if body is not None:
            req.add_header("Content-Type", "application/json; charset=utf-8")
        req.add_unredirected_header("Authorization", f"Bearer {self._token}")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, _lower(resp.headers), _decode(resp.read()))
        except urllib.error.HTTPError as err:
            try:
                raw = err.read()
            except Exception:
                raw = b""
            finally:
                err.close()
            return Response(err.code, _lower(err.headers or {}), _decode(raw))

    def request(self, method: str, path: str, payload: Any = None) -> Response:
        """One API call with the retry policy; GitHubError on failure.

        POST is not idempotent: after a 5xx or a lost answer it may have been
        applied, so it is not blindly repeated; the GitHubError is marked
        `ambiguous` and the caller checks before trying again. Rate-limit
        answers are safe to retry for every method (nothing was done)."""
        replay = method != "POST"
        url = self._url(path)
        if not self._same_origin(url):
            raise GitHubError(f"refusing to send the token to another host: {_where(url)}")
        body = json.dumps(payload).encode("utf-8") if payload is not None else None
        label = f"{method} {_where(url)}"
        attempt = 0
        while True:
            try:
                resp = self._send(method, url, body)
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError,
                    http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                if attempt >= self.max_retries or not replay:
                    raise GitHubError(self._scrub(
                        f"GitHub API unreachable ({_one_line(str(reason), 120)}) on {label} "
                        f"after {attempt + 1} attempts"), ambiguous=not replay) from None
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if 200 <= resp.status < 300:
                return resp
            wait = self._retry_wait(resp, attempt)
            if resp.status >= 500 and not replay:
                raise GitHubError(self._scrub(_explain(resp, label, attempt + 1)), resp.status,
                                  ambiguous=True)
            if wait is not None and attempt < self.max_retries:
                self.sleep(wait)
                attempt += 1
                continue
            raise GitHubError(self._scrub(_explain(resp, label, attempt + 1)), resp.status)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (exponential, capped)."""
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_base * (2 ** attempt), self.max_wait)

    def _retry_wait(self, resp: Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the status is final."""
        if resp.status >= 500:
            return self._backoff(attempt)
        if not is_rate_limited(resp):
            return None
        retry_after = resp.headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            wait = float(retry_after.strip())
        elif resp.headers.get("x-ratelimit-reset", "").strip().isdigit():
            wait = float(resp.headers["x-ratelimit-reset"]) - self.clock() + 1
        else:
            wait = self._backoff(attempt)
        if wait > self.max_wait:
            return None  # not worth blocking a CI job for; report it
        return max(wait, 0.0)

    # -- helpers -------------------------------------------------------------
    def paginate(self, path: str) -> Iterator[Any]:
        """Items of a list endpoint, following `Link: rel="next"` (same origin only)."""
        sep = "&" if "?" in path else "?"
        url: str | None = self._url(f"{path}{sep}per_page=100")
        pages = 0
        while url and pages < MAX_PAGES:
            resp = self.request("GET", url)
            pages += 1
            if not isinstance(resp.data, list):
                raise GitHubError(f"GitHub API: expected a list from GET {_where(url)}")
            yield from resp.data
            url = next_link(resp.headers.get("link", ""))
            if url and not self._same_origin(url):
                raise GitHubError(f"GitHub API pagination points to another host: {_where(url)}")


def is_rate_limited(resp: Response) -> bool:
    if resp.status == 429:
        return True
    if resp.status != 403:
        return False
    if resp.headers.get("x-ratelimit-remaining", "").strip() == "0":
        return True
    if "retry-after" in resp.headers:
        return True
    message = str((resp.data or {}).get("message", "")) if isinstance(resp.data, dict) else ""
    return "rate limit" in message.lower()


def next_link(header: str) -> str | None:
    for part in header.split(","):
        m = re.match(r'\s*<([^>]*)>\s*;(.*)', part)
        if m and re.search(r'rel="?next"?', m.group(2)):
            return m.group(1)
    return None


def _lower(headers: Any) -> dict[str, str]:
    try:
        items = headers.items()
    except AttributeError:
        return {}
    return {str(k).lower(): str(v) for k, v in items}


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _where(url: str) -> str:
    """Path (no query, no host credentials) for messages."""
    parts = urllib.parse.urlsplit(url)
    return parts.path or "/"


def _github_message(resp: Response) -> str:
    data = resp.data if isinstance(resp.data, dict) else {}
    msg = str(data.get("message", "")).strip()
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        details = []
        for e in errors[:3]:
            if isinstance(e, dict):
                details.append(str(e.get("message") or e.get("code") or e))
            else:
                details.append(str(e))
        msg = f"{msg}: {'; '.join(details)}" if msg else "; ".join(details)
    return _one_line(msg, 200)


def _explain(resp: Response, label: str, attempts: int) -> str:
    status = resp.status
    gh = _github_message(resp)
    said = f" ({gh})" if gh else ""
    if status == 401:
        return f"GitHub API rejected the token: 401{said} on {label}; check GITHUB_TOKEN"
    if status == 403 and is_rate_limited(resp):
        reset = resp.headers.get("x-ratelimit-reset", "")
        when = f", resets at {time.strftime('%H:%M:%S UTC', time.gmtime(int(reset)))}" \
            if reset.isdigit() else ""
        return f"GitHub API rate limit exceeded: 403{said} on {label}{when}"
    if status == 429:
        return f"GitHub API rate limit exceeded: 429{said} on {label} after {attempts} attempts"
    if status == 403:
        return (f"GitHub API refused access: 403{said} on {label}; the token needs "
                "`pull-requests: write` (pull requests from forks get a read-only token)")
    if status == 404:
        return (f"GitHub API: 404{said} on {label}; check GITHUB_REPOSITORY, the pull request "
                "number and that the token can see the repository")
    if status == 422:
        return f"GitHub API rejected the request: 422{said} on {label}"
    if 300 <= status < 400:
        return f"GitHub API redirected ({status}) on {label}; is the repository renamed or moved?"
    if status >= 500:
        return f"GitHub API failed: {status}{said} on {label} after {attempts} attempts"
    return f"GitHub API error: {status}{said} on {label}"


# ----------------------------------------------------------------- the PR context

@dataclass(frozen=True)
class PullRequest:
    repository: str  # "owner/name"
    number: int
    head_sha: str | None = None
    base_sha: str | None = None


def pull_request_from_env(environ: Mapping[str, str]) -> PullRequest:
    """The pull request this Actions run is about (GITHUB_REPOSITORY + the event
    payload at GITHUB_EVENT_PATH); GitHubError with a clear line otherwise."""
    repo = environ.get("GITHUB_REPOSITORY", "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise GitHubError("GITHUB_REPOSITORY must be set to owner/name to post to GitHub")
    event_path = environ.get("GITHUB_EVENT_PATH", "")
    if not event_path:
        raise GitHubError("GITHUB_EVENT_PATH is not set: --post-github runs inside a "
                          "pull_request workflow")
    try:
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as exc:
        raise GitHubError(f"cannot read the event payload GITHUB_EVENT_PATH: "
                          f"{_one_line(str(exc), 120)}") from None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pr, dict) or not isinstance(pr.get("number"), int):
        raise GitHubError("the event payload has no pull_request.number: run on "
                          "`pull_request` (or `pull_request_target`) events")
    return PullRequest(repo, pr["number"], _sha(pr.get("head")), _sha(pr.get("base")))


def _sha(ref: Any) -> str | None:
    sha = ref.get("sha") if isinstance(ref, dict) else None
    return sha if isinstance(sha, str) and sha else None


# ----------------------------------------------------------------- operations

def upsert_comment(
    client: GitHubClient, pr: PullRequest, body: str, marker: str = COMMENT_MARKER,
) -> tuple[str, int]:
    """Create the bot's PR comment, or update the one carrying `marker`.
    Returns ("created" | "updated", comment id)."""
    if marker not in body:
        body = f"{marker}\n{body}"
    base = f"/repos/{pr.repository}/issues"
    created = False
    for attempt in range(client.max_retries + 1):
        for comment in client.paginate(f"{base}/{pr.number}/comments"):
            if isinstance(comment, dict) and marker in str(comment.get("body") or ""):
                cid = int(comment["id"])
                if not created:  # (a lost POST answer: it is there already)
                    client.request("PATCH", f"{base}/comments/{cid}", {"body": body})
                return ("created" if created else "updated"), cid
        try:
            resp = client.request("POST", f"{base}/{pr.number}/comments", {"body": body})
        except GitHubError as exc:
            if not exc.ambiguous or attempt == client.max_retries:
                raise
            created = True  # if it shows up on the next listing, our POST made it
            client.sleep(client.backoff(attempt))
            continue
        cid = int(resp.data["id"]) if isinstance(resp.data, dict) and "id" in resp.data else 0
        return "created", cid
    raise GitHubError("GitHub API: could not create the review comment")  # pragma: no cover


@dataclass(frozen=True)
class InlineComment:
    """One review comment on a changed line."""

    path: str
    line: int
    side: str  # "RIGHT" (head) or "LEFT" (base)
    body: str
    key: str  # stable identity (finding fingerprint + occurrence)


def post_review_comments(
    client: GitHubClient, pr: PullRequest, commit_id: str, comments: Sequence[InlineComment],
    limit: int = MAX_INLINE_COMMENTS,
) -> dict[str, int]:
    """Place inline comments, skipping ones already posted on an earlier push
    (found by their hidden fingerprint marker) and updating them if the text
    changed. Returns counts of created / updated / unchanged / skipped."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    if not comments:
        return counts
    existing = _inline_comments(client, pr)
    for item in comments:
        body = f"{INLINE_MARKER.format(fp=item.key)}\n{item.body}"
        old = existing.get(item.key)
        if old is not None:
            if str(old.get("body") or "") == body:
                counts["unchanged"] += 1
            else:
                client.request("PATCH", f"/repos/{pr.repository}/pulls/comments/{int(old['id'])}",
                               {"body": body})
                counts["updated"] += 1
            continue
        if counts["created"] >= limit:
            counts["skipped"] += 1
            continue
        payload = {"body": body, "commit_id": commit_id, "path": item.path,
                   "line": item.line, "side": item.side}
        for attempt in range(client.max_retries + 1):
            try:
                client.request("POST", f"/repos/{pr.repository}/pulls/{pr.number}/comments",
                               payload)
                break
            except GitHubError as exc:
                if not exc.ambiguous or attempt == client.max_retries:
                    raise
                client.sleep(client.backoff(attempt))
                existing = _inline_comments(client, pr)
                if item.key in existing:  # the lost POST did land
                    break
        counts["created"] += 1
    return counts


def _inline_comments(client: GitHubClient, pr: PullRequest) -> dict[str, dict[str, Any]]:
    """The bot's existing review comments by their fingerprint marker."""
    existing: dict[str, dict[str, Any]] = {}
    for c in client.paginate(f"/repos/{pr.repository}/pulls/{pr.number}/comments"):
        if not isinstance(c, dict):
            continue
        m = re.search(r"<!-- wlint-inline:([0-9a-f]+(?::\d+)?) -->", str(c.get("body") or ""))
        if m and m.group(1) not in existing:
            existing[m.group(1)] = c
    return existing


def client_from_env(environ: Mapping[str, str], **kwargs: Any) -> GitHubClient | None:
    """A client when GITHUB_TOKEN is set, else None (fork pull requests)."""
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        return None
    api = environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    return GitHubClient(token, api, **kwargs)

