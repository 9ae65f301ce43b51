"""A real webhook receiver for the tests: an HTTP server on a free port that records what it
is sent, answers with the status it is told, and can be slow."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server was sent, and how it answers the next requests."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answered in turn, then 200
    delay: float = 0.0  # seconds before answering
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


@contextmanager
def webhook_receiver(port: int, receiver: Receiver | None = None) -> Iterator[Receiver]:
    """Serve on 127.0.0.1:`port` until the block ends."""
    state = receiver or Receiver()
    state.url = f"http://127.0.0.1:{port}/hooks/markers"

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                state.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
            time.sleep(state.delay)
            status = state.next_status()
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
