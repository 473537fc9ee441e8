"""The budget ledger's month chart: grouped bars as accessible inline SVG, drawn on the server
(no JavaScript, nothing from another site); the page shows the same numbers in a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from grants.finance.exports import Month


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    colour: str
    values: list[Decimal]


CHART_WIDTH, CHART_HEIGHT = 720, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 84, 12, 34, 44


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above `value` (a readable top of the axis)."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop ends at 10


def _n(coordinate: float) -> str:
    """A coordinate with one decimal (format_html would turn a float into text first)."""
    return f"{coordinate:.1f}"


def _amount_label(value: Decimal) -> str:
    return f"{formats.number_format(value, 0, use_l10n=True, force_grouping=True)} €"


def month_chart(months: Sequence[Month], *, title: str) -> SafeString:
    """Grouped bars (commitments, payments) per month as accessible inline SVG.

    `<title>` and `<desc>` name the chart for screen readers; each bar has its own `<title>`
    with the month and amount. The same numbers are in the table next to the chart.
    """
    series = [
        Series(_("Commitments"), "committed", "#17365d", [m.committed for m in months]),
        Series(_("Payments"), "paid", "#b35900", [m.paid for m in months]),
    ]
    labels = [formats.date_format(m.month, "M Y") for m in months]
    top = nice_ceiling(max([v for s in series for v in s.values] + [Decimal(0)]))
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(months), 1)
    bar = max(min(slot * 0.8 / len(series), 28.0), 1.0)
    base_y = MARGIN_TOP + plot_h

    def y_of(value: Decimal) -> float:
        return base_y - float(value / top) * plot_h

    desc = (
        _("Bars per month from %(first)s to %(last)s; the highest month reaches %(max)s.")
        % {
            "first": labels[0],
            "last": labels[-1],
            "max": _amount_label(max([v for s in series for v in s.values])),
        }
        if months
        else _("No bookings yet.")
    )
    parts: list[SafeString] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="ledger-chart-title '
            'ledger-chart-desc" font-family="system-ui, sans-serif" font-size="12">',
            CHART_WIDTH,
            CHART_HEIGHT,
        ),
        format_html('<title id="ledger-chart-title">{}</title>', title),
        format_html('<desc id="ledger-chart-desc">{}</desc>', desc),
    ]
    for tick in range(5):
        value = top * tick / 4
        y = y_of(value)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccd3da"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="#50575e">{}</text>',
                MARGIN_LEFT,
                _n(y),
                CHART_WIDTH - MARGIN_RIGHT,
                _n(y),
                MARGIN_LEFT - 6,
                _n(y + 4),
                _amount_label(value),
            )
        )
    for index, label in enumerate(labels):
        left = MARGIN_LEFT + index * slot + (slot - bar * len(series)) / 2
        for offset, one in enumerate(series):
            value = one.values[index]
            if value <= 0:
                continue  # the table says 0; an empty bar is noise for a screen reader
            y = y_of(value)
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}"><title>{} {}: {}</title></rect>',
                    one.css,
                    _n(left + offset * bar),
                    _n(y),
                    _n(bar),
                    _n(base_y - y),
                    one.colour,
                    label,
                    one.label,
                    _amount_label(value),
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="#1d2327">{}</text>',
                _n(MARGIN_LEFT + index * slot + slot / 2),
                base_y + 16 + (12 if len(labels) > 12 and index % 2 else 0),
                label,
            )
        )
    parts.append(
        format_html_join(
            "",
            '<rect x="{}" y="8" width="12" height="12" fill="{}"/>'
            '<text x="{}" y="18" fill="#1d2327">{}</text>',
            (
                (MARGIN_LEFT + i * 140, s.colour, MARGIN_LEFT + i * 140 + 16, s.label)
                for i, s in enumerate(series)
            ),
        )
    )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1d2327"/></svg>',
            MARGIN_LEFT,
            base_y,
            CHART_WIDTH - MARGIN_RIGHT,
            base_y,
        )
    )
    return SafeString("".join(parts))
