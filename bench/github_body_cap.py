"""Peak memory and time of the review bot's client against a fake GitHub on
127.0.0.1 that answers with a huge close-delimited body (no Content-Length), and
against one that drips its body one byte per `--drip` seconds.

    PYTHONPATH=$PWD python bench/github_body_cap.py [--megabytes 300] [--drip 2]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wlint.integrations import github_api as gh


def serve(megabytes: int, drip: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            if self.path.startswith("/drip"):
                self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                if self.path.startswith("/drip"):
                    for _ in range(1000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(drip)
                else:
                    chunk = b"0," * (1 << 19)  # 1 MiB
                    for _ in range(megabytes):
                        self.wfile.write(chunk)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def attempt(client: gh.GitHubClient, path: str) -> str:
    start = time.monotonic()
    try:
        client.request("GET", path)
        outcome = "accepted"
    except gh.GitHubError as exc:
        outcome = f"error: {exc}"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return f"{time.monotonic() - start:6.1f} s  max RSS {rss:5.0f} MiB  {outcome}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--drip", type=float, default=2.0)
    parser.add_argument("--deadline", type=float, default=10.0, help="per-request deadline")
    ns = parser.parse_args()
    server = serve(ns.megabytes, ns.drip)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    client = gh.GitHubClient("t0ken", url, max_retries=0, deadline=ns.deadline)
    print(f"{ns.megabytes} MB body: {attempt(client, '/big')}")
    print(f"body dripped 1 byte / {ns.drip:g} s: {attempt(client, '/drip')}")


if __name__ == "__main__":
    main()
