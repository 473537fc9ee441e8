"""A funded organisation shows its project to the public: it consents, writes the page, adds
photos and sends it to the fund; staff publish it; it can take it back at any time."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from applications.models import Application
from demo import builders as demo
from demo.showcase import demo_photo, photo_upload, publish_project
from grants.models import Grant
from grants.open_data import PUBLISHED_STATES
from organisations.choices import LegalForm
from public import services
from public.map import LAYOUT, map_tiles
from public.models import (
    FUNDED_STATES,
    PhotoStatus,
    ProjectShowcase,
    ShowcasePhoto,
    ShowcasePolicy,
    ShowcaseStatus,
)
from workflows.errors import InvalidInput, TransitionForbidden, WorkflowError
from workflows.models import TransitionLog


def grant_of(application: Application) -> Grant:
    return Grant.objects.get(application=application)


@pytest.fixture
def accepted(drive: Any) -> Grant:
    return grant_of(drive("approved", "accepted", title="Chorfestival Köln–Lyon 2026"))


@pytest.fixture
def settled(drive: Any) -> Grant:
    return grant_of(drive("approved", "settled", title="Jugendbegegnung Köln–Lyon 2025"))


def manage_url(grant: Grant) -> str:
    return reverse("public:showcase_manage", kwargs={"pk": grant.application_id})


# --- consent, moderation, publication ---------------------------------------------------------


def test_consent_then_moderation_then_the_public_reads_the_page(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    client.force_login(cast.applicant)
    assert client.get(manage_url(accepted)).status_code == 200
    client.post(manage_url(accepted), {"action": "consent", "confirm": "on"})
    showcase = ProjectShowcase.objects.get(grant=accepted)
    assert showcase.status == ShowcaseStatus.DRAFT
    assert showcase.title == "Chorfestival Köln–Lyon 2026"  # prefilled from the application

    answer = client.post(
        manage_url(accepted),
        {
            "action": "submit",
            "title": "Chorfestival der Partnerstädte",
            "summary": "Drei Chöre singen gemeinsam.",
            "places": "Köln",
            "project_format": "festival",
        },
    )
    assert answer.status_code == 302
    showcase.refresh_from_db()
    assert showcase.status == ShowcaseStatus.SUBMITTED
    client.logout()
    # Not public before staff publish it: never published, so 404.
    assert client.get(showcase.get_absolute_url()).status_code == 404
    assert "Chorfestival der Partnerstädte" not in client.get(reverse("public:projects")).content.decode()  # fmt: skip

    internal_address = showcase.get_absolute_url()
    showcase = services.publish_showcase(showcase, by=cast.manager)
    # The address follows the moderated public title, not the application's internal one.
    assert showcase.slug.startswith("chorfestival-der-partnerstadte")
    assert client.get(internal_address).status_code == 404

    page = client.get(showcase.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Chorfestival der Partnerstädte" in text
    assert "Köln ⇄ Lyon" in text
    assert "Comité de jumelage Lyon" in text
    listing = client.get(reverse("public:projects")).content.decode()
    assert "Chorfestival der Partnerstädte" in listing
    assert selectors_counts() == {"DE-NW": 1}
    steps = list(TransitionLog.objects.for_object(showcase).values_list("transition", flat=True))
    assert steps == ["consent", "submit", "publish"]


def selectors_counts() -> dict[str, int]:
    from public.selectors import counts_by_region

    return counts_by_region()


def test_staff_ask_for_changes_and_the_grantee_reads_the_message(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    showcase = services.give_consent(accepted, by=cast.applicant)
    showcase = services.submit_showcase(showcase, by=cast.applicant)
    services.request_showcase_changes(
        showcase, by=cast.manager, message="Bitte ohne Nachnamen im Text."
    )
    client.force_login(cast.applicant)
    page = client.get(manage_url(accepted)).content.decode()
    assert "Bitte ohne Nachnamen im Text." in page
    assert ProjectShowcase.objects.get(pk=showcase.pk).status == ShowcaseStatus.DRAFT


def test_withdrawn_consent_answers_410_and_leaves_list_and_map(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    showcase = publish_project(accepted, by=cast.applicant, moderator=cast.manager, photos=1)
    photo = showcase.photos.get()
    photo_url = reverse("public:project_photo", kwargs={"slug": showcase.slug, "photo": photo.pk})
    assert client.get(photo_url).status_code == 200
    client.force_login(cast.applicant)

    client.post(manage_url(accepted), {"action": "withdraw"})
    client.logout()

    assert client.get(showcase.get_absolute_url()).status_code == 410
    assert client.get(photo_url).status_code == 410
    assert showcase.title not in client.get(reverse("public:projects")).content.decode()
    assert selectors_counts() == {}
    map_page = client.get(reverse("public:project_map")).content.decode()
    assert "Nordrhein-Westfalen: 1" not in map_page and "North Rhine-Westphalia: 1 project" not in map_page  # fmt: skip


def test_consent_given_again_needs_moderation_again(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    showcase = publish_project(accepted, by=cast.applicant, moderator=cast.manager)
    services.withdraw_consent(showcase, by=cast.applicant)
    again = services.give_consent(accepted, by=cast.applicant)
    assert again.pk == showcase.pk and again.status == ShowcaseStatus.DRAFT
    assert client.get(showcase.get_absolute_url()).status_code == 410


def test_a_hidden_page_answers_410_a_never_published_one_404(
    client: Any, cast: demo.Cast, accepted: Grant, settled: Grant
) -> None:
    shown = publish_project(accepted, by=cast.applicant, moderator=cast.manager)
    services.hide_showcase(shown, by=cast.manager, reason="Foto mit Kindern ohne Einwilligung")
    draft = services.give_consent(settled, by=cast.applicant)

    assert client.get(shown.get_absolute_url()).status_code == 410
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/projects/no-such-project-1/").status_code == 404


def test_a_cancelled_grant_leaves_the_showcase(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    from grants import services as grant_services

    showcase = publish_project(accepted, by=cast.applicant, moderator=cast.manager)
    grant_services.cancel_grant(accepted, by=cast.applicant, reason="Projekt abgesagt")
    assert client.get(showcase.get_absolute_url()).status_code == 410
    assert selectors_counts() == {}


def test_funded_states_are_those_of_the_open_data() -> None:
    assert set(FUNDED_STATES) == set(PUBLISHED_STATES)


def test_an_offer_not_yet_accepted_cannot_be_shown(drive: Any, cast: demo.Cast) -> None:
    offered = grant_of(drive("approved", "offered"))
    with pytest.raises(WorkflowError) as refused:
        services.give_consent(offered, by=cast.applicant)
    assert refused.value.code == "not_funded"


# --- who may ----------------------------------------------------------------------------------


def test_another_organisation_cannot_consent_or_upload_for_someone_elses_grant(
    client: Any, cast: demo.Cast, accepted: Grant, other_applicant: Any
) -> None:
    client.force_login(other_applicant)
    assert client.get(manage_url(accepted)).status_code == 404
    assert client.post(manage_url(accepted), {"action": "consent", "confirm": "on"}).status_code == 404  # fmt: skip
    showcase = services.give_consent(accepted, by=cast.applicant)
    upload = reverse("public:showcase_photo_upload", kwargs={"pk": accepted.application_id})
    answer = client.post(upload, {"image": photo_upload(), "alt_text": "x", "rights_confirmed": "on"})  # fmt: skip
    assert answer.status_code == 404
    assert client.post(manage_url(accepted), {"action": "withdraw"}).status_code == 404
    assert ProjectShowcase.objects.get(pk=showcase.pk).status == ShowcaseStatus.DRAFT
    assert not ShowcasePhoto.objects.exists()


def test_staff_moderate_but_never_consent_for_the_grantee(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    client.force_login(cast.manager)
    assert client.post(manage_url(accepted), {"action": "consent", "confirm": "on"}).status_code == 404  # fmt: skip
    with pytest.raises(TransitionForbidden):
        services.give_consent(accepted, by=cast.manager)
    showcase = services.give_consent(accepted, by=cast.applicant)
    showcase = services.submit_showcase(showcase, by=cast.applicant)
    with pytest.raises(TransitionForbidden):
        services.publish_showcase(showcase, by=cast.applicant)  # no self-publication
    with pytest.raises(TransitionForbidden):
        services.publish_showcase(showcase, by=cast.reviewer)


# --- nothing personal -------------------------------------------------------------------------


def test_an_informal_group_is_shown_without_its_name_members_or_contact_data(
    client: Any, cast: demo.Cast, drive: Any
) -> None:
    member = demo.make_user("gruppe")
    group = demo.make_organisation(
        member,
        name="Chor von Anna Becker und Freunden",
        legal_form=LegalForm.INFORMAL_GROUP,
        group_members=["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"],
        email="anna.becker@example.org",
        street="Karl-Liebknecht-Straße 12",
        city="Leipzig",
        bank_account_holder="Anna Becker",
    )
    application = drive("approved", "settled", organisation=group, applicant=member, publication=True)  # fmt: skip
    grant = grant_of(application)
    Application.objects.filter(pk=application.pk).update(decision_note="Interne Notiz: knapp")
    application.partners.update(contact_email="partner.privat@example.fr")
    showcase = publish_project(
        grant, by=member, moderator=cast.manager, outcome="Ein Konzert mit 200 Gästen.", photos=1
    )
    secrets = [
        "Anna Becker", "Jonas Wagner", "Fatma", "Chor von Anna", "anna.becker@example.org",
        "partner.privat@example.fr", "Karl-Liebknecht", "DE89370400440532013000", "DE89 3704",
        "Erika Mustermann", "Interne Notiz", "72.50", "72,50", application.reference,
        member.email,
    ]  # fmt: skip
    pages = [
        showcase.get_absolute_url(),
        reverse("public:projects"),
        reverse("public:projects") + "?q=Konzert",
        reverse("public:project_map"),
    ]
    for url in pages:
        for language in ("de", "fr", "en"):
            client.cookies["django_language"] = language
            text = client.get(url).content.decode()
            found = [secret for secret in secrets if secret in text]
            assert found == [], f"{url} ({language}) shows {found}"
    client.cookies["django_language"] = "en"
    page = client.get(showcase.get_absolute_url()).content.decode()
    assert "informal group in Leipzig" in page
    assert "Ein Konzert mit 200 Gästen." in page


def test_the_amount_shows_only_where_the_programme_publishes_it(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    showcase = publish_project(accepted, by=cast.applicant, moderator=cast.manager)
    client.cookies["django_language"] = "en"
    assert "Amount awarded" not in client.get(showcase.get_absolute_url()).content.decode()
    ShowcasePolicy.objects.create(programme=accepted.programme, publishes_amount=True)
    page = client.get(showcase.get_absolute_url()).content.decode()
    assert "Amount awarded" in page and "4,000.00" in page


# --- the outcome --------------------------------------------------------------------------------


def test_the_outcome_is_written_once_the_final_report_is_accepted(
    client: Any, cast: demo.Cast, accepted: Grant, settled: Grant
) -> None:
    before = services.give_consent(accepted, by=cast.applicant)
    before = services.save_text(before, by=cast.applicant, outcome="Schon vorher?")
    assert before.outcome == ""
    client.force_login(cast.applicant)
    assert 'name="outcome"' not in client.get(manage_url(accepted)).content.decode()

    services.give_consent(settled, by=cast.applicant)
    assert 'name="outcome"' in client.get(manage_url(settled)).content.decode()
    client.post(
        manage_url(settled),
        {
            "action": "save",
            "title": "Begegnung",
            "summary": "Kurz.",
            "outcome": "Neue Freundschaften.",
        },
    )
    assert ProjectShowcase.objects.get(grant=settled).outcome == "Neue Freundschaften."


# --- photos -------------------------------------------------------------------------------------


def upload_url(grant: Grant) -> str:
    return reverse("public:showcase_photo_upload", kwargs={"pk": grant.application_id})


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("foto.jpg", b"Hallo, kein Bild", "image/jpeg")


def thirty_megabytes() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.jpg", b"\xff" * (30 * 2**20), "image/jpeg")


def a_gif() -> SimpleUploadedFile:
    return SimpleUploadedFile("anim.gif", demo_photo(fmt="GIF"), "image/gif")


def cut_off() -> SimpleUploadedFile:
    return SimpleUploadedFile("half.jpg", demo_photo()[:2000], "image/jpeg")


@pytest.mark.parametrize(
    ("language", "upload", "message"),
    [
        ("en", not_an_image, "is not an image"),
        ("de", not_an_image, "kein Bild"),
        ("fr", not_an_image, "pas une image"),
        ("en", thirty_megabytes, "too large"),
        ("de", thirty_megabytes, "zu groß"),
        ("fr", thirty_megabytes, "trop volumineuse"),
        ("en", a_gif, "JPEG, PNG or WebP"),
        ("de", a_gif, "JPEG, PNG oder WebP"),
        ("fr", a_gif, "JPEG, PNG ou WebP"),
        ("en", cut_off, "damaged"),
    ],
)
def test_a_bad_photo_gets_a_clear_message_and_the_typed_text_stays(
    client: Any, cast: demo.Cast, accepted: Grant, language: str, upload: Any, message: str
) -> None:
    services.give_consent(accepted, by=cast.applicant)
    client.force_login(cast.applicant)
    client.cookies["django_language"] = language
    answer = client.post(
        upload_url(accepted),
        {
            "image": upload(),
            "alt_text": "Kinder vor der Bühne",
            "caption": "Sommerfest 2026",
            "rights_confirmed": "on",
        },
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert message in text
    assert 'value="Kinder vor der Bühne"' in text and 'value="Sommerfest 2026"' in text
    assert not ShowcasePhoto.objects.exists()


def test_a_cut_off_photo_is_refused_even_after_weasyprint_relaxed_pillow(
    monkeypatch: Any,
) -> None:
    from PIL import ImageFile

    # What importing WeasyPrint does to the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InvalidInput) as refused:
        services.reencode_photo(cut_off())
    assert refused.value.code == "photo_damaged"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as it was


def test_a_photo_needs_a_text_alternative_and_the_rights(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    services.give_consent(accepted, by=cast.applicant)
    client.force_login(cast.applicant)
    client.cookies["django_language"] = "en"
    answer = client.post(upload_url(accepted), {"image": photo_upload(), "caption": "Fest"})
    text = answer.content.decode()
    assert "Please describe the photo for people who cannot see it." in text
    assert "Please confirm that you hold the rights to this photo" in text
    assert 'value="Fest"' in text
    assert not ShowcasePhoto.objects.exists()


def test_a_photo_is_reencoded_without_its_metadata_and_shown_once_approved(
    client: Any, cast: demo.Cast, accepted: Grant
) -> None:
    showcase = publish_project(accepted, by=cast.applicant, moderator=cast.manager)
    original = Image.open(io.BytesIO(demo_photo(size=(3000, 1500))))
    exif = Image.Exif()
    exif[0x010F] = "Kamera von Anna Becker"  # Make
    exif[0x8825] = {2: (48.0, 8.0, 0.0)}  # GPS
    raw = io.BytesIO()
    original.save(raw, "JPEG", exif=exif)
    client.force_login(cast.applicant)
    client.post(
        upload_url(accepted),
        {
            "image": SimpleUploadedFile("gps.jpg", raw.getvalue(), "image/jpeg"),
            "alt_text": "Der Marktplatz",
            "rights_confirmed": "on",
        },
    )
    photo = ShowcasePhoto.objects.get()
    assert photo.status == PhotoStatus.PENDING
    with photo.image.open("rb") as stored:
        data = stored.read()
    assert b"Anna Becker" not in data
    saved = Image.open(io.BytesIO(data))
    assert saved.format == "JPEG" and not saved.getexif()
    assert max(saved.size) == 2000
    assert photo.image.name.startswith(f"showcase/{showcase.pk}/") and "gps" not in photo.image.name
    url = reverse("public:project_photo", kwargs={"slug": showcase.slug, "photo": photo.pk})
    assert client.get(url).status_code == 200  # the grantee's preview
    client.logout()
    assert client.get(url).status_code == 404  # not approved yet
    assert "Der Marktplatz" not in client.get(showcase.get_absolute_url()).content.decode()

    services.approve_photo(photo, by=cast.manager)

    assert client.get(url).status_code == 200
    assert client.get(url)["Content-Type"] == "image/jpeg"
    assert "Der Marktplatz" in client.get(showcase.get_absolute_url()).content.decode()
    services.hide_photo(photo, by=cast.manager, reason="Erkennbare Kinder")
    assert client.get(url).status_code == 404


# --- list, filters, search, map, query counts -----------------------------------------------


@pytest.fixture
def three_projects(cast: demo.Cast, drive: Any, other_applicant: Any) -> list[ProjectShowcase]:
    other = demo.make_organisation(
        demo.make_user("dijon"), name="Comité Dijon", country="FR", city="Dijon"
    )
    dijon = other.memberships.get().user
    first = publish_project(
        grant_of(drive("approved", "accepted", title="Chorfestival")),
        by=cast.applicant,
        moderator=cast.manager,
        project_format="festival",
    )
    second = publish_project(
        grant_of(drive("approved", "settled", title="Klimawerkstatt")),
        by=cast.applicant,
        moderator=cast.manager,
        project_format="workshop",
        outcome="Ein Gemeinschaftsgarten entstand.",
        photos=1,
    )
    third = publish_project(
        grant_of(
            drive(
                "approved",
                "accepted",
                title="Atelier climat",
                organisation=other,
                applicant=dijon,
                requested=demo.Decimal("8000.00"),
            )
        ),
        by=dijon,
        moderator=cast.manager,
        project_format="workshop",
    )
    return [first, second, third]


def titles(client: Any, query: str = "") -> set[str]:
    text = client.get(reverse("public:projects") + query).content.decode()
    return {t for t in ("Chorfestival", "Klimawerkstatt", "Atelier climat") if t in text}


def test_the_list_filters_and_searches(client: Any, three_projects: list[ProjectShowcase]) -> None:
    everything = {"Chorfestival", "Klimawerkstatt", "Atelier climat"}
    assert titles(client) == everything
    assert titles(client, "?country=FR") == {"Atelier climat"}
    assert titles(client, "?region=DE-NW") == {"Chorfestival", "Klimawerkstatt"}
    assert titles(client, "?format=workshop") == {"Klimawerkstatt", "Atelier climat"}
    assert titles(client, "?q=gemeinschaftsgarten") == {"Klimawerkstatt"}  # the outcome
    assert titles(client, "?q=dijon") == {"Atelier climat"}  # the city
    assert titles(client, "?theme=europe") == everything
    assert titles(client, "?theme=digital") == set()
    programme = three_projects[2].grant.programme_id
    assert titles(client, f"?programme={programme}") == {"Atelier climat"}
    year = three_projects[0].grant.project_start.year
    assert "Chorfestival" in titles(client, f"?year={year}")
    # Unknown values are ignored with a message, never a 500.
    answer = client.get(reverse("public:projects") + "?region=XX&year=abc&programme=%00&page=zz")
    assert answer.status_code == 200 and titles(client, "?region=XX") == everything


def test_a_cancelled_grant_leaves_the_list_count_and_the_programme_filter(
    client: Any, cast: demo.Cast, three_projects: list[ProjectShowcase]
) -> None:
    from grants import services as grant_services
    from public.selectors import projects_by_programme, public_showcases

    client.cookies["django_language"] = "en"
    ended = three_projects[2].grant
    grantee = ended.application.organisation.memberships.get().user
    grant_services.cancel_grant(ended, by=grantee, reason="Projet annulé")

    # Counted without joining the grants, yet the same projects as the rule of who may see.
    by_programme = projects_by_programme()
    assert sum(by_programme.values()) == public_showcases().count() == 2
    assert ended.programme_id not in by_programme
    answer = client.get(reverse("public:projects")).content.decode()
    assert '<p role="status">2 projects</p>' in answer and "Atelier climat" not in answer
    assert f'<option value="{ended.programme_id}"' not in answer


def test_the_list_and_a_page_read_a_fixed_number_of_queries(
    client: Any, three_projects: list[ProjectShowcase], django_assert_max_num_queries: Any
) -> None:
    client.cookies["django_language"] = "en"
    # Without filters the count comes from the counts by programme the filter form needs anyway.
    with django_assert_max_num_queries(5):
        answer = client.get(reverse("public:projects"))
    assert '<p role="status">3 projects</p>' in answer.content.decode()
    with django_assert_max_num_queries(6):
        answer = client.get(reverse("public:projects") + "?q=klima&theme=europe")
    assert '<p role="status">1 project</p>' in answer.content.decode()
    with django_assert_max_num_queries(4):
        assert client.get(three_projects[1].get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(reverse("public:project_map")).status_code == 200


def test_the_map_shades_regions_and_links_to_the_filtered_list(
    client: Any, three_projects: list[ProjectShowcase]
) -> None:
    client.cookies["django_language"] = "en"
    page = client.get(reverse("public:project_map")).content.decode()
    assert "<svg" in page and 'role="group"' in page and "<desc" in page
    assert 'href="/projects/?region=DE-NW"' in page
    assert "North Rhine-Westphalia: 2 projects" in page
    assert "Bourgogne-Franche-Comté: 1 project" in page
    assert "<table" in page


def test_the_tile_map_has_every_region_once_and_no_two_tiles_on_one_square() -> None:
    from organisations.choices import Region

    codes = [code for code, *_rest in LAYOUT]
    assert sorted(codes) == sorted(Region.values)
    squares = [(col, row) for _code, _short, col, row in LAYOUT]
    assert len(set(squares)) == len(squares)
    shades = {t.code: t.shade for t in map_tiles({"DE-NW": 10, "FR-GES": 1}).tiles}
    assert shades["DE-NW"] == 4 and shades["FR-GES"] == 1 and shades["DE-BY"] == 0


def test_the_public_home_links_to_the_showcase(client: Any, cast: demo.Cast) -> None:
    page = client.get(reverse("public:home")).content.decode()
    assert reverse("public:projects") in page and reverse("public:project_map") in page


def test_an_impossible_application_number_is_simply_not_found(client: Any, cast: demo.Cast) -> None:
    client.force_login(cast.applicant)
    for suffix in ("", "preview/", "photos/"):
        address = f"/applications/{10**21}/showcase/{suffix}"
        answer = client.post(address) if suffix == "photos/" else client.get(address)
        assert answer.status_code == 404, address


# --- the list reads copies on the showcase: search without accents, filters without joins ------


def test_the_search_ignores_case_and_accents(client: Any, three_projects: list[ProjectShowcase]) -> None:  # fmt: skip
    # "Comité Dijon" is found by a visitor without accents on the keyboard, and in capitals.
    assert titles(client, "?q=comite") == {"Atelier climat"}
    assert titles(client, "?q=COMITÉ+dijon") == {"Atelier climat"}
    assert titles(client, "?q=klimawerkstätt") == {"Klimawerkstatt"}
    # Every word must be found, in any column: the outcome and the town.
    assert titles(client, "?q=garten+partnerschaftskomitee") == {"Klimawerkstatt"}
    assert titles(client, "?q=garten+dijon") == set()
    # Characters that mean something to LIKE are searched as themselves.
    assert titles(client, "?q=%25") == set() and titles(client, "?q=_") == set()


def test_the_search_index_follows_every_write_of_the_search_column(
    client: Any, three_projects: list[ProjectShowcase]
) -> None:
    # Parts of words and short words are found exactly where the column contains them.
    assert titles(client, "?q=werkst") == {"Klimawerkstatt"}
    showcases = ProjectShowcase.objects.filter(pk__in=[p.pk for p in three_projects])
    for word in ("kl", "klima", "werkst", "dijon", "ival", "ateli"):
        expected = {t for t in ("Chorfestival", "Klimawerkstatt", "Atelier climat") for s in showcases if s.title.startswith(t) and word in s.search_text}  # fmt: skip
        assert titles(client, f"?q={word}") == expected, word
    assert titles(client, '?q="klima') == set()
    chor = three_projects[0]
    # A bulk write (no service, no signal) is seen by the search at once.
    ProjectShowcase.objects.filter(pk=chor.pk).update(search_text="sängerfest hafenstadt")
    assert titles(client, "?q=hafenstadt") == {"Chorfestival"}
    assert titles(client, "?q=chorfestival") == set()
    ProjectShowcase.objects.filter(pk=chor.pk).delete()
    assert titles(client, "?q=hafenstadt") == set()


def test_on_sqlite_the_search_index_triggers_survive_every_migration(db: Any) -> None:
    """A later migration that rebuilds the showcase table (SQLite rebuilds it for many an ALTER)
    drops its triggers with it, and the index would go stale unnoticed: it must create them
    again, as public migration 0006 does."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the trigram index of SQLite; PostgreSQL indexes the column itself")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'public_projectshowcase'")  # fmt: skip
        triggers = {name for (name,) in cursor.fetchall()}
    assert {f"public_showcase_search_{event}" for event in ("insert", "delete", "update")} <= triggers  # fmt: skip


def test_an_informal_groups_name_is_neither_copied_nor_searchable(
    client: Any, cast: demo.Cast, drive: Any
) -> None:
    member = demo.make_user("gruppe")
    group = demo.make_organisation(
        member,
        name="Chor von Anna Becker",
        legal_form=LegalForm.INFORMAL_GROUP,
        group_members=["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"],
        city="Leipzig",
    )
    application = drive("approved", "accepted", organisation=group, applicant=member, title="Sängerfest")  # fmt: skip
    showcase = publish_project(grant_of(application), by=member, moderator=cast.manager)
    assert showcase.organisation_name == "" and "becker" not in showcase.search_text
    client.cookies["django_language"] = "en"
    assert "Sängerfest" not in client.get(reverse("public:projects") + "?q=Becker").content.decode()
    listing = client.get(reverse("public:projects") + "?q=leipzig").content.decode()
    assert "Sängerfest" in listing and "informal group in Leipzig" in listing


def test_the_copies_are_taken_at_publication(cast: demo.Cast, accepted: Grant) -> None:
    showcase = services.submit_showcase(services.give_consent(accepted, by=cast.applicant), by=cast.applicant)  # fmt: skip
    # Changed behind the services' back (no signal): publication copies the current values.
    Organisation = type(cast.organisation)
    Organisation.objects.filter(pk=cast.organisation.pk).update(city="Bonn", name="Städtepartnerschaft Bonn")  # fmt: skip
    showcase = services.publish_showcase(showcase, by=cast.manager)
    showcase.refresh_from_db()
    assert (showcase.city, showcase.country, showcase.region) == ("Bonn", "DE", "DE-NW")
    assert showcase.organisation_name == "Städtepartnerschaft Bonn"
    assert showcase.programme_id == accepted.programme_id
    assert showcase.year == accepted.project_start.year
    assert " europe " in showcase.themes
    assert "bonn" in showcase.search_text and "stadtepartnerschaft" in showcase.search_text


def test_the_region_on_the_list_follows_an_edit_of_the_organisation(
    client: Any, cast: demo.Cast, three_projects: list[ProjectShowcase]
) -> None:
    from organisations.services import update_organisation

    assert titles(client, "?region=DE-BY") == set()
    update_organisation(cast.organisation, by=cast.applicant, region="DE-BY", city="München")
    assert titles(client, "?region=DE-BY") == {"Chorfestival", "Klimawerkstatt"}
    assert titles(client, "?region=DE-NW") == set()
    assert titles(client, "?q=munchen") == {"Chorfestival", "Klimawerkstatt"}
    assert selectors_counts() == {"DE-BY": 2, "FR-BFC": 1}


def test_every_filter_at_once_reads_six_queries_and_no_organisation(
    client: Any, three_projects: list[ProjectShowcase], django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    second = three_projects[1]
    query = (
        f"?q=garten+k%C3%B6ln&theme=europe&region=DE-NW&country=DE&format=workshop"
        f"&year={second.grant.project_start.year}&programme={second.grant.programme_id}"
    )
    client.cookies["django_language"] = "en"
    with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as seen:
        answer = client.get(reverse("public:projects") + query)
    assert '<p role="status">1 project</p>' in answer.content.decode()
    assert "Klimawerkstatt" in answer.content.decode()
    # Filters and search read the showcase's own columns: no join per project to the
    # organisation, and no theme rows.
    sql = " ".join(q["sql"] for q in seen.captured_queries)
    assert "applications_organisation" not in sql and "applicationtheme" not in sql


def test_a_funded_grant_leaves_funding_only_by_revocation_or_cancellation() -> None:
    """The lists exclude the published pages of these grants instead of testing every grant's
    state; the set is read from the grant's state machine, so a new state shows here first."""
    from grants.models import GrantStatus
    from public.selectors import LEFT_FUNDING_STATES

    assert set(LEFT_FUNDING_STATES) == {GrantStatus.REVOKED, GrantStatus.CANCELLED}
    assert not set(LEFT_FUNDING_STATES) & set(FUNDED_STATES)
