"""Thin views of the partner exchange: the public list and posts, posting, contact through the
platform with its inbox, reports of abuse, and "apply with this partner"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from applications.selectors import current_organisation
from grants.models import Fund, site_fund
from partners import limits, rules, selectors, services
from partners.filters import PostFilter
from partners.forms import ContactForm, PostForm, ReplyForm, ReportForm
from partners.models import PartnerMessage, PartnerPost
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.visitor_cache import cached_for_visitors

PAGE_SIZE = 20
TOO_MANY = 429


def _fund_or_404() -> Fund:
    fund = site_fund()
    if fund is None:
        raise Http404
    return fund


def _post_or_404(request: HttpRequest, pk: int) -> PartnerPost:
    post = selectors.post_for(request.user, pk)
    if post is None:
        raise Http404
    return post


def _editable_post(request: HttpRequest, pk: int) -> PartnerPost:
    post = _post_or_404(request, pk)
    if not rules.can_edit_post(post, request.user):
        raise PermissionDenied
    return post


def _language(request: HttpRequest) -> str:
    return (getattr(request, "LANGUAGE_CODE", "") or "de")[:2]


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


# --- public ---------------------------------------------------------------------------------------


@require_safe
@cached_for_visitors
def post_list(request: HttpRequest) -> HttpResponse:
    fund = site_fund()
    posts = PostFilter(
        request.GET or None,
        queryset=selectors.public_posts(),
        countries=selectors.country_choices(fund),
    )
    page = Paginator(posts.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/list.html",
        {"filter": posts, "page": page, "query": query.urlencode(), "fund": fund},
    )


def _detail(
    request: HttpRequest,
    post: PartnerPost,
    *,
    contact_form: ContactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "partners/detail.html",
        {
            "post": post,
            "poster": post.poster,
            "is_member": rules.can_edit_post(post, user),
            "can_contact": rules.can_contact(post, user),
            "contact_form": contact_form or ContactForm(),
            "login_url": _with_next("login", f"{post.get_absolute_url()}#contact"),
            "signup_url": _with_next("accounts:signup", f"{post.get_absolute_url()}#contact"),
        },
        status=status,
    )


@require_safe
@cached_for_visitors
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _post_or_404(request, pk))


# --- posting -------------------------------------------------------------------------------------


def _post_form_page(
    request: HttpRequest, *, post: PartnerPost | None, fund: Fund, status: int = 200
) -> HttpResponse:
    countries = selectors.country_choices(fund)
    if request.method == "POST":
        form = PostForm(request.POST, countries=countries)
        if form.is_valid():
            try:
                if post is None:
                    organisation = current_organisation(request)
                    assert organisation is not None  # (checked by the caller)
                    post = services.create_post(
                        organisation, fund=fund, by=request.user, **form.cleaned_data
                    )
                    messages.success(request, _("Your post is online."))
                else:
                    post = services.update_post(post, by=request.user, **form.cleaned_data)
                    messages.success(request, _("Your post has been saved."))
                return redirect(post)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except TransitionForbidden as error:
                raise PermissionDenied from error
            except WorkflowError as error:
                form.add_error(None, str(error.message))
    elif post is not None:
        initial = {name: getattr(post, name) for name in services.POST_FIELDS}
        form = PostForm(initial=initial, countries=countries)
    else:
        other = [code for code, _name in countries if code != _own_country(request)]
        form = PostForm(
            initial={"language": _language(request), "country": other[0] if other else ""},
            countries=countries,
        )
    return render(request, "partners/form.html", {"form": form, "post": post}, status=status)


def _own_country(request: HttpRequest) -> str:
    organisation = current_organisation(request)
    return organisation.country if organisation is not None else ""


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_create(request: HttpRequest) -> HttpResponse:
    if current_organisation(request) is None:
        messages.info(request, _("First, please register your organisation or group."))
        return redirect(_with_next("applications:organisation_create", reverse("partners:create")))
    return _post_form_page(request, post=None, fund=_fund_or_404())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    return _post_form_page(request, post=post, fund=post.fund)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """The link of the reminder mail leads here: a page with one button (a GET changes nothing)."""
    post = _editable_post(request, pk)
    if request.method == "POST":
        try:
            post = services.renew_post(post, by=request.user)
        except WorkflowError as error:
            messages.error(request, str(error.message))
            return redirect(post)
        messages.success(request, _("Your post has been renewed."))
        return redirect(post)
    return render(
        request,
        "partners/renew.html",
        {"post": post, "new_expiry": services.new_expiry()},
    )


@login_required
@require_POST
def post_close(request: HttpRequest, pk: int) -> HttpResponse:
    post = _editable_post(request, pk)
    try:
        services.close_post(post, by=request.user)
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect(post)
    messages.success(request, _("Your post is closed and no longer shown."))
    return redirect("partners:mine")


@login_required
@require_safe
def my_posts(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "partners/mine.html",
        {
            "posts": list(selectors.posts_of_my_organisations(request.user)),
            "organisation": current_organisation(request),
        },
    )


# --- contact -------------------------------------------------------------------------------------


@login_required
@require_POST
def post_contact(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post_or_404(request, pk)
    form = ContactForm(request.POST)
    if form.is_spam():
        # Said as if sent: the robot learns nothing; nothing is stored or relayed.
        messages.success(request, _("Your message has been sent."))
        return redirect(post)
    if rules.can_edit_post(post, request.user):
        messages.error(request, _("This is your own organisation's post."))
        return redirect(post)
    if limits.is_limited(limits.Action.CONTACT, request):
        form.is_valid()
        form.add_error(None, str(limits.LIMITED_MESSAGES[limits.Action.CONTACT]))
        return _detail(request, post, contact_form=form, status=TOO_MANY)
    if not form.is_valid():
        return _detail(request, post, contact_form=form)
    try:
        services.send_message(
            post,
            by=request.user,
            body=form.cleaned_data["body"],
            language=_language(request),
            organisation=current_organisation(request),
        )
    except ValidationError as error:
        form.add_error("body" if "body" in error.message_dict else None, error.messages)
        return _detail(request, post, contact_form=form)
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect(post)
    limits.count(limits.Action.CONTACT, request)
    messages.success(
        request,
        _("Your message has been sent. You will find the reply in your messages and by e-mail."),
    )
    return redirect(post)


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    received, sent = selectors.inbox_of(request.user)
    return render(request, "partners/inbox.html", {"received": received, "sent": sent})


def _message_or_404(request: HttpRequest, pk: int) -> PartnerMessage:
    message = selectors.message_for(request.user, pk)
    if message is None:
        raise Http404
    return message


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message_or_404(request, pk)
    is_recipient = message.post.organisation.has_member(request.user)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if not is_recipient:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.reply_to_message(message, by=request.user, body=form.cleaned_data["body"])
            except WorkflowError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(
                    request,
                    _("Your reply has been sent; you can now write to each other directly."),
                )
            return redirect("partners:message", pk=message.pk)
    return render(
        request,
        "partners/message.html",
        {
            "message": message,
            "is_recipient": is_recipient,
            "can_reply": rules.can_reply(message, request.user),
            "form": form,
            "other_address": services.disclosed_address(message, to=request.user),
        },
    )


# --- abuse ---------------------------------------------------------------------------------------


def _report_page(
    request: HttpRequest, *, post: PartnerPost | None = None, message: PartnerMessage | None = None
) -> HttpResponse:
    back = post.get_absolute_url() if post is not None else reverse("partners:message", args=[message.pk])  # type: ignore[union-attr]  # fmt: skip
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_spam():
            messages.success(request, _("Thank you. The fund will look at your report."))
            return redirect(back)
        if limits.is_limited(limits.Action.REPORT, request):
            form.is_valid()
            form.add_error(None, str(limits.LIMITED_MESSAGES[limits.Action.REPORT]))
            status = TOO_MANY
        elif form.is_valid():
            try:
                services.report_abuse(
                    post=post,
                    message=message,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    details=form.cleaned_data["details"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                limits.count(limits.Action.REPORT, request)
                messages.success(request, _("Thank you. The fund will look at your report."))
                return redirect(back)
    context: dict[str, Any] = {"form": form, "post": post, "message": message, "back": back}
    return render(request, "partners/report.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def post_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _report_page(request, post=_post_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def message_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _report_page(request, message=_message_or_404(request, pk))


# --- apply with this partner ---------------------------------------------------------------------


@login_required
@require_POST
def post_apply(request: HttpRequest, pk: int) -> HttpResponse:
    post = _post_or_404(request, pk)
    organisation = current_organisation(request)
    if organisation is None:
        messages.info(request, _("First, please register your organisation or group."))
        return redirect(_with_next("applications:organisation_create", post.get_absolute_url()))
    try:
        application = services.start_application_with(
            post, organisation=organisation, by=request.user, language=_language(request)
        )
    except (WorkflowError, ValidationError) as error:
        text = error.message if isinstance(error, WorkflowError) else " ".join(error.messages)
        messages.error(request, str(text))
        return redirect(post)
    messages.success(
        request,
        _("Your draft has been created with %(partner)s as partner.")
        % {"partner": post.poster.name},
    )
    return redirect("applications:draft_section", pk=application.pk, section="partners")
