"""The pages work in a real browser with the Content-Security-Policy enforced, and the browser
reports no violation: the script files do what the inline code did (the language switch, the
report's rows, the assessment's score), Django's admin widgets and Swagger UI run too.

A violation is caught twice: by a listener for the DOM's `securitypolicyviolation` event, put
into every page before its own scripts (Playwright's init scripts are not subject to the CSP),
and by the browser's console messages about either policy.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from demo import builders as demo
from demo.reviews import ReviewSteps, ensure_reviewer_profiles
from reviews import services as review_services
from reviews.models import TaskKind

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + (event.sourceFile || "") + ":" + event.lineNumber);
});
"""
POLICY_MESSAGE = re.compile(r"Content[- ]Security[- ]Policy|Permissions[- ]Policy", re.IGNORECASE)


class Watched:
    """A browser tab whose policy violations are collected across page loads."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.violations: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if POLICY_MESSAGE.search(message.text):
            self.console.append(f"{message.type}: {message.text}")

    def collect(self) -> None:
        """The violations of the page now shown (call before leaving it)."""
        found = self.page.evaluate("window.__violations || []")
        self.violations.extend(f"{self.page.url}: {v}" for v in found)

    def goto(self, path: str) -> None:
        self.collect()
        self.page.goto(f"{self.page.base}{path}")
        self.page.wait_for_load_state("load")

    def assert_clean(self) -> None:
        self.collect()
        assert self.violations == []
        assert self.console == []


def login(watched: Watched, username: str) -> None:
    page = watched.page
    page.context.clear_cookies()
    watched.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def test_portal_pages_work_with_the_policy_enforced(page: Any) -> None:
    cast = demo.create_cast(demo.setup_fund())
    ensure_reviewer_profiles(cast)
    due = demo.drive(cast, "approved", "report_due")
    draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    demo.drive(cast, "in_review", requested=Decimal("20000.00"), steps=ReviewSteps(cast))
    assessment = review_services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    watched = Watched(page)

    # The language switch sends its form on change (static/js/site.js); no inline handler.
    watched.goto("/accounts/signup/")
    response = page.request.get(f"{page.base}/accounts/signup/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    assert page.locator("noscript").count() >= 1
    with page.expect_navigation():
        page.select_option("#language", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"

    # The final report: marked as a JavaScript page before drawing, rows added in place.
    login(watched, cast.applicant.username)
    watched.goto(f"/applications/{due.pk}/report/")
    assert "js" in (page.locator("html").get_attribute("class") or "")
    # htmx injects no <style> of its own: its indicator rules are in site.css.
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    rows = page.locator("#receipts-rows tr").count()
    page.click("button[data-add-row=receipts]")
    assert page.locator("#receipts-rows tr").count() == rows + 1

    # The application form: htmx checks the budget as it is typed, portal.js adds rows.
    watched.goto(f"/applications/{draft.pk}/edit/budget/")
    page.fill("#id_expenses-0-unit_cost", "4000")
    page.fill("#id_requested_amount", "4000")
    expect(page.locator("#rule-budget")).to_have_text(re.compile(r"\S"))
    watched.goto("/check/")

    # The assessment: the weighted score follows the points picked.
    login(watched, cast.reviewer.username)
    watched.goto(f"/review/assessment/{assessment.pk}/")
    assert page.inner_text("#criteria-scored") == "0"
    page.locator("#assessment-form [data-criterion] input[type=radio][value='8']").first.check()
    # A locator, not wait_for_function: Playwright would eval that string, which the CSP refuses.
    expect(page.locator("#criteria-scored")).to_have_text("1")
    assert page.inner_text("#weighted-score") != "–"

    watched.assert_clean()


def test_the_admin_widgets_work_with_the_policy_enforced(page: Any) -> None:
    cast = demo.create_cast(demo.setup_fund())
    submitted = demo.drive(cast, "submitted")
    watched = Watched(page)

    # The date widget's calendar and its "today" shortcut (DateTimeShortcuts.js).
    login(watched, cast.reviewer.username)
    watched.goto(f"/admin/applications/application/{submitted.pk}/transition/request_changes/")
    page.click(".field-reply_by .date-icon")
    assert page.locator(".calendarbox").first.is_visible()
    page.click(".field-reply_by .datetimeshortcuts a:not(.date-icon)")  # "Today"
    assert re.search(r"\d{4}", page.input_value("#id_reply_by"))  # in the format of the language

    # filter_horizontal (SelectFilter2.js) on the API token's add page: move a programme over.
    login(watched, cast.admin.username)
    watched.goto("/admin/grants/apitoken/add/")
    page.wait_for_selector("#id_programmes_from")
    page.select_option("#id_programmes_from", index=0)
    page.click("#id_programmes_add")
    assert page.locator("#id_programmes_to option").count() == 1

    # The actions on a list (actions.js): "select all" ticks every row and shows the counter.
    watched.goto("/admin/grants/apitoken/")
    page.check("#action-toggle")
    ticked = page.locator("input.action-select:checked").count()
    assert ticked == page.locator("input.action-select").count() >= 1
    assert page.locator(".action-counter").first.is_visible()

    watched.assert_clean()


def test_swagger_ui_renders_the_api_with_the_policy_enforced(page: Any) -> None:
    demo.setup_fund()
    watched = Watched(page)
    watched.goto("/api/docs/")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() > 10
    assert page.locator(".swagger-ui .info .title").first.is_visible()
    watched.assert_clean()
