"""Partner posts of the demo: what the demo's organisations look for across the border, written
through the exchange's own service (so they are live and filterable as any other)."""

from __future__ import annotations

from typing import Any

from grants.models import Fund
from organisations.models import Organisation
from partners import services
from partners.models import PartnerPost

# (title, regions sought, themes, formats, target groups, languages, text), by the poster's
# country: German posters write in German and look in France, French posters the other way.
POSTS: dict[str, list[tuple[str, list[str], list[str], list[str], list[str], list[str], str]]] = {
    "DE": [
        ("Chor sucht Chor für ein gemeinsames Konzert", ["FR-ARA", "FR-BFC"], ["culture"], ["concert", "exchange"], ["adults", "seniors"], ["de", "fr"],
         "Wir sind ein gemischter Chor mit 40 Stimmen und möchten im Herbst ein Konzert mit einem französischen Chor geben, erst bei uns, im Jahr darauf bei Ihnen."),
        ("Sportverein sucht Partnerverein für Jugendturnier", ["FR-GES", "FR-HDF"], ["health", "cohesion"], ["sport"], ["youth"], ["de", "fr", "en"],
         "Unsere Fußballjugend (14 bis 16 Jahre) möchte ein Turnier mit Übernachtung in Gastfamilien organisieren. Wer spielt mit?"),
        ("Volkshochschule sucht Partner für Sprachtandems", ["FR-IDF", "FR-PDL"], ["europe", "digital"], ["online", "workshop"], ["adults"], ["de", "fr"],
         "Wir bieten Deutschkurse an und suchen eine Einrichtung in Frankreich, deren Französischlernende mit unseren Deutschlernenden Tandems bilden."),
        ("Gedenkinitiative sucht Partner für eine Ausstellung", ["FR-NOR"], ["history", "democracy"], ["conference", "exchange"], ["schools", "everyone"], ["de", "fr"],
         "Zum Jahrestag möchten wir mit einer französischen Partnergemeinde eine zweisprachige Ausstellung zu Briefen aus den Kriegsjahren erarbeiten."),
    ],
    "FR": [
        ("Comité de jumelage cherche partenaire pour un festival", ["DE-RP", "DE-SL"], ["culture", "europe"], ["festival"], ["everyone", "families"], ["fr", "de"],
         "Notre comité organise chaque été une fête franco-allemande. Nous cherchons une association allemande pour y tenir un stand et animer des ateliers."),
        ("Lycée cherche classe partenaire en Allemagne", ["DE-BW", "DE-BY"], ["europe", "environment"], ["exchange", "workshop"], ["schools", "youth"], ["fr", "de"],
         "Une classe de première souhaite mener un projet sur le climat avec une classe allemande : échanges en ligne, puis une semaine de rencontre."),
        ("Association cherche partenaire pour un atelier inclusif", ["DE-NW"], ["anti_discrimination", "cohesion"], ["workshop"], ["adults", "volunteers"], ["fr", "de", "en"],
         "Nous animons des ateliers de théâtre avec des personnes en situation de handicap et cherchons une structure allemande pour une résidence commune."),
        ("Groupe de seniors cherche échange intergénérationnel", [], ["civic"], ["exchange"], ["seniors", "families"], ["fr"],
         "Un groupe de retraités actifs aimerait rencontrer un groupe allemand pour partager recettes, chansons et souvenirs avec les petits-enfants."),
    ],
}  # fmt: skip


def ensure_partner_posts(fund: Fund, applicants: list[tuple[Organisation, Any]]) -> int:
    """A few posts per country, one per organisation in turn, unless the fund has posts
    already; how many were written."""
    if PartnerPost.objects.exists():
        return 0
    posters = {
        country: [(o, u) for o, u in applicants if o.country == country] for country in POSTS
    }
    written = 0
    for country, posts in POSTS.items():
        other = next(c for c in POSTS if c != country)
        for number, (title, regions, themes, formats, groups, languages, text) in enumerate(posts):
            if not posters[country]:
                break
            organisation, user = posters[country][number % len(posters[country])]
            services.create_post(
                organisation,
                fund=fund,
                by=user,
                title=title,
                country=other,
                regions=regions,
                themes=themes,
                formats=formats,
                target_groups=groups,
                languages=languages,
                text=text,
                language=country.lower(),
            )
            written += 1
    return written
