"""The demo's calendar feeds and saved filters: the applicant, the reviewer and the manager each
get a feed (its address printed by `seed_demo`, the only time it is shown), the reviewer holds
one claim so that their feed shows one about to expire, and the reviewer and the manager have
saved filters on their lists."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from calendars.services import issue_feed
from demo import builders as demo
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind, TaskStatus
from workflows.saved_filters import save_filter

# (whose, list, query, name): each saved again under its name, so a second run changes nothing.
DEMO_FILTERS: tuple[tuple[str, str, dict[str, str], str, str], ...] = (
    ("manager", "reviews:decisions", {}, "country=DE", "Antragsteller aus Deutschland"),
    ("manager", "reviews:decisions", {}, "waiting=waitlisted", "Warteliste"),
    (
        "reviewer",
        "reviews:queue",
        {"kind": TaskKind.FORMAL_CHECK},
        "language=fr&unclaimed=on",
        "Französisch, frei",
    ),
    (
        "reviewer",
        "reviews:queue",
        {"kind": TaskKind.ASSESSMENT},
        "sort=waiting&waiting_days=14",
        "Wartet seit 14 Tagen",
    ),
)


def seed_saved_filters(cast: demo.Cast) -> int:
    people = {"manager": cast.manager, "reviewer": cast.reviewer}
    for whose, view_name, kwargs, query, name in DEMO_FILTERS:
        path = reverse(view_name, kwargs=kwargs or None)
        save_filter(people[whose], path=path, query=query, name=name)
    return len(DEMO_FILTERS)


def hold_a_claim(cast: demo.Cast) -> ReviewTask | None:
    """The reviewer takes an open formal check, unless they hold a claim already."""
    if ReviewTask.objects.filter(assignee=cast.reviewer, status=TaskStatus.CLAIMED).exists():
        return None
    task = (
        ReviewTask.objects.visible_to(cast.reviewer)
        .filter(kind=TaskKind.FORMAL_CHECK, status=TaskStatus.OPEN)
        .order_by("project_start", "pk")
        .first()
    )
    return review_services.claim(task, by=cast.reviewer) if task is not None else None


def seed_feeds(cast: demo.Cast, site_url: str) -> list[tuple[str, str]]:
    """A new feed address for each of the applicant, the reviewer and the manager (an older
    one stops working): (username, address)."""
    addresses = []
    people: list[Any] = [cast.applicant, cast.reviewer, cast.manager]
    for person in people:
        _feed, raw = issue_feed(person, language="de")
        addresses.append((person.get_username(), site_url + reverse("calendars:feed", args=[raw])))
    return addresses
