"""Thin views of the public pages and of the grantee's side of the showcase."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from grants.models import Grant, site_fund
from grants.money import ZERO
from public import selectors, services
from public.forms import ConsentForm, PhotoForm, ProjectFilterForm, ShowcaseTextForm
from public.map import map_tiles
from public.models import FUNDED_STATES, ProjectShowcase
from public.selectors import ProjectFilters
from workflows.errors import InvalidInput, WorkflowError
from workflows.visitor_cache import cached_for_visitors


@require_safe
@cached_for_visitors
def home(request: HttpRequest) -> HttpResponse:
    """The fund's front door. Signed-in people go on to their own start page."""
    if request.user.is_authenticated:
        return redirect("applications:home")
    fund = site_fund()
    offers = selectors.programmes_on_offer(fund) if fund is not None else []
    amounts = [o.programme.max_amount for o in offers if o.programme.max_amount is not None]
    return render(
        request,
        "public/home.html",
        {
            "fund": fund,
            "offers": offers,
            "largest_amount": max(amounts, default=ZERO),
            "open_calls": [call for offer in offers for call in offer.open_calls],
            "pages": list(selectors.published_pages()),
        },
    )


@require_safe
@cached_for_visitors
def page(request: HttpRequest, kind: str) -> HttpResponse:
    """One of the fund's texts, in the reader's language (or the fallback); unpublished: 404."""
    return render(
        request,
        "public/page.html",
        {"page": get_object_or_404(selectors.published_pages(), kind=kind)},
    )


# --- the showcase: list, map, project page, photos ----------------------------------------------


@require_safe
@cached_for_visitors
def projects(request: HttpRequest) -> HttpResponse:
    """Published projects with filters and search, a page at a time (at most six queries)."""
    by_programme = selectors.projects_by_programme()
    programmes = selectors.programmes_with_projects(by_programme)
    form = ProjectFilterForm(request.GET or None, programmes=programmes)
    filters = form.filters() if form.is_bound else ProjectFilters()
    page, items = selectors.project_page(
        filters, request.GET.get("page"), unfiltered_count=sum(by_programme.values())
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "public/projects.html",
        {
            "form": form,
            "page": page,
            "projects": items,
            "query": query.urlencode(),
            "filtered": filters != ProjectFilters(),
        },
    )


@require_safe
@cached_for_visitors
def project_map(request: HttpRequest) -> HttpResponse:
    """The regions shaded by their number of published projects, each a link to the list."""
    counts = selectors.counts_by_region()
    return render(request, "public/project_map.html", {"map": map_tiles(counts)})


def _gone(request: HttpRequest) -> HttpResponse:
    response = render(request, "public/project_gone.html", status=410)
    patch_cache_control(response, no_cache=True)
    return response


@require_safe
@cached_for_visitors
def project(request: HttpRequest, slug: str) -> HttpResponse:
    """A published project; 410 Gone once it was public and is no more (consent withdrawn,
    hidden, grant revoked), 404 if it never was."""
    found = selectors.public_project(slug)
    if found is None:
        if selectors.is_gone(slug):
            return _gone(request)
        raise Http404
    return render(request, "public/project.html", {"project": found})


@require_safe
def project_photo(request: HttpRequest, slug: str, photo: int) -> HttpResponse | FileResponse:
    """A photo, only where its page may show it (the storage's paths are never linked)."""
    found, public = selectors.photo_to_serve(slug, photo, request.user)
    if found is None:
        if selectors.is_gone(slug):
            return _gone(request)
        raise Http404
    if not found.image.name:
        raise Http404
    try:
        handle = found.image.storage.open(found.image.name, "rb")
    except OSError as missing:
        raise Http404 from missing
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    if public:
        # Short, and checked again: a withdrawn consent must not linger in shared caches.
        patch_cache_control(response, public=True, max_age=300, must_revalidate=True)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response


# --- the grantee's side: consent, text, photos, preview -----------------------------------------


def _manage_page(
    request: HttpRequest,
    grant: Grant,
    showcase: ProjectShowcase | None,
    *,
    text_form: ShowcaseTextForm | None = None,
    photo_form: PhotoForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    outcome_open = showcase is not None and services.outcome_open(showcase)
    if showcase is not None and text_form is None:
        text_form = ShowcaseTextForm(
            initial={
                "title": showcase.title,
                "summary": showcase.summary,
                "places": showcase.places,
                "project_format": showcase.project_format,
                "outcome": showcase.outcome,
            },
            outcome_open=outcome_open,
        )
    photos = list(showcase.photos.all()) if showcase is not None else []
    return render(
        request,
        "public/showcase_manage.html",
        {
            "application": grant.application,
            "grant": grant,
            "showcase": showcase,
            "text_form": text_form,
            "photo_form": photo_form or PhotoForm(),
            "consent_form": consent_form or ConsentForm(),
            "photos": photos,
            "funded": grant.status in FUNDED_STATES,
            "outcome_open": outcome_open,
            "form": text_form if text_form is not None and text_form.is_bound else photo_form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def showcase_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """The grantee's public page of its project: consent, text, submission, withdrawal."""
    grant, showcase = selectors.showcase_of(pk, request.user)
    if request.method != "POST":
        return _manage_page(request, grant, showcase)
    action = request.POST.get("action", "")
    try:
        if action == "consent":
            consent_form = ConsentForm(request.POST)
            if not consent_form.is_valid():
                return _manage_page(request, grant, showcase, consent_form=consent_form)
            services.give_consent(grant, by=request.user)
            messages.success(request, _("Thank you. Your project page is a draft now: check the text and send it to the fund for publication."))  # fmt: skip
        elif showcase is None:
            raise Http404
        elif action in ("save", "submit"):
            text_form = ShowcaseTextForm(request.POST, outcome_open=services.outcome_open(showcase))  # fmt: skip
            if not text_form.is_valid():
                return _manage_page(request, grant, showcase, text_form=text_form)
            try:
                showcase = services.save_text(showcase, by=request.user, **text_form.cleaned_data)
            except InvalidInput as error:
                text_form.add_error(error.field or None, str(error.message))
                return _manage_page(request, grant, showcase, text_form=text_form)
            if action == "submit":
                services.submit_showcase(showcase, by=request.user)
                messages.success(request, _("Your page was sent to the fund. It is published once the fund has looked at it."))  # fmt: skip
            else:
                messages.success(request, _("Saved."))
        elif action == "revise":
            services.revise_showcase(showcase, by=request.user)
            messages.info(request, _("The page is a draft again and not public until the fund publishes it again."))  # fmt: skip
        elif action == "withdraw":
            services.withdraw_consent(showcase, by=request.user)
            messages.success(request, _("Consent withdrawn: the project is no longer shown on the public pages."))  # fmt: skip
        else:
            messages.error(request, _("This action is not known."))
    except WorkflowError as error:
        messages.error(request, str(error.message))
    return redirect("public:showcase_manage", pk=pk)


@login_required
@require_POST
def showcase_photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a photo (checked, re-encoded, waiting for moderation). Errors keep the typed text."""
    grant, showcase = selectors.showcase_of(pk, request.user)
    if showcase is None:
        raise Http404
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_photo(
                showcase,
                by=request.user,
                upload=data["image"],
                alt_text=data["alt_text"],
                caption=data["caption"],
                rights_confirmed=data["rights_confirmed"],
            )
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))  # fmt: skip
        except WorkflowError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Photo added. It is shown once the fund has approved it."))  # fmt: skip
            return redirect("public:showcase_manage", pk=pk)
    return _manage_page(request, grant, showcase, photo_form=form)


@login_required
@require_POST
def showcase_photo_delete(request: HttpRequest, pk: int, photo: int) -> HttpResponse:
    _grant, showcase = selectors.showcase_of(pk, request.user)
    found = showcase.photos.filter(pk=photo).first() if showcase is not None else None
    if found is None:
        raise Http404
    try:
        services.delete_photo(found, by=request.user)
        messages.success(request, _("Photo deleted."))
    except WorkflowError as error:
        messages.error(request, str(error.message))
    return redirect("public:showcase_manage", pk=pk)


@login_required
@require_safe
def showcase_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The page as the public would read it (photos not yet approved included)."""
    _grant, showcase = selectors.showcase_of(pk, request.user)
    if showcase is None:
        raise Http404
    preview = selectors.project_preview(showcase)
    return render(
        request, "public/project.html", {"project": preview, "preview": True, "showcase": showcase}
    )
