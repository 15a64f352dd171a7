"""A local SMTP sink for the delivery benchmark: accepts every message and counts it.

It runs in its own process (aiosmtpd), so the counting never competes with the sender for the
interpreter lock; the count is shared memory, read while the senders work. Messages are kept so
the floor can replay exactly what the workers sent.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import socket
import time
from pathlib import Path

Message = tuple[str, list[str], bytes]  # envelope sender, recipients, content


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, count, lock):
        self.count, self.lock = count, lock
        self.kept: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.kept.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        with self.lock:
            self.count.value += 1
        return "250 Message accepted for delivery"


def _serve(port: int, count, lock, dump, dumped, stop, spool: str) -> None:
    from aiosmtpd.controller import Controller

    handler = _Handler(count, lock)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while not stop.wait(0.05):
            if dump.is_set():
                Path(spool).write_bytes(pickle.dumps(handler.kept))
                handler.kept = []
                dump.clear()
                dumped.set()
    finally:
        controller.stop()


class Sink:
    """Start with `with Sink() as sink:`; `sink.port`, `sink.received`, `sink.take()`."""

    def __init__(self, spool: Path):
        ctx = multiprocessing.get_context("fork")
        self.port = free_port()
        self.spool = spool
        self._count = ctx.Value("q", 0, lock=False)
        self._lock = ctx.Lock()
        self._dump, self._dumped, self._stop = ctx.Event(), ctx.Event(), ctx.Event()
        self._proc = ctx.Process(
            target=_serve,
            args=(self.port, self._count, self._lock, self._dump, self._dumped, self._stop),
            kwargs={"spool": str(spool)},
            daemon=True,
        )

    def __enter__(self) -> Sink:
        self._proc.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise TimeoutError("the SMTP sink did not start")

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()

    @property
    def received(self) -> int:
        return self._count.value

    def wait_for(self, count: int, *, timeout: float) -> float:
        """Block until `count` messages have been accepted; returns the perf_counter time."""
        deadline = time.monotonic() + timeout
        while self._count.value < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sink accepted {self._count.value} of {count} messages")
            time.sleep(0.002)
        return time.perf_counter()

    def take(self) -> list[Message]:
        """The messages accepted so far (and forget them); resets the count."""
        self._dumped.clear()
        self._dump.set()
        if not self._dumped.wait(60):
            raise TimeoutError("the SMTP sink did not hand over its messages")
        with self._lock:
            self._count.value = 0
        return pickle.loads(self.spool.read_bytes())


def plain_loop(port: int, messages: list[Message]) -> float:
    """The floor: one smtplib connection sending `messages` one after another; seconds taken."""
    import smtplib

    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipients, content in messages:
            smtp.sendmail(sender, recipients, content)
    return time.perf_counter() - started
