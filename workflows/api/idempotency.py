"""`Idempotency-Key` for the API's write endpoints: a retried request is answered once.

A client that sends a write with `Idempotency-Key: <1-255 printable ASCII characters>` and
retries it (a timeout, a lost connection) gets the first answer again, with the same status and
body and the header `Idempotent-Replayed: true`; the work is not done a second time.

- The key belongs to the user: (user, key) is unique. It is stored with the method, the path
  and the SHA-256 of the body; the same key with another request is refused with 422
  (`idempotency_key_reused`), it never replays an answer to a different question.
- The row is inserted before the work, in the transaction that does it. A second request with
  the key meanwhile waits on the unique index (PostgreSQL) and then replays the first answer;
  if the first failed with a 5xx its row rolled back and the second does the work. A request
  that finds the key unfinished all the same (a database without that wait) gets 409
  (`idempotency_key_in_use`). The work is never done twice.
- Stored: answers with 2xx and 4xx (refusals are answers too: a retry of an invalid request is
  as invalid). Not stored: 5xx and the 409 `conflict` of a concurrent change, which say
  "try again" — the row rolls back and the key is free for the retry.
- Keys expire after `KEY_LIFETIME`: an expired key counts as new, and the deadline job
  `prune_idempotency_keys` deletes old rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from workflows import clock, deadlines
from workflows.api.problems import PROBLEM_CONTENT_TYPE, problem
from workflows.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Answers that mean "nothing happened, try again": never stored, so the retry can do the work.
TRANSIENT_CODES = frozenset({"conflict", "idempotency_key_in_use"})

KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, 1–255 printable ASCII characters, unique per request you mean (a UUID). "
        "A retry with the same key and the same request gets the first answer again "
        "(header `Idempotent-Replayed: true`) without the action being done twice; the same "
        "key with another request is refused (422). Keys are kept for 24 hours."
    ),
)
REPLAYED_PARAMETER = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=["200", "400", "403", "404", "409"],
    enum=["true"],
    description="Present (`true`) when this is the stored answer to an earlier request.",
)


def valid_key(raw: str) -> bool:
    return 1 <= len(raw) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in raw)


def requested_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None without one; 400 for one that is not usable."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not valid_key(raw):
        raise exceptions.ValidationError(
            {
                HEADER: [
                    exceptions.ErrorDetail(
                        str(_("Send 1 to 255 printable ASCII characters, e.g. a UUID.")),
                        code="invalid_idempotency_key",
                    )
                ]
            }
        )
    return raw


def body_digest(request: Request) -> str:
    """SHA-256 of the body as sent; read before the parsers consume the stream (if a parser
    already did, of the parsed data in a canonical form)."""
    try:
        body = request._request.body
    except RawPostDataException:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(body).hexdigest()


class _Discard(Exception):
    """Leaves the transaction, rolling back the claimed key, with an answer not to store."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def respond_once(request: Request, key: str | None, run: Callable[[], Response]) -> Response:
    """Answer with `run()` once per key: store its answer, or replay the stored one.

    `run` must answer (turn refusals into responses, e.g. with the view's handle_exception)
    and may raise only for a bug (a 500, not stored). With a key or without, an answer other
    than 2xx leaves the database as it was (the work runs behind a savepoint).
    """
    if key is None:
        return _all_or_nothing(run)
    fingerprint = (request.method or "", request.path, body_digest(request))
    try:
        with transaction.atomic():
            record, earlier = _claim(request.user, key, fingerprint)
            if earlier is not None:
                raise _Discard(_answer_to_retry(request, earlier, fingerprint))
            response = _all_or_nothing(run)
            if not _storable(response):
                raise _Discard(response)
            _store(record, response)
    except _Discard as discarded:
        return discarded.response
    return response


def _all_or_nothing(run: Callable[[], Response]) -> Response:
    with transaction.atomic():
        response = run()
        if response.status_code >= 300:
            transaction.set_rollback(True)  # a refusal changes nothing
    return response


def _claim(
    user: Any, key: str, fingerprint: tuple[str, str, str]
) -> tuple[IdempotentRequest, IdempotentRequest | None]:
    """Insert the key's row (ours), or return the row that holds the key already (earlier)."""
    now = clock.now()
    IdempotentRequest.objects.filter(
        user=user, key=key, created_at__lte=now - KEY_LIFETIME
    ).delete()
    method, path, digest = fingerprint
    record = IdempotentRequest(
        user=user, key=key, method=method, path=path, body_sha256=digest, created_at=now
    )
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        # On PostgreSQL the insert waited for the transaction holding the key to end.
        earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
        # Not found: the holder is still at work where the database did not wait for it.
        return record, earlier or IdempotentRequest(status_code=None)
    return record, None


def _answer_to_retry(
    request: Request, earlier: IdempotentRequest, fingerprint: tuple[str, str, str]
) -> Response:
    if (
        earlier.pk is not None
        and (earlier.method, earlier.path, earlier.body_sha256) != fingerprint
    ):
        body = problem(
            422,
            "idempotency_key_reused",
            _(
                "This Idempotency-Key was sent before with a different request. Use a new key "
                "for each request you mean."
            ),
            instance=request.path,
        )
        return Response(body, status=422, content_type=PROBLEM_CONTENT_TYPE)
    if earlier.status_code is None:
        body = problem(
            409,
            "idempotency_key_in_use",
            _("A request with this Idempotency-Key is still being answered; try again shortly."),
            instance=request.path,
        )
        return Response(
            body, status=409, content_type=PROBLEM_CONTENT_TYPE, headers={"Retry-After": "1"}
        )
    replay = Response(
        json.loads(earlier.response_body) if earlier.response_body else None,
        status=earlier.status_code,
        content_type=earlier.content_type or None,
    )
    replay[REPLAYED_HEADER] = "true"
    return replay


def _storable(response: Response) -> bool:
    status = response.status_code
    if not (200 <= status < 300 or 400 <= status < 500):
        return False
    code = response.data.get("code") if isinstance(response.data, dict) else None
    return not (status >= 400 and code in TRANSIENT_CODES)


def _store(record: IdempotentRequest, response: Response) -> None:
    record.status_code = response.status_code
    record.content_type = response.content_type or ""
    record.response_body = (
        JSONRenderer().render(response.data).decode() if response.data is not None else ""
    )
    record.completed_at = clock.now()
    record.save(update_fields=["status_code", "content_type", "response_body", "completed_at"])


@deadlines.register("prune_idempotency_keys", order=95)
def prune_expired_keys(now: datetime) -> int:
    """Delete the keys older than KEY_LIFETIME (they no longer replay anything)."""
    deleted, _by_model = IdempotentRequest.objects.filter(
        created_at__lte=now - KEY_LIFETIME
    ).delete()
    return deleted
