"""A local receiver of webhooks (a real HTTP server in a thread) and a funder's subscription."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from webhooks import services
from webhooks.models import all_event_types

WAIT = 30  # seconds a test waits for a request at most (never a fixed sleep)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: queue.Queue[Received] = field(default_factory=queue.Queue)
    status: int = 200

    def next(self) -> Received:
        return self.requests.get(timeout=WAIT)

    def drained(self) -> list[Received]:
        found = []
        while not self.requests.empty():
            found.append(self.requests.get_nowait())
        return found


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            # Recorded before answering: when the sender has its answer, the test sees it.
            receiver.requests.put(Received(dict(self.headers.items()), body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/microgrants"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@pytest.fixture
def local_receivers_allowed(settings: Any) -> None:
    """A receiver on this machine over http: allowed only by these settings (or DEBUG)."""
    settings.MICROGRANTS_WEBHOOK_ALLOW_HTTP = True
    settings.MICROGRANTS_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver(local_receivers_allowed: None) -> Iterator[Receiver]:
    found, server = start_receiver()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscription(cast: Any, receiver: Receiver) -> tuple[Any, str]:
    """The demo funder's subscription to every event of every programme, and its secret."""
    return services.subscribe(
        cast.funder,
        by=cast.admin,
        name="Stiftung – Förderdatenbank",
        url=receiver.url,
        events=all_event_types(),
        all_programmes=True,
    )
