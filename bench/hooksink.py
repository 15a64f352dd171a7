"""A local webhook receiver for the fan-out benchmark: answers every POST with 204 and counts it.

It runs in its own process (a threaded HTTP/1.1 server from the standard library, connections
kept alive), so counting never competes with the senders for the interpreter lock. The count of
distinct (path, webhook-id) pairs shows every delivery arrived at least once.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        with server.lock:
            server.count += 1
            server.seen.add((self.path, self.headers.get("webhook-id", "")))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802: the counts, for the benchmark
        server = self.server
        with server.lock:
            if self.path == "/reset":
                server.count, server.seen = 0, set()
            body = json.dumps({"count": server.count, "distinct": len(server.seen)}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(port: int, ready) -> None:
    import threading

    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    server.lock, server.count, server.seen = threading.Lock(), 0, set()
    ready.set()
    server.serve_forever()


class HookSink:
    """`with HookSink() as sink:`; `sink.url(path)`, `sink.counts()`, `sink.wait_for(n)`."""

    def __init__(self):
        self.port = free_port()
        ctx = multiprocessing.get_context("fork")
        self._ready = ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(self.port, self._ready), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def counts(self, path: str = "/count") -> dict:
        import urllib.request

        with urllib.request.urlopen(self.url(path), timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self.counts("/reset")

    def wait_for(self, count: int, timeout: float) -> float:
        """Wait until `count` posts arrived; perf_counter() when they had."""
        deadline = time.monotonic() + timeout
        while True:
            if self.counts()["count"] >= count:
                return time.perf_counter()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.counts()} of {count} webhooks in {timeout} s")
            time.sleep(0.02)

    def __enter__(self) -> HookSink:
        self._proc.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self._proc.kill()
            self._proc.join(5)
