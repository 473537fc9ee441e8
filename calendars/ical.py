"""The feed as an iCalendar document (RFC 5545), written with the `icalendar` package."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent

from calendars.selectors import CLAIM_SLOT, Event
from workflows.senders import site_host

PRODUCT_ID = "-//microgrants//calendar feed//EN"


def calendar_bytes(
    events: Iterable[Event], *, name: str, absolute: Callable[[str], str], now: datetime
) -> bytes:
    """The document: one VEVENT per event, UIDs scoped by the site's host name so two sites'
    feeds in one calendar app never collide."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # Calendar apps that honour it fetch again within the hour.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    host = site_host()
    for event in events:
        entry = VEvent()
        entry.add("uid", f"{event.uid}@{host}")
        entry.add("dtstamp", now)
        entry.add("summary", event.summary)
        url = absolute(event.path)
        entry.add("description", f"{event.description}\n{url}")
        entry.add("url", url)
        if event.day is not None:
            entry.add("dtstart", event.day)
            entry.add("dtend", event.day + timedelta(days=1))
            entry.add("transp", "TRANSPARENT")
        else:
            assert event.at is not None
            entry.add("dtstart", event.at)
            entry.add("dtend", event.at + CLAIM_SLOT)
        calendar.add_component(entry)
    return calendar.to_ical()


def feed_name() -> str:
    return _("Deadlines – microgrants")
