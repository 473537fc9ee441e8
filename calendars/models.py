"""A user's calendar feed: the secret of its address is stored as a SHA-256 only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows import clock


class CalendarFeed(models.Model):
    """One feed per user. Its address carries a secret (shown once); a new address replaces the
    old one, and revoking deletes the row, so an old address answers 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    # The first characters of the secret, in clear: to find the row (and to show which address
    # is current); the rest is only in the hash.
    prefix = models.CharField(max_length=8, unique=True)
    token_hash = models.CharField(max_length=64)
    # The language of the events' texts (a calendar app sends no cookie and no preference).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(default=clock.now)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix})"
