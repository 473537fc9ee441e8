"""Conditional GET for read endpoints: an ETag of the body sent and, where a view knows it,
Last-Modified; a request whose validator still holds gets 304 and no body."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, cast

from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response


class ConditionalGetMixin:
    """ETag (a digest of the body sent) and, where a view knows it, Last-Modified; a request
    whose If-None-Match (or, without it, If-Modified-Since) still holds gets 304 and no body.

    The ETag is exact whatever the representation is made of (related rows, the caller's
    scope). A Last-Modified that misses one row the body shows answers a stale 304 to
    If-Modified-Since: a view sets `sends_last_modified` and `self.last_modified` only when
    stored times cover every row of every body it writes, and of a list also the rows that
    leave it (a change of scope, a deletion). No view can today (a programme has no time of its
    last change, and it shapes applications and grants): conditional requests use the ETag.
    """

    sends_last_modified = False  # the schema documents If-Modified-Since where True
    last_modified: datetime | None = None

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if not isinstance(response, Response) or request.method not in ("GET", "HEAD"):
            return response
        patch_vary_headers(response, ("Accept", "Accept-Language", "Authorization", "Cookie"))
        if response.status_code != 200:
            return response
        patch_cache_control(response, private=True, no_cache=True)
        response.render()
        digest = hashlib.sha256(response.content).hexdigest()[:40]
        response["ETag"] = f'"{digest}"'
        timestamp = None
        if self.sends_last_modified and self.last_modified is not None:
            timestamp = int(self.last_modified.timestamp())
            response["Last-Modified"] = http_date(timestamp)
        conditional = get_conditional_response(
            request, etag=response["ETag"], last_modified=timestamp, response=response
        )
        # A 304 is a plain HttpResponseNotModified; Django sends it like any response.
        return cast(Response, conditional or response)
