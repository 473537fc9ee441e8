"""Searching never finds what the role may not see: the staff search (/review/search/?q=...) and
the API's `q=` filter, for titles, references and organisation names of applications in
conflict, outside the reviewer's programmes, outside the token's programmes, and drafts."""

from __future__ import annotations

import json
from typing import Any

from tests.security import spec
from tests.security.expect import review_access
from tests.security.world import API_ROLES, PAGE_ROLES, World

SEARCHED = ("a_draft", "a_submitted", "a_accepted", "b_submitted", "b_other_programme")


def queries(world: World) -> list[tuple[str, str, set[str]]]:
    """(what is searched, the query, the applications of the world it is about)."""
    found = []
    for key in SEARCHED:
        application = world.apps[key]
        found.append((f"the title of {key}", application.title, {key}))
        if key == "a_submitted":
            found.append((f"the reference of {key}", str(application.reference), {key}))
    for org, name in (("a", "Partnerschaftskomitee"), ("b", "Dijon")):
        about = {key for key in world.apps if key.startswith(f"{org}_")}
        found.append((f"organisation {org.upper()}'s name", name, about))
    return found


def disagreements(
    role: str, what: str, about: set[str], found_pks: set[int], world: World
) -> list[str]:
    problems = []
    for key in sorted(about):
        application = world.apps[key]
        seen = spec.sees_application(role, application, world)
        if application.pk in found_pks and not seen:
            problems.append(f"{role}: searching {what} finds {key}, which it may not see")
    known = {a.pk for a in world.apps.values()}
    for pk in sorted(found_pks - known):
        problems.append(f"{role}: searching {what} finds application {pk}, not of the world")
    return problems


def test_the_staff_search_finds_only_what_the_role_may_see(world: World) -> None:
    problems: list[str] = []
    for role in PAGE_ROLES:
        if review_access(role) is not True:
            continue
        client = world.page_client(role)
        for what, text, about in queries(world):
            response = client.get("/review/search/", {"q": text})
            assert response.status_code == 200, (role, text, response.status_code)
            found = {application.pk for application in response.context["results"]}
            problems += disagreements(role, what, about, found, world)
            # Titles and references are unique: whoever sees the application finds it.
            if len(about) == 1:
                key = next(iter(about))
                if (
                    spec.sees_application(role, world.apps[key], world)
                    and world.apps[key].pk not in found
                ):
                    problems.append(f"{role}: searching {what} does not find {key}, which it sees")
    assert not problems, "\n".join(problems)


def test_the_api_search_finds_only_what_the_role_may_see(world: World) -> None:
    problems: list[str] = []
    for role in API_ROLES:
        if role in ("anonymous", "applicant_a", "applicant_b", "funder"):
            continue  # no API for them (test_api)
        client = world.api_client(role)
        for what, text, about in queries(world):
            endpoints = ("applications", "grants") if "a_accepted" in about else ("applications",)
            for endpoint in endpoints:
                response = client.get(f"/api/v1/{endpoint}/", {"q": text, "page_size": "100"})
                assert response.status_code == 200, (role, endpoint, text, response.status_code)
                rows = json.loads(response.content)["results"]
                found = {_application_id(endpoint, row, world) for row in rows}
                problems += disagreements(role, f"{what} in /{endpoint}/", about, found, world)
            stats = client.get("/api/v1/stats/", {"q": text})
            assert stats.status_code == 200, (role, text, stats.status_code)
            counted = sum(row["count"] for row in json.loads(stats.content)["results"])
            visible = sum(
                1
                for key in about
                if spec.sees_application(role, world.apps[key], world)
                and text_matches(world.apps[key], text)
            )
            if counted > visible:
                problems.append(
                    f"{role}: the statistics of {what} count {counted}, it sees {visible}"
                )
    assert not problems, "\n".join(problems)


def _application_id(endpoint: str, row: dict[str, Any], world: World) -> int:
    if endpoint == "applications":
        return int(row["id"])
    from grants.models import Grant

    return Grant.objects.values_list("application_id", flat=True).get(pk=row["id"])


def text_matches(application: Any, text: str) -> bool:
    haystack = " ".join(
        [application.title, application.reference or "", application.organisation.name]
    ).lower()
    return all(word.lower() in haystack for word in text.split())
