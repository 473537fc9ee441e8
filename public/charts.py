"""Horizontal bar charts of the open figures as accessible inline SVG, drawn on the server.

As the budget ledger's chart (grants.finance.charts): no JavaScript, nothing from another site,
presentation attributes only (the CSP refuses style= attributes). Each bar carries its name
above it and its figures in words beside it, so nothing is said by colour alone; `<title>` and
`<desc>` name the chart for screen readers, and the page puts the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grants.finance.charts import nice_ceiling

WIDTH = 720
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 8, 8, 8
ROW_HEIGHT = 42  # a line for the name, then the bar
BAR_HEIGHT = 16
# Room right of the longest bar for its figures ("1,234,567 € · 1,234 projects").
VALUE_ROOM = 210
BAR_COLOUR = "#17365d"
TEXT_COLOUR = "#1d2327"


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


def _n(coordinate: float) -> str:
    return f"{coordinate:.1f}"


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str) -> SafeString:
    """One bar per group, its length the amount awarded, longest scale at a round number."""
    top = nice_ceiling(max([b.amount for b in bars] + [Decimal(0)]))
    plot_width = WIDTH - 2 * MARGIN_X - VALUE_ROOM
    height = MARGIN_TOP + MARGIN_BOTTOM + ROW_HEIGHT * max(len(bars), 1)
    parts: list[SafeString] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="{}-title {}-desc" '
            'font-family="system-ui, sans-serif" font-size="13">',
            WIDTH,
            height,
            chart_id,
            chart_id,
        ),
        format_html('<title id="{}-title">{}</title>', chart_id, title),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, desc),
    ]
    if not bars:
        parts.append(
            format_html(
                '<text x="{}" y="{}" fill="{}">{}</text>',
                MARGIN_X,
                MARGIN_TOP + 20,
                TEXT_COLOUR,
                _("No funded project yet."),
            )
        )
    for index, bar in enumerate(bars):
        y = MARGIN_TOP + index * ROW_HEIGHT
        length = float(bar.amount / top) * plot_width if bar.amount > 0 else 0.0
        text = bar_text(bar)
        parts.append(
            format_html(
                '<g><text x="{}" y="{}" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" fill="{}">{}</text></g>',
                MARGIN_X,
                y + 14,
                TEXT_COLOUR,
                bar.label,
                MARGIN_X,
                y + 20,
                _n(max(length, 1.0)),  # a hairline still marks a group with no amount yet
                BAR_HEIGHT,
                BAR_COLOUR,
                bar.label,
                text,
                _n(MARGIN_X + max(length, 1.0) + 6),
                y + 20 + BAR_HEIGHT - 3,
                TEXT_COLOUR,
                text,
            )
        )
    parts.append(SafeString("</svg>"))
    return SafeString("".join(parts))
