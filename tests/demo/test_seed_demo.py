"""`manage.py seed_demo`: every state of both machines, real histories, logins, a sound ledger."""

from collections import defaultdict
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationStatus
from demo import builders as demo
from demo.management.commands.seed_demo import MIX, apportion
from demo.ranking import PROJECTS
from grants.cofunding import funder_figures
from grants.models import BudgetAllocation, Grant, GrantStatus, LedgerEntry, ReferenceCounter
from organisations.choices import LegalForm
from organisations.models import Organisation
from workflows.audit import verify_chain
from workflows.models import TransitionLog

# The applications of the call whose ranking the demo shows (demo.ranking), beside `size`.
RANKED = len(PROJECTS)


def seed(size, seed=4, **options):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", size=size, seed=seed, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def assert_references_gapless():
    numbers = defaultdict(list)
    for reference in Application.objects.exclude(reference=None).values_list(
        "reference", flat=True
    ):
        _prefix, year, number = reference.rsplit("-", 2)
        numbers[year].append(int(number))
    assert numbers
    for year, taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), year
        assert ReferenceCounter.objects.get(year=int(year)).last_number == len(taken)


@pytest.fixture(scope="class")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """One seeding of 40 applications for the tests that only read it (each in a transaction of
    its own, rolled back), itself rolled back after the last of them: the tests that seed for
    themselves need an empty database. Seeding takes seconds; the settings are those the suite's
    autouse fixtures give a test."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=str(tmp_path_factory.mktemp("seed-media")),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("applications.documents.render_pdf", lambda html: b"%PDF-1.7 stub\n")
        cache.clear()
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed(40)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


class TestFortySeededApplications:
    """What one seeding of 40 applications holds."""

    def test_french_organisations_write_their_applications_in_french(self, seeded):
        by_country = set(Application.objects.values_list("organisation__country", "language"))
        assert ("FR", "fr") in by_country and ("DE", "de") in by_country
        assert not {pair for pair in by_country if pair[0] == "FR" and pair[1] != "fr"}
        assert Application.objects.filter(language="fr", summary__startswith="Une semaine").exists()

    def test_every_state_of_both_machines_is_present(self, seeded):
        assert Application.objects.count() == 40 + RANKED
        app_states = set(Application.objects.values_list("status", flat=True))
        assert app_states == set(ApplicationStatus.values)
        grant_states = set(Grant.objects.values_list("status", flat=True))
        assert grant_states == set(GrantStatus.values)
        assert Grant.objects.count() == Application.objects.filter(status="approved").count()

    def test_histories_are_real_and_the_ledger_is_sound(self, seeded):
        assert verify_chain().ok
        # Every application that left the draft state has its log rows and a reference.
        submitted = Application.objects.exclude(status="draft")
        assert submitted.filter(reference__isnull=True).count() == 0
        logged = set(TransitionLog.objects.values_list("object_id", flat=True))
        assert {str(pk) for pk in submitted.values_list("pk", flat=True)} <= logged
        # One commitment per grant at its approval (an amended grant has its rise's too).
        approvals = LedgerEntry.objects.filter(kind="commit").exclude(note__startswith="amendment:")
        assert approvals.count() == Grant.objects.count()
        assert LedgerEntry.objects.filter(kind="pay").exists()
        for allocation in BudgetAllocation.objects.all():
            assert allocation.balances()["remaining"] >= 0, allocation
        assert_references_gapless()

    def test_a_grant_is_amended_and_a_request_waits_for_the_manager(self, seeded, client):
        from amendments.models import Amendment, AmendmentStatus

        approved = Amendment.objects.get(status=AmendmentStatus.APPROVED)
        waiting = Amendment.objects.get(status=AmendmentStatus.SUBMITTED)
        grant = approved.grant
        assert grant.project_end == approved.end_date
        assert grant.amount_awarded == approved.amount
        assert approved.grant.application.organisation.memberships.exists()
        client.force_login(demo.create_cast().manager)
        queue = client.get("/review/amendments/")
        assert queue.status_code == 200
        assert waiting.grant.application.reference.encode() in queue.content

    def test_the_budgets_are_co_financed_by_two_ministries_half_and_half(self, seeded, client):
        out, _err = seeded
        assert "co-financed by the German and the French ministry, 50/50" in out
        budgets = list(BudgetAllocation.objects.select_related("programme__fund"))
        for budget in budgets:
            shares = list(budget.shares.order_by("pk").values_list("funder__country", "percent"))
            assert shares == [("DE", 50), ("FR", 50)], budget
        figures = funder_figures(budgets)
        for budget in budgets:
            balances = budget.balances()
            for key in ("committed", "paid", "repaid"):
                assert sum(getattr(f, key) for f in figures[budget.pk]) == balances[key]
        booked = next(b for b in budgets if b.balances()["committed"] > 0)
        client.force_login(demo.create_cast().finance)
        page = client.get(reverse("finance:ledger"), {"programme": booked.programme_id, "year": booked.year})  # fmt: skip
        assert "Auswärtiges Amt (Demo)" in page.content.decode()

    def test_the_dashboard_shows_the_year_to_managers_administrators_and_the_funder(
        self, seeded, client
    ):
        from applications.models import Application

        cast = demo.create_cast()
        # This year's, unless the year has just begun: the year of the latest decision.
        decided = Application.objects.filter(decided_at__isnull=False).latest("decided_at")
        year = timezone.localtime(decided.decided_at).year
        for user in (cast.manager, cast.admin, cast.funder):
            client.force_login(user)
            page = client.get(reverse("dashboards:overview"), {"year": year})
            assert page.status_code == 200, user
            board = page.context["dashboard"]
            assert board.applications.total.count > 0, user
            assert board.applications.decided > 0 and board.has_budget, user
            budget = board.figure("budget").rows
            assert budget and budget[-1][2] > 0, user  # something committed this year
        funded = client.get(reverse("dashboards:projects"))  # the funder, signed in last
        assert funded.context["page"].paginator.count > 0

    def test_the_queues_hold_only_work_that_is_still_to_do(self, seeded):
        from reviews.models import ReviewTask

        waiting = ReviewTask.objects.filter(status__in=("open", "claimed"))
        ended = ("rejected", "withdrawn", "expired", "waitlisted", "approved")
        assert not waiting.filter(application__status__in=ended, kind__in=("formal_check", "assessment")).exists()  # fmt: skip
        assert waiting.filter(application__status="submitted", kind="formal_check").exists()

    def test_the_showcase_holds_published_projects_with_photos_and_outcomes(self, seeded, client):
        from public.models import PhotoStatus, ProjectShowcase
        from public.selectors import public_showcases

        shown = public_showcases()
        assert shown.count() >= 3
        assert ProjectShowcase.objects.filter(photos__status=PhotoStatus.APPROVED).distinct().count() >= 3  # fmt: skip
        assert shown.exclude(outcome="").exists()
        listing = client.get("/projects/")
        assert listing.status_code == 200
        page = client.get(shown.first().get_absolute_url())
        assert page.status_code == 200 and b"<img" in page.content

    def test_logins_are_printed_for_every_role_with_a_progress_bar(self, seeded):
        out, err = seeded
        assert "40/40" in err  # tqdm's bar on stderr
        assert "http://127.0.0.1:8000/admin/" in out
        rows = [
            [cell.strip() for cell in line.split("|")] for line in out.splitlines() if "|" in line
        ]
        assert ["role", "username", "password"] in rows
        for role in ("administrator", "reviewer", "programme manager", "finance officer", "funder", "applicant"):  # fmt: skip
            assert any(row[0] == role and row[2] == demo.DEMO_PASSWORD for row in rows), role
        printed = {row[1] for row in rows}
        assert {"admin", "reviewer", "manager", "finance", "funder", "applicant"} <= printed

    def test_applicants_amounts_titles_and_dates_vary(self, seeded):
        organisations = Organisation.objects.filter(applications__isnull=False).distinct()
        assert organisations.count() >= 4
        assert {"DE", "FR"} <= set(organisations.values_list("country", flat=True))
        groups = Organisation.objects.filter(legal_form=LegalForm.INFORMAL_GROUP)
        assert groups.exists()
        assert all(len(group.named_group_members()) >= 3 for group in groups)
        # The histories: categories 1 to 3; the ranking's call: category 4 (over EUR 50,000).
        histories = Application.objects.filter(call=None)
        amounts = list(histories.values_list("requested_amount", flat=True))
        assert all(0 < amount <= 50000 for amount in amounts)
        assert len(set(amounts)) > 20
        programmes = Application.objects.exclude(programme=None).values_list("programme__category")
        assert {category for (category,) in programmes} == {1, 2, 3, 4}
        called = Application.objects.exclude(call=None).values_list("requested_amount", flat=True)
        assert all(amount > 50000 for amount in called)
        assert Application.objects.values("title").distinct().count() > 20
        created = Application.objects.order_by("created_at").values_list("created_at", flat=True)
        assert (created.last() - created.first()).days > 300

    def test_the_partner_exchange_shows_posts_from_both_countries(self, seeded, client):
        from partners.models import PartnerPost

        live = PartnerPost.objects.live()
        assert set(live.values_list("country", flat=True)) == {"DE", "FR"}
        page = client.get("/partners/", HTTP_ACCEPT_LANGUAGE="en").text
        assert all(post.title in page for post in live)

    def test_conversations_with_files_and_internal_notes_are_shown_to_their_readers(self, seeded, client):  # fmt: skip
        from conversations.models import Message, MessageFile

        talked = Message.objects.values("conversation").distinct().count()
        assert talked >= 4
        assert Message.objects.filter(internal=True).count() == talked
        assert MessageFile.objects.count() == talked
        note = Message.objects.filter(internal=True, conversation__application__organisation=demo.create_cast().organisation).first()  # fmt: skip
        assert note is not None
        application = note.conversation.application
        client.force_login(demo.create_cast().applicant)
        page = client.get(f"/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE="en").text
        assert "Messages with the fund" in page and note.body not in page
        assert 'class="badge"' in page  # the fund's last answer is still unread
        client.force_login(demo.create_cast().manager)
        page = client.get(f"/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE="en").text
        assert note.body in page

    def test_a_programme_reports_halfway_and_a_grant_has_its_interim_tranche(self, seeded):
        from grants.models import Payment, Programme
        from interim.models import InterimReport

        halfway = Programme.objects.get(code="cat-3")
        assert (halfway.interim_report, halfway.interim_report_share) == ("share", 50)
        [report] = InterimReport.objects.filter(status="accepted")
        instalment = Payment.objects.get(grant=report.grant, trigger="interim_report_accepted")
        assert (instalment.amount, instalment.status) == (
            report.grant.amount_awarded / 4,
            "scheduled",
        )
        assert report.grant.status == "accepted"
        assert report.progress and report.spending.exists()
        assert "Accepted the interim report of" in seeded[0]

    def test_the_ranking_of_a_call_shows_both_lines(self, seeded, client):
        from grants.models import Call
        from reviews import ranking

        call = (
            Call.objects.filter(applications__isnull=False, programme__code="lighthouse")
            .distinct()
            .get()
        )
        manager = demo.create_cast().manager
        found = ranking.ranking_of(call, manager)
        assert len(found.rows) == RANKED
        assert 0 < found.budget_line < found.minimum_line < RANKED
        assert all(len(row.reviews) == 3 for row in found.rows)
        assert f"/review/rankings/{call.pk}/" in seeded[0]
        client.force_login(manager)
        page = client.get(f"/review/rankings/{call.pk}/", HTTP_ACCEPT_LANGUAGE="en").text
        assert 'id="budget-line"' in page and 'id="minimum-line"' in page

    def test_logins_only_prints_the_logins_without_adding_applications(self, seeded):
        out = StringIO()
        call_command("seed_demo", logins_only=True, stdout=out)
        assert Application.objects.count() == 40 + RANKED
        for _role, username, password in demo.create_cast().logins():
            assert username in out.getvalue()
            assert password in out.getvalue()


def test_beyond_the_replayed_histories_the_rest_are_sound_copies(db):
    out, err = seed(150, replay=30)
    assert "150/150" in err
    assert "replayed through the services, " in out
    assert Application.objects.count() == 150 + RANKED
    assert set(Application.objects.values_list("status", flat=True)) == set(
        ApplicationStatus.values
    )
    assert set(Grant.objects.values_list("status", flat=True)) == set(GrantStatus.values)
    # One history per title: copies carry titles of their own.
    assert Application.objects.values("title").distinct().count() > 100
    assert verify_chain().ok
    assert_references_gapless()
    approved = Application.objects.filter(status="approved")
    assert Grant.objects.count() == approved.count()
    approvals = LedgerEntry.objects.filter(kind="commit").exclude(note__startswith="amendment:")
    assert approvals.count() == Grant.objects.count()
    for allocation in BudgetAllocation.objects.all():
        balances = allocation.balances()
        assert balances["remaining"] >= 0, allocation
        assert balances["paid"] <= balances["committed"] + balances["repaid"], allocation
    # Every submitted application, copy or not, has its own audit rows.
    logged = set(TransitionLog.objects.values_list("object_id", flat=True))
    submitted = Application.objects.exclude(status="draft").values_list("pk", flat=True)
    assert {str(pk) for pk in submitted} <= logged


def test_running_twice_adds_more_without_failing(db):
    seed(3, seed=1)
    out, _err = seed(3, seed=1)
    assert Application.objects.count() == 6 + RANKED  # the ranking's call is seeded once
    assert "applicant" in out
    assert verify_chain().ok


def test_apportion_keeps_proportions_and_every_state():
    weights = [row[2] for row in MIX]
    counts = apportion(100_000, weights, at_least_one=True)
    assert sum(counts) == 100_000
    approved = sum(c for row, c in zip(MIX, counts, strict=True) if row[0] == "approved")
    assert approved == 46_000
    assert apportion(len(MIX), weights, at_least_one=True) == [1] * len(MIX)
    assert sum(apportion(7, weights, at_least_one=True)) == 7
