"""The showcase's map: a tile cartogram of the German Länder and the French régions.

Each region is one square, laid out by hand in a grid that keeps the neighbourhoods recognisable
(France to the west, Germany to the east, the overseas régions in a row below). No boundary
data is shipped: the layout below is the whole map, drawn on the server as SVG.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from organisations.choices import Region

TILE = 58  # px, side of a tile
GAP = 4  # px between tiles
# Number of shades (0: no project; 1..SHADES-1 by share of the largest count).
SHADES = 5

# (region code, short label, column, row)
LAYOUT: tuple[tuple[str, str, int, int], ...] = (
    # France
    ("FR-HDF", "HDF", 3, 0),
    ("FR-NOR", "NOR", 2, 1),
    ("FR-IDF", "IDF", 3, 1),
    ("FR-GES", "GES", 4, 1),
    ("FR-BRE", "BRE", 1, 2),
    ("FR-PDL", "PDL", 2, 2),
    ("FR-CVL", "CVL", 3, 2),
    ("FR-BFC", "BFC", 4, 2),
    ("FR-NAQ", "NAQ", 3, 3),
    ("FR-ARA", "ARA", 4, 3),
    ("FR-OCC", "OCC", 3, 4),
    ("FR-PAC", "PAC", 4, 4),
    ("FR-20R", "COR", 5, 5),
    # Germany
    ("DE-SH", "SH", 7, 0),
    ("DE-MV", "MV", 8, 0),
    ("DE-HB", "HB", 6, 1),
    ("DE-HH", "HH", 7, 1),
    ("DE-BB", "BB", 8, 1),
    ("DE-BE", "BE", 9, 1),
    ("DE-NW", "NW", 6, 2),
    ("DE-NI", "NI", 7, 2),
    ("DE-ST", "ST", 8, 2),
    ("DE-SN", "SN", 9, 2),
    ("DE-RP", "RP", 6, 3),
    ("DE-HE", "HE", 7, 3),
    ("DE-TH", "TH", 8, 3),
    ("DE-SL", "SL", 5, 3),
    ("DE-BW", "BW", 6, 4),
    ("DE-BY", "BY", 7, 4),
    # French overseas régions
    ("FR-971", "GP", 0, 6),
    ("FR-972", "MQ", 1, 6),
    ("FR-973", "GF", 2, 6),
    ("FR-974", "RE", 3, 6),
    ("FR-976", "YT", 4, 6),
)
COLUMNS = 1 + max(col for _c, _l, col, _r in LAYOUT)
ROWS = 1 + max(row for _c, _l, _col, row in LAYOUT)
WIDTH = COLUMNS * (TILE + GAP)
HEIGHT = ROWS * (TILE + GAP)


@dataclass(frozen=True)
class Tile:
    code: str
    short: str
    name: str
    count: int
    shade: int
    x: int
    y: int
    url: str

    @property
    def cx(self) -> int:
        return self.x + TILE // 2


@dataclass(frozen=True)
class MapData:
    tiles: list[Tile]
    width: int
    height: int
    tile: int
    total: int
    largest: int

    @property
    def by_country(self) -> dict[str, list[Tile]]:
        groups: dict[str, list[Tile]] = {"DE": [], "FR": []}
        for tile in sorted(self.tiles, key=lambda t: t.name):
            groups[tile.code[:2]].append(tile)
        return groups

    # The tiles and the table rows are drawn here rather than by a template loop: 34 tiles,
    # each with a plural title, cost several template renders per tile for the same markup.

    def svg_tiles(self) -> SafeString:
        """One link per region: its square, short label and count, titled for screen readers."""
        return format_html_join(
            "\n",
            '<a href="{}" class="tile shade-{}"><title>{}</title>'
            '<rect x="{}" y="{}" width="{}" height="{}" rx="4"></rect>'
            '<text x="{}" y="{}" text-anchor="middle" aria-hidden="true">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" class="count" aria-hidden="true">{}</text>'
            "</a>",
            (
                (
                    tile.url, tile.shade, _tile_title(tile),
                    tile.x, tile.y, self.tile, self.tile,
                    tile.cx, tile.y + 24, tile.short,
                    tile.cx, tile.y + 44, tile.count,
                )
                for tile in self.tiles
            ),
        )  # fmt: skip

    def table_bodies(self) -> SafeString:
        """The same numbers as a table: a body per country, its regions by name."""
        countries = {"DE": gettext("Germany"), "FR": gettext("France")}
        return format_html_join(
            "\n",
            '<tbody><tr><th scope="rowgroup" colspan="2">{}</th></tr>{}</tbody>',
            (
                (
                    countries[country],
                    format_html_join(
                        "",
                        '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td></tr>',
                        ((tile.url, tile.name, tile.count) for tile in tiles),
                    ),
                )
                for country, tiles in self.by_country.items()
            ),
        )


def _tile_title(tile: Tile) -> str:
    return ngettext(
        "%(name)s: %(counter)s project", "%(name)s: %(counter)s projects", tile.count
    ) % {
        "name": tile.name,
        "counter": tile.count,
    }


def shade(count: int, largest: int) -> int:
    """0 for none; else 1..SHADES-1 in equal steps of the largest count."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, min(SHADES - 1, -(-count * (SHADES - 1) // largest)))


def map_tiles(counts: dict[str, int]) -> MapData:
    names: dict[str, Any] = dict(Region.choices)
    largest = max(counts.values(), default=0)
    base = reverse("public:projects")
    tiles = [
        Tile(
            code=code,
            short=short,
            name=str(names[code]),
            count=counts.get(code, 0),
            shade=shade(counts.get(code, 0), largest),
            x=col * (TILE + GAP),
            y=row * (TILE + GAP),
            url=f"{base}?{urlencode({'region': code})}",
        )
        for code, short, col, row in LAYOUT
    ]
    return MapData(
        tiles=tiles,
        width=WIDTH,
        height=HEIGHT,
        tile=TILE,
        total=sum(counts.values()),
        largest=largest,
    )
