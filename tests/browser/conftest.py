"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against a live server.

No browser is ever downloaded. Without Chromium the browser tests are skipped with the reason,
except under CI=true, where a missing browser fails the run (`.ci/run` installs it with apt).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("MICROGRANTS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The live server runs in a thread of this process; Playwright's sync API runs its own event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not chromium_available():
        reason = f"Chromium not found at {CHROMIUM} (Debian package 'chromium')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the browser tests.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)  # fmt: skip
        yield launched
        launched.close()


PATIENCE_MS = 90_000


@pytest.fixture
def browser_locale() -> str:
    """The browser's language (its Accept-Language); a test may parametrize it, e.g. "fr-FR"."""
    return "de-DE"


@pytest.fixture
def page(
    browser: Any, live_server: Any, transactional_db: Any, browser_locale: str, request: Any
) -> Iterator[Any]:
    """A fresh browser tab; a screenshot of it is saved when the test ends (pass or fail)."""
    context = browser.new_context(locale=browser_locale, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    # Every wait ends on the page's own signal (a URL, an element, a text); the bound only
    # stops a broken page from hanging the suite, so it is generous for a busy CI machine.
    tab.set_default_timeout(PATIENCE_MS)
    tab.base = live_server.url
    yield tab
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture(autouse=True)
def mails_in_memory(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
