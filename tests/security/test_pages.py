"""The portal, the review and finance workspaces and the account pages, for every role: GET and
POST of every URL pattern, against the table (`table.PAGES`), written from the README."""

from __future__ import annotations

import time

from tests.security.probe import report
from tests.security.table import PAGES
from tests.security.walk import Walker, url_of
from tests.security.world import PAGE_ROLES, World


def test_every_page_answers_every_role_as_the_readme_says(world: World) -> None:
    started = time.perf_counter()
    walker = Walker(world, world.page_client)
    for key, row in PAGES.items():
        walker.walk_row(key, row, PAGE_ROLES, url_of)
    print(walker.summary(started))
    assert not walker.mismatches, report(walker.mismatches)
