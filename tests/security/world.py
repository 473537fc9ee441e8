"""The world the authorization matrix walks: two organisations, their applications in every state
that matters, everything that hangs on them, and one signed-in client per role.

Organisation A (the cast's) and organisation B apply to programme X (category 1, "small-boost").
One application of B is in category 2 ("cat-2"): outside the funder token's programmes.

The roles (keys of `World.users`):

- anonymous; applicant_a, applicant_b (members of A, B);
- reviewer (no programme limit), manager, finance, admin (the cast's);
- reviewer_declared: declared a conflict (`reviews.Conflict`) on every submitted application of A;
- reviewer_domain: in conflict with A by e-mail domain (A's address and theirs share a
  non-public domain);
- reviewer_elsewhere: a reviewer whose profile lists only programme "lighthouse" (no object here);
- funder: a funder signed in on the website (a session, no token);
- funder_token: a funder's API token limited to programme X (API only).

Objects are put into their states by the real services (`demo.drive` with `ReviewSteps`), so the
audit log, tasks, reviews, ledger and payments exist as in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from applications import services
from applications.attachments import add_attachment
from applications.documents import issue_document
from applications.models import Application, AttachmentPurpose, Report
from demo import builders as demo
from demo.cofunding import ensure_ministries
from demo.reviews import DEMO_SCORES, ReviewSteps, ensure_reviewer_profiles
from demo.showcase import photo_upload, publish_project
from grants import finance
from grants import services as grant_services
from grants.api.tokens import issue_token
from grants.funders import Funder
from grants.models import (
    BudgetAllocation,
    Call,
    Grant,
    Payment,
    PaymentStatus,
    Programme,
    RepaymentClaim,
)
from organisations import services as organisation_services
from organisations.models import Invitation, Organisation
from public.models import Page, PageKind, ShowcasePolicy
from public.services import add_photo, give_consent, save_text, withdraw_consent
from reviews import services as review_services
from reviews.models import Conflict, Recommendation, Review, ReviewerProfile, ReviewTask, TaskKind
from webhooks.models import Subscription
from workflows import clock
from workflows.models import TransitionLog
from workflows.roles import Role

# The non-public domain organisation A and reviewer_domain share.
CONFLICT_DOMAIN = "koeln-lyon-partnerschaft.de"

PAGE_ROLES = (
    "anonymous",
    "applicant_a",
    "applicant_b",
    "reviewer",
    "reviewer_declared",
    "reviewer_domain",
    "reviewer_elsewhere",
    "manager",
    "finance",
    "funder",
    "admin",
)
API_ROLES = (*PAGE_ROLES, "funder_token")
REVIEWERS_IN_CONFLICT = ("reviewer_declared", "reviewer_domain")


def pdf_upload(name: str = "Einladung.pdf") -> SimpleUploadedFile:
    content = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * 200 + b"\ntrailer <<>>\n%%EOF\n"
    return SimpleUploadedFile(name, content, content_type="application/pdf")


class SecurityReviewSteps(ReviewSteps):
    """The demo's review work, with the assessment written by `assessor` and an internal comment
    that names the application (so a page that leaks another reviewer's review is seen)."""

    def __init__(self, cast: demo.Cast, *, assessor: Any = None) -> None:
        super().__init__(cast)
        self.assessor = assessor or cast.reviewer

    def _assess(self, application: Application) -> Application:
        for task in review_services.open_assessments(application):
            if task.status != "done":
                self.review(task)
        return Application.objects.get(pk=application.pk)

    def review(self, task: ReviewTask) -> Review:
        from reviews import checks

        return checks.submit_review(
            task,
            by=self.assessor,
            scores=DEMO_SCORES,
            recommendation=Recommendation.APPROVE,
            comment_internal=internal_comment(task.application),
            comment_for_applicant="Vielen Dank für den klaren Finanzierungsplan.",
        )


def internal_comment(application: Application) -> str:
    return f"Interne Notiz {application.title}"


@dataclass
class World:
    cast: demo.Cast
    users: dict[str, Any]
    organisations: dict[str, Organisation]
    programme_x: Programme
    programme_other: Programme
    # Applications by key: "<org>_<state>", e.g. "a_submitted", "b_report_submitted".
    apps: dict[str, Application] = field(default_factory=dict)
    attachments: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    tasks: dict[str, ReviewTask] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    batches: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, RepaymentClaim] = field(default_factory=dict)
    invitations: dict[str, tuple[Invitation, str]] = field(default_factory=dict)
    conflicts: dict[str, Conflict] = field(default_factory=dict)
    showcases: dict[str, Any] = field(default_factory=dict)
    photos: dict[str, Any] = field(default_factory=dict)
    allocation: BudgetAllocation | None = None
    call: Call | None = None
    grant_statuses: dict[int, str] = field(default_factory=dict)
    # The partner exchange: posts by key ("a_live", "b_live", "a_hidden", "a_expired") and
    # B's message to A's live post ("b_to_a").
    partner_posts: dict[str, Any] = field(default_factory=dict)
    # Requests for change: A's and B's sent ("a_submitted", "b_submitted"), A's draft.
    amendments: dict[str, Any] = field(default_factory=dict)
    # Interim reports (category 3 reports halfway): A's and B's sent ("a_interim_sent",
    # "b_interim_sent"), A's draft ("a_interim_draft"); keyed as their applications.
    interim_reports: dict[str, Any] = field(default_factory=dict)
    partner_messages: dict[str, Any] = field(default_factory=dict)
    # Conversations: by key "<org>_said" (a member's message with a file, on the submitted
    # application), "<org>_note" (a manager's internal note with a file), "a_offered" (a
    # message on A's offered grant); each text holds a word nobody else uses.
    messages: dict[str, Any] = field(default_factory=dict)
    # Webhook subscriptions by owner: "funder" (the signed-in funder's), "funder_token"
    # (the token holder's, programme X). Disabled: the world sends nothing.
    subscriptions: dict[str, Any] = field(default_factory=dict)
    last_log_pk: int = 0
    token_secret: str = ""
    # Calendar feeds: A's applicant's live address; B's applicant's, revoked (calendars).
    feed_secret: str = ""
    revoked_feed_secret: str = ""
    # The manager's saved filter of the decisions list (workflows.saved_filters).
    saved_filter: Any = None
    media_root: str = ""

    def grant(self, key: str) -> Grant:
        return Grant.objects.get(application=self.apps[key])

    def fresh(self, application: Application) -> Application:
        """The world's copy of an application (its status as the world was built)."""
        return next((a for a in self.apps.values() if a.pk == application.pk), application)

    def grant_status(self, application: Application) -> str | None:
        return self.grant_statuses.get(application.pk)

    @property
    def today(self) -> Any:
        return clock.today()

    def org_of(self, application: Application) -> str:
        return "A" if application.organisation_id == self.organisations["A"].pk else "B"

    def page_client(self, role: str) -> Client:
        # An error is an answer like any other (500), reported with the rest, not a crash.
        client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        if role != "anonymous":
            client.force_login(self.users[role])
        return client

    def api_client(self, role: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        if role == "funder_token":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token_secret}")
        elif role != "anonymous":
            client.force_login(self.users[role])
        return client


def build_world(cast: demo.Cast, other_applicant: Any, other_organisation: Organisation) -> World:
    """Everything the matrix asks about, written through the services (about 20 histories)."""
    fund = cast.fund
    programme_x = Programme.objects.get(fund=fund, code="small-boost")
    programme_other = Programme.objects.get(fund=fund, code="cat-2")
    lighthouse = Programme.objects.get(fund=fund, code="lighthouse")
    ensure_reviewer_profiles(cast)
    users = {
        "applicant_a": cast.applicant,
        "applicant_b": other_applicant,
        "reviewer": cast.reviewer,
        "reviewer_declared": demo.make_user("rev-declared", Role.REVIEWER),
        "reviewer_domain": demo.make_user("rev-domain", Role.REVIEWER),
        "reviewer_elsewhere": demo.make_user("rev-elsewhere", Role.REVIEWER),
        "manager": cast.manager,
        "finance": cast.finance,
        "funder": cast.funder,
        "funder_token": demo.make_user("fiona", Role.FUNDER),
        "admin": cast.admin,
    }
    users["reviewer_domain"].email = f"rita@{CONFLICT_DOMAIN}"
    users["reviewer_domain"].save(update_fields=["email"])
    # A's own account (the demo's IBAN is also the example the bank form shows to everybody).
    Organisation.objects.filter(pk=cast.organisation.pk).update(
        email=f"kontakt@{CONFLICT_DOMAIN}", iban="DE12500105170648489890", bic="INGDDEFFXXX"
    )
    cast.organisation.refresh_from_db()
    profile = ReviewerProfile.objects.create(user=users["reviewer_elsewhere"], languages=["de"])
    profile.programmes.set([lighthouse])
    _token, secret = issue_token(
        users["funder_token"], by=cast.admin, name="programme X", programmes=[programme_x]
    )
    world = World(
        cast=cast,
        users=users,
        organisations={"A": cast.organisation, "B": other_organisation},
        programme_x=programme_x,
        programme_other=programme_other,
        token_secret=secret,
    )
    _cofunders(world)
    _applications(world, other_applicant)
    _interim_reports(world)
    _money(world)
    _paperwork(world)
    _conflicts(world)
    _retried_api_call(world)
    _public_pages()
    _partner_exchange(world)
    _conversations(world)
    _showcase(world)
    _amendments(world)
    _calendars_and_filters(world)
    _webhooks(world)
    world.allocation = BudgetAllocation.objects.get(programme=programme_x, year=clock.today().year)
    world.call = Call.objects.filter(programme=lighthouse).order_by("pk").first()
    world.grant_statuses = dict(Grant.objects.values_list("application_id", "status"))
    world.last_log_pk = (
        TransitionLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    )
    return world


def _calendars_and_filters(world: World) -> None:
    """A's applicant subscribes to a calendar; B's applicant did and revoked it; the manager
    saved a filter of the decisions list."""
    from calendars.services import issue_feed, revoke_feed
    from workflows.saved_filters import save_filter

    _feed, world.feed_secret = issue_feed(world.users["applicant_a"], language="en")
    _feed, world.revoked_feed_secret = issue_feed(world.users["applicant_b"], language="en")
    revoke_feed(world.users["applicant_b"])
    world.saved_filter = save_filter(
        world.users["manager"], path="/review/decisions/", query="country=DE", name="Deutsche"
    )


def _webhooks(world: World) -> None:
    """A webhook subscription for each funder account, written as rows: the service resolves
    the receiver's host name, and the world has no network; disabled, so nothing is sent."""
    for role, programmes in (("funder", []), ("funder_token", [world.programme_x])):
        subscription = Subscription.objects.create(
            owner=world.users[role],
            name=f"Webhook {role}",
            url=f"https://hooks.example.org/{role}",
            events=["application.submitted", "grant.closed"],
            all_programmes=not programmes,
            secret=f"whsec_world_{role}",
            active=False,
        )
        subscription.programmes.set(programmes)
        world.subscriptions[role] = subscription


def _showcase(world: World) -> None:
    """Project pages of A: one published (an approved and a pending photo), one published and
    then withdrawn (410 Gone), one consented but never published (404). Their public titles are
    not the applications' titles: a public page that shows an application's title leaks it."""
    cast, applicant = world.cast, world.users["applicant_a"]
    published = publish_project(world.grant("a_settled"), by=applicant, moderator=cast.manager, title="Schaufenster Zxshowpubq", photos=1)  # fmt: skip
    pending = add_photo(published, by=applicant, upload=photo_upload(7), alt_text="Noch nicht geprüft", rights_confirmed=True)  # fmt: skip
    withdrawn = publish_project(world.grant("a_report_due"), by=applicant, moderator=cast.manager, title="Schaufenster Zxshowgoneq", photos=1)  # fmt: skip
    withdrawn = withdraw_consent(withdrawn, by=applicant)
    draft = give_consent(world.grant("a_report_submitted"), by=applicant)
    save_text(draft, by=applicant, title="Schaufenster Zxshowdraftq")
    ShowcasePolicy.objects.create(programme=world.programme_x, publishes_amount=True)
    world.showcases = {"published": published, "withdrawn": withdrawn, "draft": draft}
    world.photos = {
        "approved": published.photos.get(status="approved"),
        "pending": pending,
        "withdrawn": withdrawn.photos.get(),
    }


def _amendments(world: World) -> None:
    """A's accepted grant: a request sent (a week later, 500 EUR from travel to a stay); B's: a
    request sent (a week later; B's advance is at the bank, so the amount stays); A's second
    running grant: a draft (its organisation's alone). Each names its project in its reason."""
    from datetime import timedelta

    from demo.amendments import request_change

    for key, shift in (("a_accepted", Decimal("500.00")), ("b_accepted", None)):
        grant = world.grant(key)
        org = key[0]
        world.amendments[f"{org}_submitted"] = request_change(
            grant,
            by=world.users[f"applicant_{org}"],
            end=grant.project_end + timedelta(days=7),
            shift=shift,
            reason=f"Verschoben: {_title(key)}",
        )
    running = world.grant("a_running")
    world.amendments["a_draft"] = request_change(
        running,
        by=world.users["applicant_a"],
        shift=Decimal("300.00"),
        reason="Entwurf",
        send=False,
    )


def _public_pages() -> None:
    """The fund's texts: one published (everyone reads it), one still a draft (nobody does)."""
    Page.objects.create(kind=PageKind.IMPRINT, title_de="Impressum", body_de="Demo-Fonds, Berlin.", is_published=True)  # fmt: skip
    Page.objects.create(kind=PageKind.FAQ, title_de="Häufige Fragen", body_de="Entwurf.")


def _partner_exchange(world: World) -> None:
    """A live post of A and of B, a post of A the fund hid, one that expired; B's applicant
    wrote to A's live post (not yet answered), and a visitor reported it."""
    from datetime import timedelta

    from partners import services as partner_services
    from partners.models import PartnerPost

    fund = world.cast.fund
    for key, org, country in (("a_live", "A", "FR"), ("b_live", "B", "DE"), ("a_hidden", "A", "FR"), ("a_expired", "A", "FR")):  # fmt: skip
        world.partner_posts[key] = partner_services.create_post(
            world.organisations[org],
            fund=fund,
            by=world.users[f"applicant_{org.lower()}"],
            title=f"Gesuch Zx{key.replace('_', '')}q",
            country=country,
            text="Wir suchen Partner für eine Begegnung.",
            language="de",
        )
    partner_services.hide_post(
        world.partner_posts["a_hidden"], by=world.cast.admin, reason="Werbung"
    )
    expired = world.partner_posts["a_expired"]
    PartnerPost.objects.filter(pk=expired.pk).update(expires_on=clock.today() - timedelta(days=1))
    for key, post in world.partner_posts.items():
        world.partner_posts[key] = PartnerPost.objects.get(pk=post.pk)
    world.partner_messages["b_to_a"] = partner_services.send_message(
        world.partner_posts["a_live"],
        by=world.users["applicant_b"],
        body="Bonjour, nous aimerions vous rencontrer.",
        language="fr",
        organisation=world.organisations["B"],
    )
    partner_services.report_abuse(post=world.partner_posts["b_live"], by=None, reason="spam")


def message_text(key: str) -> str:
    return f"Nachricht Zx{key.replace('_', '')}msgq"


def _conversations(world: World) -> None:
    """A member's message with a file and a manager's internal note with a file on each
    submitted application; the fund's message on A's offered grant."""
    from conversations import services as conversation_services

    manager = world.cast.manager
    for org in ("a", "b"):
        application = world.apps[f"{org}_submitted"]
        member = world.users[f"applicant_{org}"]
        world.messages[f"{org}_said"] = conversation_services.write_message(
            application,
            by=member,
            body=message_text(f"{org}_said"),
            uploads=[pdf_upload("Frage.pdf")],
        )
        world.messages[f"{org}_note"] = conversation_services.write_message(
            application,
            by=manager,
            body=message_text(f"{org}_note"),
            internal=True,
            uploads=[pdf_upload("Notiz.pdf")],
        )
    world.messages["a_offered"] = conversation_services.write_message(
        world.apps["a_offered"], by=manager, body=message_text("a_offered")
    )


def _title(key: str) -> str:
    # A word nobody else uses, so a search or a page that shows the application is recognised.
    return f"Projekt Zx{key.replace('_', '')}q"


# The co-funder of programme "other" only: nobody limited to programme X may read it.
OTHER_FUNDER = ("XI-EORI-ZXOTHERFUNDERQ", "Zxotherfunderq-Stiftung")


def _cofunders(world: World) -> None:
    """Before any booking: programme X's budgets by the demo's two ministries, half and half;
    the other programme's by a foundation of its own."""
    admin, half = world.cast.admin, Decimal(50)
    german, french = ensure_ministries()
    identifier, name = OTHER_FUNDER
    foundation = Funder.objects.create(name_de=name, identifier=identifier, country="DE")
    for allocation in BudgetAllocation.objects.filter(programme=world.programme_x):
        grant_services.set_cofunders(allocation, [(german, half), (french, half)], by=admin)
    for allocation in BudgetAllocation.objects.filter(programme=world.programme_other):
        grant_services.set_cofunders(allocation, [(foundation, Decimal(100))], by=admin)


def _applications(world: World, other_applicant: Any) -> None:
    cast = world.cast
    orgs = {
        "a": {},
        "b": {"organisation": world.organisations["B"], "applicant": other_applicant},
    }
    steps = SecurityReviewSteps(cast)
    by_reviewer2 = SecurityReviewSteps(cast, assessor=cast.reviewer2)

    def drive(
        key: str,
        application_state: str,
        grant_state: str | None = None,
        *,
        requested: str = "4000.00",
        hooks: Any = steps,
    ) -> None:
        org = key.split("_", 1)[0]
        world.apps[key] = demo.drive(
            cast,
            application_state,
            grant_state,
            requested=Decimal(requested),
            title=_title(key),
            steps=hooks,
            **orgs[org],
        )

    for org in ("a", "b"):
        applicant = world.users[f"applicant_{org}"]
        organisation = world.organisations[org.upper()]
        # A draft with a file, and a submitted application with a file (its formal check open).
        draft = demo.make_ready_draft(
            organisation, fund=cast.fund, by=applicant, title=_title(f"{org}_draft")
        )
        world.attachments[f"{org}_draft"] = add_attachment(draft, by=applicant, upload=pdf_upload())
        world.apps[f"{org}_draft"] = draft
        submitted = demo.make_ready_draft(
            organisation, fund=cast.fund, by=applicant, title=_title(f"{org}_submitted")
        )
        world.attachments[f"{org}_submitted"] = add_attachment(
            submitted, by=applicant, upload=pdf_upload()
        )
        submitted = services.submit_application(submitted, by=applicant)
        review_services.open_formal_check(submitted)
        world.apps[f"{org}_submitted"] = submitted
    drive("a_changes_requested", "changes_requested")
    drive("a_in_review", "in_review")
    drive("b_in_review", "in_review")
    drive("a_reviewed", "reviewed", hooks=by_reviewer2)
    drive("b_reviewed", "reviewed", hooks=by_reviewer2)
    drive("a_waitlisted", "waitlisted")
    drive("a_offered", "approved", "offered")
    drive("b_offered", "approved", "offered")
    drive("a_accepted", "approved", "accepted")
    drive("b_accepted", "approved", "accepted")
    drive("a_running", "approved", "accepted")
    drive("a_report_due", "approved", "report_due")
    drive("a_report_submitted", "approved", "report_submitted")
    drive("b_report_submitted", "approved", "report_submitted")
    drive("a_settled", "approved", "settled")
    drive("a_closable", "approved", "settled")
    drive("a_cancelled", "approved", "cancelled")
    drive("b_other_programme", "submitted", requested="8000.00")
    # A grant of the other programme: its budget's co-funder is read with it, never by a
    # token limited to programme X.
    drive("b_other_granted", "approved", "accepted", requested="8000.00")
    # Category 3 needs two reviews: reviewer2 has written one, the second slot is open (the
    # reviewer who takes it must not read the first: "reviewers judge independently").
    drive("a_two_reviews", "in_review", requested="20000.00")
    # Category 3 reports halfway through the project (the demo's policy): grants whose interim
    # report A and B send, and one where A keeps a draft. Two reviews each, by the demo's two
    # reviewers (one reviewer may not assess an application twice).
    for key in ("a_interim_sent", "b_interim_sent", "a_interim_draft"):
        drive(key, "approved", "accepted", requested="12000.00", hooks=ReviewSteps(cast))
    # A's accepted grant may be published: the 360Giving package of programme X holds it (a
    # package with no grant is a 404, see the README).
    accepted = world.apps["a_accepted"]
    type(accepted).objects.filter(pk=accepted.pk).update(declarations=[*accepted.declarations, "publication"])  # fmt: skip
    for key, application in world.apps.items():
        application.refresh_from_db()
        world.apps[key] = application

    # Review tasks: the formal checks open; A's assessment claimed by the reviewer, B's open.
    for org in ("a", "b"):
        world.tasks[f"{org}_formal_check"] = ReviewTask.objects.get(
            application=world.apps[f"{org}_submitted"], kind=TaskKind.FORMAL_CHECK
        )
        world.tasks[f"{org}_assessment"] = ReviewTask.objects.filter(
            application=world.apps[f"{org}_in_review"], kind=TaskKind.ASSESSMENT
        ).first()  # type: ignore[assignment]
        world.tasks[f"{org}_report_check"] = ReviewTask.objects.get(
            application=world.apps[f"{org}_report_submitted"], kind=TaskKind.REPORT_CHECK
        )
    review_services.claim(world.tasks["a_assessment"], by=cast.reviewer)
    first, second = review_services.open_assessments(world.apps["a_two_reviews"])[:2]
    SecurityReviewSteps(cast, assessor=cast.reviewer2).review(first)
    world.tasks["a_second_slot"] = second
    for task in world.tasks.values():
        task.refresh_from_db()
    world.reviews["a_first_of_two"] = Review.objects.get(application=world.apps["a_two_reviews"])
    for org in ("a", "b"):
        world.reviews[f"{org}_reviewed"] = Review.objects.get(
            application=world.apps[f"{org}_reviewed"]
        )
        world.reviews[f"{org}_own"] = Review.objects.get(application=world.apps[f"{org}_accepted"])


def interim_progress(key: str) -> str:
    """The text of an interim report: a word nobody else uses, so a page that shows it is seen."""
    return f"Zwischenbericht Zx{key.replace('_', '')}q"


def _interim_reports(world: World) -> None:
    """A's and B's interim reports sent (their checks open), A's kept as a draft."""
    from demo.interim import write_interim_report

    for key in ("a_interim_sent", "b_interim_sent", "a_interim_draft"):
        report = write_interim_report(
            world.grant(key),
            by=world.users[f"applicant_{key[0]}"],
            progress=interim_progress(key),
            send=key != "a_interim_draft",
        )
        world.interim_reports[key] = report
        if report.status == "submitted":
            world.tasks[key.replace("_sent", "_check")] = review_services.open_interim_check(report)


def _money(world: World) -> None:
    """Payments: A's advance paid by hand, B's advance exported in a SEPA batch, A's balance
    scheduled; a repayment claim from A's cancelled grant."""
    cast = world.cast
    a_advance = Payment.objects.get(grant__application=world.apps["a_accepted"])
    if a_advance.status == PaymentStatus.SCHEDULED:
        grant_services.record_payment_paid(a_advance, by=cast.finance)
    b_advance = Payment.objects.get(grant__application=world.apps["b_accepted"])
    approved = finance.approve_payment(b_advance, by=cast.finance)
    batch = finance.create_batch([approved], by=cast.finance, execution_date=clock.today())
    world.batches["exported"] = finance.export_batch(batch, by=cast.finance)
    world.payments["a_paid"] = Payment.objects.get(pk=a_advance.pk)
    world.payments["b_exported"] = Payment.objects.get(pk=b_advance.pk)
    world.payments["a_scheduled"] = Payment.objects.filter(
        grant__application=world.apps["a_settled"], status=PaymentStatus.SCHEDULED
    ).first()  # type: ignore[assignment]
    world.claims["a"] = RepaymentClaim.objects.get(grant__application=world.apps["a_cancelled"])
    # A settled grant whose balance is paid: it may be closed.
    for payment in Payment.objects.filter(
        grant__application=world.apps["a_closable"], status=PaymentStatus.SCHEDULED
    ):
        grant_services.record_payment_paid(payment, by=cast.finance)


def _paperwork(world: World) -> None:
    """Documents, final reports, a receipt, invitations."""
    cast = world.cast
    for org in ("a", "b"):
        world.documents[org] = issue_document(world.apps[f"{org}_submitted"], kind="summary")
        world.reports[org] = Report.objects.get(
            grant__application=world.apps[f"{org}_report_submitted"]
        )
    due = world.apps["a_report_due"]
    world.attachments["a_receipt"] = add_attachment(
        due, by=cast.applicant, upload=pdf_upload("Beleg.pdf"), purpose=AttachmentPurpose.RECEIPT
    )
    for org in ("a", "b"):
        tokens: list[str] = []

        def link_for(token: str, found: list[str] = tokens) -> str:
            found.append(token)  # the secret of the link, which only the e-mail carries
            return f"/invitations/{token}/"

        invitation = organisation_services.invite_member(
            world.organisations[org.upper()],
            by=world.users[f"applicant_{org}"],
            email=f"new.member.{org}@example.org",
            link_for=link_for,
        )
        world.invitations[org] = (invitation, tokens[0])


def _conflicts(world: World) -> None:
    """reviewer_declared declares a conflict on every submitted application of A."""
    declared = world.users["reviewer_declared"]
    for key, application in world.apps.items():
        if key.startswith("a_") and application.status != "draft":
            world.conflicts[key] = review_services.declare_conflict(
                application, by=declared, note="Mitglied im Vorstand"
            )


def _retried_api_call(world: World) -> None:
    """A stored answer of the API's idempotency keys: the manager's refused approval of A's
    submitted application, sent with a key."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.cast.manager)
    client.post(
        f"/api/v1/applications/{world.apps['a_submitted'].pk}/transitions/approve/",
        {"amount": "1.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="security-retry",
    )
