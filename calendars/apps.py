from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    """Each user's calendar feed (iCal at a secret, revocable address): the deadlines of their
    organisations' applications and grants, and for staff the calls and review claims."""

    name = "calendars"
    verbose_name = "Calendars"
