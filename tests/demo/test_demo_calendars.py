"""The demo's calendars and saved filters: `seed_demo` prints a feed address for the applicant,
the reviewer and the manager, each feed has events, and the reviewer and the manager find
their saved filters on their lists."""

from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command
from django.test import Client
from icalendar import Calendar

from demo import builders as demo
from workflows.models import SavedFilter


def test_the_demo_people_have_feeds_with_events_and_saved_filters(db):
    out = StringIO()
    call_command("seed_demo", size=40, seed=7, stdout=out, stderr=StringIO())
    printed = dict(
        re.findall(r"^  (\w[\w.-]*): https?://[^/]+(/calendar/\S+\.ics)$", out.getvalue(), re.M)
    )
    cast = demo.create_cast()

    assert set(printed) == {
        cast.applicant.get_username(),
        cast.reviewer.get_username(),
        cast.manager.get_username(),
    }
    for username, path in printed.items():
        answer = Client().get(path)
        assert answer.status_code == 200, username
        found = Calendar.from_ical(answer.content).walk("VEVENT")
        assert found, f"{username}'s demo feed has no event"
    reviewer_feed = Client().get(printed[cast.reviewer.get_username()]).content.decode()
    assert "review-task-" in reviewer_feed  # the claim the reviewer holds
    assert SavedFilter.objects.filter(user=cast.manager).count() == 2
    assert SavedFilter.objects.filter(user=cast.reviewer).count() == 2
