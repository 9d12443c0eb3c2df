"""A small GitHub REST client for the review bot (standard library only).

What it guarantees, because CI logs are public:

- the token travels only in the `Authorization` header, added as an
  *unredirected* header, and redirects are never followed (so it cannot be
  forwarded to another host); pagination links are followed only on the API's
  own origin; error messages never contain it;
- 401/403/404/422 fail fast with one clear line (`GitHubError`);
- every request has a total deadline (connect + headers + body: a watchdog
  shuts the socket, so a body dripped one byte at a time cannot hold the run),
  the whole run has one too, and a response body is capped at
  `MAX_RESPONSE_BYTES`; every malformed answer is a one-line `GitHubError`;
- the token is scrubbed from any text before it is cut to length;
- a marker comment counts only when the token's own user wrote it (`GET
  /user`; a `GITHUB_TOKEN` cannot ask, it is `github-actions[bot]`, or
  `WLINT_BOT_LOGIN`), so nobody can make the bot edit their comment;
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

import contextlib
import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from wlint import __version__
from wlint.fsutil import read_regular

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
REQUEST_DEADLINE = 60.0  # seconds for one request, all of it
RUN_DEADLINE = 600.0  # seconds for every request of one client together
MAX_RESPONSE_BYTES = 16 << 20
MAX_EVENT_BYTES = 32 << 20
ACTIONS_BOT = "github-actions[bot]"  # who GITHUB_TOKEN comments as


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


class _Sockets:
    """The sockets urllib connects (proxies included), so a watchdog can shut them
    when a request's deadline passes: the only way to stop a blocked receive."""

    def __init__(self) -> None:
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.fired = False

    def connection_class(self, base: type) -> type:
        sockets = self

        class Tracked(base):  # type: ignore[valid-type, misc]
            def connect(self) -> None:
                super().connect()
                with sockets.lock:
                    sockets.open.append(self.sock)

        return Tracked

    def cut(self) -> None:
        self.fired = True
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def forget(self) -> None:
        with self.lock:
            self.open.clear()
            self.fired = False


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self._class = sockets.connection_class(http.client.HTTPConnection)

    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(self._class, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self._class = sockets.connection_class(http.client.HTTPSConnection)

    def https_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(self._class, req, context=getattr(self, "_context", None))


class _DeadlinePassed(Exception):
    pass


def _read_capped(resp: Any, limit: int) -> bytes:
    """The body, refusing one longer than `limit` (by header or by counting)."""
    length = (resp.headers.get("Content-Length") or "").strip() if resp.headers else ""
    if length.isdigit() and len(length) < 20 and int(length) > limit:
        raise _TooLarge(int(length))
    data = resp.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(len(data))
    if length.isdigit() and len(data) != int(length):
        raise http.client.IncompleteRead(data, int(length) - len(data))
    return data  # type: ignore[no-any-return]


class _TooLarge(Exception):
    pass


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
        deadline: float | None = None,
        run_deadline: float | None = None,
        max_bytes: int | None = None,
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
        self.deadline = REQUEST_DEADLINE if deadline is None else deadline
        self.run_deadline = RUN_DEADLINE if run_deadline is None else run_deadline
        self.max_bytes = MAX_RESPONSE_BYTES if max_bytes is None else max_bytes
        self._started = time.monotonic()
        self._login: str | None = None
        self._sockets = _Sockets()
        self._opener = urllib.request.build_opener(
            _NoRedirect(), _HTTPHandler(self._sockets), _HTTPSHandler(self._sockets))

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
        budget = min(self.deadline, self._remaining())
        if budget <= 0:
            raise _DeadlinePassed()
        watchdog = threading.Timer(budget, self._sockets.cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            resp = self._exchange(req, min(self.timeout, budget))
        except (OSError, http.client.HTTPException):
            if self._sockets.fired:
                raise _DeadlinePassed() from None
            raise
        else:
            if self._sockets.fired:  # a cut body can read as a short, "complete" one
                raise _DeadlinePassed()
            return resp
        finally:
            watchdog.cancel()
            self._sockets.forget()

    def _exchange(self, req: urllib.request.Request, timeout: float) -> Response:
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                raw = _read_capped(resp, self.max_bytes)
                return Response(resp.status, _lower(resp.headers), _decode(raw))
        except urllib.error.HTTPError as err:
            try:
                raw = _read_capped(err, self.max_bytes)
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                err.close()
            return Response(err.code, _lower(err.headers or {}), _decode(raw))

    def _remaining(self) -> float:
        return self.run_deadline - (time.monotonic() - self._started)

    def login(self) -> str:
        """Who the token comments as: GET /user, or for an Actions/App installation
        token (which may not ask) WLINT_BOT_LOGIN or github-actions[bot]."""
        if self._login is None:
            try:
                data = self.request("GET", "/user").data
            except GitHubError as exc:
                if exc.status not in (403, 404):
                    raise
                data = None
            login = data.get("login") if isinstance(data, dict) else None
            self._login = (login if isinstance(login, str) and login
                           else os.environ.get("WLINT_BOT_LOGIN", "").strip() or ACTIONS_BOT)
        return self._login

    def wrote(self, comment: Any) -> bool:
        """Was this comment written by the token's own user?"""
        user = comment.get("user") if isinstance(comment, dict) else None
        return isinstance(user, dict) and user.get("login") == self.login()

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
            except _DeadlinePassed:
                if attempt >= self.max_retries or not replay or self._remaining() <= 0:
                    raise GitHubError(
                        f"GitHub API did not answer in time on {label} (deadline "
                        f"{min(self.deadline, self.run_deadline):g} s per request, "
                        f"{self.run_deadline:g} s per run)", ambiguous=not replay) from None
                attempt += 1
                continue
            except _TooLarge as exc:
                raise GitHubError(f"GitHub API answered {label} with {exc.args[0]} bytes, more "
                                  f"than the {self.max_bytes >> 20} MiB wlint reads") from None
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError,
                    http.client.HTTPException, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                if attempt >= self.max_retries or not replay:
                    raise GitHubError(
                        f"GitHub API unreachable ({_one_line(self._scrub(str(reason)), 120)}) "
                        f"on {label} after {attempt + 1} attempts", ambiguous=not replay) from None
                self._pause(self._backoff(attempt), label)
                attempt += 1
                continue
            if 200 <= resp.status < 300:
                return resp
            wait = self._retry_wait(resp, attempt)
            if resp.status >= 500 and not replay:
                raise GitHubError(_explain(resp, label, attempt + 1, self._scrub), resp.status,
                                  ambiguous=True)
            if wait is not None and attempt < self.max_retries:
                self._pause(wait, label)
                attempt += 1
                continue
            raise GitHubError(_explain(resp, label, attempt + 1, self._scrub), resp.status)

    def _pause(self, seconds: float, label: str) -> None:
        """Sleep before a retry, unless that would overrun the run's deadline."""
        if seconds >= self._remaining():
            raise GitHubError(f"GitHub API: no time left to retry {label} within the run's "
                              f"{self.run_deadline:g} s")
        self.sleep(seconds)

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
        retry_after = _seconds(resp.headers.get("retry-after", ""))
        reset = _seconds(resp.headers.get("x-ratelimit-reset", ""))
        if retry_after is not None:
            wait = float(retry_after)
        elif reset is not None:
            wait = reset - self.clock() + 1
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


def _seconds(header: str) -> int | None:
    """A header holding ASCII digits only (not `²`, not 40 digits), else None."""
    value = header.strip()
    return int(value) if re.fullmatch(r"[0-9]{1,12}", value) else None


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


def _github_message(resp: Response, scrub: Callable[[str], str]) -> str:
    """GitHub's own explanation, the token scrubbed before it is cut to length."""
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
    return _one_line(scrub(msg), 200)


def _explain(resp: Response, label: str, attempts: int,
             scrub: Callable[[str], str] = lambda text: text) -> str:
    status = resp.status
    gh = _github_message(resp, scrub)
    said = f" ({gh})" if gh else ""
    if status == 401:
        return f"GitHub API rejected the token: 401{said} on {label}; check GITHUB_TOKEN"
    if status == 403 and is_rate_limited(resp):
        when = _reset_time(resp.headers.get("x-ratelimit-reset", ""))
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


def _reset_time(header: str) -> str:
    seconds = _seconds(header)
    try:
        return f", resets at {time.strftime('%H:%M:%S UTC', time.gmtime(seconds))}" \
            if seconds is not None else ""
    except (OverflowError, OSError, ValueError):  # a reset beyond what time_t holds
        return ""


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
    try:  # a regular file of bounded size: not /dev/zero, not a FIFO
        event = json.loads(read_regular(event_path, limit=MAX_EVENT_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
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
            cid = _comment_id(comment)
            if (cid is not None and marker in str(comment.get("body") or "")
                    and client.wrote(comment)):
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
        return "created", _comment_id(resp.data) or 0
    raise GitHubError("GitHub API: could not create the review comment")  # pragma: no cover


def _comment_id(comment: Any) -> int | None:
    """The comment's id when the answer has a sane one."""
    cid = comment.get("id") if isinstance(comment, dict) else None
    return cid if isinstance(cid, int) and not isinstance(cid, bool) and cid > 0 else None


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
                client.request("PATCH", f"/repos/{pr.repository}/pulls/comments/{_comment_id(old)}",
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
        if _comment_id(c) is None or not client.wrote(c):
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

