"""The queues as reviewers and managers use them; nobody else gets in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from demo.copies import Applicant, copy_histories, load_templates
from reviews import services
from reviews.models import ReviewTask, TaskKind
from workflows import clock


@pytest.fixture
def many(cast: Any, drive: Any) -> Any:
    """A factory of submitted applications with open formal checks (copies of one history)."""

    def make(count: int) -> list[int]:
        template = drive("submitted")
        history = load_templates([template.pk])[template.pk]
        return [template.pk, *copy_histories([(history, Applicant(cast.organisation, cast.applicant, f"Treffen {i}")) for i in range(count - 1)])]  # fmt: skip

    return make


def test_a_reviewer_sees_the_counts_filters_a_queue_and_takes_the_next_task(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    early = drive("submitted", submitted_on=clock.today() - timedelta(days=9))
    drive("submitted", submitted_on=clock.today() - timedelta(days=2))
    client.force_login(cast.reviewer)
    overview = client.get(reverse("reviews:overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Take the next task" in overview
    page = client.get(reverse("reviews:queue", args=["formal_check"]), {"country": "DE", "sort": "start"})  # fmt: skip
    assert page.status_code == 200
    rows = page.context["page"].rows
    assert next(t.application_id for t in rows) == early.pk  # earliest project start first
    assert client.get(reverse("reviews:queue", args=["formal_check"]), {"country": "FR"}).context["page"].rows == []  # fmt: skip
    taken = client.post(reverse("reviews:claim_next", args=["formal_check"]))
    assert taken.status_code == 302
    task = ReviewTask.objects.get(application=early)
    assert task.assignee == cast.reviewer
    assert taken["Location"] == reverse("reviews:formal_check", args=[task.pk])


def test_long_queues_are_paged_by_cursor_without_gaps_or_repeats(client: Any, cast: Any, many: Any) -> None:  # fmt: skip
    many(120)
    client.force_login(cast.reviewer)
    seen: list[int] = []
    url = reverse("reviews:queue", args=["formal_check"])
    query: dict[str, str] = {"sort": "waiting"}
    for _page in range(3):
        response = client.get(url, query)
        seen += [task.pk for task in response.context["page"].rows]
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
        query["after"] = cursor
    assert len(seen) == 120 and len(set(seen)) == 120
    assert client.get(url, {"after": "not-a-cursor"}).status_code == 200  # a bad cursor starts over


def test_the_queue_page_runs_the_same_queries_for_ten_or_sixty_tasks(client: Any, cast: Any, many: Any, django_assert_max_num_queries: Any) -> None:  # fmt: skip
    many(60)
    client.force_login(cast.manager)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("reviews:queue", args=["formal_check"]))
    assert len(response.context["page"].rows) == 50


def test_tasks_in_conflict_do_not_appear_in_a_reviewers_queue(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("submitted")
    services.declare_conflict(application, by=cast.reviewer)
    client.force_login(cast.reviewer)
    assert client.get(reverse("reviews:queue", args=["formal_check"])).context["page"].rows == []
    client.force_login(cast.manager)
    assert len(client.get(reverse("reviews:queue", args=["formal_check"])).context["page"].rows) == 1  # fmt: skip


def test_a_manager_reassigns_and_a_reviewer_releases(client: Any, cast: Any, drive: Any) -> None:
    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    client.force_login(cast.manager)
    client.post(reverse("reviews:reassign", args=[task.pk]), {"reviewer": cast.reviewer2.pk})
    task.refresh_from_db()
    assert task.assignee == cast.reviewer2
    client.force_login(cast.reviewer)
    client.post(reverse("reviews:release", args=[task.pk]))  # not theirs: refused with a message
    task.refresh_from_db()
    assert task.assignee == cast.reviewer2
    client.force_login(cast.reviewer2)
    client.post(reverse("reviews:release", args=[task.pk]))
    task.refresh_from_db()
    assert task.status == "open"


def test_search_finds_by_reference_title_and_organisation(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("submitted", title="Chorfestival Lyon")
    client.force_login(cast.reviewer)
    for text in (application.reference, "chorfestival", "Partnerschaftskomitee"):
        results = client.get(reverse("reviews:search"), {"q": text}).context["results"]
        assert [a.pk for a in results] == [application.pk], text
    assert client.get(reverse("reviews:search"), {"q": "x\x00"}).status_code == 200


STAFF_PAGES = [
    ("get", "reviews:overview", []),
    ("get", "reviews:queue", ["formal_check"]),
    ("post", "reviews:claim_next", ["formal_check"]),
    ("get", "reviews:task", ["TASK"]),
    ("post", "reviews:claim", ["TASK"]),
    ("post", "reviews:release", ["TASK"]),
    ("post", "reviews:reassign", ["TASK"]),
    ("post", "reviews:declare_conflict", ["APPLICATION"]),
    ("get", "reviews:search", []),
]


@pytest.mark.parametrize("who", ["applicant", "finance", "funder", "anonymous"])
def test_applicants_finance_funders_and_anonymous_users_are_refused_everywhere(client: Any, cast: Any, drive: Any, who: str) -> None:  # fmt: skip
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application)
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    for method, name, args in STAFF_PAGES:
        url = reverse(name, args=[task.pk if a == "TASK" else application.pk if a == "APPLICATION" else a for a in args])  # fmt: skip
        response = getattr(client, method)(url, {"reviewer": cast.reviewer.pk, "q": "x"})
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        else:
            assert response.status_code == 403, url
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("open", None)


def test_reviewers_cannot_reassign(client: Any, cast: Any, drive: Any) -> None:
    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    client.force_login(cast.reviewer2)
    assert client.post(reverse("reviews:reassign", args=[task.pk]), {"reviewer": cast.reviewer2.pk}).status_code == 403  # fmt: skip
