"""Choices of an organisation that several apps read: legal forms, the countries the portal names
and the regions (German Länder and French régions) the fund's statistics count by."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalForm(models.TextChoices):
    ASSOCIATION = "association", _("association (e.V. / association loi 1901)")
    MUNICIPALITY = "municipality", _("municipality or local authority")
    FOUNDATION = "foundation", _("foundation")
    EDUCATION = "education", _("school or education centre")
    NONPROFIT_COMPANY = "nonprofit_company", _("non-profit company")
    INFORMAL_GROUP = "informal_group", _("informal group (at least 3 people)")
    OTHER = "other", _("other non-profit organisation")


class Country(models.TextChoices):
    """ISO 3166-1 codes of the countries the portal names: the fund's two first, then Europe's
    others (partners may come from those)."""

    FR = "FR", _("France")
    DE = "DE", _("Germany")
    AT = "AT", _("Austria")
    BE = "BE", _("Belgium")
    CH = "CH", _("Switzerland")
    ES = "ES", _("Spain")
    IT = "IT", _("Italy")
    LU = "LU", _("Luxembourg")
    NL = "NL", _("Netherlands")
    PL = "PL", _("Poland")
    CZ = "CZ", _("Czechia")
    GB = "GB", _("United Kingdom")


# ISO 3166's user-assigned "unknown" code: participant counts put everyone from a country the
# form does not list under it.
OTHER_COUNTRIES = "ZZ"


def country_name(code: str | None) -> str:
    """The name of a country in the active language ("DE" -> "Deutschland" in German), "other
    countries" for ZZ, or the code itself for a country the portal does not name."""
    code = (code or "").strip().upper()
    if code == OTHER_COUNTRIES:
        return str(_("other countries"))
    try:
        return str(Country(code).label)
    except ValueError:
        return code


class Region(models.TextChoices):
    """ISO 3166-2 codes of the German Länder and the French régions (metropolitan and overseas)."""

    DE_BW = "DE-BW", _("Baden-Württemberg")
    DE_BY = "DE-BY", _("Bavaria")
    DE_BE = "DE-BE", _("Berlin")
    DE_BB = "DE-BB", _("Brandenburg")
    DE_HB = "DE-HB", _("Bremen")
    DE_HH = "DE-HH", _("Hamburg")
    DE_HE = "DE-HE", _("Hesse")
    DE_MV = "DE-MV", _("Mecklenburg-Western Pomerania")
    DE_NI = "DE-NI", _("Lower Saxony")
    DE_NW = "DE-NW", _("North Rhine-Westphalia")
    DE_RP = "DE-RP", _("Rhineland-Palatinate")
    DE_SL = "DE-SL", _("Saarland")
    DE_SN = "DE-SN", _("Saxony")
    DE_ST = "DE-ST", _("Saxony-Anhalt")
    DE_SH = "DE-SH", _("Schleswig-Holstein")
    DE_TH = "DE-TH", _("Thuringia")
    FR_ARA = "FR-ARA", _("Auvergne-Rhône-Alpes")
    FR_BFC = "FR-BFC", _("Bourgogne-Franche-Comté")
    FR_BRE = "FR-BRE", _("Brittany")
    FR_CVL = "FR-CVL", _("Centre-Val de Loire")
    FR_20R = "FR-20R", _("Corsica")
    FR_GES = "FR-GES", _("Grand Est")
    FR_HDF = "FR-HDF", _("Hauts-de-France")
    FR_IDF = "FR-IDF", _("Île-de-France")
    FR_NOR = "FR-NOR", _("Normandy")
    FR_NAQ = "FR-NAQ", _("Nouvelle-Aquitaine")
    FR_OCC = "FR-OCC", _("Occitania")
    FR_PDL = "FR-PDL", _("Pays de la Loire")
    FR_PAC = "FR-PAC", _("Provence-Alpes-Côte d'Azur")
    FR_971 = "FR-971", _("Guadeloupe")
    FR_972 = "FR-972", _("Martinique")
    FR_973 = "FR-973", _("French Guiana")
    FR_974 = "FR-974", _("Réunion")
    FR_976 = "FR-976", _("Mayotte")


def regions_of(country: str) -> list[tuple[str, Any]]:
    """The (code, label) pairs of one country's regions, e.g. for a grouped select."""
    return [(code, label) for code, label in Region.choices if code.startswith(f"{country}-")]
