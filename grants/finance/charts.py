"""The budget ledger's month chart: grouped columns (commitments, payments) from the project's
chart module (workflows.charts); the page shows the same numbers in a table."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from grants.finance.exports import Month
from workflows.charts import Series, column_chart, nice_ceiling

__all__ = ["amount_label", "month_chart", "nice_ceiling"]


def amount_label(value: Decimal) -> str:
    """A whole-euro amount for an axis or a mark, in the reader's language."""
    return f"{formats.number_format(value, 0, use_l10n=True, force_grouping=True)} €"


def month_chart(months: Sequence[Month], *, title: str) -> SafeString:
    """Grouped columns (commitments, payments) per month as accessible inline SVG."""
    series = [
        Series(_("Commitments"), [m.committed for m in months], "#17365d", "committed"),
        Series(_("Payments"), [m.paid for m in months], "#b35900", "paid"),
    ]
    labels = [formats.date_format(m.month, "M Y") for m in months]
    desc = (
        _("Bars per month from %(first)s to %(last)s; the highest month reaches %(max)s.")
        % {
            "first": labels[0],
            "last": labels[-1],
            "max": amount_label(max([v for s in series for v in s.values if v is not None])),
        }
        if months
        else _("No bookings yet.")
    )
    return column_chart(
        labels, series, chart_id="ledger-chart", title=title, desc=desc, value_text=amount_label
    )
