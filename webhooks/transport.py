"""One POST to a receiver, to the address that was checked (no second DNS lookup), with a
timeout on every network operation, no redirects followed and a bounded read of the answer."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

from webhooks.addresses import Target

# What is read of the receiver's answer (it is not kept; reading a little lets the connection end).
_ANSWER_BYTES = 1024


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def timeout() -> float:
    return float(getattr(settings, "MICROGRANTS_WEBHOOK_TIMEOUT", 10))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, seconds: float) -> None:
        super().__init__(target.host, target.port, timeout=seconds)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate checked against the host name."""

    def __init__(self, target: Target, seconds: float) -> None:
        super().__init__(
            target.host, target.port, timeout=seconds, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `target`; the status code, or the error in a line."""
    seconds = timeout()
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, seconds)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, seconds)
    )
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(_ANSWER_BYTES)
        status: int | None = response.status
        error = "" if 200 <= response.status < 300 else f"HTTP {response.status} {response.reason}"
    except (OSError, http.client.HTTPException) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    finally:
        connection.close()
    return Answer(status, int((time.monotonic() - started) * 1000), error)
