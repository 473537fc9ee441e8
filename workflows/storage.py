"""Stored files (uploads, issued documents, finance exports): written all or nothing, and swept.

Every place that writes a file through a model's FileField does it inside `all_or_no_files()`:
a storage that fails (a full disk, an unreachable volume) leaves no half-written file, and the
caller gets a `StorageUnavailable` that a page shows as a message and the API answers with 503.
Should the work after the write fail (the row cannot be saved), the files written go too.

What still slips through (a worker killed between the file and its row, a caller's transaction
that rolls back later) is removed by `remove_orphaned_files` (`manage.py remove_orphaned_files`),
which knows the folders from the upload_to of every FileField of the project.
"""

from __future__ import annotations

import errno
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.errors import WorkflowError

logger = logging.getLogger(__name__)

# A stored file without a row is removed only after this long (its upload may still be running).
ORPHAN_GRACE = timedelta(hours=6)
# The errors of a storage that is full (a disk, or the quota of the user the site runs as).
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class StorageUnavailable(WorkflowError):
    """A file could not be written; nothing of it was kept. Try again later (hence 503)."""

    code = "storage_unavailable"
    http_status = 503

    def default_message(self) -> object:
        return _(
            "The file could not be stored because of a problem on the server. "
            "Nothing was saved. Please try again later."
        )


def storage_unavailable(error: OSError) -> StorageUnavailable:
    """The refusal for an error of the storage, saying so when it is full."""
    if error.errno in NO_SPACE_ERRNOS:
        return StorageUnavailable(
            _(
                "The file could not be stored because the server has no space left. "
                "Nothing was saved. Please try again later."
            ),
            code="storage_full",
        )
    return StorageUnavailable()


# --- writing -----------------------------------------------------------------------------------


class FileWrites:
    """The files one piece of work has written, so that all of them go if the work fails."""

    def __init__(self) -> None:
        self._written: list[tuple[Storage, str]] = []

    def save(self, field_file: FieldFile, name: str, content: File) -> str:
        """Write `content` into the file field (its row is not saved) and return the stored
        name; StorageUnavailable, with nothing left behind, if the storage fails."""
        model_field = field_file.field
        storage = field_file.storage
        # Chosen before writing, to know what to remove when the storage fails half-way (it
        # creates the file first). The names are unique (random or per row), so nobody else
        # writes this one in the meantime.
        target = storage.get_available_name(
            model_field.generate_filename(field_file.instance, name),
            max_length=model_field.max_length,
        )
        try:
            stored = storage.save(target, content, max_length=model_field.max_length)
        except OSError as error:
            logger.error("could not store the file %s: %s", target, error)
            remove_file(storage, target)
            raise storage_unavailable(error) from error
        except BaseException:
            remove_file(storage, target)
            raise
        # What FieldFile.save does, with the name chosen above.
        field_file.name = stored
        setattr(field_file.instance, model_field.attname, stored)
        self._written.append((storage, stored))
        return stored

    def keep_track(self, field_file: FieldFile) -> None:
        """A file stored by someone else (a service called in the block) that must go too if
        the rest of the block fails."""
        if field_file.name:
            self._written.append((field_file.storage, field_file.name))

    def remove_all(self) -> None:
        """Remove every file written so far (the work failed or lost a race)."""
        while self._written:
            storage, name = self._written.pop()
            remove_file(storage, name)


@contextmanager
def all_or_no_files() -> Iterator[FileWrites]:
    """Files written through the yielded `FileWrites` are removed if the block raises."""
    writes = FileWrites()
    try:
        yield writes
    except BaseException:
        writes.remove_all()
        raise


def remove_file(storage: Storage, name: str | None) -> None:
    """Delete a stored file if it is there; a failure is logged (the sweeper tries again)."""
    if not name:
        return
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete the stored file %s", name)


# --- sweeping ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFolder:
    """A top folder of a storage that FileFields write into, and the names their rows hold."""

    storage: Storage
    folder: str
    fields: tuple[str, ...]  # "app_label.Model.field", for the command's output


@dataclass(frozen=True)
class Leftover:
    """A file the sweep removes."""

    name: str
    reason: str  # "orphaned" (no row names it) or "empty" (0 bytes)
    named_by: str = ""  # the row that names an empty file ("applications.Document 12")
    storage: Storage | None = field(default=None, compare=False, repr=False)


def stored_folders() -> list[StoredFolder]:
    """Every top folder the project's FileFields write into, found from their upload_to."""
    found: dict[tuple[int, str], tuple[Storage, list[str]]] = {}
    for model, file_field in _file_fields():
        folder = _top_folder(model, file_field)
        if not folder:
            continue  # a field writing into the root: its files are never swept
        storage = file_field.storage
        entry = found.setdefault((id(storage), folder), (storage, []))
        entry[1].append(f"{model._meta.label}.{file_field.name}")
    return [
        StoredFolder(storage, folder, tuple(fields))
        for (_key, folder), (storage, fields) in sorted(found.items(), key=lambda i: i[0][1])
    ]


def leftover_files(*, older_than: timedelta = ORPHAN_GRACE) -> list[Leftover]:
    """Stored files older than `older_than` that no row names (left by a crash between the file
    and its row, or a rolled-back transaction) or that are empty (a write that failed)."""
    named = _named_files()
    cutoff = timezone.now() - older_than  # file times are real, not the travelling clock
    found = []
    for place in stored_folders():
        names = named[id(place.storage)]
        for path in _walk(place.storage, place.folder):
            try:
                if place.storage.get_modified_time(path) >= cutoff:
                    continue  # it may be on its way right now
                empty = place.storage.size(path) == 0
            except FileNotFoundError:
                continue  # removed meanwhile
            if path not in names:
                reason = "empty" if empty else "orphaned"
                found.append(Leftover(path, reason, storage=place.storage))
            elif empty:
                found.append(Leftover(path, "empty", names[path], storage=place.storage))
    return found


def remove_orphaned_files(
    *, older_than: timedelta = ORPHAN_GRACE, dry_run: bool = False
) -> list[Leftover]:
    """Delete the `leftover_files` (unless `dry_run`); returns them."""
    leftovers = leftover_files(older_than=older_than)
    if not dry_run:
        for leftover in leftovers:
            if leftover.storage is not None:
                remove_file(leftover.storage, leftover.name)
    return leftovers


def _file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for file_field in model._meta.concrete_fields:
            if isinstance(file_field, models.FileField):
                yield model, file_field


def _top_folder(model: type[models.Model], file_field: models.FileField) -> str:
    """The first folder of the names the field generates (a callable upload_to is asked with an
    empty row). A field whose upload_to cannot say so stops the sweep: guessing could delete
    its files."""
    probe = str(file_field.generate_filename(model(), "probe"))
    folder, _sep, rest = probe.partition("/")
    return folder if rest else ""


def _named_files() -> dict[int, dict[str, str]]:
    """For each storage: every stored name a row holds, with the row ("app.Model pk")."""
    named: dict[int, dict[str, str]] = defaultdict(dict)
    for model, file_field in _file_fields():
        column = file_field.attname
        rows = model._base_manager.exclude(**{column: ""}).exclude(**{f"{column}__isnull": True})
        for pk, name in rows.values_list("pk", column).iterator(chunk_size=2000):
            named[id(file_field.storage)][str(name)] = f"{model._meta.label} {pk}"
    return named


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for sub in sorted(folders):
        yield from _walk(storage, f"{folder}/{sub}")


def describe(leftover: Leftover) -> str:
    """One line of the command's output."""
    if leftover.named_by:
        return f"{leftover.name} (empty; {leftover.named_by} names it, its file is lost)"
    return f"{leftover.name} ({leftover.reason})"
