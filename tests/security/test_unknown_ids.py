"""Every URL pattern with an argument, filled with ids and names that do not exist: never a 500
and never a page; "not found" (or the refusal the role gets anyway)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from tests.security.patterns import Pattern, walk
from tests.security.probe import send
from tests.security.world import World

# Patterns whose answer for an unknown token is a page that says so.
SAYS_SO = ("password_reset_confirm", "accounts:confirm", "applications:invitation")
UNKNOWN = {"int": 999999, "str": "no-such-thing", "slug": "no-such-thing", "path": "999999"}


def filled(pattern: Pattern) -> str | None:
    key, route, arguments = pattern.key, pattern.route, pattern.arguments
    kwargs: dict[str, object] = {}
    for name in arguments:
        if name in ("kind",):
            kwargs[name] = "no-such-kind"
        elif name in ("name",):
            kwargs[name] = "approve"
        elif name in ("token", "uidb64", "job_id", "key", "result_id", "scheduler_name"):
            kwargs[name] = "no-such-thing"
        elif name in ("section",):
            kwargs[name] = "no-such-section"
        elif name in ("app_label", "url", "cron_job_name"):
            return None  # catch-alls and label lists: walked in test_admin
        else:
            kwargs[name] = 999999
    if pattern.named:
        try:
            return reverse(key, kwargs=kwargs)
        except NoReverseMatch:
            return None  # an optional argument of a regex route (the job queue's statistics)
    if "<path:object_id>" in route and route.startswith("admin/"):
        return "/" + route.replace("<path:object_id>", "999999")
    if route.startswith("admin/r/"):
        return "/admin/r/999999/999999/"
    return None


def test_unknown_ids_are_not_found_for_anyone(world: World) -> None:
    problems = []
    roles = {role: world.page_client(role) for role in ("admin", "manager", "applicant_a")}
    api_roles = {
        "admin": world.api_client("admin"),
        "funder_token": world.api_client("funder_token"),
    }
    seen = set()
    for pattern in walk():
        if not pattern.arguments or pattern.key in seen:
            continue
        seen.add(pattern.key)
        url = filled(pattern)
        if url is None:
            continue
        clients = api_roles if url.startswith("/api/") else roles
        for role, client in clients.items():
            for method in ("GET", "POST") if role != "manager" else ("GET",):
                if method == "POST" and "django_rq" in pattern.key and role == "admin":
                    continue  # the job queue's actions reach Redis (see test_admin)
                status = send(client, method, url).status
                if status >= 500 and status != 503:
                    problems.append(f"{role} {method} {url}: {status}")
                elif status == 200 and pattern.key not in SAYS_SO and method == "GET":
                    problems.append(f"{role} {method} {url}: 200 for something that is not there")
    assert not problems, "\n".join(problems)
