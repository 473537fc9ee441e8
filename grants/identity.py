"""The fund as the sender of letters and e-mails.

Letters: a fund whose identity is incomplete (`Fund.letter_gaps`) issues none; the side effects
that would have issued them wait under `letters_key(fund)` (`workflows.effects.Postponed`) until
`grants.services.resume_letters` lets them run.

E-mails (`mail_sender`, registered with `workflows.senders` when the app is ready):
Every message carries the fund's name as the display name of From, its contact e-mail as
Reply-To (people read it; the From address may be a no-reply one) and the sign-off the templates
print (`emails/_sign_off.txt`, `.html`): the fund's own words or "The team of <fund>", and its
address and contact lines, all in the recipient's language (the sender is asked under it).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from grants.models import Fund, site_fund
from workflows import effects
from workflows.senders import Sender, fallback


def letters_key(fund: Fund) -> str:
    """What the letters of `fund` wait for while its identity is incomplete."""
    return f"fund-letters:{fund.pk}"


def letters_waiting(fund: Fund) -> int:
    """How many letters of `fund` wait for its identity to be completed."""
    return effects.waiting_for(letters_key(fund)).count()


def sign_off(fund: Fund) -> str:
    """Who signs the fund's e-mails, in the active language."""
    return (fund.mail_sign_off or "").strip() or gettext("The team of %(fund)s") % {
        "fund": fund.name
    }


def contact_lines(fund: Fund) -> list[str]:
    """The fund's postal address and contact details as the lines under an e-mail's sign-off
    (only those given)."""
    place = " ".join(part for part in (fund.postcode, fund.city) if part)
    address = ", ".join(
        part for part in (fund.office, fund.street, place, fund.country_name) if part
    )
    reach = []
    if fund.contact_email:
        reach.append(gettext("E-mail: %(address)s") % {"address": fund.contact_email})
    if fund.contact_phone:
        reach.append(gettext("Telephone: %(number)s") % {"number": fund.contact_phone})
    return [line for line in (fund.name, address, " · ".join(reach)) if line]


def mail_sender(about: Any = None) -> Sender:
    """The sender of a message about `about` (a fund; else the site's fund)."""
    fund = about if isinstance(about, Fund) else site_fund()
    if fund is None:
        return fallback()
    return Sender(
        name=fund.name,
        reply_to=(fund.contact_email,) if fund.contact_email else (),
        context={
            "site_name": fund.name,
            "sign_off": sign_off(fund),
            "sender_lines": contact_lines(fund),
        },
    )
