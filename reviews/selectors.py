"""Reads of the review workspace: queues with their filters and keyset pages, counts, search."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from applications.models import Application
from reviews import services
from reviews.models import ReviewTask, TaskKind, TaskStatus

PAGE_SIZE = 50
# Long texts of an application a list row never shows (the snapshot alone is several KB).
LIST_DEFERRED = (
    "submitted_content",
    "description",
    "summary",
    "change_request_message",
    "decision_note",
)
# The two orders a queue offers: the fund's urgency rule, or who has waited longest.
SORTS = {
    "start": ("project_start", "id"),
    "waiting": ("created_at", "id"),
}


def queue(kind: str, user: Any) -> QuerySet[ReviewTask]:
    """The active tasks of one queue that `user` may see, with what a row shows."""
    # Reviewers see the tasks of their programmes they could take or hold, never one in conflict.
    return (
        services.waiting_tasks(kind)
        .visible_to(user)
        .select_related("application__organisation", "programme", "assignee")
        .defer(*(f"application__{name}" for name in LIST_DEFERRED))
    )


def queue_counts(user: Any, kinds: tuple[str, ...] = tuple(TaskKind.values)) -> dict[str, dict[str, int]]:  # fmt: skip
    """Per queue: open tasks, claimed tasks, and those claimed by `user` (one query a queue)."""
    counts = {}
    for kind in kinds:
        counts[kind] = (
            services.waiting_tasks(kind)
            .visible_to(user)
            .aggregate(
                open=Count("pk", filter=Q(status=TaskStatus.OPEN)),
                claimed=Count("pk", filter=Q(status=TaskStatus.CLAIMED)),
                mine=Count("pk", filter=Q(status=TaskStatus.CLAIMED, assignee=user)),
            )
        )
    return counts


def my_tasks(user: Any) -> QuerySet[ReviewTask]:
    return (
        ReviewTask.objects.visible_to(user)
        .filter(assignee=user, status=TaskStatus.CLAIMED)
        .select_related("application__organisation", "programme")
        .order_by("project_start", "id")
    )


# --- keyset pages: stable under inserts, cheap at any depth -------------------------------------


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None


def page_of(tasks: QuerySet[ReviewTask], *, sort: str, cursor: str | None) -> Page:
    """One page of `tasks` in `sort` order after `cursor` (an opaque token of the last row)."""
    fields = SORTS.get(sort, SORTS["start"])
    ordered = tasks.order_by(*(F(name).asc(nulls_last=True) for name in fields))
    after = _decode(cursor, fields)
    if after is not None:
        ordered = ordered.filter(_after(fields, after))
    rows = list(ordered[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Page(rows, _encode(rows[-1], fields) if more and rows else None)


def _after(fields: tuple[str, ...], values: list[Any]) -> Q:
    """Rows after `values` in the order of `fields` (nulls last, as in the ordering)."""
    condition = Q()
    for i, name in enumerate(fields):
        equal = Q(**dict(zip(fields[:i], values[:i], strict=True)))
        value = values[i]
        if value is None:
            step = Q(pk__in=[])  # nothing comes after null in a nulls-last column
        else:
            step = Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})
        condition |= equal & step
    return condition


def _encode(row: Any, fields: tuple[str, ...]) -> str:
    values = [getattr(row, name) for name in fields]
    text = json.dumps([v.isoformat() if isinstance(v, date | datetime) else v for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(cursor: str | None, fields: tuple[str, ...]) -> list[Any] | None:
    if not cursor or len(cursor) > 500:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        parsed: list[Any] = []
        for name, value in zip(fields, values, strict=True):
            if value is None or name == "id":
                parsed.append(value if value is None else int(value))
            elif name == "project_start":
                parsed.append(date.fromisoformat(value))
            else:
                parsed.append(datetime.fromisoformat(value))
        return parsed
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


# --- search ---------------------------------------------------------------------------------------


def search(text: str, user: Any, *, limit: int = 50) -> list[Application]:
    """Applications by reference, title or organisation: PostgreSQL full text, else LIKE."""
    text = " ".join(text.split())[:200]
    if not text or "\x00" in text:
        return []
    found = Application.objects.visible_to(user).select_related("organisation", "programme")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("reference", "title", "organisation__name", config="simple")
        query = SearchQuery(text, config="simple", search_type="websearch")
        matched = (
            found.annotate(rank=SearchRank(vector, query))
            .filter(Q(rank__gt=0) | Q(reference__iexact=text))
            .order_by("-rank", "-id")
        )
        return list(matched[:limit])
    words = text.split()
    condition = Q()
    for word in words:
        condition &= (
            Q(reference__icontains=word)
            | Q(title__icontains=word)
            | Q(organisation__name__icontains=word)
        )
    return list(found.filter(condition).order_by("-id")[:limit])
