"""How search engines and feed readers find the public side: robots.txt, a sitemap with every
public page in each language (hreflang alternates), and an Atom feed of open calls and newly
published projects. Built on Django's sitemaps and syndication frameworks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_safe

from grants.models import Call, site_fund
from partners.models import PartnerPost
from public import selectors
from public.language import LANGUAGE_PARAMETER
from public.models import Page, ProjectShowcase
from workflows import clock

# Areas behind sign-in: nothing there for a search engine, and asking costs the fund's server.
SIGNED_IN_AREAS = (
    "/admin/",
    "/api/",
    "/accounts/",
    "/review/",
    "/finance/",
    "/start/",
    "/applications/",
    "/organisations/",
    "/attachments/",
    "/documents/",
    "/invitations/",
    "/i18n/",
)
FEED_ENTRIES = 50


def in_current_language(path: str) -> str:
    """`path` as the address of the active language (`?lang=fr`)."""
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{LANGUAGE_PARAMETER}={get_language()}"


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {area}" for area in SIGNED_IN_AREAS]
    lines += ["Allow: /", "", f"Sitemap: {request.build_absolute_uri(reverse('public:sitemap'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


class PublicSitemap(Sitemap):
    """Every item in each language, with the other languages as alternates."""

    i18n = True
    alternates = True
    x_default = True

    def location(self, item: object) -> str:
        return in_current_language(self.path_of(item))

    def path_of(self, item: object) -> str:  # pragma: no cover - each section says
        raise NotImplementedError


class FrontPagesSitemap(PublicSitemap):
    """The public side's own pages (the home page, the lists)."""

    changefreq = "daily"
    priority = 0.8

    def items(self) -> list[str]:
        return list(FRONT_PAGES)

    def path_of(self, item: object) -> str:
        return reverse(str(item))


class TextPagesSitemap(PublicSitemap):
    """The fund's published texts (guidelines, FAQ ...)."""

    changefreq = "monthly"
    priority = 0.5

    def items(self) -> list[Page]:
        return list(selectors.published_pages())

    def path_of(self, item: object) -> str:
        assert isinstance(item, Page)
        return item.get_absolute_url()

    def lastmod(self, item: Page) -> datetime:
        return item.updated_at


class PartnerPostsSitemap(PublicSitemap):
    """The partner exchange's live posts (open, not hidden, not expired)."""

    changefreq = "weekly"
    priority = 0.4

    def items(self) -> list[PartnerPost]:
        return list(PartnerPost.objects.live().order_by("-created_at", "-pk"))

    def path_of(self, item: object) -> str:
        assert isinstance(item, PartnerPost)
        return item.get_absolute_url()

    def lastmod(self, item: PartnerPost) -> datetime:
        return item.updated_at


class ProjectsSitemap(PublicSitemap):
    """The published projects of the showcase."""

    changefreq = "weekly"
    priority = 0.6

    def items(self) -> list[ProjectShowcase]:
        return list(
            selectors.public_showcases()
            .order_by("-published_at", "-pk")
            .only("pk", "slug", "status", "published_at", "updated_at")
        )

    def path_of(self, item: object) -> str:
        assert isinstance(item, ProjectShowcase)
        return item.get_absolute_url()

    def lastmod(self, item: ProjectShowcase) -> datetime:
        return item.updated_at


# Names of the public lists and pages without arguments, in the sitemap's order.
FRONT_PAGES: list[str] = [
    "public:home",
    "public:projects",
    "public:project_map",
    "public:figures",
    "partners:list",
]
SITEMAPS: dict[str, type[Sitemap]] = {
    "front": FrontPagesSitemap,
    "projects": ProjectsSitemap,
    "texts": TextPagesSitemap,
    "partners": PartnerPostsSitemap,
}


@dataclass(frozen=True)
class FeedEntry:
    key: str  # unique and stable: the entry's id in the feed
    title: str
    summary: str
    path: str
    published: datetime


def open_call_entries() -> list[FeedEntry]:
    """The calls open today, announced from the day they opened."""
    fund = site_fund()
    if fund is None:
        return []
    today = clock.today()
    calls = (
        Call.objects.filter(programme__fund=fund, opens_on__lte=today, closes_on__gte=today)
        .select_related("programme")
        .order_by("-opens_on", "pk")
    )
    return [
        FeedEntry(
            key=f"call-{call.pk}",
            title=gettext("Open call: %(title)s") % {"title": call.title},
            summary=gettext("%(programme)s – apply by %(day)s")
            % {"programme": call.programme.name, "day": call.closes_on.isoformat()},
            path=reverse("public:home") + f"#call-{call.pk}",
            published=timezone.make_aware(datetime.combine(call.opens_on, time(8))),
        )
        for call in calls
    ]


def published_project_entries() -> list[FeedEntry]:
    """The newest published projects."""
    showcases = (
        selectors.public_showcases()
        .order_by("-published_at", "-pk")
        .only("pk", "slug", "status", "title", "summary", "published_at")[:FEED_ENTRIES]
    )
    return [
        FeedEntry(
            key=f"project-{showcase.pk}",
            title=showcase.title,
            summary=showcase.summary,
            path=showcase.get_absolute_url(),
            published=showcase.published_at or clock.now(),
        )
        for showcase in showcases
    ]


# Each source gives the feed entries of one kind; the newest FEED_ENTRIES of all are shown.
FEED_SOURCES: list[Callable[[], Iterable[FeedEntry]]] = [
    open_call_entries,
    published_project_entries,
]


class NewsFeed(Feed):  # type: ignore[type-arg]
    """New projects and open calls, in the language the address asks for. One instance per
    request (`news_feed`): it keeps the request's host for the entries' ids."""

    feed_type = Atom1Feed

    def __init__(self, host: str) -> None:
        super().__init__()
        self.host = host

    def title(self) -> str:
        fund = site_fund()
        name = fund.name if fund is not None else "microgrants"
        return gettext("%(fund)s: new projects and open calls") % {"fund": name}

    def link(self) -> str:
        return in_current_language(reverse("public:home"))

    def subtitle(self) -> str:
        return gettext("Projects funded by the fund and calls open for applications.")

    def items(self) -> list[FeedEntry]:
        entries = [entry for source in FEED_SOURCES for entry in source()]
        entries.sort(key=lambda entry: (entry.published, entry.key), reverse=True)
        return entries[:FEED_ENTRIES]

    def item_title(self, item: FeedEntry) -> str:
        return item.title

    def item_description(self, item: FeedEntry) -> str:
        return item.summary

    def item_link(self, item: FeedEntry) -> str:
        path, _hash, anchor = item.path.partition("#")
        return in_current_language(path) + (f"#{anchor}" if anchor else "")

    def item_guid(self, item: FeedEntry) -> str:
        # A tag: URI (RFC 4151), stable per entry and language, as Atom wants for <id>.
        host = self.host.split(":")[0]
        return f"tag:{host},{item.published.date().isoformat()}:{item.key}:{get_language()}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: FeedEntry) -> datetime:
        return item.published

    def item_updateddate(self, item: FeedEntry) -> datetime:
        return item.published


@require_safe
def news_feed(request: HttpRequest) -> HttpResponse:
    return NewsFeed(request.get_host())(request)
