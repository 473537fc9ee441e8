"""The showcase's map: a tile cartogram of the German Länder and the French régions.

Each region is one square, laid out by hand in a grid that keeps the neighbourhoods recognisable
(France to the west, Germany to the east, the overseas régions in a row below). No boundary
data is shipped: the layout below is the whole map, drawn on the server as SVG.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
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

    # The tiles and the table rows are drawn here rather than by a template loop (34 tiles,
    # each with a plural title, cost several template renders per tile for the same markup),
    # and with f-strings rather than format_html, which costs as much again as the page's
    # query. Every text is escaped here; the numbers are ints.

    def svg_tiles(self) -> SafeString:
        """One link per region: its square, short label and count, titled for screen readers."""
        size = self.tile
        links = "\n".join(
            f'<a href="{escape(tile.url)}" class="tile shade-{tile.shade:d}">'
            f"<title>{escape(_tile_title(tile))}</title>"
            f'<rect x="{tile.x:d}" y="{tile.y:d}" width="{size:d}" height="{size:d}" rx="4"></rect>'
            f'<text x="{tile.cx:d}" y="{tile.y + 24:d}" text-anchor="middle" aria-hidden="true">'
            f"{escape(tile.short)}</text>"
            f'<text x="{tile.cx:d}" y="{tile.y + 44:d}" text-anchor="middle" class="count" '
            f'aria-hidden="true">{tile.count:d}</text></a>'
            for tile in self.tiles
        )
        return mark_safe(links)  # noqa: S308  (escaped above)

    def table_bodies(self) -> SafeString:
        """The same numbers as a table: a body per country, its regions by name."""
        countries = {"DE": gettext("Germany"), "FR": gettext("France")}
        bodies = "\n".join(
            f'<tbody><tr><th scope="rowgroup" colspan="2">{escape(countries[country])}</th></tr>'
            + "".join(
                f'<tr><th scope="row"><a href="{escape(tile.url)}">{escape(tile.name)}</a></th>'
                f"<td>{tile.count:d}</td></tr>"
                for tile in tiles
            )
            + "</tbody>"
            for country, tiles in self.by_country.items()
        )
        return mark_safe(bodies)  # noqa: S308  (escaped above)


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
