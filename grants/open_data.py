"""Open grants data: the 360Giving package (JSON, authoritative) and its flattened CSV.

What is published, and why:
- Grants whose offer the grantee accepted: accepted, report due, report submitted, settled,
  closed. An offer not yet accepted may still be declined or lapse, and a cancelled or revoked
  grant ends at nothing: publishing those would announce money the fund never granted (and
  then take it back in the next file).
- Only when the application carries the applicant's consent to publication.
- Only public facts: the project title and summary (the two or three sentences written for the
  public, never the long description), amounts, dates, programme, themes, and the recipient's
  name, city and country. Never a street, an e-mail, bank data, the members of an informal
  group or the name of whoever signed: the query selects whitelisted columns only.
- An informal group is private persons, and its name often names them: it is published only
  when the group consented ("group_name"), otherwise "informal group in <region>" (see
  `public_name`, which the funder API reads too).

Figures:
- amountAwarded: the final entitlement once the final report is accepted (settled, closed),
  before that the amount awarded.
- amountDisbursed: what was paid less what came back (ledger PAY - REPAY).
- awardDate: the day of the decision (in the fund's time zone); dateModified: the latest of the
  grant's audit rows, its ledger bookings and the application's last save.

Identifiers: grants `360G-<prefix>-<reference>`; a French association with its RNA number
(W + 9 digits) `FR-RNA-W...`; every other recipient `360G-<prefix>-ORG-<pk>`: a German
register number such as "VR 12345" is only unique with its court, which we do not store, so a
DE-CR identifier cannot be built. The funders (`fundingOrganization`) are the co-funders of the
grant's budget, the lead funder first, each with its org-id, name and country
(grants.funders); a budget without co-funders is financed by the fund, whose identifier is
`MICROGRANTS_360G_FUNDER_ID` when set, else `360G-<prefix>-FUND-<fund's reference prefix>`. The
CSV rolls a single funder up into "Funding Org:Identifier" and "Funding Org:Name"; when a
grant of the file has several, every grant's funders are numbered instead ("Funding
Org:0:Identifier", "Funding Org:1:Identifier", ...), as many as the most co-funded grant has.

Both writers consume `.values()` rows through `.iterator(chunk_size=...)`: a whole export is one
query for the grants (the per-grant figures are correlated subqueries), one for the co-funders
of their budgets plus, for the JSON, one for the publisher, however many grants there are.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Subquery, When
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The finance exports solve the same problems (correlated sums, streamed CSV, formula guard).
from grants.finance.exports import (
    CHUNK_SIZE,
    ROWS_PER_WRITE,
    Column,
    CsvBuffer,
    csv_cell,
)
from grants.funders import AllocationShare
from grants.languages import in_language, language_columns
from grants.lookups import ListHolds
from grants.models import Fund, Grant, GrantStatus, LedgerEntry, LedgerKind, grant_ledger_total
from grants.rules import name_is_public
from organisations.choices import Region
from workflows import clock
from workflows.models import TransitionLog

# applications.models.Declaration.PUBLICATION: grants may not import applications, a test holds
# them equal (as the codes in grants.rules).
PUBLICATION_CONSENT = "publication"
# The countries an informal group's neutral label may name; any other shows its ISO code.
COUNTRY_NAMES = {"DE": _("Germany"), "FR": _("France")}

PUBLISHED_STATES = (
    GrantStatus.ACCEPTED,
    GrantStatus.REPORT_DUE,
    GrantStatus.REPORT_SUBMITTED,
    GrantStatus.SETTLED,
    GrantStatus.CLOSED,
)
# States in which final_amount is the entitlement fixed by the accepted report.
FINAL_STATES = (GrantStatus.SETTLED, GrantStatus.CLOSED)

# Open data is read in English: theme labels, a withheld group's label, the fund's and the
# programmes' names (these fall back to German, then French, where no English one is written).
OPEN_DATA_LANGUAGE = "en"

# The published vocabulary of themes: the codes of applications.models.Theme with their English
# labels (360Giving data is read in English; the UI's German and French stay in the UI). A test
# holds them against that enum, so a new theme cannot be published without a label.
THEME_LABELS: dict[str, str] = {
    "civic": "civic engagement and intergenerational dialogue",
    "environment": "environment and sustainable development",
    "democracy": "democracy and human rights",
    "europe": "Europe",
    "history": "history and remembrance",
    "culture": "music, arts and culture",
    "health": "health and sport",
    "anti_discrimination": "anti-discrimination",
    "cohesion": "social cohesion, diversity and inclusion",
    "digital": "digital",
}

# The package schema's version field is major.minor; the bundled schema is 1.4.x.
SCHEMA_VERSION = "1.4"
DEFAULT_PREFIX = "microgrants"
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
CURRENCY = "EUR"
# Grants serialised into one chunk of the JSON stream.
GRANTS_PER_WRITE = 200
# Number in the Répertoire national des associations (France).
RNA_NUMBER = re.compile(r"^W\d{9}$")

_MONEY = models.DecimalField(max_digits=14, decimal_places=2)


# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Publisher:
    """The settings every record needs, read once per export."""

    prefix: str
    funder_id: str

    @classmethod
    def from_settings(cls) -> Publisher:
        prefix = str(getattr(settings, "MICROGRANTS_360G_PREFIX", DEFAULT_PREFIX) or DEFAULT_PREFIX)
        # Tolerate the prefix written the way 360Giving hands it out ("360G-abc").
        prefix = prefix.removeprefix("360G-")
        return cls(
            prefix=prefix, funder_id=str(getattr(settings, "MICROGRANTS_360G_FUNDER_ID", ""))
        )

    def grant_id(self, reference: str) -> str:
        return f"360G-{self.prefix}-{reference}"

    def funder(self, fund_prefix: str) -> str:
        return self.funder_id or f"360G-{self.prefix}-FUND-{fund_prefix}"

    def recipient(self, *, pk: int, country: str, registration_id: str) -> str:
        number = "".join((registration_id or "").split()).upper()
        if country == "FR" and RNA_NUMBER.match(number):
            return f"FR-RNA-{number}"
        return f"360G-{self.prefix}-ORG-{pk}"


# --- selection ---------------------------------------------------------------------------------


def _publishable(grants: models.QuerySet[Grant]) -> models.QuerySet[Grant]:
    return grants.filter(
        ListHolds(F("application__declarations"), PUBLICATION_CONSENT),
        status__in=PUBLISHED_STATES,
    )


def publishable_grants(programme_ids: Collection[int] | None = None) -> models.QuerySet[Grant]:
    """Accepted grants whose applicants consented to publication, oldest award first.

    `programme_ids` limits them to those programmes (None: every programme; empty: none).
    """
    grants = _publishable(Grant.objects.all())
    if programme_ids is not None:
        grants = grants.filter(programme_id__in=list(programme_ids))
    return grants.select_related("application__organisation", "programme__fund").order_by(
        "application__decided_at", "pk"
    )


# --- names of informal groups: the label shown where the name may not be read ------------------
# (the rule itself: grants.rules.name_is_public)


@functools.cache
def _region_names() -> dict[str, Any]:
    """ISO 3166-2 code -> label (lazy: translated when shown)."""
    return dict(Region.choices)


def group_label(country: str, region: str) -> str:
    """“informal group in North Rhine-Westphalia” (its country without a region), in the active
    language."""
    place = _region_names().get(region) or COUNTRY_NAMES.get(country) or country
    if not place:
        return gettext("informal group")
    return gettext("informal group in %(place)s") % {"place": place}


def public_name(name: str, *, legal_form: str, declarations: Any, country: str, region: str) -> str:
    """The applicant's name as funders and the public read it (see `name_is_public`)."""
    if name_is_public(legal_form, declarations):
        return str(name)
    return group_label(country, region)


# Whitelisted columns: nothing else of the organisation or the application is read.
_COLUMNS = (
    "pk",
    "application__reference",
    "application__title",
    "application__summary",
    "application__requested_amount",
    "application__themes",
    "application__declarations",
    "project_start",
    "project_end",
    "application__organisation_id",
    "application__organisation__name",
    "application__organisation__legal_form",
    "application__organisation__country",
    "application__organisation__region",
    "application__organisation__city",
    "application__organisation__registration_id",
    "programme__code",
    # The names in every language (grants/translation.py); the record takes the English one,
    # falling back like the pages do (`OPEN_DATA_LANGUAGE`).
    *language_columns("programme__name", "programme__fund__name"),
    "programme__fund__reference_prefix",
    "allocation_id",
)


def _latest(rows: models.QuerySet[Any]) -> Subquery:
    return Subquery(rows.order_by("-created_at").values("created_at")[:1])


def _rows(grants: models.QuerySet[Grant]) -> models.QuerySet[Grant, dict[str, Any]]:
    """One dict per grant with the published columns and figures; one query for all.

    The publication rules are applied again here: whatever queryset a caller passes, a grant
    without consent never leaves.
    """
    logged = TransitionLog.objects.filter(
        content_type__app_label="grants",
        content_type__model="grant",
        object_id=Cast(OuterRef("pk"), models.CharField()),
    )
    booked = LedgerEntry.objects.filter(grant=OuterRef("pk"))
    return _publishable(grants).values(
        *_COLUMNS,
        od_awarded=Case(
            When(status__in=FINAL_STATES, final_amount__isnull=False, then=F("final_amount")),
            default=F("amount_awarded"),
            output_field=_MONEY,
        ),
        od_paid=grant_ledger_total(LedgerKind.PAY),
        od_repaid=grant_ledger_total(LedgerKind.REPAY),
        od_decided=Coalesce("application__decided_at", "offered_at"),
        # Greatest() is NULL on SQLite as soon as one argument is: every one is coalesced.
        od_modified=Greatest(
            "application__updated_at",
            Coalesce(_latest(logged), "offered_at"),
            Coalesce(_latest(booked), "offered_at"),
        ),
    )


# --- one grant ---------------------------------------------------------------------------------


def _number(amount: Decimal) -> int | float:
    """A JSON number: 4000 rather than 4000.0, 1234.5 for cents."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


# --- the funders ----------------------------------------------------------------------------------

# The co-funders of each budget, as funding organisations, the lead funder first.
Funders = Mapping[int, list[dict[str, Any]]]


def funders_of(grants: models.QuerySet[Grant]) -> dict[int, list[dict[str, Any]]]:
    """The co-funders of the budgets of `grants` (only those: a funder of a budget outside the
    export never shows), by budget, as 360Giving organisations with their English names;
    one query."""
    budgets = _publishable(grants).order_by().values("allocation_id")
    found: dict[int, list[dict[str, Any]]] = {}
    for row in (
        AllocationShare.objects.filter(allocation_id__in=budgets)
        .order_by("allocation_id", "pk")
        .values(
            "allocation_id",
            "funder__identifier",
            "funder__country",
            *language_columns("funder__name"),
        )
    ):
        funder = {
            "id": row["funder__identifier"],
            "name": in_language(row, "funder__name", OPEN_DATA_LANGUAGE),
            "addressCountry": row["funder__country"],
        }
        found.setdefault(row["allocation_id"], []).append(funder)
    return found


def _funding(
    row: Mapping[str, Any], publisher: Publisher, funders: Funders
) -> list[dict[str, Any]]:
    cofunders = funders.get(row["allocation_id"])
    if cofunders:
        return [dict(funder) for funder in cofunders]
    return [
        {
            "id": publisher.funder(row["programme__fund__reference_prefix"]),
            "name": in_language(row, "programme__fund__name", OPEN_DATA_LANGUAGE),
        }
    ]


def grant_record(
    row: Mapping[str, Any], publisher: Publisher, funders: Funders | None = None
) -> dict[str, Any]:
    """The 360Giving grant object of one row of `_rows` (`funders`: `funders_of` the export)."""
    title = row["application__title"]
    country = row["application__organisation__country"] or ""
    city = row["application__organisation__city"] or ""
    name = row["application__organisation__name"]
    if not name_is_public(
        row["application__organisation__legal_form"], row["application__declarations"]
    ):
        with translation.override(OPEN_DATA_LANGUAGE):
            name = group_label(country, row["application__organisation__region"] or "")
    recipient: dict[str, Any] = {
        "id": publisher.recipient(
            pk=row["application__organisation_id"],
            country=country,
            registration_id=row["application__organisation__registration_id"],
        ),
        "name": name,
    }
    location: dict[str, Any] = {}
    if city:
        recipient["addressLocality"] = location["name"] = city
    if country:
        recipient["addressCountry"] = location["countryCode"] = country
    themes = row["application__themes"] if isinstance(row["application__themes"], list) else []
    record: dict[str, Any] = {
        "id": publisher.grant_id(row["application__reference"] or f"GRANT-{row['pk']}"),
        "title": title,
        "description": row["application__summary"] or title,
        "currency": CURRENCY,
        "amountAppliedFor": _number(row["application__requested_amount"]),
        "amountAwarded": _number(row["od_awarded"]),
        "amountDisbursed": _number(row["od_paid"] - row["od_repaid"]),
        "awardDate": timezone.localtime(row["od_decided"]).date().isoformat(),
        "plannedDates": [
            {
                "startDate": row["project_start"].isoformat(),
                "endDate": row["project_end"].isoformat(),
            }
        ],
        "recipientOrganization": [recipient],
        "fundingOrganization": _funding(row, publisher, funders or {}),
        "grantProgramme": [
            {
                "code": row["programme__code"],
                "title": in_language(row, "programme__name", OPEN_DATA_LANGUAGE),
            }
        ],
    }
    if location:
        record["beneficiaryLocation"] = [location]
    classifications = [
        {"vocabulary": f"360G-{publisher.prefix}-themes", "code": code, "title": THEME_LABELS[code]}
        for code in themes
        if code in THEME_LABELS
    ]
    if classifications:
        record["classifications"] = classifications
    # Anyone may apply, on a rolling basis or to a call.
    record["fromOpenCall"] = "Yes"
    record["dateModified"] = timezone.localtime(row["od_modified"]).isoformat(timespec="seconds")
    return record


# --- the JSON package --------------------------------------------------------------------------


def package_metadata(publisher: Publisher | None = None) -> dict[str, Any]:
    """The package-level fields: schema version, title, issue time, licence, publisher."""
    publisher = publisher or Publisher.from_settings()
    fund = Fund.objects.order_by("pk").only("name", "reference_prefix").first()
    with translation.override(OPEN_DATA_LANGUAGE):
        name = fund.name if fund else ""
    meta: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "title": f"{name}: grants (360Giving)" if name else "Grants (360Giving)",
        "issued": timezone.localtime(clock.now()).isoformat(timespec="seconds"),
        "license": str(getattr(settings, "MICROGRANTS_360G_LICENSE", DEFAULT_LICENSE)),
    }
    if fund is not None:
        meta["publisher"] = {"name": name, "identifier": publisher.funder(fund.reference_prefix)}
    return meta


NO_PUBLISHED_GRANT = _(
    "No grant is published in this scope yet, and a 360Giving package holds at least one."
)


def package_chunks(grants: models.QuerySet[Grant]) -> Iterator[str]:
    """The 360Giving package `{..., "grants": [...]}` as text, a few hundred grants per chunk.

    With no grant the package still parses, but the schema wants at least one: callers answer
    NO_PUBLISHED_GRANT instead (the API with 404, the command with an error).
    """
    publisher = Publisher.from_settings()
    head = json.dumps(package_metadata(publisher), ensure_ascii=False)
    yield head[:-1] + ', "grants": ['
    funders = funders_of(grants)
    parts: list[str] = []
    separator = ""
    for row in _rows(grants).iterator(chunk_size=CHUNK_SIZE):
        record = grant_record(row, publisher, funders)
        parts.append(separator + json.dumps(record, ensure_ascii=False))
        separator = ", "
        if len(parts) == GRANTS_PER_WRITE:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts) + "]}"


# --- the flattened CSV -------------------------------------------------------------------------

Path = tuple[str | int, ...]


def csv_columns(funders: int = 1) -> tuple[tuple[Column, Path], ...]:
    """360Giving's flattened column titles with the path of each value in the grant object.

    A single recipient, programme, date range and location roll up into "Title:Field", and so
    does the funder when no grant has more than one (`funders`); otherwise the funders are
    numbered ("Funding Org:1:Name"), as the themes always are ("Classifications:0:Code"), one
    group per possible theme.
    """
    if funders > 1:
        funding: list[tuple[str, Path, str]] = []
        for i in range(funders):
            funding += [
                (f"Funding Org:{i}:Identifier", ("fundingOrganization", i, "id"), "text"),
                (f"Funding Org:{i}:Name", ("fundingOrganization", i, "name"), "text"),
            ]
    else:
        funding = [
            ("Funding Org:Identifier", ("fundingOrganization", 0, "id"), "text"),
            ("Funding Org:Name", ("fundingOrganization", 0, "name"), "text"),
        ]
    plain: list[tuple[str, Path, str]] = [
        ("Identifier", ("id",), "text"),
        ("Title", ("title",), "text"),
        ("Description", ("description",), "text"),
        ("Currency", ("currency",), "text"),
        ("Amount Applied For", ("amountAppliedFor",), "amount"),
        ("Amount Awarded", ("amountAwarded",), "amount"),
        ("Amount Disbursed", ("amountDisbursed",), "amount"),
        ("Award Date", ("awardDate",), "text"),
        ("Planned Dates:Start Date", ("plannedDates", 0, "startDate"), "text"),
        ("Planned Dates:End Date", ("plannedDates", 0, "endDate"), "text"),
        ("Recipient Org:Identifier", ("recipientOrganization", 0, "id"), "text"),
        ("Recipient Org:Name", ("recipientOrganization", 0, "name"), "text"),
        ("Recipient Org:City", ("recipientOrganization", 0, "addressLocality"), "text"),
        ("Recipient Org:Country", ("recipientOrganization", 0, "addressCountry"), "text"),
        *funding,
        ("Grant Programme:Code", ("grantProgramme", 0, "code"), "text"),
        ("Grant Programme:Title", ("grantProgramme", 0, "title"), "text"),
        ("Beneficiary Location:Name", ("beneficiaryLocation", 0, "name"), "text"),
        ("Beneficiary Location:Country Code", ("beneficiaryLocation", 0, "countryCode"), "text"),
        ("From An Open Call?", ("fromOpenCall",), "text"),
        ("Last Modified", ("dateModified",), "text"),
    ]
    for i in range(len(THEME_LABELS)):
        plain += [
            (f"Classifications:{i}:Vocabulary", ("classifications", i, "vocabulary"), "text"),
            (f"Classifications:{i}:Code", ("classifications", i, "code"), "text"),
            (f"Classifications:{i}:Title", ("classifications", i, "title"), "text"),
        ]
    return tuple((Column(title, kind), path) for title, path, kind in plain)


CSV_COLUMNS = csv_columns()


def _pick(record: Mapping[str, Any], path: Path) -> Any:
    value: Any = record
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, Sequence) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value


def csv_chunks(grants: models.QuerySet[Grant]) -> Iterator[str]:
    """The grants as 360Giving's flattened CSV: header, then one row per grant, streamed.

    UTF-8 without a byte order mark and with commas, as 360Giving's tools read it (the finance
    exports are for Excel instead); a text cell Excel would take for a formula gets a leading
    apostrophe. The values are those of the JSON package, so both always agree.
    """
    publisher = Publisher.from_settings()
    funders = funders_of(grants)
    columns = csv_columns(max((len(found) for found in funders.values()), default=1))
    out = CsvBuffer()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column, _path in columns])
    yield out.take()
    pending = 0
    for row in _rows(grants).iterator(chunk_size=CHUNK_SIZE):
        record = grant_record(row, publisher, funders)
        writer.writerow([csv_cell(_pick(record, path), column) for column, path in columns])
        pending += 1
        if pending == ROWS_PER_WRITE:
            yield out.take()
            pending = 0
    if pending:
        yield out.take()
