"""System checks of the deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",)


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Rate limits count in the default cache: in one process's memory, every web worker
    keeps counts of its own and a client gets the limit once per worker."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            "The cache lives in each process's memory: with several web workers the API's "
            "rate limits count per worker.",
            hint="Set CACHE_URL=redis://host:6379/1 or CACHE_URL=database "
            "(then run `manage.py createcachetable`).",
            id="microgrants.W001",
        )
    ]
