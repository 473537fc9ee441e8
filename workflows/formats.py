"""Dates for messages, formatted when shown, in the reader's language.

`format_day(date(2026, 12, 15))` reads "15. Dezember 2026", "15 décembre 2026" or
"Dec. 15, 2026": written out, so that no reader mistakes the day for the month.
"""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format
from django.utils.functional import lazy


def _day(value: date) -> str:
    return date_format(value, "DATE_FORMAT", use_l10n=True)


format_day = lazy(_day, str)
