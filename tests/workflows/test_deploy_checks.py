"""`check --deploy` and the cache settings: several web workers need a shared cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings

from workflows.checks import shared_cache

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
}


def test_an_in_memory_cache_in_production_is_a_deploy_warning(settings: Any) -> None:
    settings.DEBUG = False
    settings.CACHES = LOCMEM
    (warning,) = shared_cache()
    assert warning.id == "microgrants.W001"
    assert "CACHE_URL" in warning.hint


@pytest.mark.parametrize(("debug", "caches"), [(True, LOCMEM), (False, REDIS)])
def test_a_shared_cache_or_development_needs_no_warning(settings: Any, debug: bool, caches: Any) -> None:  # fmt: skip
    settings.DEBUG = debug
    settings.CACHES = caches
    assert shared_cache() == []


def cache_settings(cache_url: str) -> subprocess.CompletedProcess[str]:
    """The settings module read afresh with CACHE_URL set, as a server starts."""
    code = "import json, config.settings as s; print(json.dumps(s.CACHES))"
    return subprocess.run(  # noqa: S603 - the same interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "CACHE_URL": cache_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("cache_url", "backend"),
    [
        ("", "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://cache.internal:6379/1", "django.core.cache.backends.redis.RedisCache"),
        ("database", "django.core.cache.backends.db.DatabaseCache"),
    ],
)
def test_cache_url_chooses_the_cache(cache_url: str, backend: str) -> None:
    done = cache_settings(cache_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["default"]["BACKEND"] == backend


def test_an_unknown_cache_url_stops_the_start_with_a_clear_message() -> None:
    done = cache_settings("memcached://old-box")
    assert done.returncode != 0
    assert "CACHE_URL='memcached://old-box': use redis://host:port/db, database" in done.stderr
