"""Real SMTP servers for tests, on free loopback ports, with scripted faults.

- SmtpSink: aiosmtpd in a thread. It records every message it accepts (and when); `reply_next`
  scripts the answers to coming RCPT or DATA commands ("451 ..." then the default "250", or
  "550 ..."); `stall_data` holds every DATA without answering until `release` (to kill a worker
  mid-send, or to play a hung server). For longer fault runs (bench/faults.py): `fail_every`
  answers every n-th DATA with an error, `refuse` answers RCPT for one address with an error
  (`accept` lifts it), `drop_data` closes the connection at a coming DATA without an
  answer, and `reset` forgets everything between rounds. `peers` tells the connections apart.
- SilentSmtp: accepts TCP connections and never says a word (no greeting), like a hung server.

Both are context managers; `url` is what a worker's EMAIL_URL should be.
"""

from __future__ import annotations

import asyncio
import collections
import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.sink._scripted("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink._rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink._take_drop():
            server.transport.close()  # no answer at all: the client sees the connection go
            return "421 4.4.2 Connection dropped"
        reply = self.sink._data_reply()
        if reply:
            return reply
        if self.sink._stall.is_set():
            self.sink.stalled.set()
            while self.sink._stall.is_set():
                await asyncio.sleep(0.05)
            # Released: the sender is gone, so the message was never acknowledged.
            return "451 4.3.0 Released without delivery"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink._lock:
            self.sink.messages.append(message)
            self.sink.raw.append(envelope.content)
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.sink.accepted_at.append(time.time())
            self.sink.peers.append(session.peer)
        return "250 OK"


class SmtpSink:
    """An SMTP server that keeps what it accepts; faults are scripted per command."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each accepted message's bytes, as the client sent them
        self.envelopes: list[tuple[str, list[str]]] = []
        self.accepted_at: list[float] = []  # time.time() of each accepted message, in order
        self.peers: list[tuple] = []  # the client's address and port for each accepted message
        self.rcpt_seen: set[str] = set()  # every address offered in a RCPT command
        self._refused: dict[str, str] = {}
        self._every: tuple[int, str] | None = None
        self._data_seen = 0  # every DATA command so far
        self._drop_at: int | None = None
        self._data_count = 0
        self.stalled = threading.Event()
        self._stall = threading.Event()
        self._lock = threading.Lock()
        self._script: dict[str, collections.deque[str]] = {
            "MAIL": collections.deque(),
            "RCPT": collections.deque(),
            "DATA": collections.deque(),
        }
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def reply_next(self, command: str, *replies: str) -> None:
        """Answer the next MAIL, RCPT or DATA commands with these replies, in order."""
        with self._lock:
            self._script[command].extend(replies)

    def _scripted(self, command: str) -> str | None:
        with self._lock:
            queue = self._script[command]
            return queue.popleft() if queue else None

    def _rcpt_reply(self, address: str) -> str | None:
        with self._lock:
            self.rcpt_seen.add(address.lower())
            refusal = self._refused.get(address.lower())
        return refusal or self._scripted("RCPT")

    def _data_reply(self) -> str | None:
        scripted = self._scripted("DATA")
        if scripted:
            return scripted
        with self._lock:
            self._data_count += 1
            if self._every and self._data_count % self._every[0] == 0:
                return self._every[1]
        return None

    def fail_every(self, n: int | None, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer every n-th DATA from now on with `reply`; None stops it."""
        with self._lock:
            self._data_count = 0
            self._every = (n, reply) if n else None

    def refuse(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Answer every RCPT for `address` with `reply` (a permanent refusal, typically)."""
        with self._lock:
            self._refused[address.lower()] = reply

    def accept(self, address: str) -> None:
        """Stop refusing `address`."""
        with self._lock:
            self._refused.pop(address.lower(), None)

    def drop_data(self, nth: int = 1) -> None:
        """Close the connection at the nth DATA from now, without an answer (a crash, a cut)."""
        with self._lock:
            self._drop_at = self._data_seen + nth

    def _take_drop(self) -> bool:
        with self._lock:
            self._data_seen += 1
            return self._data_seen == self._drop_at

    def refuse_first_unseen(
        self, candidates: list[str], reply: str = "550 5.1.1 User unknown"
    ) -> str | None:
        """Refuse the first candidate no RCPT has named yet, so its very first attempt is refused.

        Choosing and refusing happen under one lock: a RCPT cannot slip in between.
        """
        with self._lock:
            for address in candidates:
                if address.lower() not in self.rcpt_seen:
                    self._refused[address.lower()] = reply
                    return address
        return None

    def accepted(self) -> list[tuple[float, EmailMessage]]:
        """(when, message) for every accepted message so far, in order."""
        with self._lock:
            return list(zip(self.accepted_at, self.messages, strict=True))

    def reset(self) -> None:
        """Forget messages, scripts and faults (between rounds of a long run)."""
        self.release()
        with self._lock:
            self.messages.clear()
            self.raw.clear()
            self.envelopes.clear()
            self.accepted_at.clear()
            self.peers.clear()
            self._drop_at = None
            self.rcpt_seen.clear()
            self._refused.clear()
            self._every = None
            self._data_count = 0
            for queue in self._script.values():
                queue.clear()

    def stall_data(self) -> None:
        """Hold every DATA without an answer until release(); `stalled` is set when one comes.

        A released DATA is answered 451 and not recorded: its sender gave up long ago.
        """
        self.stalled.clear()
        self._stall.set()

    def release(self) -> None:
        self._stall.clear()

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def message_ids(self) -> collections.Counter[str]:
        """How often each Message-ID arrived: a count above 1 is a duplicate delivery."""
        return collections.Counter(m["Message-ID"] for m in self.messages)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release()
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SilentSmtp:
    """Accepts connections and never answers: a client must give up by its own timeout."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while self._running.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)

    def __enter__(self) -> SilentSmtp:
        self._running.set()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._running.clear()
        self._thread.join(timeout=5)
        for conn in self.connections:
            conn.close()
        self._sock.close()
