"""The cast of every story: the demo fund, one user per role, applicants of two organisations."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from demo import builders as demo
from organisations.models import Organisation


@pytest.fixture
def fund(db: Any) -> Any:
    return demo.setup_fund()


@pytest.fixture
def cast(fund: Any) -> demo.Cast:
    return demo.create_cast(fund)


@pytest.fixture
def other_applicant(cast: demo.Cast) -> Any:
    """An applicant of another organisation (organisation B)."""
    user = demo.make_user("applicant-b")
    demo.make_organisation(user, name="Association Amitié Dijon–Mainz", country="FR")
    return user


@pytest.fixture
def other_organisation(other_applicant: Any) -> Organisation:
    return Organisation.objects.get(memberships__user=other_applicant)


@pytest.fixture
def draft(cast: demo.Cast) -> Any:
    return demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)


# Redis databases the tests empty: a range per use, and in it one database per test process, so
# that processes running side by side never empty each other's. (pytest-xdist's groups cannot
# keep such tests in one process: pytest 9.2 ignores the node ids they rewrite.) The app's own
# defaults (0: queue, 1: cache) stay out of the ranges.
QUEUE_DATABASES = range(2, 9)
CACHE_DATABASES = range(9, 16)


def own_redis_url(databases: range) -> str:
    """redis://127.0.0.1:6379/N, N of `databases` for this test process (pytest-xdist's gwK)."""
    process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return f"redis://127.0.0.1:6379/{databases[process % len(databases)]}"


def reachable_redis(url: str) -> Any:
    """A client of the Redis at `url`, emptied; skips the test when Redis is not running, and
    fails it under CI=true, where Redis must be there."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {url}; CI must run this test.")
        pytest.skip(f"Redis is not reachable at {url}")
    client.flushdb()
    return client


# Tests of real row locks, threads and processes on PostgreSQL. The marker lets `make check`
# leave them out by name (-m "not postgres"); on SQLite they are skipped with the reason.
on_postgresql = pytest.mark.postgres


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    needs_postgresql = pytest.mark.skip(
        reason="needs PostgreSQL with real row locks (set DATABASE_URL=postgres://...)"
    )
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(needs_postgresql)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database. On SQLite, the in-memory database of this process receives a copy of
    the migrated schema (tests/database_template.py) instead of running the migrations again;
    elsewhere, pytest-django's set-up (create, migrate, drop)."""
    from django.conf import settings
    from django.test.utils import setup_databases, teardown_databases

    if connection.vendor != "sqlite":
        keep = request.config.getoption("reuse_db") and not request.config.getoption("create_db")
        with django_db_blocker.unblock():
            config = setup_databases(verbosity=0, interactive=False, keepdb=keep)
        yield
        if not keep:
            with django_db_blocker.unblock():
                teardown_databases(config, verbosity=0)
        return

    from tests.database_template import load_schema_into

    original = connection.settings_dict["NAME"]
    in_memory = connection.creation._get_test_db_name()
    with django_db_blocker.unblock():
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = in_memory
        connection.settings_dict["NAME"] = in_memory
        connection.ensure_connection()
        load_schema_into(connection.connection)
    yield
    with django_db_blocker.unblock():
        settings.DATABASES[connection.alias]["NAME"] = original
        connection.settings_dict["NAME"] = original


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """`with committed(): ...` runs what would run after the commit (the tasks' side effects:
    review tasks, documents, e-mails and their sending)."""

    @contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block


@pytest.fixture
def drive(cast: demo.Cast, committed: Callable[..., Any]) -> Callable[..., Any]:
    """demo.drive with the side effects of every step, as in production."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with committed():
            return demo.drive(cast, *args, **kwargs)

    return run


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Rate-limit counts (API tokens, account mails) live in the cache, which outlives a test's
    transaction."""
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def media_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Iterator[Path]]:
    """Fresh folder names under one temporary folder of the test process. A folder is made
    only by a test that stores a file (most store none); a `tmp_path` for every test cost a
    directory, a symbolic link and, in a later run, their removal: several ms, 1,600 times."""
    base = tmp_path_factory.mktemp("media")
    yield (base / str(number) for number in itertools.count())


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings: Any, media_folders: Iterator[Path]) -> None:
    """Uploaded and generated files of a test never land in the project's media folder, nor
    in another test's."""
    settings.MEDIA_ROOT = next(media_folders)


@pytest.fixture(autouse=True)
def pdfs_without_rendering(request: Any, monkeypatch: Any) -> None:
    """Rendering a PDF takes 60-400 ms; only the document tests (RENDERS_PDF = True) pay it."""
    if not getattr(request.module, "RENDERS_PDF", False):
        monkeypatch.setattr("applications.documents.render_pdf", lambda html: b"%PDF-1.7 stub\n")
