"""What finance hands to accounting: the approvals export (CSV and XLSX) and the budget ledger.

Selectors return `.values_list()` querysets whose per-grant figures are correlated subqueries,
so a whole export is one query however many rows it has; writers consume them with
`.iterator(chunk_size=...)`, so rows never sit in memory as model instances.

File format, agreed with accounting:
- CSV: UTF-8 with a byte order mark (Excel then reads the umlauts and accents right), `;` as the
  separator (what Excel expects in German and French settings, and titles are full of commas),
  CRLF line ends, amounts with a dot and two decimals (``1234.50``, never grouped), dates as
  ISO 8601 (``2026-03-31``). Headers are stable column keys, not translated text: accounting
  imports them by name. A text cell that Excel would read as a formula (``=``, ``+``, ``-``,
  ``@``, tab, CR) gets a leading apostrophe.
- XLSX: the same columns; amounts are number cells (format ``#,##0.00``), dates date cells, and
  no text cell is ever a formula. Written by openpyxl's write-only workbook into a temporary
  file, row by row, then streamed.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from grants.models import BudgetAllocation, Grant, LedgerEntry, LedgerKind, grant_ledger_total
from grants.money import ZERO

# Rows fetched from the database per round trip while streaming.
CHUNK_SIZE = 2000
# CSV rows rendered into one chunk of the HTTP response.
ROWS_PER_WRITE = 500
BOM = "\ufeff"
CSV_DELIMITER = ";"
XLSX_AMOUNT_FORMAT = "#,##0.00"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_MONEY = models.DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Column:
    key: str
    kind: str  # "text", "amount", "date", "datetime", "int"
    width: int = 14


APPROVAL_COLUMNS: tuple[Column, ...] = (
    Column("reference", "text", 16),
    Column("title", "text", 40),
    Column("organisation", "text", 36),
    Column("country", "text", 8),
    Column("city", "text", 18),
    Column("programme", "text", 14),
    Column("category", "int", 9),
    Column("requested", "amount"),
    Column("awarded", "amount"),
    Column("grant_status", "text"),
    Column("decided_on", "date", 12),
    Column("accepted_on", "date", 12),
    Column("paid", "amount"),
    Column("repaid", "amount"),
    Column("final_amount", "amount"),
    Column("project_start", "date", 12),
    Column("project_end", "date", 12),
)

LEDGER_COLUMNS: tuple[Column, ...] = (
    Column("entry", "int", 9),
    Column("booked_at", "datetime", 18),
    Column("kind", "text", 10),
    Column("amount", "amount"),
    Column("reference", "text", 16),
    Column("note", "text", 30),
    Column("booked_by", "text", 14),
)


@dataclass(frozen=True)
class ApprovalFilters:
    """Which approvals to export; every field optional (None = no filter)."""

    decided_from: date | None = None
    decided_to: date | None = None
    programme_id: int | None = None
    grant_status: str | None = None
    country: str | None = None


# --- selectors -----------------------------------------------------------------------------------


def approval_rows(filters: ApprovalFilters, user: Any) -> models.QuerySet[Grant, tuple[Any, ...]]:
    """One tuple per approved application with its grant `user` may see, in APPROVAL_COLUMNS
    order."""
    grants = Grant.objects.visible_to(user)
    if filters.decided_from is not None:
        grants = grants.filter(application__decided_at__date__gte=filters.decided_from)
    if filters.decided_to is not None:
        grants = grants.filter(application__decided_at__date__lte=filters.decided_to)
    if filters.programme_id is not None:
        grants = grants.filter(programme_id=filters.programme_id)
    if filters.grant_status:
        grants = grants.filter(status=filters.grant_status)
    if filters.country:
        grants = grants.filter(application__organisation__country=filters.country.upper())
    return (
        grants.annotate(
            decided_on=TruncDate("application__decided_at"),
            accepted_on=TruncDate("accepted_at"),
            paid=grant_ledger_total(LedgerKind.PAY),
            repaid=grant_ledger_total(LedgerKind.REPAY),
        )
        .order_by("application__decided_at", "pk")
        .values_list(
            "application__reference",
            "application__title",
            "application__organisation__name",
            "application__organisation__country",
            "application__organisation__city",
            "programme__code",
            "programme__category",
            "application__requested_amount",
            "amount_awarded",
            "status",
            "decided_on",
            "accepted_on",
            "paid",
            "repaid",
            "final_amount",
            "project_start",
            "project_end",
        )
    )


def ledger_rows(allocation: BudgetAllocation) -> models.QuerySet[LedgerEntry, tuple[Any, ...]]:
    """The allocation's ledger entries in booking order, in LEDGER_COLUMNS order."""
    return (
        LedgerEntry.objects.filter(allocation=allocation)
        .order_by("pk")
        .values_list(
            "pk",
            "created_at",
            "kind",
            "amount",
            "grant__application__reference",
            "note",
            "created_by__username",
        )
    )


def ledger_entries(allocation: BudgetAllocation) -> models.QuerySet[LedgerEntry]:
    """The entries for the ledger page, newest first, with what each row shows (one query)."""
    return (
        LedgerEntry.objects.filter(allocation=allocation)
        .select_related("created_by")
        .annotate(reference=F("grant__application__reference"))
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Month:
    month: date
    committed: Decimal
    released: Decimal
    paid: Decimal
    repaid: Decimal


def _kind_sum(kind: str) -> Coalesce:
    return Coalesce(Sum("amount", filter=Q(kind=kind)), ZERO, output_field=_MONEY)


def monthly_figures(allocation: BudgetAllocation) -> list[Month]:
    """Bookings per calendar month (local time), gaps filled with zeros; one query."""
    rows = (
        LedgerEntry.objects.filter(allocation=allocation)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values("month")
        .annotate(
            committed=_kind_sum(LedgerKind.COMMIT),
            released=_kind_sum(LedgerKind.RELEASE),
            paid=_kind_sum(LedgerKind.PAY),
            repaid=_kind_sum(LedgerKind.REPAY),
        )
        .order_by("month")
    )
    found: dict[date, Month] = {}
    for row in rows:
        first = _as_date(row["month"]).replace(day=1)
        found[first] = Month(first, row["committed"], row["released"], row["paid"], row["repaid"])
    if not found:
        return []
    months = []
    current, last = min(found), max(found)
    while current <= last:
        months.append(found.get(current) or Month(current, ZERO, ZERO, ZERO, ZERO))
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# --- writers -------------------------------------------------------------------------------------


def csv_cell(value: Any, column: Column) -> Any:
    if value is None:
        return ""
    if column.kind == "amount":
        return f"{value:.2f}"
    if column.kind == "datetime":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "text" and isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvBuffer:
    """A file-like object csv.writer writes into; the stream takes what it gathered."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer.write(text)

    def take(self) -> str:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def csv_stream(
    columns: Sequence[Column], rows: models.QuerySet[Any, tuple[Any, ...]] | Iterable[Sequence[Any]]
) -> Iterator[str]:
    """The BOM, the header and the rows as CSV text, a few hundred rows per chunk."""
    out = CsvBuffer()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    yield BOM + out.take()
    source = rows.iterator(chunk_size=CHUNK_SIZE) if isinstance(rows, models.QuerySet) else rows
    pending = 0
    for row in source:
        writer.writerow([csv_cell(v, c) for v, c in zip(row, columns, strict=True)])
        pending += 1
        if pending == ROWS_PER_WRITE:
            yield out.take()
            pending = 0
    if pending:
        yield out.take()


def write_xlsx(
    columns: Sequence[Column],
    rows: models.QuerySet[Any, tuple[Any, ...]] | Iterable[Sequence[Any]],
    *,
    title: str,
) -> IO[bytes]:
    """An XLSX file of the rows, written row by row; returned open and rewound.

    The file is an anonymous temporary file: it disappears when closed (FileResponse closes it
    once sent).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([c.key for c in columns])

    def cell(value: Any, column: Column) -> Any:
        if value is None:
            return None
        if column.kind == "amount":
            amount = WriteOnlyCell(sheet, value=value)
            amount.number_format = XLSX_AMOUNT_FORMAT
            return amount
        if column.kind == "datetime":
            stamp = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None))
            stamp.number_format = XLSX_DATETIME_FORMAT
            return stamp
        if column.kind == "date":
            day = WriteOnlyCell(sheet, value=value)
            day.number_format = XLSX_DATE_FORMAT
            return day
        if isinstance(value, str) and (value.startswith("=") or value.startswith("#")):
            # openpyxl would write "=..." as a formula and "#N/A" as an error: keep them text.
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            return text
        return value

    source = rows.iterator(chunk_size=CHUNK_SIZE) if isinstance(rows, models.QuerySet) else rows
    for row in source:
        sheet.append([cell(v, c) for v, c in zip(row, columns, strict=True)])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    try:
        workbook.save(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle
