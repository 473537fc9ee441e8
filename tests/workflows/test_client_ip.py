"""The client's address behind reverse proxies: what the sign-in and mail limits count by."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from workflows.http import client_ip

PROXY = "10.0.0.2"


def request_from(remote: str, forwarded: str | None = None) -> Any:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.MICROGRANTS_TRUSTED_PROXIES = 0
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "client"),
    [
        (1, "203.0.113.9", "203.0.113.9"),  # nginx appended the client's address
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client forged the left entry
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),  # a load balancer, then nginx
        (2, "203.0.113.9", "203.0.113.9"),  # one proxy added nothing: the best known
        (1, "2001:db8::7", "2001:db8::7"),
        (1, "6.6.6.6, not-an-address", PROXY),  # garbage from a proxy: the proxy itself
        (1, " , ", PROXY),
        (1, None, PROXY),
    ],
)
def test_behind_proxies_the_client_is_counted_from_the_right(
    settings: Any, proxies: int, forwarded: str | None, client: str
) -> None:
    settings.MICROGRANTS_TRUSTED_PROXIES = proxies
    assert client_ip(request_from(PROXY, forwarded)) == client
