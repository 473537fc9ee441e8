"""Open grants data: the fund publishes its grants as a 360Giving package and a flattened CSV,
valid against the standard, only with the grantee's consent and without any personal data."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from applications import reporting
from applications import services as application_services
from applications.models import REQUIRED_DECLARATIONS, Application, Declaration, Theme
from applications.transitions import run_application_transition
from demo import builders as demo
from demo.copies import Applicant, copy_histories, load_templates
from grants import open_data
from grants import services as grant_services
from grants.models import Grant, GrantStatus, Programme
from organisations.choices import LegalForm
from organisations.models import Organisation
from workflows import clock

# A copy of the 360Giving Data Standard schemas (CC BY 4.0, see schema/LICENSE.md).
SCHEMA_DIR = Path(__file__).with_name("schema")
CONSENTING = [*REQUIRED_DECLARATIONS, Declaration.PUBLICATION]
# RFC 3339, the profile of ISO 8601 the standard's "date-time" means.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


# --- the standard ------------------------------------------------------------------------------


def _format_checker() -> FormatChecker:
    """The formats the schema uses; date-time and uri need optional packages jsonschema lacks here.

    Without a date-time check a plain date would match both branches of awardDate's oneOf.
    """
    checker = FormatChecker()
    if "date-time" not in checker.checkers:

        @checker.checks("date-time", raises=ValueError)
        def is_datetime(value: object) -> bool:
            if not isinstance(value, str):
                return True
            if not RFC3339.match(value):
                return False
            datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            return True

    if "uri" not in checker.checkers:

        @checker.checks("uri")
        def is_uri(value: object) -> bool:
            if not isinstance(value, str):
                return True
            parts = urlsplit(value)
            return bool(parts.scheme and (parts.netloc or parts.path))

    return checker


@pytest.fixture(scope="session")
def package_schema() -> Validator:
    """The 360Giving package schema; its remote $ref to the grant schema is served locally."""
    package = json.loads((SCHEMA_DIR / "360-giving-package-schema.json").read_text())
    contents = _grant_schema()
    # Both declare draft 2020-12, but as "http://json-schema.org/...", an address the libraries
    # do not know (theirs is https): name the draft instead of letting them guess.
    for schema in (package, contents):
        assert schema["$schema"].rstrip("#").endswith("//json-schema.org/draft/2020-12/schema")
    grant = DRAFT202012.create_resource(contents)
    remote = package["properties"]["grants"]["items"]["$ref"]
    # The package names the grant schema by another release's address than the file's own $id.
    registry: Registry[Any] = Registry().with_resources([(remote, grant), (contents["$id"], grant)])
    Draft202012Validator.check_schema(package)
    Draft202012Validator.check_schema(contents)
    return Draft202012Validator(package, registry=registry, format_checker=_format_checker())


def _grant_schema() -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / "360-giving-schema.json").read_text())


# --- stories' helpers --------------------------------------------------------------------------


class Consenting(demo.StepHooks):
    """The applicant also ticks the consent to publication before submitting."""

    def run(self, obj: Any, step: str, by: Any, data: dict[str, Any]) -> Any | None:
        if step != "submit":
            return None
        draft = application_services.save_draft(obj, by=by, declarations=CONSENTING)
        return run_application_transition(draft, "submit", by=by, **data)


def drive(cast: demo.Cast, *states: str, consent: bool = True, **options: Any) -> Application:
    return demo.drive(cast, *states, steps=Consenting() if consent else None, **options)


def package(grants: Any) -> dict[str, Any]:
    return json.loads("".join(open_data.package_chunks(grants)))


def csv_rows(grants: Any) -> list[dict[str, str]]:
    text = "".join(open_data.csv_chunks(grants))
    return list(csv.DictReader(io.StringIO(text)))


def ids(records: list[dict[str, Any]]) -> set[str]:
    """The grant identifiers of JSON grants or CSV rows."""
    return {record.get("id") or record["Identifier"] for record in records}


def grant_id(grant: Grant) -> str:
    return f"360G-microgrants-{grant.application.reference}"


def everything_published() -> str:
    """Both files of every grant a caller could pass."""
    return "".join(open_data.package_chunks(Grant.objects.all())) + "".join(
        open_data.csv_chunks(Grant.objects.all())
    )


def assert_no_personal_data(text: str, *secrets: str) -> None:
    """No e-mail address, IBAN, BIC or street of any organisation, nor any of `secrets`."""
    assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", text), "an e-mail address"
    assert not re.search(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b", text), "an IBAN"
    known = list(secrets)
    for organisation in Organisation.objects.all():
        known += [organisation.iban, organisation.bic, organisation.street, organisation.email]
        known += organisation.named_group_members()
    for secret in filter(None, known):
        assert secret not in text, secret


@pytest.fixture
def french_association() -> tuple[Organisation, Any]:
    user = demo.make_user("applicant-dijon")
    organisation = demo.make_organisation(
        user,
        name="Comité de jumelage Dijon–Mainz",
        country="FR",
        city="Dijon",
        registration_id="W212001234",
        email="bureau@jumelage-dijon.example",
    )
    return organisation, user


@pytest.fixture
def informal_group() -> tuple[Organisation, Any]:
    user = demo.make_user("applicant-chor")
    organisation = demo.make_organisation(
        user,
        name="Chorgruppe Stimmen ohne Grenzen",
        legal_form=LegalForm.INFORMAL_GROUP,
        street="Karl-Liebknecht-Straße 12",
        city="Leipzig",
        registration_id="",
        group_members=["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"],
        bank_account_holder="Anna Becker",
        iban="DE02120300000000202051",
        bic="BYLADEM1001",
    )
    return organisation, user


def closed_with_repayment(cast: demo.Cast) -> Grant:
    """Awarded 4,000, advance 3,000 paid; the project cost 2,500 with 500 own funds, so the
    entitlement is 2,000 and 1,000 came back before the grant was closed."""
    grant = drive(cast, "approved", "report_due", title="Chorfahrt nach Lyon").grant
    report = reporting.save_report(
        reporting.report_for(grant, by=cast.applicant),
        by=cast.applicant,
        narrative="Frau Hildegard Beispiel hat die Fahrt geleitet.",
        results="Ein Gegenbesuch ist geplant.",
        participants={"DE": 12, "FR": 10},
        lines=[
            {"side": "expense", "category": "travel", "actual": Decimal("2500.00"), "comment": ""},
            {"side": "income", "category": "own_funds", "actual": Decimal("500.00"), "comment": ""},
        ],
        receipts=[
            {"category": "travel", "paid_on": grant.project_start, "payee": "Rheinland Reisen GmbH", "purpose": "Bus", "amount": Decimal("2500.00")},
        ],
    )  # fmt: skip
    grant = reporting.submit_report(report, by=cast.applicant)
    grant = grant_services.accept_report(grant, by=cast.reviewer2)
    grant_services.record_repayment_received(grant.repayment_claims.get(), by=cast.finance)
    return grant_services.close_grant(grant, by=cast.finance)


@pytest.fixture
def grants(
    cast: demo.Cast,
    french_association: tuple[Organisation, Any],
    informal_group: tuple[Organisation, Any],
) -> dict[str, Grant]:
    """Grants in every kind of state, all but one with the consent to publication."""
    for user, (first, last) in [
        (cast.applicant, ("Erika", "Mustermann")),
        (cast.manager, ("Max", "Entscheider")),
        (cast.finance, ("Petra", "Zahlmeister")),
        (cast.reviewer2, ("Rita", "Prüferin")),
    ]:
        user.first_name, user.last_name = first, last
        user.save()
    today = clock.today()
    dijon, dijon_user = french_association
    group, group_user = informal_group
    return {
        "closed": closed_with_repayment(cast),
        "french": drive(
            cast,
            "approved",
            "accepted",
            submitted_on=today - timedelta(days=100),
            requested=Decimal("7500.00"),
            organisation=dijon,
            applicant=dijon_user,
            title='=HYPERLINK("http://evil.example")',
        ).grant,
        "group": drive(
            cast, "approved", "report_submitted", organisation=group, applicant=group_user
        ).grant,
        "without_consent": drive(
            cast, "approved", "accepted", consent=False, title="Ohne Zustimmung"
        ).grant,
        "offered": drive(cast, "approved", "offered", title="Noch nicht angenommen").grant,
        "declined": drive(cast, "approved", "declined", title="Abgelehnt").grant,
        "cancelled": drive(cast, "approved", "cancelled", title="Abgesagt").grant,
    }


PUBLISHED = {"closed", "french", "group"}


# --- the standard ------------------------------------------------------------------------------


def test_the_package_validates_against_the_360giving_schema_with_the_demo_data(
    db: Any, package_schema: Validator
) -> None:
    call_command("seed_demo", "--size", "60", "--seed", "7", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    # seed_demo's applicants do not tick the (optional) consent: two of three do here.
    for number, pk in enumerate(Application.objects.order_by("pk").values_list("pk", flat=True)):
        if number % 3:
            Application.objects.filter(pk=pk).update(declarations=CONSENTING)
    grants = list(Grant.objects.select_related("application"))
    accepted = [g for g in grants if g.status in open_data.PUBLISHED_STATES]
    expected = {
        f"360G-microgrants-{g.application.reference}"
        for g in accepted
        if Declaration.PUBLICATION in g.application.declarations
    }
    assert len(accepted) > len(expected) > 0 and len(grants) > len(accepted)

    data = package(open_data.publishable_grants())

    package_schema.validate(data)
    assert ids(data["grants"]) == expected
    assert len(data["grants"]) == len(expected)
    assert data["version"] == "1.4"
    assert data["publisher"]["name"] == "Franco-German Citizens' Fund (demo)"
    assert ids(csv_rows(open_data.publishable_grants())) == expected
    assert_no_personal_data(everything_published(), "Erika Mustermann")


def test_the_validator_catches_what_the_standard_forbids(package_schema: Validator) -> None:
    grant = {
        "id": "360G-microgrants-BF-2026-00001",
        "title": "Begegnungswoche",
        "description": "Eine Woche Austausch.",
        "currency": "EUR",
        "amountAwarded": 4000,
        "awardDate": "2026-03-31",
        "recipientOrganization": [{"id": "360G-microgrants-ORG-1", "name": "Verein"}],
        "fundingOrganization": [{"id": "360G-microgrants-FUND-BF", "name": "Fonds"}],
        "dateModified": "2026-03-31T10:00:00+02:00",
    }
    package_schema.validate({"grants": [grant]})
    changes: list[dict[str, Any]] = [
        {"awardDate": "31.03.2026"},
        {"awardDate": "2026-02-30T10:00:00"},  # no offset: not RFC 3339
        {"dateModified": "2026-03-31"},
        {"currency": "EURO"},
        {"recipientOrganization": []},
    ]
    for change in changes:
        with pytest.raises(ValidationError):
            package_schema.validate({"grants": [{**grant, **change}]})
    with pytest.raises(ValidationError):
        package_schema.validate({"grants": []})


def test_every_grant_is_valid_and_carries_what_the_standard_asks_for(
    grants: dict[str, Grant], package_schema: Validator
) -> None:
    data = package(open_data.publishable_grants())

    package_schema.validate(data)
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["publisher"] == {
        "name": "Franco-German Citizens' Fund (demo)",
        "identifier": "360G-microgrants-FUND-BF",
    }
    french = next(g for g in data["grants"] if g["id"] == grant_id(grants["french"]))
    application = grants["french"].application
    assert french["title"] == '=HYPERLINK("http://evil.example")'  # JSON keeps the text as it is
    assert french["description"] == "Eine Woche Austausch zwischen Köln und Lyon."
    assert french["currency"] == "EUR"
    assert (french["amountAppliedFor"], french["amountAwarded"], french["amountDisbursed"]) == (7500, 7500, 0)  # fmt: skip
    assert french["awardDate"] == timezone.localtime(application.decided_at).date().isoformat()
    assert french["plannedDates"] == [
        {"startDate": grants["french"].project_start.isoformat(), "endDate": grants["french"].project_end.isoformat()}
    ]  # fmt: skip
    assert french["recipientOrganization"] == [
        {"id": "FR-RNA-W212001234", "name": "Comité de jumelage Dijon–Mainz", "addressLocality": "Dijon", "addressCountry": "FR"}
    ]  # fmt: skip
    assert french["fundingOrganization"] == [
        {"id": "360G-microgrants-FUND-BF", "name": "Franco-German Citizens' Fund (demo)"}
    ]
    assert french["grantProgramme"] == [{"code": "cat-2", "title": "Category 2"}]
    assert french["beneficiaryLocation"] == [{"name": "Dijon", "countryCode": "FR"}]
    assert french["classifications"] == [
        {"vocabulary": "360G-microgrants-themes", "code": "europe", "title": "Europe"},
        {"vocabulary": "360G-microgrants-themes", "code": "culture", "title": "music, arts and culture"},
    ]  # fmt: skip
    assert french["fromOpenCall"] == "Yes"
    assert datetime.fromisoformat(french["dateModified"]).tzinfo is not None


# --- what is published -------------------------------------------------------------------------


def test_only_accepted_grants_with_the_consent_to_publication_are_published(
    grants: dict[str, Grant],
) -> None:
    expected = {grant_id(grants[name]) for name in PUBLISHED}

    assert ids(package(open_data.publishable_grants())["grants"]) == expected
    assert ids(csv_rows(open_data.publishable_grants())) == expected
    # Whatever a caller passes, the rules hold: a grant without consent never leaves.
    assert ids(package(Grant.objects.all())["grants"]) == expected
    assert ids(csv_rows(Grant.objects.all())) == expected
    assert set(open_data.publishable_grants()) == {grants[name] for name in PUBLISHED}


def test_the_consent_is_the_applicants_publication_declaration() -> None:
    assert open_data.PUBLICATION_CONSENT == Declaration.PUBLICATION
    assert Declaration.PUBLICATION not in REQUIRED_DECLARATIONS  # optional: it must be asked


def test_the_published_themes_are_the_applications_themes_in_english() -> None:
    with translation.override("en"):
        assert {code: str(label) for code, label in Theme.choices} == open_data.THEME_LABELS


def test_a_funder_limited_to_one_programme_never_sees_another(grants: dict[str, Grant]) -> None:
    small = Programme.objects.get(code="small-boost")
    cat_2 = Programme.objects.get(code="cat-2")

    assert set(open_data.publishable_grants([small.pk])) == {grants["closed"], grants["group"]}
    assert set(open_data.publishable_grants([cat_2.pk])) == {grants["french"]}
    assert not open_data.publishable_grants([])
    assert ids(package(open_data.publishable_grants([cat_2.pk]))["grants"]) == {grant_id(grants["french"])}  # fmt: skip


def test_grants_are_listed_by_award_date(grants: dict[str, Grant]) -> None:
    listed = list(open_data.publishable_grants())
    assert listed == sorted(listed, key=lambda g: (g.application.decided_at, g.pk))
    assert [g["id"] for g in package(open_data.publishable_grants())["grants"]] == [grant_id(g) for g in listed]  # fmt: skip


def test_no_personal_data_leaves_the_fund(grants: dict[str, Grant]) -> None:
    assert_no_personal_data(
        everything_published(),
        "Rathausplatz", "Karl-Liebknecht", "50667",  # streets, postcodes
        "Anna Becker", "Jonas Wagner", "Fatma Yılmaz",  # the members of the informal group
        "Chorgruppe", "Stimmen ohne Grenzen",  # its name, which it did not consent to show
        "Erika", "Mustermann", "Entscheider", "Zahlmeister", "Prüferin",  # the cast
        "Hildegard", "Rheinland Reisen",  # the final report and its receipts
        "Dreißig Mitglieder",  # the long description: only the public summary goes out
    )  # fmt: skip


def test_organisations_are_identified_by_register_or_by_the_publisher(
    grants: dict[str, Grant], settings: Any
) -> None:
    settings.MICROGRANTS_360G_PREFIX = "360G-dfbf"  # as 360Giving hands it out
    settings.MICROGRANTS_360G_FUNDER_ID = "XI-EORI-FR12345678901"
    found = {g["title"]: g for g in package(open_data.publishable_grants())["grants"]}

    german = grants["closed"].application
    assert found[german.title]["id"] == f"360G-dfbf-{german.reference}"
    # "VR 12345" is only unique with its court, which is not stored: the publisher's own id.
    assert found[german.title]["recipientOrganization"][0]["id"] == f"360G-dfbf-ORG-{german.organisation_id}"  # fmt: skip
    group = grants["group"].application
    # An informal group that did not consent to show its name (see test_informal_groups.py).
    assert found[group.title]["recipientOrganization"][0] == {
        "id": f"360G-dfbf-ORG-{group.organisation_id}",
        "name": "informal group in Saxony",
        "addressLocality": "Leipzig",
        "addressCountry": "DE",
    }
    french = grants["french"].application
    assert found[french.title]["recipientOrganization"][0]["id"] == "FR-RNA-W212001234"
    assert {g["fundingOrganization"][0]["id"] for g in found.values()} == {"XI-EORI-FR12345678901"}


def test_a_closed_grant_with_a_repayment_shows_what_was_finally_granted_and_paid(
    grants: dict[str, Grant],
) -> None:
    grant = grants["closed"]
    assert grant.status == GrantStatus.CLOSED
    [published] = [g for g in package(open_data.publishable_grants())["grants"] if g["id"] == grant_id(grant)]  # fmt: skip
    [row] = [r for r in csv_rows(open_data.publishable_grants()) if r["Identifier"] == grant_id(grant)]  # fmt: skip

    # Applied for 4,000; paid 3,000, 1,000 came back: the final entitlement is 2,000.
    assert (published["amountAppliedFor"], published["amountAwarded"], published["amountDisbursed"]) == (4000, 2000, 2000)  # fmt: skip
    assert (row["Amount Applied For"], row["Amount Awarded"], row["Amount Disbursed"]) == ("4000.00", "2000.00", "2000.00")  # fmt: skip
    # Before the report, an accepted grant shows what was awarded and the advance paid.
    group = next(g for g in package(open_data.publishable_grants())["grants"] if g["id"] == grant_id(grants["group"]))  # fmt: skip
    assert (group["amountAwarded"], group["amountDisbursed"]) == (4000, 3000)


# --- the CSV -----------------------------------------------------------------------------------


def test_the_csv_has_the_360giving_titles_and_one_row_per_grant(grants: dict[str, Grant]) -> None:
    text = "".join(open_data.csv_chunks(open_data.publishable_grants()))
    rows = list(csv.reader(io.StringIO(text)))
    data = package(open_data.publishable_grants())

    assert not text.startswith("\ufeff")
    assert rows[0][:10] == [
        "Identifier", "Title", "Description", "Currency", "Amount Applied For", "Amount Awarded",
        "Amount Disbursed", "Award Date", "Planned Dates:Start Date", "Planned Dates:End Date",
    ]  # fmt: skip
    assert len(rows) == 1 + len(PUBLISHED)
    assert [row[0] for row in rows[1:]] == [g["id"] for g in data["grants"]]
    by_id = {row["Identifier"]: row for row in csv_rows(open_data.publishable_grants())}
    french = by_id[grant_id(grants["french"])]
    assert french["Title"] == '\'=HYPERLINK("http://evil.example")'  # never a formula in Excel
    assert french["Recipient Org:Identifier"] == "FR-RNA-W212001234"
    assert french["Recipient Org:Name"] == "Comité de jumelage Dijon–Mainz"
    assert french["Funding Org:Name"] == "Franco-German Citizens' Fund (demo)"
    assert french["Grant Programme:Code"] == "cat-2"
    assert (french["Classifications:0:Code"], french["Classifications:1:Title"], french["Classifications:2:Code"]) == ("europe", "music, arts and culture", "")  # fmt: skip
    json_french = next(g for g in data["grants"] if g["id"] == grant_id(grants["french"]))
    assert french["Award Date"] == json_french["awardDate"]
    assert french["Last Modified"] == json_french["dateModified"]


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **node}
    return node


def _titles(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A schema object's properties by their titles."""
    properties = _deref(schema, node).get("properties", {}).values()
    return {str(_deref(schema, p).get("title")): _deref(schema, p) for p in properties}


def _resolves(schema: dict[str, Any], title: str) -> bool:
    """Whether a flattened title ("Recipient Org:Identifier", "Classifications:0:Code") names a
    field of the grant schema: arrays roll up their first item or number their items."""
    node: dict[str, Any] = schema
    for part in title.split(":"):
        if part.isdigit():
            continue
        found = _titles(schema, node).get(part)
        if found is None:
            return False
        node = _deref(schema, found["items"]) if found.get("type") == "array" else found
    return "properties" not in node


def test_every_csv_column_is_a_flattened_title_of_the_standard() -> None:
    schema = _grant_schema()
    titles = [column.key for column, _path in open_data.CSV_COLUMNS]
    assert len(set(titles)) == len(titles)
    assert [title for title in titles if not _resolves(schema, title)] == []


# --- streaming ---------------------------------------------------------------------------------


@pytest.fixture
def approvals(cast: demo.Cast) -> Any:
    """A factory of published grants: copies of one closed history with consent."""
    template = drive(cast, "approved", "closed")
    history = load_templates([template.pk])[template.pk]

    def make(count: int) -> None:
        done = Grant.objects.count()
        jobs = [(history, Applicant(cast.organisation, cast.applicant, f"Treffen {done + i}")) for i in range(count - done)]  # fmt: skip
        copy_histories(jobs)
        assert open_data.publishable_grants().count() == count

    return make


def _consume(chunks: Iterator[str]) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        text = "".join(chunks)
    return text, len(queries)


def test_the_export_runs_the_same_queries_for_5_and_50_grants(
    cast: demo.Cast, approvals: Any
) -> None:
    counts = []
    for size in (5, 50):
        approvals(size)
        text, json_queries = _consume(open_data.package_chunks(open_data.publishable_grants()))
        assert len(json.loads(text)["grants"]) == size
        text, csv_queries = _consume(open_data.csv_chunks(open_data.publishable_grants()))
        assert len(text.splitlines()) == size + 1
        counts.append((json_queries, csv_queries))
    assert counts[0] == counts[1]
    assert counts[1] == (3, 2)  # the publisher, the co-funders and the grants; the last two


def test_the_package_streams_in_chunks(cast: demo.Cast, approvals: Any, monkeypatch: Any) -> None:
    approvals(5)
    monkeypatch.setattr(open_data, "GRANTS_PER_WRITE", 2)
    chunks = list(open_data.package_chunks(open_data.publishable_grants()))
    assert len(chunks) == 1 + 3  # the package's head, then 2 + 2 + 1 grants
    assert len(json.loads("".join(chunks))["grants"]) == 5


# --- the command -------------------------------------------------------------------------------


def test_the_command_writes_the_export_of_the_chosen_programmes(
    grants: dict[str, Grant], tmp_path: Path, package_schema: Validator
) -> None:
    out = io.StringIO()
    call_command("export_360giving", "--programme", "cat-2", stdout=out)
    data = json.loads(out.getvalue())
    package_schema.validate(data)
    assert ids(data["grants"]) == {grant_id(grants["french"])}

    target = tmp_path / "grants.csv"
    call_command(
        "export_360giving", "--format", "csv", "--output", str(target),
        "--programme", "small-boost", "--programme", "cat-2", stdout=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert ids(rows) == {grant_id(grants[name]) for name in PUBLISHED}


def test_the_command_writes_no_package_without_a_published_grant(db: Any, tmp_path: Path) -> None:  # fmt: skip
    target = tmp_path / "grants.json"
    with pytest.raises(CommandError, match="at least one"):
        call_command("export_360giving", "--output", str(target), stdout=io.StringIO())
    assert not target.exists()


def test_the_command_refuses_an_unknown_programme(db: Any) -> None:
    with pytest.raises(CommandError, match="nope"):
        call_command("export_360giving", "--programme", "nope", stdout=io.StringIO())
