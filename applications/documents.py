"""The fund's documents: application summary, approval letter with grant agreement, rejection
letter, payment advice and final settlement, as PDF.

One function per kind builds the context from the database; `render_html` fills the kind's
template (`templates/documents/<kind>.html`, extending `documents/base.html`) and `render_pdf`
hands it to WeasyPrint with the print stylesheet (`static/css/print.css`). Every resource a
document loads (stylesheet, logo) goes through `static_files_fetcher()`, which serves the project's
static files and refuses everything else: a text typed by an applicant can never make the
renderer read a local file or call another server.

Bilingual: the applicant's language (German or French; English falls back to German) comes
first, the other follows it on a new page, so that each version can be filed on its own. Each
part is rendered under its own language (`{% language %}`), so amounts, dates and the page
footer read as the reader of that part expects.

Every letter (all kinds but the summary) comes from the fund as its identity describes it
(`grants.Fund`): the sender block with the address and the contact, the signature, the legal
basis, the clause its choice of decisions asks for (no legal entitlement, or the notice of the
right of appeal) and the data-protection notice; documents are named after that choice
(`applications.models.document_title`). A fund that lacks any of it (`Fund.letter_gaps`) issues
no letter: `FundNotReady` says what is missing, before anything is rendered or stored.

`issue_document` renders and stores a document once per cause (the audit row of the transition
that made it, or the payment it advises); asked again, it returns the stored one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from applications import reporting, selectors
from applications.document_resources import (  # noqa: F401  (documents.X is their public name)
    STYLESHEET,
    DocumentError,
    ResourceRefused,
    allowed_static_path,
    static_base_url,
    static_files_fetcher,
    static_roots,
)
from applications.models import (
    Application,
    BudgetLine,
    Document,
    DocumentKind,
    ExpenseCategory,
    IncomeCategory,
    Theme,
    document_title,
)
from grants.cofunding import cofinanced_parts
from grants.models import (
    LETTER_LANGUAGES,
    Fund,
    Grant,
    Payment,
    PaymentKind,
    PaymentTrigger,
    RepaymentCause,
    RepaymentClaim,
    claimed_by_amendments,
)
from grants.money import ZERO, cents, cents_down
from grants.services import SENT_PAYMENT_STATES
from workflows import clock
from workflows.models import TransitionLog
from workflows.storage import all_or_no_files, remove_file

DOCUMENT_LANGUAGES = LETTER_LANGUAGES
FALLBACK_LANGUAGE = "de"
# Kinds stored with their grant (a payment advice also with its payment).
GRANT_KINDS = (
    DocumentKind.APPROVAL,
    DocumentKind.SETTLEMENT,
    DocumentKind.PAYMENT_ADVICE,
    DocumentKind.AMENDMENT,
)
# The letters: sent by the fund, signed, and so only issued by a fund whose identity is complete.
LETTER_KINDS = (
    DocumentKind.APPROVAL,
    DocumentKind.REJECTION,
    DocumentKind.PAYMENT_ADVICE,
    DocumentKind.SETTLEMENT,
    DocumentKind.AMENDMENT,
)
LABELS = dict(ExpenseCategory.choices + IncomeCategory.choices)


# Kinds whose context a higher app builds (the amendment letter: amendments.documents), from
# the application, the cause's audit row, the grant and the language asked for.
ContextBuilder = Callable[..., dict[str, Any]]
_CONTEXT_BUILDERS: dict[str, ContextBuilder] = {}


# Where such a kind's causes are: for the documents in bulk (`generate_documents`), the
# (application id, audit row id, grant id) of each cause among the given applications.
CauseFinder = Callable[..., list[tuple[int, int, int]]]
_CAUSE_FINDERS: dict[str, CauseFinder] = {}


def add_context_builder(
    kind: str, builder: ContextBuilder, *, causes: CauseFinder | None = None
) -> None:
    """Let a higher app build the context of its kind of document (registered when it is
    ready), and name where its causes are."""
    if kind not in DocumentKind.values:
        raise ValueError(f"Unknown kind of document: {kind!r}.")
    _CONTEXT_BUILDERS[kind] = builder
    if causes is not None:
        _CAUSE_FINDERS[kind] = causes


def cause_finder(kind: str) -> CauseFinder | None:
    """The causes of a kind a higher app issues (see add_context_builder), if any."""
    return _CAUSE_FINDERS.get(kind)


class FundNotReady(DocumentError):
    """The fund lacks what its letters must carry (`Fund.letter_gaps`): no letter is issued."""

    def __init__(self, fund: Fund, gaps: list[str]) -> None:
        self.fund, self.gaps = fund, gaps
        super().__init__(
            gettext(
                "%(fund)s cannot issue letters yet. Missing: %(missing)s. Complete the fund's "
                "identity in the admin; the letters waiting for it are issued then."
            )
            % {"fund": fund.name, "missing": "; ".join(gaps)}
        )


def require_letters(fund: Fund) -> None:
    """FundNotReady unless `fund` may issue letters."""
    gaps = fund.letter_gaps()
    if gaps:
        raise FundNotReady(fund, gaps)


# --- rendering --------------------------------------------------------------------------------


def languages_for(application: Application, language: str | None = None) -> list[str]:
    """The parts' languages: the applicant's (or the one asked for) first, then the other."""
    first = language or application.language
    if first not in DOCUMENT_LANGUAGES:
        first = FALLBACK_LANGUAGE
    return [first, *(other for other in DOCUMENT_LANGUAGES if other != first)]


@dataclass(frozen=True)
class Part:
    """One language version of a document and the words of its page footer."""

    language: str
    page_before: str
    page_between: str
    page_after: str


def _part(language: str) -> Part:
    """The footer "Page X of Y" of `language`, cut around the numbers that CSS counters fill."""
    with translation.override(language):
        text = gettext("Page %(n)s of %(total)s") % {"n": "\x00", "total": "\x01"}
    if (
        text.count("\x00") == 1
        and text.count("\x01") == 1
        and text.find("\x00") < text.find("\x01")
    ):
        before, rest = text.split("\x00")
        between, after = rest.split("\x01")
        return Part(language, before, between, after)
    return Part(language, "", " / ", "")  # a translation that turns the numbers round


def render_html(kind: str, context: dict[str, Any]) -> str:
    """The kind's template filled in; the frame in the first part's language."""
    with translation.override(context["parts"][0].language):
        return render_to_string(f"documents/{kind}.html", context)


def render_pdf(html: str) -> bytes:
    """The PDF of a document's HTML; loads nothing but static files (`allowed_static_path`)."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    document = HTML(string=html, base_url=static_base_url(), url_fetcher=static_files_fetcher())
    try:
        pdf: bytes = document.write_pdf()
    except FatalURLFetchingError as error:
        if isinstance(error.__cause__, ResourceRefused):
            raise error.__cause__ from None
        raise
    return pdf


# --- what each kind shows ---------------------------------------------------------------------


def _day(moment: Any) -> date:
    """The local calendar day of a stored moment (aware datetime) or a date."""
    if moment is None:
        return clock.today()
    if isinstance(moment, date) and not hasattr(moment, "hour"):
        return moment
    return timezone.localdate(moment)


def common_context(
    application: Application, kind: str, *, log: TransitionLog | None, language: str | None
) -> dict[str, Any]:
    """What every document shows: the application, its organisation, the fund, the reference,
    the day of issue (the cause's) and the language parts."""
    fund = application.fund
    return {
        "kind": kind,
        "document_title": document_title(kind, fund.decision_form),
        "application": application,
        "organisation": application.organisation,
        "fund": fund,
        "notice": fund.issues_notices,
        "reference": application.reference or "",
        "issued_on": _day(log.created_at) if log is not None else clock.today(),
        "parts": [_part(code) for code in languages_for(application, language)],
    }


def _amount(value: Any) -> Decimal:
    try:
        return cents(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return ZERO


def _iso_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class PlannedLine:
    """One line of the budget plan as submitted."""

    side: str
    label: Any
    purpose: str
    quantity: Decimal
    unit_cost: Decimal
    amount: Decimal
    eligible: bool


def budget_plan(content: dict[str, Any]) -> dict[str, Any]:
    """The budget plan of an application's content (as submitted): its lines by side and the
    totals; the summary shows it, and the approval letter as its annex."""
    lines = []
    for raw in content.get("budget_lines", []):
        quantity, unit_cost = _amount(raw.get("quantity")), _amount(raw.get("unit_cost"))
        lines.append(
            PlannedLine(
                side=raw.get("side", ""),
                label=LABELS.get(raw.get("category", ""), raw.get("category", "")),
                purpose=raw.get("purpose", ""),
                quantity=quantity,
                unit_cost=unit_cost,
                amount=cents(quantity * unit_cost),
                eligible=bool(raw.get("eligible", True)),
            )
        )
    expenses = [line for line in lines if line.side == BudgetLine.Side.EXPENSE]
    income = [line for line in lines if line.side == BudgetLine.Side.INCOME]
    return {
        "requested_amount": _amount(content.get("requested_amount")),
        "expenses": expenses,
        "income": income,
        "total_expenses": sum((line.amount for line in expenses), ZERO),
        "eligible_expenses": sum((line.amount for line in expenses if line.eligible), ZERO),
        "total_income": sum((line.amount for line in income), ZERO),
    }


def _content(application: Application) -> dict[str, Any]:
    from applications.services import snapshot_of

    return application.submitted_content or snapshot_of(application)


def summary_context(
    application: Application, *, log: TransitionLog | None = None, language: str | None = None
) -> dict[str, Any]:
    """The application as submitted: facts, texts, the budget plan with totals, the partners."""
    content = _content(application)
    themes = [Theme(code).label for code in content.get("themes", []) if code in Theme.values]
    organisation = content.get("organisation") or {}
    submitted = log.created_at if log is not None else application.submitted_at
    plan = budget_plan(content)
    return {
        **common_context(application, DocumentKind.SUMMARY, log=log, language=language),
        "plan": plan,
        "requested_amount": plan["requested_amount"],
        "content": content,
        "organisation_name": organisation.get("name") or application.organisation.name,
        "submitted_on": _day(submitted),
        "start_date": _iso_day(content.get("start_date")),
        "end_date": _iso_day(content.get("end_date")),
        "themes": themes,
        "partners": content.get("partners", []),
        "programme": application.programme,
    }


@dataclass(frozen=True)
class Tranche:
    """One payment of the plan: its share, its amount and when it is paid."""

    percent: Decimal
    amount: Decimal
    trigger: str
    when: Any


def approval_context(
    application: Application,
    *,
    grant: Grant,
    log: TransitionLog | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Approval letter and grant agreement: amount, purpose, period, payment plan, reporting
    duty with its deadline, conditions, and how and by when to accept."""
    programme = grant.programme
    triggers = dict(PaymentTrigger.choices)
    tranches = []
    for raw in programme.payment_plan or []:
        percent = Decimal(str(raw.get("percent", 0)))
        tranches.append(
            Tranche(
                percent=percent,
                amount=cents(grant.amount_awarded * percent / 100),
                trigger=raw.get("trigger", ""),
                when=triggers.get(raw.get("trigger", ""), raw.get("trigger", "")),
            )
        )
    report_days = programme.report_days_after_end
    content = _content(application)
    summary = content.get("summary") or application.summary
    return {
        **common_context(application, DocumentKind.APPROVAL, log=log, language=language),
        # The annex: the budget plan the approval rests on, with the amount awarded.
        "plan": budget_plan(content),
        "grant": grant,
        "programme": programme,
        "purpose_summary": summary,
        "tranches": tranches,
        "report_days": report_days,
        "report_due_on": grant.project_end + timedelta(days=report_days),
        # The interim report the programme asks for (fixed when the offer is accepted).
        "interim_report_due_on": grant.interim_report_due_on
        or programme.interim_report_due(grant.project_start, grant.project_end),
        "offer_expires_on": grant.offer_expires_on,
        "share_percent": (grant.max_share * 100).quantize(Decimal("1")),
        # The co-funders of the grant's budget with their parts of it (none: the fund alone).
        "cofunders": cofinanced_parts(grant),
    }


def rejection_context(
    application: Application, *, log: TransitionLog | None = None, language: str | None = None
) -> dict[str, Any]:
    """The rejection letter: the project and the reasons as the decision recorded them."""
    reasons = (log.payload or {}).get("reasons", "") if log is not None else ""
    return {
        **common_context(application, DocumentKind.REJECTION, log=log, language=language),
        "reasons": reasons or application.decision_note,
    }


def mask_iban(iban: str) -> str:
    """An IBAN with every character but the last four hidden, in groups of four."""
    compact = "".join((iban or "").split()).upper()
    if len(compact) <= 4:
        return compact
    masked = "*" * (len(compact) - 4) + compact[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def _sent_total(grant: Grant, *, exclude_kinds: tuple[str, ...] = ()) -> Decimal:
    sent: Decimal = (
        grant.payments.filter(status__in=SENT_PAYMENT_STATES)
        .exclude(kind__in=exclude_kinds)
        .aggregate(total=Coalesce(Sum("amount"), ZERO, output_field=models.DecimalField()))["total"]
    )
    return sent


def payment_advice_context(
    application: Application, *, payment: Payment, language: str | None = None
) -> dict[str, Any]:
    """One payment: amount, kind, due date, the account (masked) and the EndToEndId."""
    organisation = application.organisation
    return {
        **common_context(application, DocumentKind.PAYMENT_ADVICE, log=None, language=language),
        "grant": payment.grant,
        "payment": payment,
        "account_holder": organisation.bank_account_holder or organisation.name,
        "iban_masked": mask_iban(organisation.iban),
        "paid_total": _sent_total(payment.grant),
    }


def settlement_context(
    application: Application,
    *,
    grant: Grant,
    log: TransitionLog | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The final settlement: actual figures, the entitlement and how it was reached, what was
    paid before, and the balance payment or repayment claim with its due date."""
    report = reporting.existing_report(grant)
    rows = reporting.figures(report).rows if report is not None else []
    expenses = grant.actual_expenses or ZERO
    eligible = grant.actual_eligible_expenses or ZERO
    other = grant.actual_other_income or ZERO
    entitlement = grant.final_amount if grant.final_amount is not None else grant.entitlement()
    # What had left the fund's account when the grant was settled: the balance payment that
    # the settlement scheduled is its outcome, not part of it; what an amendment claimed back
    # is not the grantee's.
    paid_before = _sent_total(grant, exclude_kinds=(PaymentKind.BALANCE,))
    paid_before -= claimed_by_amendments(grant)
    balance_payment = grant.payments.filter(kind=PaymentKind.BALANCE).order_by("sequence").first()
    claim = (
        RepaymentClaim.objects.filter(grant=grant, cause=RepaymentCause.SETTLEMENT)
        .order_by("id")
        .first()
    )
    return {
        **common_context(application, DocumentKind.SETTLEMENT, log=log, language=language),
        "grant": grant,
        "expense_rows": [row for row in rows if row.side == BudgetLine.Side.EXPENSE],
        "income_rows": [row for row in rows if row.side == BudgetLine.Side.INCOME],
        "actual_expenses": expenses,
        "actual_eligible_expenses": eligible,
        "actual_other_income": other,
        "share_percent": (grant.max_share * 100).quantize(Decimal("1")),
        "share_cap": cents_down(eligible * grant.max_share),
        "net_cost": expenses - other,
        "entitlement": entitlement,
        "paid_before": paid_before,
        "balance": entitlement - paid_before,
        "balance_payment": balance_payment,
        "repayment_claim": claim,
    }


def context_for(
    application: Application,
    *,
    kind: str,
    log: TransitionLog | None = None,
    grant: Grant | None = None,
    payment: Payment | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The context of one document of `kind` (see the functions above)."""
    if kind == DocumentKind.SUMMARY:
        return summary_context(application, log=log, language=language)
    if kind == DocumentKind.REJECTION:
        return rejection_context(application, log=log, language=language)
    if kind == DocumentKind.PAYMENT_ADVICE:
        if payment is None:
            raise DocumentError("A payment advice needs its payment.")
        return payment_advice_context(application, payment=payment, language=language)
    if grant is None:
        raise DocumentError(f"The application {application.pk} has no grant for a {kind}.")
    if kind == DocumentKind.APPROVAL:
        return approval_context(application, grant=grant, log=log, language=language)
    if kind == DocumentKind.SETTLEMENT:
        return settlement_context(application, grant=grant, log=log, language=language)
    builder = _CONTEXT_BUILDERS.get(kind)
    if builder is not None:
        return builder(application, grant=grant, log=log, language=language)
    raise DocumentError(f"Unknown kind of document: {kind!r}.")


# --- issuing and storing ----------------------------------------------------------------------


def existing_document(
    application: Application, *, kind: str, log: TransitionLog | None, payment: Payment | None
) -> Document | None:
    """The document already issued for this cause (the model's two unique constraints)."""
    if payment is not None:
        return Document.objects.filter(kind=kind, payment=payment).first()
    return Document.objects.filter(
        application=application, kind=kind, log=log, payment__isnull=True
    ).first()


def issue_document(
    application: Application,
    *,
    kind: str,
    log: TransitionLog | None = None,
    grant: Grant | None = None,
    payment: Payment | None = None,
    language: str | None = None,
    replace: bool = False,
) -> Document:
    """Render and store the document of `kind` for one cause, once; writes one Document row and
    one file. Asked again for the same cause it returns the stored one without rendering, unless
    `replace`, which renders it again into the same row (new file; the old one is deleted after
    the commit). StorageUnavailable if the file cannot be stored: no file and no row are kept,
    and a task that raises it is tried again later. FundNotReady, before anything is rendered,
    for a letter of a fund whose identity is incomplete."""
    if kind not in DocumentKind.values:
        raise DocumentError(f"Unknown kind of document: {kind!r}.")
    if payment is not None:
        grant = payment.grant
    elif kind in GRANT_KINDS and grant is None:
        grant = Grant.objects.filter(application=application).select_related("programme").first()
    existing = existing_document(application, kind=kind, log=log, payment=payment)
    if existing is not None and not replace:
        return existing
    if kind in LETTER_KINDS:
        require_letters(application.fund)
    context = context_for(
        application, kind=kind, log=log, grant=grant, payment=payment, language=language
    )
    pdf = render_pdf(render_html(kind, context))
    values = {
        "language": context["parts"][0].language,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "size": len(pdf),
    }
    if existing is not None:
        return _replace_file(existing, pdf, values)
    document = Document(
        application=application,
        kind=kind,
        grant=grant if kind in GRANT_KINDS else None,
        payment=payment,
        log=log,
        **values,
    )
    with all_or_no_files() as written:
        written.save(document.file, "document.pdf", ContentFile(pdf))
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            # Another run of the same task stored it first: keep theirs, drop our file.
            winner = existing_document(application, kind=kind, log=log, payment=payment)
            if winner is None:
                raise
            written.remove_all()
            return winner
    return document


def _replace_file(document: Document, pdf: bytes, values: dict[str, Any]) -> Document:
    old_name = document.file.name
    storage = document.file.storage
    with all_or_no_files() as written:
        written.save(document.file, "document.pdf", ContentFile(pdf))
        for name, value in values.items():
            setattr(document, name, value)
        document.created_at = clock.now()
        document.save(update_fields=["file", "created_at", *values])
    if old_name and old_name != document.file.name:
        transaction.on_commit(lambda: remove_file(storage, old_name))
    return document


def issue_for_ids(
    application_id: int,
    kind: str,
    log_id: int | None = None,
    grant_id: int | None = None,
    payment_id: int | None = None,
    *,
    replace: bool = False,
) -> Document:
    """`issue_document` for a task, which carries ids only."""
    application = Application.objects.select_related("organisation", "fund", "programme").get(
        pk=application_id
    )
    log = TransitionLog.objects.get(pk=log_id) if log_id is not None else None
    grant = (
        Grant.objects.select_related("programme").get(pk=grant_id) if grant_id is not None else None
    )
    payment = (
        Payment.objects.select_related("grant__programme").get(pk=payment_id)
        if payment_id is not None
        else None
    )
    return issue_document(
        application, kind=kind, log=log, grant=grant, payment=payment, replace=replace
    )


# --- reading ----------------------------------------------------------------------------------


def document_for(user: Any, pk: int) -> Document | None:
    """One document if `user` may read it (rules.documents_visible_to: members and staff who
    see the application, never funders), else None: the caller answers 404, so nobody learns
    that it exists."""
    document = Document.objects.visible_to(user).filter(pk=pk).first()
    if document is None:
        return None
    application = selectors.application_for(user, document.application_id)
    if application is None:
        return None
    document.application = application
    return document


def download_name(document: Document) -> str:
    """E.g. "BF-2026-00042-zuwendungsbescheid-de.pdf": reference, the document's name (as the
    fund's choice of decisions has it) in its first language, and that language."""
    from grants.finance.sepa import sepa_text  # (the SEPA files' libraries: only when asked)

    reference = document.application.reference or f"application-{document.application_id}"
    with translation.override(document.language or FALLBACK_LANGUAGE):
        # Readable in ASCII: "Antragsübersicht" -> "antragsuebersicht" (the SEPA transliteration).
        name = slugify(sepa_text(str(document.title), limit=120)) or document.kind
    return f"{reference}-{name}-{document.language}.pdf"


def language_part(language: str) -> Part:
    """The part of a document written in `language`, with the words of its page footer (for
    documents another app renders with `documents/base.html`, e.g. the committee's ranking)."""
    return _part(language)
