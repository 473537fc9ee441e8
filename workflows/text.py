"""The input rules every step shares, whatever the door: free text and reply dates.

One cleaner for the text a person types (a message, reasons, a note, a name): the transition
methods call it, and so do the forms of the pages, the admin and the API (through
`workflows.fields`), so a refusal reads the same wherever the text came in. Each refusal is an
`InvalidInput` that names its field, for a form to show it beside the field.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from workflows import clock
from workflows.errors import InvalidInput

# Messages to an applicant or grantee, reasons, conditions and notes: a letter's worth. Longer
# text is a pasted document (or an attack), refused rather than stored.
LONG_TEXT = 5_000
# A reviewer's comments on an assessment.
COMMENT_TEXT = 10_000
# A person's name, as typed to sign (the column holds 200 characters).
NAME_TEXT = 200
# A reply deadline further away than this is a typing error.
LONGEST_REPLY_DAYS = 365

REASON_MISSING = _("Please give the reason.")


def clean_text(
    value: Any,
    *,
    field: str = "",
    max_length: int | None = LONG_TEXT,
    required: object = None,
    code: str = "text_missing",
) -> str:
    """`value` as stripped text, line breaks as "\\n" (a browser sends "\\r\\n"; each counts once).

    Refused, as an InvalidInput naming `field`: anything but a string (None reads as empty),
    characters no database stores (NUL, a lone surrogate), text longer than `max_length`
    (None: no limit) and, when `required` is the message to say, empty text (with `code`).
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_("Please enter this as text."), code="not_text", field=field)
    if "\x00" in value or not _encodable(value):
        raise InvalidInput(
            _("The text contains an invalid character. Please retype it."),
            code="invalid_text",
            field=field,
        )
    value = value.replace("\r\n", "\n").strip()
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(
            _("Please shorten this to at most %(max)d characters (it has %(length)d).")
            % {"max": max_length, "length": len(value)},
            code="text_too_long",
            field=field,
        )
    if required is not None and not value:
        raise InvalidInput(required, code=code, field=field)
    return value


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800"
        return False
    return True


def clean_reply_date(value: Any, *, field: str = "reply_by") -> date:
    """A reply deadline: a date (not a time) after today and at most a year ahead."""
    today = clock.today()
    if not isinstance(value, date) or isinstance(value, datetime):
        message: object = _("Please give the date by which to reply.")
    elif value <= today:
        message = _("The reply deadline must be a future date.")
    elif value > today + timedelta(days=LONGEST_REPLY_DAYS):
        message = _("The reply deadline must be within a year from today.")
    else:
        return value
    raise InvalidInput(message, code="bad_deadline", field=field)
