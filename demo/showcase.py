"""Showcased projects for the demo and the tests: consent, text, photos and moderation, each
through the public app's services (so the audit rows exist as in production). The photos are
drawn with Pillow on the spot: nothing is downloaded."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from grants.models import Grant
from public import services
from public.models import OUTCOME_STATES, ProjectShowcase

# Colour pairs of the drawn photos (sky, ground).
PALETTES = [
    ((116, 169, 207), (86, 140, 72)),
    ((240, 190, 120), (160, 90, 60)),
    ((170, 200, 230), (200, 200, 190)),
    ((90, 110, 170), (230, 220, 120)),
]


def demo_photo(number: int = 0, *, size: tuple[int, int] = (640, 420), fmt: str = "JPEG") -> bytes:
    """A small landscape: a sky, a ground, a sun and a row of people as circles."""
    sky, ground = PALETTES[number % len(PALETTES)]
    width, height = size
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=ground)
    draw.ellipse((width - 120, 30, width - 50, 100), fill=(250, 220, 90))
    for i in range(3 + number % 4):
        x = 60 + i * 80
        draw.ellipse((x, height // 2, x + 40, height // 2 + 40), fill=(60 + 30 * i, 60, 90))
        draw.rectangle((x + 8, height // 2 + 40, x + 32, height * 2 // 3 + 30), fill=(60, 60, 90))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def photo_upload(number: int = 0, **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"foto-{number}.jpg", demo_photo(number, **kwargs), "image/jpeg")


def publish_project(
    grant: Grant,
    *,
    by: Any,
    moderator: Any,
    title: str | None = None,
    project_format: str = "encounter",
    outcome: str = "",
    photos: int = 0,
) -> ProjectShowcase:
    """Consent, text, photos (approved) and publication of one funded project."""
    showcase = services.give_consent(grant, by=by)
    fields: dict[str, Any] = {"project_format": project_format}
    if title is not None:
        fields["title"] = title
    if outcome and grant.status in OUTCOME_STATES:
        fields["outcome"] = outcome
    showcase = services.save_text(showcase, by=by, **fields)
    for number in range(photos):
        photo = services.add_photo(
            showcase,
            by=by,
            upload=photo_upload(grant.pk + number),
            alt_text="Teilnehmende beider Städte vor dem Rathaus",
            caption="Gemeinsames Fest / Fête commune",
            rights_confirmed=True,
        )
        services.approve_photo(photo, by=moderator)
    showcase = services.submit_showcase(showcase, by=by)
    return services.publish_showcase(showcase, by=moderator)


# --- the demo's showcase ---------------------------------------------------------------------------

# Projects published by `seed_showcase`, at most.
DEMO_PROJECTS = 10
FORMAT_WORDS = {
    "festival": ("festival", "chor", "musik", "jubiläum", "anniversaire", "chorales"),
    "workshop": ("werkstatt", "atelier", "kochkurs", "cuisine", "résidence", "residenz"),
    "sport": ("sport", "radtour", "vélo", "tournoi"),
    "conference": ("dialog", "dialogue"),
    "online": ("digital", "numérique"),
}
OUTCOMES = [
    "Mehr als hundert Menschen aus beiden Städten haben mitgemacht; ein Gegenbesuch ist für "
    "nächstes Jahr verabredet. / Plus de cent personnes des deux villes ont participé ; une "
    "visite retour est prévue l'an prochain.",
    "Aus dem Projekt ist eine feste Gruppe entstanden, die sich jeden Monat online trifft. / Le "
    "projet a fait naître un groupe qui se retrouve chaque mois en ligne.",
    "Die Schulen beider Orte haben eine Partnerschaft vereinbart. / Les écoles des deux villes "
    "ont conclu un partenariat.",
]


def format_of(title: str) -> str:
    lowered = title.lower()
    for code, words in FORMAT_WORDS.items():
        if any(word in lowered for word in words):
            return code
    return "encounter"


def seed_showcase(cast: Any, members: dict[int, Any], *, count: int = DEMO_PROJECTS) -> int:
    """Publish up to `count` funded projects of the demo (settled ones first, for their outcome
    texts), with drawn photos; the amounts of categories 1 and 2 are shown. Returns how many
    were added (none twice)."""
    from public.models import FUNDED_STATES, ShowcasePolicy

    for programme in cast.fund.programmes.filter(category__lte=2):
        ShowcasePolicy.objects.get_or_create(programme=programme, defaults={"publishes_amount": True})  # fmt: skip
    grants = (
        Grant.objects.filter(
            status__in=FUNDED_STATES,
            showcase__isnull=True,
            application__organisation_id__in=list(members),
        )
        .select_related("application")
        .order_by("-status", "-pk")  # settled and report_* before accepted
    )
    added = 0
    for grant in grants[:count]:
        publish_project(
            grant,
            by=members[grant.application.organisation_id],
            moderator=cast.manager,
            project_format=format_of(grant.application.title),
            outcome=OUTCOMES[added % len(OUTCOMES)],
            photos=1 + added % 2,
        )
        added += 1
    return added
