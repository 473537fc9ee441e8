"""The Content-Security-Policy and the Permissions-Policy, and pages that need no inline code.

Every page runs only scripts and styles from static files: no inline <script>, no on...=
handlers, no style= attributes or <style> blocks, no javascript: links. The pages of each role
are fetched with DEBUG off and their HTML is read with html.parser; the template sources are
read the same way, so a page no test renders is caught too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from applications.documents import issue_document
from applications.models import Attachment, AttachmentPurpose, Document
from applications.views.drafts import SECTION_NAMES
from demo import builders as demo
from demo.reviews import ReviewSteps, ensure_reviewer_profiles
from grants.models import Programme
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind
from workflows import clock
from workflows.security_headers import PermissionsPolicyMiddleware, permissions_policy

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Never served as pages: HTML e-mails, and the documents WeasyPrint renders to PDF.
NOT_PAGES = ("emails", "documents")
# <script> types a browser does not run: data for scripts, which the CSP need not allow.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "importmap"}
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP refuses to run or apply in a page, as readable findings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._script: str | None = None  # the tag of an open <script> without src
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = f"line {self.getpos()[0]} <{tag}>"
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.findings.append(f"{where}: event handler {name}={value!r}")
            elif name == "style":
                self.findings.append(f"{where}: style={value!r}")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.findings.append(f"{where}: htmx handler {name}={value!r}")
            elif name in ("hx-vals", "hx-vars", "data-hx-vals") and value.lstrip().startswith(
                ("js:", "javascript:")
            ):
                self.findings.append(f"{where}: htmx evaluates {name}={value!r}")
            elif name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.findings.append(f"{where}: javascript: URL in {name}")
        if tag == "style":
            self.findings.append(f"{where}: <style> block")
        if tag == "script" and "src" not in values:
            kind = values.get("type", "").strip().lower()
            if kind not in DATA_SCRIPT_TYPES:
                self._script = where
                self._script_text = []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            code = "".join(self._script_text).strip()
            if code:
                self.findings.append(f"{self._script}: inline script {code[:60]!r}")
            self._script = None


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.findings


def assert_strict_policy(response: Any) -> None:
    """Both headers are there, and the CSP allows nothing inline and no eval."""
    policy = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], policy
    assert directives.get("style-src") == ["'self'"], policy
    assert directives.get("default-src") == ["'self'"], policy
    assert directives.get("object-src") == ["'none'"], policy
    assert directives.get("frame-ancestors") == ["'none'"], policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, policy
    assert "camera=()" in response.get("Permissions-Policy", ""), response.headers


def assert_page_is_clean(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert_strict_policy(response)
    html = response.content.decode()
    assert inline_code(html) == [], url
    return html


def assert_pages_are_clean(client: Client, urls: Iterable[str]) -> None:
    problems = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_strict_policy(response)
        found = inline_code(response.content.decode())
        if found:
            problems[url] = found
    assert problems == {}


@pytest.fixture(autouse=True)
def debug_off(settings: Any) -> None:
    settings.DEBUG = False
    settings.LANGUAGE_CODE = "en"


# --- the finder finds --------------------------------------------------------------------------


def test_the_finder_reports_every_kind_of_inline_code() -> None:
    html = """<html><head><style>p { color: red }</style>
    <script>alert(1)</script></head>
    <body onload="go()"><select onchange="this.form.submit()"></select>
    <p style="color: red">x</p><a href="javascript:void(0)">y</a>
    <button hx-on:click="alert(1)">z</button><div hx-vals='js:{a: 1}'></div></body></html>"""
    found = inline_code(html)
    assert len(found) == 8, found
    for expected in ("<style> block", "inline script", "onload", "onchange", "style=", "javascript:", "hx-on:click", "hx-vals"):  # fmt: skip
        assert any(expected in finding for finding in found), expected


def test_the_finder_accepts_script_files_and_json_data() -> None:
    html = """<script src="/static/js/site.js" defer></script>
    <script id="data" type="application/json">{"a": 1}</script>
    <script src="/static/admin/js/core.js"></script>
    <select data-submit-on-change hx-vals='{"confirmed": "1"}'></select>
    <a href="/admin/">admin</a><option>online</option>"""
    assert inline_code(html) == []


# --- the headers -------------------------------------------------------------------------------


def test_a_page_carries_the_strict_policy_and_the_permissions_policy(client: Client, db: Any) -> None:  # fmt: skip
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict_policy(response)
    policy = response["Content-Security-Policy"]
    for directive in (
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'self'",
    ):
        assert directive in policy, directive
    denied = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in denied, feature


def test_the_policy_is_enforced_with_debug_on_too(client: Client, db: Any, settings: Any) -> None:  # fmt: skip
    settings.DEBUG = True
    response = client.get(reverse("login"))
    assert_strict_policy(response)
    assert "Content-Security-Policy-Report-Only" not in response


def test_a_refusal_and_a_redirect_carry_the_policies_too(client: Client, db: Any) -> None:
    for response in (client.get("/no-such-page/"), client.get(reverse("applications:home"))):
        assert response.status_code in (302, 404)
        assert_strict_policy(response)


def test_permissions_policy_value_denies_and_allows_by_origin() -> None:
    value = permissions_policy({"camera": [], "fullscreen": ["self"], "usb": ["https://a.example"]})
    assert value == 'camera=(), fullscreen=(self), usb=("https://a.example")'


def test_a_response_with_its_own_permissions_policy_keeps_it(rf: Any) -> None:
    from django.http import HttpResponse

    def view(request: Any) -> HttpResponse:
        response = HttpResponse("x")
        response["Permissions-Policy"] = "fullscreen=(self)"
        return response

    middleware = PermissionsPolicyMiddleware(view)
    assert middleware(rf.get("/"))["Permissions-Policy"] == "fullscreen=(self)"
    assert "camera=()" in PermissionsPolicyMiddleware(lambda r: HttpResponse("x"))(rf.get("/"))["Permissions-Policy"]  # fmt: skip


def test_downloaded_documents_and_uploads_keep_their_sandbox_policy(
    client: Client, cast: demo.Cast, draft: Any
) -> None:
    document = issue_document(draft, kind="summary")
    assert isinstance(document, Document)
    attachment = Attachment(
        application=draft,
        purpose=AttachmentPurpose.APPLICATION,
        original_name="Plan.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
        uploaded_by=cast.applicant,
    )
    attachment.file.save("plan.pdf", ContentFile(b"%PDF-1.4"), save=False)
    attachment.save()
    client.force_login(cast.applicant)
    for url in (
        reverse("applications:document_download", args=[document.pk]),
        reverse("applications:attachment_download", args=[attachment.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == "sandbox", url
        assert "camera=()" in response["Permissions-Policy"]


# --- the templates -----------------------------------------------------------------------------


def page_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] not in NOT_PAGES
    )


def test_no_template_of_a_page_holds_inline_code() -> None:
    templates = page_templates()
    assert len(templates) > 50
    problems = {}
    for path in templates:
        # Template tags and variables inside a tag read as odd attributes; that does no harm.
        found = inline_code(TEMPLATE_COMMENT.sub("", path.read_text(encoding="utf-8")))
        if found:
            problems[str(path.relative_to(TEMPLATES))] = found
    assert problems == {}


def test_htmx_is_told_to_inject_no_style_and_to_evaluate_nothing() -> None:
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert config is not None
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator" in css


# --- the pages of each role --------------------------------------------------------------------


def test_pages_for_anonymous_visitors_have_no_inline_code(client: Client, db: Any) -> None:
    urls = [
        reverse("login"),
        reverse("accounts:signup"),
        reverse("accounts:resend_confirmation"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("admin:login"),
    ]
    assert_pages_are_clean(client, urls)


def test_applicant_pages_have_no_inline_code(client: Client, cast: demo.Cast, draft: Any) -> None:  # fmt: skip
    submitted = demo.drive(cast, "submitted")
    offered = demo.drive(cast, "approved", "offered")
    due = demo.drive(cast, "approved", "report_due")
    organisation = cast.organisation
    client.force_login(cast.applicant)
    urls = [
        reverse("applications:home"),
        reverse("applications:eligibility"),
        reverse("applications:organisation", args=[organisation.pk]),
        reverse("applications:organisation_edit", args=[organisation.pk]),
        reverse("applications:bank_account", args=[organisation.pk]),
        reverse("applications:organisation_create"),
        *(reverse("applications:draft_section", args=[draft.pk, s]) for s in SECTION_NAMES),
        reverse("applications:draft_review", args=[draft.pk]),
        reverse("applications:detail", args=[draft.pk]),
        reverse("applications:detail", args=[submitted.pk]),
        reverse("applications:withdraw", args=[submitted.pk]),
        reverse("applications:detail", args=[offered.pk]),
        reverse("applications:grant", args=[offered.pk]),
        reverse("applications:detail", args=[due.pk]),
        reverse("applications:report", args=[due.pk]),
    ]
    assert_pages_are_clean(client, urls)


def test_the_organisation_switch_submits_without_an_inline_handler(client: Client, cast: demo.Cast) -> None:  # fmt: skip
    demo.make_organisation(cast.applicant, name="Zweiter Verein e.V.")
    client.force_login(cast.applicant)
    html = assert_page_is_clean(client, reverse("applications:home"))
    assert re.search(r'<select id="organisation-switch"[^>]*data-submit-on-change', html)
    assert re.search(r'<select id="language"[^>]*data-submit-on-change', html)
    assert "<noscript><button" in html
    assert '<script src="/static/js/site.js" defer>' in html


def test_review_pages_have_no_inline_code(client: Client, cast: demo.Cast, drive: Any) -> None:
    ensure_reviewer_profiles(cast)
    drive("submitted")
    check = review_services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    drive("in_review", requested=Decimal("20000.00"), steps=ReviewSteps(cast))
    assessment = review_services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    assert check is not None and assessment is not None
    client.force_login(cast.reviewer)
    urls = [
        reverse("reviews:overview"),
        *(reverse("reviews:queue", args=[kind]) for kind in TaskKind.values),
        reverse("reviews:formal_check", args=[check.pk]),
        reverse("reviews:search") + "?q=Köln",
    ]
    assert_pages_are_clean(client, urls)
    html = assert_page_is_clean(client, reverse("reviews:assessment", args=[assessment.pk]))
    assert 'id="assessment-form"' in html and "data-criterion" in html
    assert '<script src="/static/js/assessment.js" defer>' in html


def test_decision_and_report_check_pages_have_no_inline_code(client: Client, cast: demo.Cast) -> None:  # fmt: skip
    ensure_reviewer_profiles(cast)
    steps = ReviewSteps(cast)
    reviewed = demo.drive(cast, "reviewed", steps=steps)
    demo.drive(cast, "approved", "report_submitted", steps=steps)
    report_check = ReviewTask.objects.filter(kind=TaskKind.REPORT_CHECK).first()
    assert report_check is not None
    client.force_login(cast.manager)
    urls = [
        reverse("reviews:decisions"),
        reverse("reviews:decision", args=[reviewed.pk]),
        reverse("reviews:report_check", args=[report_check.pk]),
    ]
    assert_pages_are_clean(client, urls)


def test_finance_pages_have_no_inline_code(client: Client, cast: demo.Cast) -> None:
    demo.drive(cast, "approved", "report_due")
    client.force_login(cast.finance)
    urls = [
        reverse("finance:payments"),
        reverse("finance:batches"),
        reverse("finance:repayments"),
        reverse("finance:exports"),
        reverse("finance:ledger"),
    ]
    assert_pages_are_clean(client, urls)


# --- the admin -----------------------------------------------------------------------------------


def admin_url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_admin_page_has_no_inline_code(client: Client, cast: demo.Cast, draft: Any, rf: Any) -> None:  # fmt: skip
    """Django's admin loads its scripts from files and hands data over in data- attributes and
    <script type="application/json">: it works under the policy. Here every list, change and
    add page of every model, the transition page with its date widget and the API token's."""
    ensure_reviewer_profiles(cast)
    steps = ReviewSteps(cast)
    submitted = demo.drive(cast, "submitted", steps=steps)
    demo.drive(cast, "approved", "closed", steps=steps)
    request = rf.get("/")
    request.user = cast.admin
    client.force_login(cast.admin)
    urls = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["applications"]),
        reverse("admin:password_change"),
    ]
    for model, model_admin in admin.site._registry.items():
        if not model._meta.managed:
            continue  # django-rq's dashboard: pages over Redis, see the report
        urls.append(admin_url(model, "changelist"))
        obj = model._default_manager.order_by("pk").last()
        if obj is not None:
            urls.append(admin_url(model, "change", obj.pk))
        if model_admin.has_add_permission(request):
            urls.append(admin_url(model, "add"))
    assert_pages_are_clean(client, urls)

    programme = Programme.objects.first()
    assert programme is not None
    expires = clock.now() + timedelta(days=90)
    created = client.post(
        reverse("admin:grants_apitoken_add"),
        {
            "user": cast.funder.pk,
            "name": "Statistik",
            "programmes": [programme.pk],
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": "00:00:00",
        },
    )
    assert created.status_code == 200 and "secret" in created.context
    assert_strict_policy(created)
    assert inline_code(created.content.decode()) == []
    assert 'class="api-token-secret"' in created.content.decode()

    # A transition with a date widget (calendar and "today" shortcut), as the reviewer asks.
    client.force_login(cast.reviewer)
    url = admin_url(type(submitted), "transition", submitted.pk, "request_changes")
    transition_form = assert_page_is_clean(client, url)
    assert "admin/js/admin/DateTimeShortcuts.js" in transition_form
    assert 'class="vDateField"' in transition_form


# --- the API documentation -------------------------------------------------------------------------


def test_swagger_ui_runs_from_local_files_without_inline_code(client: Client, db: Any) -> None:
    html = assert_page_is_clean(client, "/api/docs/")
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(source.startswith("/") for source in sources), sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    assert "/static/css/api-docs.css" in sources
    start_up = [source for source in sources if "script" in source and "/api/docs/" in source]
    assert start_up == ["/api/docs/?script="], sources

    script = client.get(start_up[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    code = script.content.decode()
    assert "SwaggerUIBundle(" in code and "/api/schema/" in code
    assert '"validatorUrl": null' in code  # no badge image from validator.swagger.io
    assert client.get("/api/schema/").status_code == 200
