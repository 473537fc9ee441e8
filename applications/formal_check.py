"""The formal check (recevabilité): its checklist and the words of its outcomes.

`Application.pass_formal_check` takes the checklist and passes only with every item ticked,
`Application.request_changes` needs a message and `Application.reject` its reasons, whatever the
door: the check and decision pages, the admin's transition forms or the API. The audit row of
the step keeps the checklist it was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from workflows.errors import InvalidInput

# What the formal check looks at; every item must be "yes" for the check to pass.
CHECKLIST: tuple[tuple[str, Any], ...] = (
    ("complete", _("Complete: every part filled in, the declarations confirmed and signed")),
    ("applicant", _("Eligible applicant (legal form, country)")),
    ("dates", _("The dates respect the lead time before the project start")),
    ("budget", _("Budget balanced and within the maximum share of eligible costs")),
    ("partners", _("Partners as the programme requires")),
    ("attachments", _("Attachments readable")),
)
CHECKLIST_CODES = tuple(code for code, _label in CHECKLIST)
# As a step takes it: the codes ticked, or {code: ticked?}.
Checklist = Mapping[str, object] | Iterable[str]

# A request for changes without a message leaves the applicant guessing; a rejection without
# reasons cannot be explained in its letter.
CHANGES_MESSAGE_MISSING = _("Please tell the applicant what to change or add.")
REJECTION_REASONS_MISSING = _("Please give the reasons for the rejection.")


def clean_checklist(checklist: Checklist) -> dict[str, bool]:
    """Every item of the checklist as yes/no; given as {code: bool} or as a list of the codes
    ticked. Anything else, or a code that is not an item, is refused (field "checklist")."""
    given: list[object]
    if isinstance(checklist, Mapping):
        given = list(checklist)
        ticked = [code for code, value in checklist.items() if value is True]
    elif isinstance(checklist, list | tuple):
        given = ticked = list(checklist)
    else:
        raise InvalidInput(
            _("Please tick the items of the checklist."), code="bad_checklist", field="checklist"
        )
    if not all(isinstance(code, str) and code in CHECKLIST_CODES for code in given):
        raise InvalidInput(
            _("Please choose from the items of the checklist."),
            code="bad_checklist",
            field="checklist",
        )
    return {code: code in ticked for code in CHECKLIST_CODES}


def as_recorded(checklist: Checklist) -> Checklist:
    """The checklist as the audit row keeps it, whatever the door: a list of codes becomes
    {code: True}. Anything else is handed on unchanged, for the step to refuse."""
    if isinstance(checklist, list | tuple) and all(isinstance(code, str) for code in checklist):
        return dict.fromkeys(checklist, True)
    return checklist


def not_ticked(codes: Iterable[str]) -> str:
    """Why the check does not pass: the items not ticked, by name."""
    wanting = set(codes)
    missing = [str(capfirst(label)) for code, label in CHECKLIST if code in wanting]
    return _("The formal check passes only when every item is met. Not ticked: %(items)s.") % {
        "items": "; ".join(missing)
    }


# The refusal of an empty checklist, in the language of whoever reads it.
NOTHING_TICKED = lazy(lambda: not_ticked(CHECKLIST_CODES), str)()


def require_every_item(checklist: Checklist) -> list[str]:
    """The codes of the checklist, all ticked; otherwise a refusal naming the items not ticked."""
    items = clean_checklist(checklist)
    missing = [code for code, ticked in items.items() if not ticked]
    if missing:
        raise InvalidInput(not_ticked(missing), code="checklist_incomplete", field="checklist")
    return list(CHECKLIST_CODES)
