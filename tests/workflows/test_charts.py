"""The one chart module: every shape names itself for screen readers, escapes its words, gives
each mark its own title, and keeps the axis readable."""

from __future__ import annotations

from decimal import Decimal

from workflows import charts


def euros(value: Decimal) -> str:
    return f"{value:,.0f} €"


def test_a_line_chart_names_itself_and_breaks_at_a_gap():
    svg = charts.line_chart(
        ["Jan", "Feb", "Mar", "Apr"],
        [
            charts.Series("<b>Median</b>", [Decimal(3), None, Decimal(5), Decimal(4)]),
            charts.Series("Allocation", [Decimal(9)] * 4, dashed=True),
        ],
        chart_id="chart-x",
        title="Days & months",
        desc="Two lines.",
        value_text=euros,
    )
    assert 'role="img"' in svg and 'aria-labelledby="chart-x-title chart-x-desc"' in svg
    assert '<title id="chart-x-title">Days &amp; months</title>' in svg
    assert "&lt;b&gt;Median&lt;/b&gt;" in svg and "<b>" not in svg
    # The gap in February splits the median in two runs: one of a single point (no line) and
    # one from March to April; the dashed reference is one line without marks.
    assert svg.count("<polyline") == 2 and 'stroke-dasharray="6 4"' in svg
    assert svg.count("<circle") == 3  # Jan, Mar, Apr of the median


def test_columns_skip_zero_and_the_axis_makes_room_for_long_values():
    svg = charts.column_chart(
        ["2026"],
        [charts.Series("Paid", [Decimal("50000000")]), charts.Series("Repaid", [Decimal(0)])],
        chart_id="c",
        title="t",
        desc="d",
        value_text=euros,
    )
    assert svg.count('<rect class="bar"') == 1  # nothing drawn for zero
    assert "50,000,000 €" in svg
    assert 'x1="98"' in svg  # 12 characters need more than the 84 pixels of shorter labels


def test_bars_write_their_figures_and_say_when_there_is_nothing():
    svg = charts.bar_chart(
        [charts.Bar("DE", Decimal(3), "3 applications"), charts.Bar("FR", Decimal(0), "0")],
        chart_id="b",
        title="t",
        desc="d",
        empty="Nothing",
    )
    assert "<title>DE: 3 applications</title>" in svg and 'width="1.0"' in svg  # hairline
    empty = charts.bar_chart([], chart_id="e", title="t", desc="d", empty="Nothing yet")
    assert "Nothing yet" in empty


def test_the_top_of_the_axis_is_a_round_number():
    assert charts.nice_ceiling(Decimal("3700")) == Decimal("5000")
    assert charts.nice_ceiling(Decimal("2100")) == Decimal("2500")
    assert charts.nice_ceiling(Decimal(0)) == Decimal(1)
