"""The per-language fields of the funder's texts (django-modeltranslation reads this module):
the fund's names and the texts of its identity (letters, e-mail sign-off), each programme's
name, each call's title and each funder's name get a column per language
(name_de, name_fr, name_en ...). Reading `name` gives the reader's language, or the first of
MODELTRANSLATION_FALLBACK_LANGUAGES (German, French, English) that has a text."""

from modeltranslation.translator import TranslationOptions, register

from grants.funders import Funder
from grants.models import Call, Fund, Programme


@register(Fund)
class FundTranslation(TranslationOptions):
    fields = (
        "name",
        "short_name",
        "office",
        "contact_name",
        "signatory_function",
        "legal_basis",
        "data_protection_notice",
        "appeal_clause",
        "mail_sign_off",
    )
    # German is the fund's own language: the admin asks for its names; the identity's texts
    # may wait (Fund.letter_gaps says which ones letters still need, in German and French).
    required_languages = {"de": ("name", "short_name")}


@register(Programme)
class ProgrammeTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("de",)


@register(Call)
class CallTranslation(TranslationOptions):
    fields = ("title",)
    required_languages = ("de",)


@register(Funder)
class FunderTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("de",)
