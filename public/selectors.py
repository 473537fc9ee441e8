"""What the public pages show, chosen here: programmes on offer with the rules of their policy,
the calls open now or soon, and the showcase of funded projects (only what the organisation
consented to and staff published, copied from whitelisted columns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.paginator import Page as Page_
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from applications.models import Partner, Theme
from grants.languages import in_language, language_columns
from grants.models import Call, Fund, Grant, Intake, Programme
from organisations.choices import Region
from organisations.models import informal_group_label
from public import rules
from public.models import (
    FUNDED_STATES,
    OUTCOME_STATES,
    Page,
    PhotoStatus,
    ProjectFormat,
    ProjectShowcase,
    ShowcasePhoto,
    ShowcaseStatus,
    folded,
)
from workflows import clock
from workflows.engine import transition_table


def _states_after_funding() -> tuple[str, ...]:
    """The states a funded grant can reach in which it is funded no more (revoked, cancelled),
    read from the grant's state machine, so that a state added later is counted too."""
    steps = transition_table(Grant)
    reached: set[str] = set(FUNDED_STATES)
    frontier: list[str] = list(FUNDED_STATES)
    while frontier:
        state = frontier.pop()
        for source, _name, target in steps:
            if source in (state, "*") and target not in reached:
                reached.add(target)
                frontier.append(target)
    return tuple(sorted(reached - set(FUNDED_STATES)))


# A page can be published only for a funded grant (services._check_funded), so a published
# page is off the public side exactly when its grant has since reached one of these: a small
# set of grants, which the lists exclude without joining every grant to test its state.
LEFT_FUNDING_STATES = _states_after_funding()
# Calls that open within this many days are announced beside the open ones.
ANNOUNCE_CALLS_DAYS = 90


@dataclass(frozen=True)
class ProgrammeOffer:
    """A programme as a visitor reads it: the rules from its policy and its calls."""

    programme: Programme
    open_calls: list[Call] = field(default_factory=list)
    coming_calls: list[Call] = field(default_factory=list)

    @property
    def rolling(self) -> bool:
        return self.programme.intake == Intake.ROLLING

    @property
    def earliest_start(self) -> date:
        """The first day a project applied for today may start (the lead time)."""
        return clock.today() + timedelta(days=self.programme.lead_time_days)


def programmes_on_offer(fund: Fund, *, today: date | None = None) -> list[ProgrammeOffer]:
    """The fund's active programmes by category, each with its open and coming calls. Two
    queries, whatever the number of programmes and calls."""
    today = today or clock.today()
    programmes = list(fund.programmes.filter(is_active=True).order_by("category", "code", "pk"))
    calls = Call.objects.filter(
        programme__in=programmes,
        closes_on__gte=today,
        opens_on__lte=today + timedelta(days=ANNOUNCE_CALLS_DAYS),
    ).order_by("closes_on", "pk")
    open_calls: dict[int, list[Call]] = {programme.pk: [] for programme in programmes}
    coming_calls: dict[int, list[Call]] = {programme.pk: [] for programme in programmes}
    by_pk = {programme.pk: programme for programme in programmes}
    for call in calls:
        call.programme = by_pk[call.programme_id]  # the page names it; no query per call
        (open_calls if call.is_open(today) else coming_calls)[call.programme_id].append(call)
    return [
        ProgrammeOffer(programme, open_calls[programme.pk], coming_calls[programme.pk])
        for programme in programmes
    ]


def published_pages() -> QuerySet[Page]:
    """The fund's texts staff have published (drafts stay in the admin)."""
    return Page.objects.filter(is_published=True)


# --- the showcase of funded projects -----------------------------------------------------------
#
# What a visitor reads of a project is copied into `PublicProject` from whitelisted columns: the
# templates never hold an organisation, an application or a user, so no street, e-mail, IBAN,
# member name, internal note or score can reach them by a slip of a template.

PROJECTS_PER_PAGE = 24
COUNTRY_NAMES = {"DE": _("Germany"), "FR": _("France")}
# Lazy labels, read in the reader's language; built once, not for each project of a page.
REGION_NAMES: dict[str, Any] = dict(Region.choices)
THEME_NAMES: dict[str, Any] = dict(Theme.choices)
FORMAT_NAMES: dict[str, Any] = dict(ProjectFormat.choices)
# The columns the public pages read, and nothing else: plain rows, never model instances (no
# organisation, application or user reaches a template, and 24 cards cost no 120 instances).
PUBLIC_COLUMNS = (
    "id", "slug", "title", "summary", "places", "project_format", "outcome",
    "grant__status", "grant__amount_awarded", "grant__project_start", "grant__project_end",
    # The programme's name in every language: the reader's may be empty and fall back.
    *language_columns("grant__programme__name"),
    "grant__programme__showcase_policy__publishes_amount",
    "grant__application_id",
    # Copied from the organisation and application (services.copy_public_fields).
    "organisation_name", "city", "country", "region", "themes",
)  # fmt: skip


@dataclass(frozen=True)
class PublicPartner:
    name: str
    city: str
    country: str

    @property
    def country_name(self) -> str:
        return str(COUNTRY_NAMES.get(self.country, self.country))


@dataclass(frozen=True)
class PublicPhoto:
    pk: int
    url: str
    alt_text: str
    caption: str
    width: int
    height: int


@dataclass(frozen=True)
class PublicProject:
    """A showcased project as anyone may read it."""

    pk: int
    slug: str
    url: str
    title: str
    summary: str
    places: str
    project_format: str
    outcome: str
    organisation: str
    city: str
    country: str
    region: str
    programme: str
    themes: list[str]
    start: date
    end: date
    amount: Decimal | None
    partners: list[PublicPartner]
    photos: list[PublicPhoto]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Town twinning pairs: the organisation's city ⇄ each partner's city abroad."""
        return [
            (self.city, p.city)
            for p in self.partners
            if p.city and self.city and p.country != self.country
        ]

    @property
    def country_name(self) -> str:
        return str(COUNTRY_NAMES.get(self.country, self.country))

    @property
    def region_name(self) -> str:
        return str(REGION_NAMES.get(self.region, ""))

    @property
    def theme_names(self) -> list[str]:
        labels = THEME_NAMES
        return [str(labels[code]) for code in self.themes if code in labels]

    @property
    def format_name(self) -> str:
        return str(FORMAT_NAMES.get(self.project_format, ""))

    @property
    def year(self) -> int:
        return self.start.year


def public_showcases() -> QuerySet[ProjectShowcase]:
    """Showcases anyone may read: published by staff, consent standing (a withdrawal moves the
    status), and the grant still funded (accepted or later, not revoked or cancelled)."""
    left_funding = Grant.objects.filter(status__in=LEFT_FUNDING_STATES).values("pk")
    return ProjectShowcase.objects.filter(status=ShowcaseStatus.PUBLISHED).exclude(
        grant__in=left_funding
    )


def _public_rows(queryset: QuerySet[ProjectShowcase]) -> QuerySet[ProjectShowcase, dict[str, Any]]:  # fmt: skip
    return queryset.values(*PUBLIC_COLUMNS)


def _partners_of(rows: list[dict[str, Any]]) -> dict[int, list[PublicPartner]]:
    """The partners of each row's application, by application pk. One query."""
    found: dict[int, list[PublicPartner]] = {}
    partners = (
        Partner.objects.filter(application_id__in={row["grant__application_id"] for row in rows})
        .order_by("id")
        .values_list("application_id", "name", "city", "country")
    )
    for application, name, city, country in partners:
        found.setdefault(application, []).append(PublicPartner(name, city, country))
    return found


def _photos_of(photos: QuerySet[ShowcasePhoto]) -> dict[int, list[tuple[Any, ...]]]:
    """(pk, alt text, caption, width, height) of the photos, by showcase pk. One query."""
    found: dict[int, list[tuple[Any, ...]]] = {}
    columns = ("showcase_id", "id", "alt_text", "caption", "width", "height")
    for showcase, *photo in photos.order_by("uploaded_at", "id").values_list(*columns):
        found.setdefault(showcase, []).append(tuple(photo))
    return found


def _approved_photos_of(rows: list[dict[str, Any]]) -> dict[int, list[tuple[Any, ...]]]:
    return _photos_of(
        ShowcasePhoto.objects.filter(
            showcase_id__in=[row["id"] for row in rows], status=PhotoStatus.APPROVED
        )
    )


def as_public_projects(
    rows: list[dict[str, Any]], *, photos: dict[int, list[tuple[Any, ...]]] | None = None
) -> list[PublicProject]:
    """The public copies of showcase rows (read with `_public_rows`), with their partners and
    approved photos (or the `photos` given: the preview's). Two queries for any number of rows.
    The organisation's name, town and region and the themes are the showcase's copies; an
    informal group has no name there (private persons: never the group's name, it often names
    them)."""
    if not rows:
        return []
    partners = _partners_of(rows)
    photos = _approved_photos_of(rows) if photos is None else photos
    language = translation.get_language()
    return [
        _public_project(
            row, partners.get(row["grant__application_id"], []), photos.get(row["id"], []), language
        )
        for row in rows
    ]


def _public_project(
    row: dict[str, Any],
    partners: list[PublicPartner],
    photos: list[tuple[Any, ...]],
    language: str | None,
) -> PublicProject:
    slug = row["slug"]
    city = row["city"]
    return PublicProject(
        pk=row["id"],
        slug=slug,
        url=reverse("public:project", kwargs={"slug": slug}),
        title=row["title"],
        summary=row["summary"],
        places=row["places"],
        project_format=row["project_format"],
        outcome=row["outcome"] if row["grant__status"] in OUTCOME_STATES else "",
        organisation=row["organisation_name"] or informal_group_label(city),
        city=city,
        country=row["country"],
        region=row["region"],
        programme=in_language(row, "grant__programme__name", language),
        themes=row["themes"].split(),
        start=row["grant__project_start"],
        end=row["grant__project_end"],
        amount=(
            row["grant__amount_awarded"]
            if row["grant__programme__showcase_policy__publishes_amount"]
            else None
        ),
        partners=partners,
        photos=[
            PublicPhoto(
                pk=pk,
                url=reverse("public:project_photo", kwargs={"slug": slug, "photo": pk}),
                alt_text=alt_text,
                caption=caption,
                width=width,
                height=height,
            )
            for pk, alt_text, caption, width, height in photos
        ],
    )


@dataclass(frozen=True)
class ProjectFilters:
    """The list's filters, already checked (an unknown value is dropped)."""

    q: str = ""
    theme: str = ""
    region: str = ""
    country: str = ""
    year: int | None = None
    project_format: str = ""
    programme: int | None = None


def filter_showcases(queryset: QuerySet[ProjectShowcase], filters: ProjectFilters) -> QuerySet[ProjectShowcase]:  # fmt: skip
    """The filters on the showcase's own columns (copies of the organisation's region and
    country, the programme, the start year and the themes): no join per project."""
    if filters.theme:
        queryset = queryset.filter(themes__contains=f" {filters.theme} ")
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.country:
        queryset = queryset.filter(country=filters.country)
    if filters.year is not None:
        queryset = queryset.filter(year=filters.year)
    if filters.project_format:
        queryset = queryset.filter(project_format=filters.project_format)
    if filters.programme is not None:
        queryset = queryset.filter(programme_id=filters.programme)
    # Every word of the search, folded like the search column (lower case, no accents: "Koln"
    # finds "Köln"); `contains` on the folded column needs no UPPER() per row on PostgreSQL.
    for word in folded(filters.q).split():
        queryset = _containing(queryset, word)
    return queryset


# SQLite's trigram index of the search column (public migration 0006): the showcases whose
# column contains a phrase.
SQLITE_SEARCH = "SELECT rowid FROM public_showcase_search WHERE public_showcase_search MATCH %s"
TRIGRAM = 3


def _containing(queryset: QuerySet[ProjectShowcase], word: str) -> QuerySet[ProjectShowcase]:
    """The projects whose search column contains `word` anywhere. On SQLite a word of three
    letters or more is looked up in the trigram index (a phrase of trigrams is found exactly
    where `LIKE '%word%'` finds it); shorter words, and PostgreSQL with its trigram index on
    the column itself, use `contains`."""
    if connections[queryset.db].vendor == "sqlite" and len(word) >= TRIGRAM:
        phrase = '"' + word.replace('"', '""') + '"'
        found = RawSQL(SQLITE_SEARCH, (phrase,))  # noqa: S611 (constant SQL, the word a parameter)
        return queryset.filter(pk__in=found)
    return queryset.filter(search_text__contains=word)


class _CountedPaginator(Paginator):
    """A paginator told its count (the unfiltered list's, already known): no COUNT query."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def project_page(
    filters: ProjectFilters, number: Any, *, unfiltered_count: int | None = None
) -> tuple[Page_, list[PublicProject]]:
    """One page of the published projects that match; four queries (count, rows, partners,
    photos) however many there are on it, three without filters when `unfiltered_count` (the
    sum of `projects_by_programme`) is given."""
    queryset = _public_rows(filter_showcases(public_showcases(), filters)).order_by(
        "-published_at", "-id"
    )
    if unfiltered_count is not None and filters == ProjectFilters():
        paginator: Paginator = _CountedPaginator(queryset, PROJECTS_PER_PAGE, count=unfiltered_count)  # fmt: skip
    else:
        paginator = Paginator(queryset, PROJECTS_PER_PAGE)
    page = paginator.get_page(number)
    return page, as_public_projects(list(page.object_list))


def public_project(slug: str) -> PublicProject | None:
    """The published project at this address, or None. Three queries."""
    found = as_public_projects(list(_public_rows(public_showcases()).filter(slug=slug)[:1]))
    return found[0] if found else None


def project_preview(showcase: ProjectShowcase) -> PublicProject:
    """The page as it would be published, with every photo but the hidden ones (the grantee's
    and the moderators' preview)."""
    rows = list(_public_rows(ProjectShowcase.objects.filter(pk=showcase.pk)))
    shown = ShowcasePhoto.objects.filter(showcase=showcase).exclude(status=PhotoStatus.HIDDEN)
    return as_public_projects(rows, photos=_photos_of(shown))[0]


def is_gone(slug: str) -> bool:
    """Whether the page at this address was public once and is not now (410 Gone, not 404):
    consent withdrawn, hidden by staff, or the grant revoked or cancelled."""
    once = ProjectShowcase.objects.filter(slug=slug, first_published_at__isnull=False)
    return once.exists() and not public_showcases().filter(slug=slug).exists()


def projects_by_programme() -> dict[int, int]:
    """Published projects per programme pk (programmes without any left out). One query: its
    sum is the count of the unfiltered list. An index-only count of the copied programme (the
    index holds the grant too, for `public_showcases`' exclusion)."""
    rows = public_showcases().order_by().values("programme_id").annotate(n=Count("*"))
    return {programme: n for programme, n in rows.values_list("programme_id", "n") if n > 0}


def programmes_with_projects(by_programme: dict[int, int] | None = None) -> list[tuple[int, str]]:
    """(pk, name) of the programmes with a published project, for the list's filter. Two
    queries, one when `by_programme` (from `projects_by_programme`) is given."""
    if by_programme is None:
        by_programme = projects_by_programme()
    rows = (
        Programme.objects.filter(pk__in=list(by_programme))
        .order_by("category", "pk")
        .values_list("pk", "name")
    )
    return list(rows)


def counts_by_region(filters: ProjectFilters | None = None) -> dict[str, int]:
    """Published projects per region code (Land or région of the organisation). One query."""
    queryset = public_showcases()
    if filters is not None:
        queryset = filter_showcases(queryset, filters)
    rows = queryset.order_by().values("region").annotate(n=Count("id")).values_list("region", "n")
    return {region: n for region, n in rows if region}


def photo_to_serve(slug: str, photo_pk: int, user: Any) -> tuple[ShowcasePhoto | None, bool]:
    """The stored photo behind a public address, and whether it is public: an approved photo
    of a published project for anyone; any photo of the showcase for its organisation's
    members and the moderators (the preview); (None, False) for anything else."""
    photo = ShowcasePhoto.objects.filter(pk=photo_pk, showcase__slug=slug).first()
    if photo is None:
        return None, False
    if (
        photo.status == PhotoStatus.APPROVED
        and public_showcases().filter(pk=photo.showcase_id).exists()
    ):
        return photo, True
    if ShowcasePhoto.objects.visible_to(user).filter(pk=photo.pk).exists():
        return photo, False
    return None, False


def showcase_of(application_pk: int, user: Any) -> tuple[Grant, ProjectShowcase | None]:
    """The grant of an application `user` may manage the showcase of, and its showcase (None
    before consent); Http404 for anyone else (also staff: they moderate in the admin)."""
    grant = (
        Grant.objects.visible_to(user)
        .select_related("application__organisation")
        .filter(application__pk=application_pk)  # a huge id finds nothing (no overflow)
        .first()
    )
    if grant is None or not rules.may_manage_showcase(grant, user):
        raise Http404
    return grant, ProjectShowcase.objects.filter(grant=grant).first()
