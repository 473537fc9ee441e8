"""Every page fits the screen, from a phone (320 and 390 px) to a desktop (1,280 and 1,440 px):
nothing makes the page scroll sideways; a wide table scrolls inside its own box."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from demo import builders as demo

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280, 1440)


def sign_in(page: Any, user: Any) -> None:
    """The user's session in the browser (the sign-in form has its own tests)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": page.base}])


def overflow(page: Any, path: str, width: int) -> dict[str, Any]:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(page.base + path)
    page.wait_for_load_state("load")
    return page.evaluate(
        """() => {
            const page = document.documentElement;
            const wide = [...document.querySelectorAll("body *")]
                .filter((el) => el.getBoundingClientRect().right > page.clientWidth + 1)
                .filter((el) => !el.closest(".table-scroll"))
                .slice(0, 3)
                .map((el) => el.tagName + (el.id ? "#" + el.id : "") + "." + el.className);
            return {scroll: page.scrollWidth, client: page.clientWidth, wide};
        }"""
    )


def assert_fits(page: Any, paths: list[str]) -> None:
    too_wide = []
    for path in paths:
        for width in WIDTHS:
            found = overflow(page, path, width)
            if found["scroll"] > found["client"] or found["wide"]:
                too_wide.append((path, width, found))
    assert too_wide == [], "\n".join(map(str, too_wide))


def test_the_applicants_pages_fit_every_screen(page: Any, cast: demo.Cast, committed: Any) -> None:
    with committed():
        draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
        reporting = demo.drive(cast, "approved", "report_due")
    sign_in(page, cast.applicant)
    assert_fits(
        page,
        [
            reverse("applications:home"),
            reverse("applications:draft_section", args=[draft.pk, "budget"]),
            reverse("applications:draft_section", args=[draft.pk, "project"]),
            reverse("applications:detail", args=[reporting.pk]),
            reverse("applications:report", args=[reporting.pk]),
            reverse("applications:organisation", args=[cast.organisation.pk]),
        ],
    )


def test_the_staff_pages_fit_every_screen(page: Any, cast: demo.Cast, committed: Any) -> None:
    with committed():
        for _ in range(3):
            demo.drive(cast, "submitted")
        demo.drive(cast, "reviewed")
        demo.drive(cast, "approved", "accepted")
    sign_in(page, cast.admin)
    assert_fits(
        page,
        [
            reverse("reviews:overview"),
            reverse("reviews:queue", args=["formal_check"]),
            reverse("reviews:decisions"),
            reverse("finance:payments"),
            reverse("finance:batches"),
            reverse("dashboards:overview"),
        ],
    )


def test_the_public_pages_fit_every_screen(page: Any, db: Any) -> None:
    demo.setup_fund()
    assert_fits(page, [reverse("public:home"), reverse("public:projects"), reverse("login")])


def test_each_budget_line_shows_its_amount_and_follows_the_typing(page: Any, cast: demo.Cast, committed: Any) -> None:  # fmt: skip
    with committed():
        draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    sign_in(page, cast.applicant)
    page.goto(page.base + reverse("applications:draft_section", args=[draft.pk, "budget"]))
    amount = page.locator("#draft-form [data-formset=expenses] [data-row] [data-line-amount]").first
    assert amount.inner_text() == "5.000,00 EUR"  # drawn by the server: 1 x 5,000
    page.fill("input[name='expenses-0-quantity']", "2")
    page.wait_for_function("() => document.querySelector('[data-line-amount]').textContent === '10.000,00 EUR'")  # fmt: skip
