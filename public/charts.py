"""Horizontal bar charts of the open figures, from the project's chart module (workflows.charts).

Each bar carries its name above it and its figures in words beside it, so nothing is said by
colour alone; the page puts the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workflows import charts


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Decimal
    projects: int


def euros(amount: Decimal) -> str:
    """A whole-euro amount in the reader's language: "12.500 €" / "12 500 €" / "12,500 €"."""
    return f"{formats.number_format(amount, 0, use_l10n=True, force_grouping=True)} €"


def bar_text(bar: Bar) -> str:
    projects = ngettext("%(n)s project", "%(n)s projects", bar.projects) % {
        "n": formats.number_format(bar.projects, 0, use_l10n=True, force_grouping=True)
    }
    return f"{euros(bar.amount)} · {projects}"


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str) -> SafeString:
    """One bar per group, its length the amount awarded, longest scale at a round number."""
    return charts.bar_chart(
        [charts.Bar(bar.label, bar.amount, bar_text(bar)) for bar in bars],
        chart_id=chart_id,
        title=title,
        desc=desc,
        empty=_("No funded project yet."),
    )
