"""The REST API for every role, a funder's token of programme X among them: every read
endpoint (lists checked row by row), the transition listings, GET and POST, against the table
(`table.API`). Transitions themselves are walked in test_transitions."""

from __future__ import annotations

import time

from tests.security.probe import report
from tests.security.table import API
from tests.security.walk import Walker, url_of
from tests.security.world import API_ROLES, World


def test_every_api_endpoint_answers_every_role_as_the_readme_says(world: World) -> None:
    started = time.perf_counter()
    walker = Walker(world, world.api_client)
    for key, row in API.items():
        walker.walk_row(key, row, API_ROLES, url_of)
    print(walker.summary(started))
    assert not walker.mismatches, report(walker.mismatches)
