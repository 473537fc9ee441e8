"""Writes of the showcase: consent, the grantee's text and photos, and the moderation steps.

Every status change goes through `workflows.perform()` (audit row included); the consent that
creates a showcase writes its own audit row ("consent"). Photos are checked with Pillow and
re-encoded as JPEG without metadata before anything is stored.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from applications.models import theme_codes_of
from grants.models import Grant
from organisations.choices import LegalForm
from organisations.models import Organisation
from public import rules
from public.models import (
    FUNDED_STATES,
    OUTCOME_STATES,
    ProjectShowcase,
    ShowcasePhoto,
    ShowcaseStatus,
    showcase_slug,
    theme_list,
)
from workflows import clock, perform
from workflows.errors import InvalidInput, TransitionForbidden, WorkflowError
from workflows.models import TransitionLog
from workflows.storage import all_or_no_files, remove_file
from workflows.text import clean_text

# Photos: what is accepted, and how large the stored copy is at most.
PHOTO_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
PHOTO_MAX_SIDE = 2000
PHOTO_MAX_PIXELS = 40_000_000  # 40 megapixels: more is a decompression bomb, not a photo
PHOTO_QUALITY = 85
PHOTOS_PER_PROJECT = 12


def photo_max_bytes() -> int:
    return int(getattr(settings, "MICROGRANTS_PHOTO_MAX_BYTES", 8 * 2**20))


# --- the copies the public list reads ----------------------------------------------------------

COPIED_FIELDS = [
    "organisation_name", "city", "country", "region", "programme", "year", "themes", "search_text",
]  # fmt: skip


def copy_public_fields(showcase: ProjectShowcase) -> list[str]:
    """Set the showcase's copies of its grant, application and organisation (not saved); the
    names of the fields set. Reads showcase.grant.application.organisation."""
    grant = showcase.grant
    application = grant.application
    organisation = application.organisation
    informal = organisation.legal_form == LegalForm.INFORMAL_GROUP
    showcase.organisation_name = "" if informal else organisation.name
    showcase.city = organisation.city
    showcase.country = organisation.country
    showcase.region = organisation.region
    showcase.programme_id = grant.programme_id
    showcase.year = grant.project_start.year
    showcase.themes = theme_list(theme_codes_of(application.themes))
    showcase.search_text = showcase.fold_search_text()
    return COPIED_FIELDS


def refresh_copies_for_organisation(organisation: Organisation) -> int:
    """Copy an organisation's public face (name, town, country, region) again onto the pages
    of its projects; the number of pages. Called when an organisation is saved."""
    showcases = list(
        ProjectShowcase.objects.filter(grant__application__organisation=organisation)
        .select_related("grant__application")
        .order_by("pk")
    )
    for showcase in showcases:
        showcase.grant.application.organisation = organisation
        copy_public_fields(showcase)
    # Only the copies: a bulk update leaves the status and the texts as they are.
    ProjectShowcase.objects.bulk_update(showcases, COPIED_FIELDS)
    return len(showcases)


# --- consent -----------------------------------------------------------------------------------


def _check_funded(grant: Grant) -> None:
    if grant.status not in FUNDED_STATES:
        raise WorkflowError(
            _("Only a funded project (the grant accepted, not cancelled or revoked) can be shown."),
            code="not_funded",
        )


def give_consent(grant: Grant, *, by: Any) -> ProjectShowcase:
    """The organisation agrees to a public page of its project: a draft prefilled from the
    application (title, summary, places), or the withdrawn page back as a draft. Audit row."""
    if not rules.may_manage_showcase(grant, by):
        raise TransitionForbidden()
    with transaction.atomic():
        locked = (
            Grant.objects.select_for_update(of=("self", "application"))
            .select_related("application__organisation")
            .get(pk=grant.pk)
        )
        _check_funded(locked)
        existing = ProjectShowcase.objects.filter(grant=locked).first()
        if existing is not None:
            if existing.status != ShowcaseStatus.WITHDRAWN:
                return existing
            return perform(existing, "consent_again", by=by)
        application = locked.application
        showcase = ProjectShowcase(
            grant=locked,
            slug=showcase_slug(application.title, locked.pk),  # made again on publication
            title=application.title,
            summary=application.summary,
            places=application.places,
            consented_at=clock.now(),
            consented_by=by,
        )
        copy_public_fields(showcase)
        showcase.save(force_insert=True)
        TransitionLog.append(
            obj=showcase,
            transition="consent",
            source="",
            target=showcase.status,
            actor=by,
            note="",
            payload={},
        )
    return showcase


def withdraw_consent(showcase: ProjectShowcase, *, by: Any) -> ProjectShowcase:
    """The organisation takes its consent back: the page answers 410 Gone at once and leaves
    the list and the map. Audit row."""
    return perform(showcase, "withdraw_consent", by=by)


# --- the grantee's text ------------------------------------------------------------------------


def save_text(showcase: ProjectShowcase, *, by: Any, **fields: Any) -> ProjectShowcase:
    """Save the public text of a draft (title, summary, places, format, and the outcome once
    the final report is accepted). InvalidInput names the field of a refused value."""
    if not rules.may_manage_showcase(showcase, by):
        raise TransitionForbidden()
    with transaction.atomic():
        locked = (
            ProjectShowcase.objects.select_for_update(of=("self", "grant"))
            .select_related("grant__application__organisation")
            .get(pk=showcase.pk)
        )
        if not locked.is_editable:
            raise WorkflowError(
                _("Only a draft can be changed. Choose “Change the page” first."),
                code="not_editable",
            )
        limits = {"title": 200, "summary": 1000, "places": 300, "outcome": 4000}
        for name, limit in limits.items():
            if name not in fields:
                continue
            if name == "outcome" and locked.grant.status not in OUTCOME_STATES:
                continue  # written after the final report is accepted, not before
            setattr(locked, name, clean_text(fields[name], field=name, max_length=limit))
        if "project_format" in fields:
            locked.project_format = fields["project_format"] or ""
        if not locked.title:
            raise InvalidInput(_("Please give the project a title."), code="text_missing", field="title")  # fmt: skip
        copy_public_fields(locked)
        locked.save()
    return locked


def outcome_open(showcase: ProjectShowcase) -> bool:
    """Whether the grantee may write the outcome text (the final report is accepted)."""
    return showcase.grant.status in OUTCOME_STATES


def submit_showcase(showcase: ProjectShowcase, *, by: Any) -> ProjectShowcase:
    """Ask the fund to publish the page (a moderation task for staff). Audit row."""
    return perform(showcase, "submit", by=by)


def revise_showcase(showcase: ProjectShowcase, *, by: Any) -> ProjectShowcase:
    """Back to a draft to change it; off the public pages until published again. Audit row."""
    return perform(showcase, "revise", by=by)


# --- moderation (staff, in the admin) -----------------------------------------------------------


def publish_showcase(showcase: ProjectShowcase, *, by: Any, note: str = "") -> ProjectShowcase:
    """Staff publish the page (the grant must be funded) with fresh copies of what the list
    filters and shows. Audit row."""
    _check_funded(showcase.grant)
    with transaction.atomic():
        published = perform(showcase, "publish", by=by, note=note)
        published.save(update_fields=copy_public_fields(published))
    return published


def request_showcase_changes(
    showcase: ProjectShowcase, *, by: Any, message: str, note: str = ""
) -> ProjectShowcase:
    """Staff send the page back to the grantee with a message. Audit row."""
    return perform(showcase, "request_changes", by=by, note=note, message=message)


def hide_showcase(
    showcase: ProjectShowcase, *, by: Any, reason: str, note: str = ""
) -> ProjectShowcase:
    """Staff take the page off the public side, saying why (410 Gone once published). Audit row."""
    return perform(showcase, "hide", by=by, note=note, reason=reason)


def approve_photo(photo: ShowcasePhoto, *, by: Any, note: str = "") -> ShowcasePhoto:
    """Staff approve a photo for the public page. Audit row."""
    return perform(photo, "approve", by=by, note=note)


def hide_photo(photo: ShowcasePhoto, *, by: Any, reason: str, note: str = "") -> ShowcasePhoto:
    """Staff hide a photo, saying why. Audit row."""
    return perform(photo, "hide", by=by, note=note, reason=reason)


# --- photos --------------------------------------------------------------------------------------


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Refuse truncated images while decoding an upload. WeasyPrint switches Pillow's global
    LOAD_TRUNCATED_IMAGES on when it is imported, which would let a cut-off photo through,
    padded with grey; the flag is restored afterwards (the PDFs embed no uploaded images)."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _photo_error(message: Any, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, field="image")


def reencode_photo(upload: UploadedFile) -> tuple[bytes, int, int]:
    """The upload as a JPEG without metadata, turned upright and at most PHOTO_MAX_SIDE pixels
    wide and high; InvalidInput (field "image") for anything that is not such a photo."""
    limit = photo_max_bytes()
    if upload.size is None or upload.size > limit:
        raise _photo_error(
            _("The photo is too large (%(size)s). Photos may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size or 0), "limit": filesizeformat(limit)},
            "photo_too_large",
        )
    if upload.size == 0:
        raise _photo_error(_("The file is empty."), "photo_empty")
    try:
        upload.seek(0)
        with warnings.catch_warnings(), _strict_decoding():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                found = probe.format
                probe.verify()
            if found not in PHOTO_FORMATS:
                raise _photo_error(
                    _("Photos must be JPEG, PNG or WebP images; this file is %(kind)s.")
                    % {"kind": found or _("of another kind")},
                    "photo_wrong_type",
                )
            upload.seek(0)
            with Image.open(upload) as image:
                if image.width * image.height > PHOTO_MAX_PIXELS:
                    raise _photo_error(
                        _("The photo has too many pixels. Please make it smaller."),
                        "photo_too_many_pixels",
                    )
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
                rgb.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
                out = io.BytesIO()
                # A new image, saved without exif=: no EXIF, GPS or comment survives.
                rgb.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
                return out.getvalue(), rgb.width, rgb.height
    except InvalidInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _photo_error(
            _("This file is not an image we can read. Please upload a JPEG, PNG or WebP photo."),
            "photo_not_an_image",
        ) from None
    except (OSError, ValueError, SyntaxError) as error:  # truncated or broken image data
        raise _photo_error(
            _("This image is damaged and cannot be read. Please export it again and retry."),
            "photo_damaged",
        ) from error


def add_photo(
    showcase: ProjectShowcase,
    *,
    by: Any,
    upload: UploadedFile,
    alt_text: str,
    caption: str = "",
    rights_confirmed: bool = False,
) -> ShowcasePhoto:
    """Check, re-encode and store a photo; it waits for moderation. Writes the file, then its
    row (the file goes if the row cannot be written)."""
    if not rules.may_manage_showcase(showcase, by):
        raise TransitionForbidden()
    if showcase.status == ShowcaseStatus.WITHDRAWN:
        raise WorkflowError(_("Consent was withdrawn: give it again to add photos."), code="withdrawn")  # fmt: skip
    alt = clean_text(alt_text, field="alt_text", max_length=300, required=_("Please describe the photo for people who cannot see it."), code="alt_missing")  # fmt: skip
    caption = clean_text(caption, field="caption", max_length=300)
    if rights_confirmed is not True:
        raise InvalidInput(
            _("Please confirm that you hold the rights to this photo and that the people on it agree."),
            code="rights_missing",
            field="rights_confirmed",
        )  # fmt: skip
    if showcase.photos.count() >= PHOTOS_PER_PROJECT:
        raise _photo_error(
            _("A project page holds at most %(count)s photos. Please delete one first.")
            % {"count": PHOTOS_PER_PROJECT},
            "too_many_photos",
        )
    data, width, height = reencode_photo(upload)
    photo = ShowcasePhoto(
        showcase=showcase,
        width=width,
        height=height,
        caption=caption,
        alt_text=alt,
        rights_confirmed_at=clock.now(),
        uploaded_by=by,
        uploaded_at=clock.now(),
    )
    with all_or_no_files() as written:
        written.save(photo.image, "photo.jpg", ContentFile(data))
        photo.save()
    return photo


def delete_photo(photo: ShowcasePhoto, *, by: Any) -> None:
    """The grantee removes a photo: the row now, the file once that is committed."""
    if not rules.may_manage_showcase(photo, by):
        raise TransitionForbidden()
    storage, name = photo.image.storage, photo.image.name
    with transaction.atomic():
        deleted, _rows = ShowcasePhoto.objects.filter(pk=photo.pk).delete()
        if deleted:
            transaction.on_commit(lambda: remove_file(storage, name))
