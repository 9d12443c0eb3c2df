"""The GitHub client against a real HTTP server on 127.0.0.1 that answers like the
GitHub REST API and records every request."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from wlint.integrations.github_api import (
    COMMENT_MARKER,
    GitHubClient,
    GitHubError,
    InlineComment,
    PullRequest,
    post_review_comments,
    pull_request_from_env,
    upsert_comment,
)

TOKEN = "ghs_TESTtoken0123456789abcdefSECRET"
REPO = "octo/models"
BOT = "github-actions[bot]"
PR = 7


class FakeGitHub:
    """Just enough of the GitHub REST API: issue comments and PR review comments,
    pagination with Link headers, auth, validation errors, injectable failures."""

    def __init__(self, token: str = TOKEN, repo: str = REPO, pr: int = PR) -> None:
        self.token, self.repo, self.pr = token, repo, pr
        self.requests: list[dict[str, Any]] = []
        self.comments: dict[int, dict[str, Any]] = {}
        self.review_comments: dict[int, dict[str, Any]] = {}
        self.diff_lines: set[tuple[str, int, str]] | None = None  # None: accept all
        self.failures: list[tuple[int, dict[str, str], Any]] = []  # next responses, in order
        self.delay = 0.0
        self.link_override: str | None = None
        self.lose_posts = 0  # POSTs applied but answered 502 (a lost answer)
        self.viewer = ""  # GET /user's login ("" = 403, as for GITHUB_TOKEN)
        self._next_id = 1000
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _handle(self) -> None:
                fake.handle(self)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                fake.errors += 1  # e.g. the client timed out and hung up: expected

        self.errors = 0
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_comments(self, n: int, body: str = "looks good", login: str = "someone") -> None:
        for _ in range(n):
            self._new_comment(body, login)

    def _new_comment(self, body: str, login: str = "") -> dict[str, Any]:
        login = login or self.viewer or BOT
        with self.lock:
            self._next_id += 1
            cid = self._next_id
        c = {"id": cid, "body": body, "user": {"login": login, "type": "Bot"}}
        self.comments[cid] = c
        return c

    # -- request handling -------------------------------------------------------
    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8") if length else ""
        parts = urllib.parse.urlsplit(h.path)
        self.requests.append({
            "method": h.command, "path": parts.path, "query": parts.query,
            "headers": {k.lower(): v for k, v in h.headers.items()}, "body": raw,
        })
        if self.delay:
            time.sleep(self.delay)
        if self.failures:
            status, headers, data = self.failures.pop(0)
            return self.reply(h, status, data, headers)
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self.reply(h, 401, {"message": "Bad credentials"})
        if h.headers.get("Accept") != "application/vnd.github+json" or not h.headers.get(
                "User-Agent"):
            return self.reply(h, 400, {"message": "missing Accept / User-Agent"})
        payload = json.loads(raw) if raw else None
        route = self.route(h.command, parts.path)
        if route is None:
            return self.reply(h, 404, {"message": "Not Found"})
        status, data, headers = route(payload, urllib.parse.parse_qs(parts.query))
        if h.command == "POST" and self.lose_posts and status < 300:
            self.lose_posts -= 1
            return self.reply(h, 502, {"message": "Bad Gateway"})
        self.reply(h, status, data, headers)

    def route(self, method: str, path: str):
        base = f"/repos/{self.repo}"
        issue_comments = f"{base}/issues/{self.pr}/comments"
        pulls_comments = f"{base}/pulls/{self.pr}/comments"
        if method == "GET" and path == "/user":  # an Actions token may not ask (403)
            return lambda p, q: ((200, {"login": self.viewer}, {}) if self.viewer else
                                 (403, {"message": "Resource not accessible by integration"}, {}))
        if method == "GET" and path == issue_comments:
            return lambda p, q: self.page(list(self.comments.values()), q, path)
        if method == "POST" and path == issue_comments:
            return self.create_comment
        if method == "PATCH" and path.startswith(f"{base}/issues/comments/"):
            return lambda p, q: self.update(self.comments, path, p)
        if method == "GET" and path == pulls_comments:
            return lambda p, q: self.page(list(self.review_comments.values()), q, path)
        if method == "POST" and path == pulls_comments:
            return self.create_review_comment
        if method == "PATCH" and path.startswith(f"{base}/pulls/comments/"):
            return lambda p, q: self.update(self.review_comments, path, p)
        return None

    def page(self, items: list, query: dict, path: str):
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = self.link_override or f"{self.url}{path}?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{nxt}>; rel="next", <{self.url}{path}?page=1>; rel="first"'
        return 200, chunk, headers

    def create_comment(self, payload: Any, _q: dict):
        if not isinstance(payload, dict) or not isinstance(payload.get("body"), str):
            return 422, {"message": "Validation Failed",
                         "errors": [{"resource": "IssueComment", "code": "missing_field",
                                     "field": "body"}]}, {}
        return 201, self._new_comment(payload["body"]), {}

    def create_review_comment(self, payload: Any, _q: dict):
        need = {"body": str, "commit_id": str, "path": str, "line": int, "side": str}
        if not isinstance(payload, dict) or any(
                not isinstance(payload.get(k), t) for k, t in need.items()):
            return 422, {"message": "Validation Failed", "errors": ["missing fields"]}, {}
        if payload["side"] not in ("LEFT", "RIGHT"):
            return 422, {"message": "Validation Failed", "errors": ["bad side"]}, {}
        where = (payload["path"], payload["line"], payload["side"])
        if self.diff_lines is not None and where not in self.diff_lines:
            return 422, {"message": "Validation Failed", "errors": [
                "pull_request_review_thread.line must be part of the diff"]}, {}
        with self.lock:
            self._next_id += 1
            cid = self._next_id
        c = dict(payload, id=cid, user={"login": self.viewer or BOT, "type": "Bot"})
        self.review_comments[cid] = c
        return 201, c, {}

    def update(self, table: dict, path: str, payload: Any):
        cid = int(path.rsplit("/", 1)[1])
        if cid not in table:
            return 404, {"message": "Not Found"}, {}
        if not isinstance(payload, dict) or not isinstance(payload.get("body"), str):
            return 422, {"message": "Validation Failed"}, {}
        table[cid]["body"] = payload["body"]
        return 200, table[cid], {}

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, data: Any,
              headers: dict | None = None) -> None:
        body = json.dumps(data).encode() if data is not None else b""
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    # -- assertions helpers ---------------------------------------------------
    def token_leaks(self) -> list[str]:
        """Places other than the Authorization header where the token appeared."""
        leaks = []
        for r in self.requests:
            for where in ("path", "query", "body"):
                if self.token in r[where]:
                    leaks.append(f"{r['method']} {r['path']} {where}")
            for k, v in r["headers"].items():
                if k != "authorization" and self.token in v:
                    leaks.append(f"{r['method']} {r['path']} header {k}")
        return leaks


@pytest.fixture()
def github(monkeypatch: pytest.MonkeyPatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    fake = FakeGitHub()
    yield fake
    fake.close()


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(fake: FakeGitHub, sleeps: Sleeps | None = None, **kw: Any) -> GitHubClient:
    kw.setdefault("backoff_base", 0.001)
    kw.setdefault("timeout", 5.0)
    return GitHubClient(TOKEN, fake.url, sleep=sleeps if sleeps is not None else Sleeps(), **kw)


PULL = PullRequest(REPO, PR, head_sha="a" * 40)


def test_create_then_update_same_comment_across_pages(github: FakeGitHub) -> None:
    github.add_comments(150)  # the bot's comment lands on the second page
    action, cid = upsert_comment(client(github), PULL, f"{COMMENT_MARKER}\nfirst report")
    assert action == "created"
    first_post = [r for r in github.requests if r["method"] == "POST"]
    assert len(first_post) == 1 and json.loads(first_post[0]["body"]) == {
        "body": f"{COMMENT_MARKER}\nfirst report"}
    github.requests.clear()
    action2, cid2 = upsert_comment(client(github), PULL, f"{COMMENT_MARKER}\nsecond report")
    assert (action2, cid2) == ("updated", cid)
    methods = [(r["method"], r["query"]) for r in github.requests]
    assert methods[:2] == [("GET", "per_page=100"), ("GET", "per_page=100&page=2")]
    assert methods[-1][0] == "PATCH" and not any(m == "POST" for m, _ in methods)
    marked = [c for c in github.comments.values() if COMMENT_MARKER in c["body"]]
    assert len(marked) == 1 and marked[0]["body"].endswith("second report")
    assert len(github.comments) == 151
    assert github.token_leaks() == []
    for r in github.requests:
        assert r["headers"]["authorization"] == f"Bearer {TOKEN}"
        assert r["headers"]["x-github-api-version"] == "2022-11-28"


def test_marker_is_added_when_missing(github: FakeGitHub) -> None:
    upsert_comment(client(github), PULL, "report without marker")
    (c,) = github.comments.values()
    assert c["body"].startswith(COMMENT_MARKER)


@pytest.mark.parametrize("status,data,needle", [
    (401, {"message": "Bad credentials"}, "check GITHUB_TOKEN"),
    (403, {"message": "Resource not accessible by integration"}, "pull-requests: write"),
    (404, {"message": "Not Found"}, "GITHUB_REPOSITORY"),
    (422, {"message": "Validation Failed", "errors": [{"message": "body is too long"}]},
     "body is too long"),
])
def test_client_errors_fail_fast(github: FakeGitHub, status: int, data: dict, needle: str) -> None:
    github.failures = [(status, {}, data)]
    sleeps = Sleeps()
    with pytest.raises(GitHubError) as info:
        client(github, sleeps).request("POST", f"/repos/{REPO}/issues/{PR}/comments",
                                       {"body": "x"})
    msg = str(info.value)
    assert info.value.status == status
    assert str(status) in msg and needle in msg
    assert "\n" not in msg and TOKEN not in msg
    assert len(github.requests) == 1 and sleeps == []


def test_bad_token_is_a_401_from_the_server(github: FakeGitHub) -> None:
    bad = GitHubClient("wrong-token", github.url, sleep=Sleeps())
    with pytest.raises(GitHubError) as info:
        upsert_comment(bad, PULL, "x")
    assert info.value.status == 401 and "wrong-token" not in str(info.value)


def test_5xx_is_retried_with_backoff(github: FakeGitHub) -> None:
    github.failures = [(502, {}, {"message": "Bad Gateway"}), (500, {}, None)]
    sleeps = Sleeps()
    resp = client(github, sleeps).request("GET", f"/repos/{REPO}/issues/{PR}/comments")
    assert resp.status == 200
    assert len(github.requests) == 3
    assert sleeps == [0.001, 0.002]


def test_5xx_retries_are_bounded(github: FakeGitHub) -> None:
    github.failures = [(503, {}, {"message": "unavailable"})] * 10
    sleeps = Sleeps()
    with pytest.raises(GitHubError) as info:
        client(github, sleeps, max_retries=3).request("GET", "/repos/x/y")
    assert len(github.requests) == 4 and len(sleeps) == 3
    assert "503" in str(info.value) and "4 attempts" in str(info.value)


def test_rate_limits_wait_then_retry(github: FakeGitHub) -> None:
    now = 1_700_000_000.0
    github.failures = [
        (429, {"Retry-After": "2"}, {"message": "too many"}),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 5)},
         {"message": "API rate limit exceeded"}),
        (403, {"Retry-After": "1"}, {"message": "You have exceeded a secondary rate limit"}),
    ]
    sleeps = Sleeps()
    c = client(github, sleeps, clock=lambda: now)
    assert c.request("GET", f"/repos/{REPO}/issues/{PR}/comments").status == 200
    assert sleeps == [2.0, 6.0, 1.0]


def test_rate_limit_too_far_away_is_reported(github: FakeGitHub) -> None:
    now = 1_700_000_000.0
    github.failures = [(403, {"X-RateLimit-Remaining": "0",
                              "X-RateLimit-Reset": str(int(now) + 3600)},
                        {"message": "API rate limit exceeded"})]
    sleeps = Sleeps()
    with pytest.raises(GitHubError) as info:
        client(github, sleeps, clock=lambda: now).request("GET", "/repos/x/y")
    assert "rate limit" in str(info.value) and sleeps == []


def test_timeouts_are_bounded(github: FakeGitHub) -> None:
    github.delay = 0.5
    sleeps = Sleeps()
    start = time.monotonic()
    with pytest.raises(GitHubError) as info:
        client(github, sleeps, timeout=0.1, max_retries=1).request("GET", "/repos/x/y")
    assert time.monotonic() - start < 2.0
    assert "unreachable" in str(info.value) and "2 attempts" in str(info.value)
    assert len(sleeps) == 1


def test_redirects_and_foreign_pagination_links_are_not_followed(github: FakeGitHub) -> None:
    github.failures = [(301, {"Location": "http://127.0.0.2:9/elsewhere"}, None)]
    with pytest.raises(GitHubError) as info:
        client(github).request("GET", f"/repos/{REPO}/issues/{PR}/comments")
    assert "redirect" in str(info.value)
    assert len(github.requests) == 1
    github.add_comments(120)
    github.link_override = "http://attacker.invalid/next?page=2"
    with pytest.raises(GitHubError) as info:
        list(client(github).paginate(f"/repos/{REPO}/issues/{PR}/comments"))
    assert "another host" in str(info.value)


def test_review_comments_payload_and_dedup(github: FakeGitHub) -> None:
    github.diff_lines = {("models/net.py", 12, "RIGHT"), ("models/old.py", 4, "LEFT")}
    items = [
        InlineComment("models/net.py", 12, "RIGHT", "**WL204** size mismatch", "ab12:1"),
        InlineComment("models/old.py", 4, "LEFT", "**WL201** key removed", "cd34:1"),
    ]
    counts = post_review_comments(client(github), PULL, "a" * 40, items)
    assert counts["created"] == 2
    posted = [json.loads(r["body"]) for r in github.requests if r["method"] == "POST"]
    assert {(p["path"], p["line"], p["side"]) for p in posted} == github.diff_lines
    assert all(p["commit_id"] == "a" * 40 for p in posted)
    github.requests.clear()
    again = post_review_comments(client(github), PULL, "a" * 40, items)
    assert again == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0}
    assert not [r for r in github.requests if r["method"] != "GET"]
    changed = [items[0].__class__(**{**items[0].__dict__, "body": "**WL204** reworded"})]
    assert post_review_comments(client(github), PULL, "a" * 40, changed)["updated"] == 1
    assert len(github.review_comments) == 2


def test_review_comment_outside_diff_is_a_422(github: FakeGitHub) -> None:
    github.diff_lines = set()
    with pytest.raises(GitHubError) as info:
        post_review_comments(client(github), PULL, "a" * 40,
                             [InlineComment("a.py", 3, "RIGHT", "x", "ef56:1")])
    assert info.value.status == 422 and "part of the diff" in str(info.value)


def test_pull_request_from_env(tmp_path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12, "head": {"sha": "h" * 40},
                                                  "base": {"sha": "b" * 40}}}))
    pr = pull_request_from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(event)})
    assert pr == PullRequest(REPO, 12, "h" * 40, "b" * 40)
    event.write_text(json.dumps({"push": {}}))
    with pytest.raises(GitHubError, match=r"pull_request\.number"):
        pull_request_from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(event)})
    with pytest.raises(GitHubError, match="GITHUB_REPOSITORY"):
        pull_request_from_env({"GITHUB_EVENT_PATH": str(event)})
    with pytest.raises(GitHubError, match="GITHUB_EVENT_PATH"):
        pull_request_from_env({"GITHUB_REPOSITORY": REPO})


def test_api_url_must_be_http() -> None:
    with pytest.raises(GitHubError):
        GitHubClient(TOKEN, "file:///etc/passwd")


def test_post_is_not_blindly_repeated_after_a_lost_answer(github: FakeGitHub) -> None:
    github.lose_posts = 1  # the comment is created, but the answer is a 502
    sleeps = Sleeps()
    action, cid = upsert_comment(client(github, sleeps), PULL, "report")
    assert action == "created" and cid in github.comments
    assert len(github.comments) == 1
    assert [r["method"] for r in github.requests if r["path"] != "/user"] == ["GET", "POST", "GET"]
    assert len(sleeps) == 1


def test_post_failing_before_it_applies_is_retried(github: FakeGitHub) -> None:
    github.failures = [(200, {}, []), (503, {}, {"message": "unavailable"})]
    action, _ = upsert_comment(client(github), PULL, "report")
    assert action == "created" and len(github.comments) == 1
    assert [r["method"] for r in github.requests] == ["GET", "POST", "GET", "POST"]


def test_inline_post_with_lost_answer_is_not_duplicated(github: FakeGitHub) -> None:
    github.lose_posts = 1
    items = [InlineComment("a.py", 3, "RIGHT", "**WL101** x", "ab12:1")]
    counts = post_review_comments(client(github), PULL, "a" * 40, items)
    assert counts["created"] == 1 and len(github.review_comments) == 1
