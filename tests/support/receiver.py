"""A real webhook receiver on loopback: a threaded HTTP server that keeps every POST it gets.

`status` scripts its answer, `delay` makes it slow; `stop()` and `start()` take it down and up
on the same port (a receiver that is down for a while). Verification is the test's business:
each request keeps its headers and exact body bytes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.smtp import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver

    def setup(self):
        super().setup()
        with self.server.receiver.lock:
            self.server.receiver.connections.add(self.connection)

    def do_POST(self):  # noqa: N802 (the standard library's name)
        receiver: Receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if receiver.delay:
            time.sleep(receiver.delay)
        status = receiver.status_for(self.path)
        with receiver.lock:
            if 200 <= status < 300:
                receiver.received.append(
                    Received(self.path, dict(self.headers.items()), body, time.time())
                )
            else:
                receiver.refused += 1
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # quiet
        pass


class Receiver:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[Received] = []
        self.refused = 0
        self.status = 200
        self.statuses: dict[str, int] = {}  # by path, over `status`
        self.delay = 0.0
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def status_for(self, path: str) -> int:
        return self.statuses.get(path, self.status)

    def start(self) -> Receiver:
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._server.daemon_threads = True
        self._server.receiver = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:  # kept-alive connections too: down means down
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def bodies(self, path: str | None = None) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.received if path is None or r.path == path]

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["webhook-id"] for r in self.received]

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} webhooks in {timeout} s")
            time.sleep(0.05)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
