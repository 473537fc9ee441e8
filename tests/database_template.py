"""The migrated SQLite schema, made once and copied into each test process's in-memory database.

Every test process used to run all migrations into its own in-memory database: about 9 s of
one core each, most of it SQLite rebuilding tables for each ALTER. Now the first process to
need the schema runs `manage.py migrate` into a file under the temporary folder, named by a
hash of everything the schema comes from (the migrations, the settings, the versions of Python,
Django and SQLite); the others wait on a lock for it, and every process copies it into its
in-memory database with SQLite's backup API (milliseconds). A later run with the same
migrations finds the file and migrates nothing. PostgreSQL keeps pytest-django's own set-up.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]
FOLDER = Path(tempfile.gettempdir()) / "microgrants-test-schema"
STALE_AFTER_SECONDS = 2 * 24 * 3600


def _schema_sources() -> list[Path]:
    return [*sorted(ROOT.glob("*/migrations/*.py")), ROOT / "config" / "settings.py"]


def schema_key() -> str:
    digest = hashlib.sha256()
    for part in (sys.version, django.get_version(), sqlite3.sqlite_version):
        digest.update(part.encode())
    for path in _schema_sources():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def load_schema_into(target: sqlite3.Connection) -> None:
    """Copy the migrated schema of the code as it is now into `target`, made first when
    missing. Under a lock: other test processes, of this run or of another checkout, make,
    copy and clear away schemas in the same folder."""
    FOLDER.mkdir(exist_ok=True)
    template = FOLDER / f"{schema_key()}.sqlite3"
    with open(FOLDER / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            _migrate_into(template)
            _clear_stale(keep=template)
        with sqlite3.connect(f"file:{template}?mode=ro", uri=True) as source:
            source.backup(target)
        source.close()
        os.utime(template)  # in use: not stale


def _migrate_into(template: Path) -> None:
    partial = template.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{partial}"}
    finished = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"migrating the test schema failed:\n{finished.stderr}")
    with sqlite3.connect(partial) as database:  # one file, no WAL beside it
        database.execute("PRAGMA journal_mode=DELETE")
    database.close()
    partial.rename(template)


def _clear_stale(*, keep: Path) -> None:
    """Schemas of earlier code nobody used for two days (other checkouts may still use theirs)."""
    for old in FOLDER.glob("*.sqlite3"):
        if old != keep and time.time() - old.stat().st_mtime > STALE_AFTER_SECONDS:
            old.unlink(missing_ok=True)
