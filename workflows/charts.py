"""The project's one chart module: accessible inline SVG drawn on the server (no JavaScript,
nothing from another site, presentation attributes only since the CSP refuses style=).

Three shapes serve every page: grouped columns over a sequence (the budget ledger's months),
lines over a sequence (a dashboard's cumulative budget against its allocation, decision times)
and horizontal bars with their figures written beside them (the open figures, a dashboard's
breakdowns). Each chart names itself for screen readers (`role="img"`, `<title>` and `<desc>`
referenced by `aria-labelledby`), each mark carries its own `<title>`, nothing is said by colour
alone (a legend with words, figures beside the bars), and the page shows the same numbers in a
table next to the chart. The callers choose the words: this module knows no domain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 720
TEXT_COLOUR = "#1d2327"
MUTED_COLOUR = "#50575e"
GRID_COLOUR = "#ccd3da"
# Colours that stay apart for the common colour-vision deficiencies (and the legend names them).
PALETTE = ("#17365d", "#b35900", "#3b7d23", "#7a1f5c", "#50575e")

ValueText = Callable[[Decimal], str]


@dataclass(frozen=True)
class Series:
    """One named sequence of values; `None` is a gap (a line breaks there, no column)."""

    label: str
    values: Sequence[Decimal | None]
    colour: str = PALETTE[0]
    css: str = "bar"
    dashed: bool = False  # a reference line (e.g. the allocation) next to the measured ones


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its name, its length, and its figures in words."""

    label: str
    value: Decimal
    text: str


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


def _open(chart_id: str, height: int, title: str, desc: str, font_size: int) -> list[SafeString]:
    return [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="{}-title {}-desc" '
            'font-family="system-ui, sans-serif" font-size="{}">',
            WIDTH,
            height,
            chart_id,
            chart_id,
            font_size,
        ),
        format_html('<title id="{}-title">{}</title>', chart_id, title),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, desc),
    ]


def _largest(series: Sequence[Series]) -> Decimal:
    return max([v for s in series for v in s.values if v is not None] + [Decimal(0)])


@dataclass(frozen=True)
class _Plot:
    """The frame of a chart over a sequence: a value axis on the left, labels below."""

    top: Decimal
    count: int
    height: int = 300
    left: int = 84
    right: int = 12
    upper: int = 34
    lower: int = 44

    @property
    def width(self) -> float:
        return WIDTH - self.left - self.right

    @property
    def base(self) -> float:
        return self.height - self.lower

    @property
    def slot(self) -> float:
        return self.width / max(self.count, 1)

    def y(self, value: Decimal) -> float:
        return self.base - float(value / self.top) * (self.base - self.upper)

    def centre(self, index: int) -> float:
        return self.left + index * self.slot + self.slot / 2


def _frame(plot: _Plot, labels: Sequence[str], value_text: ValueText) -> list[SafeString]:
    """The grid with its values, the labels of the sequence (every other one lower when many)."""
    parts = []
    for tick in range(5):
        value = plot.top * tick / 4
        y = plot.y(value)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                plot.left,
                _n(y),
                WIDTH - plot.right,
                _n(y),
                GRID_COLOUR,
                plot.left - 6,
                _n(y + 4),
                MUTED_COLOUR,
                value_text(value),
            )
        )
    for index, label in enumerate(labels):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                _n(plot.centre(index)),
                plot.base + 16 + (12 if len(labels) > 12 and index % 2 else 0),
                TEXT_COLOUR,
                label,
            )
        )
    return parts


def _legend(plot: _Plot, series: Sequence[Series]) -> SafeString:
    step = 170 if len(series) > 2 else 140
    return format_html_join(
        "",
        '<rect x="{}" y="8" width="12" height="12" fill="{}"/>'
        '<text x="{}" y="18" fill="{}">{}</text>',
        (
            (plot.left + i * step, s.colour, plot.left + i * step + 16, TEXT_COLOUR, s.label)
            for i, s in enumerate(series)
        ),
    )


def _axis(plot: _Plot) -> SafeString:
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
        plot.left,
        _n(plot.base),
        WIDTH - plot.right,
        _n(plot.base),
        TEXT_COLOUR,
    )


def _plot(labels: Sequence[str], series: Sequence[Series], value_text: ValueText) -> _Plot:
    """The frame, with room on the left for the longest value of the axis (about 7 pixels per
    character at 12 pixels)."""
    top = nice_ceiling(_largest(series))
    longest = max(len(value_text(top * tick / 4)) for tick in range(5))
    return _Plot(top, len(labels), left=max(84, 7 * longest + 14))


def column_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    value_text: ValueText,
) -> SafeString:
    """Grouped columns, one group per label, one column per series; each column has a `<title>`
    with its label, series and value. A zero or missing value draws nothing (the table says 0)."""
    plot = _plot(labels, series, value_text)
    parts = _open(chart_id, plot.height, title, desc, 12)
    parts += _frame(plot, labels, value_text)
    width = max(min(plot.slot * 0.8 / max(len(series), 1), 28.0), 1.0)
    for index, label in enumerate(labels):
        left = plot.left + index * plot.slot + (plot.slot - width * len(series)) / 2
        for offset, one in enumerate(series):
            value = one.values[index]
            if value is None or value <= 0:
                continue
            y = plot.y(value)
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}"><title>{} {}: {}</title></rect>',
                    one.css,
                    _n(left + offset * width),
                    _n(y),
                    _n(width),
                    _n(plot.base - y),
                    one.colour,
                    label,
                    one.label,
                    value_text(value),
                )
            )
    parts += [_legend(plot, series), _axis(plot), SafeString("</svg>")]
    return SafeString("".join(parts))


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    value_text: ValueText,
) -> SafeString:
    """One line per series over the labels, a marked point per value with its `<title>`; a
    reference series is dashed. A missing value breaks the line."""
    plot = _plot(labels, series, value_text)
    parts = _open(chart_id, plot.height, title, desc, 12)
    parts += _frame(plot, labels, value_text)
    for one in series:
        runs: list[list[tuple[float, float]]] = [[]]
        for index, value in enumerate(one.values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append((plot.centre(index), plot.y(value)))
        for run in runs:
            if len(run) > 1:
                parts.append(
                    format_html(
                        '<polyline class="{}" points="{}" fill="none" stroke="{}" '
                        'stroke-width="2"{}/>',
                        one.css,
                        " ".join(f"{_n(x)},{_n(y)}" for x, y in run),
                        one.colour,
                        SafeString(' stroke-dasharray="6 4"') if one.dashed else "",
                    )
                )
        for index, value in enumerate(one.values):
            if value is None or one.dashed:
                continue
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{} {}: {}</title></circle>',
                    _n(plot.centre(index)),
                    _n(plot.y(value)),
                    one.colour,
                    labels[index],
                    one.label,
                    value_text(value),
                )
            )
    parts += [_legend(plot, series), _axis(plot), SafeString("</svg>")]
    return SafeString("".join(parts))


ROW_HEIGHT = 42  # a line for the name, then the bar
BAR_HEIGHT = 16
MARGIN = 8


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    empty: str,
    value_room: int = 210,
    colour: str = PALETTE[0],
) -> SafeString:
    """One horizontal bar per group, its length the value, the longest scale at a round number;
    the name above each bar and its figures in words beside it (`value_room` pixels for them)."""
    top = nice_ceiling(max([b.value for b in bars] + [Decimal(0)]))
    plot_width = WIDTH - 2 * MARGIN - value_room
    height = 2 * MARGIN + ROW_HEIGHT * max(len(bars), 1)
    parts = _open(chart_id, height, title, desc, 13)
    if not bars:
        parts.append(
            format_html(
                '<text x="{}" y="{}" fill="{}">{}</text>', MARGIN, MARGIN + 20, TEXT_COLOUR, empty
            )
        )
    for index, bar in enumerate(bars):
        y = MARGIN + index * ROW_HEIGHT
        length = float(bar.value / top) * plot_width if bar.value > 0 else 0.0
        length = max(length, 1.0)  # a hairline still marks a group with nothing yet
        parts.append(
            format_html(
                '<g><text x="{}" y="{}" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" fill="{}">{}</text></g>',
                MARGIN,
                y + 14,
                TEXT_COLOUR,
                bar.label,
                MARGIN,
                y + 20,
                _n(length),
                BAR_HEIGHT,
                colour,
                bar.label,
                bar.text,
                _n(MARGIN + length + 6),
                y + 20 + BAR_HEIGHT - 3,
                TEXT_COLOUR,
                bar.text,
            )
        )
    parts.append(SafeString("</svg>"))
    return SafeString("".join(parts))
