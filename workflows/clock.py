"""The one clock of the domain: today's date and the current time, with time travel.

Rules (lead times, deadlines, lapses) read the date from here, so that demo data can replay a
history and tests can step past a deadline without patching the standard library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_offset: ContextVar[timedelta] = ContextVar("microgrants_clock_offset", default=timedelta(0))


def now() -> datetime:
    return timezone.now() + _offset.get()


def today() -> date:
    return timezone.localtime(now()).date()


@contextmanager
def travel_to(day: date) -> Iterator[None]:
    """Run the block as if today were `day` (at the current time of day)."""
    current = timezone.localtime(timezone.now())
    target = timezone.make_aware(datetime.combine(day, time()), current.tzinfo)
    target += timedelta(hours=current.hour, minutes=current.minute, seconds=current.second)
    token = _offset.set(target - current)
    try:
        yield
    finally:
        _offset.reset(token)
