"""Where the fund's documents may load resources from: the project's static files, and nothing
else (`applications.documents` renders with `static_files_fetcher()`). A text typed by an
applicant can never make the renderer read a local file or call another server.
"""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings

STYLESHEET = "css/print.css"  # relative to the static folder, as the templates name it


class DocumentError(Exception):
    """A document cannot be made for this cause (e.g. an approval without its grant)."""


class ResourceRefused(ValueError):
    """A document asked for a resource outside the project's static files."""


def static_roots() -> list[Path]:
    """The folders a document may load files from: the static sources and the collected ones."""
    roots = [Path(str(folder)) for folder in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(str(settings.STATIC_ROOT)))
    return [root.resolve() for root in roots]


def static_base_url() -> str:
    """The base URL of the templates' relative links: the first static folder that holds the
    stylesheet (the sources in development, the collected files where only those exist)."""
    roots = static_roots()
    if not roots:
        raise DocumentError("No static folder is configured (STATICFILES_DIRS or STATIC_ROOT).")
    chosen = next((root for root in roots if (root / STYLESHEET).is_file()), roots[0])
    return chosen.as_uri() + "/"


def allowed_static_path(url: str, roots: list[Path] | None = None) -> Path:
    """The static file `url` names, or ResourceRefused saying why not.

    Only file URLs, on no host, that resolve (after `..` and symbolic links) to an existing file
    inside one of the static folders: no http(s), no data, no other file of the machine.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise ResourceRefused(
            f"Documents may only load the project's static files, not {url[:200]!r}."
        )
    if parts.netloc not in ("", "localhost"):
        raise ResourceRefused(f"Documents may not load files from another host: {url[:200]!r}.")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in roots or static_roots()):
        raise ResourceRefused(f"Documents may only load files from the static folders, not {path}.")
    if not path.is_file():
        raise ResourceRefused(f"The static file {path} does not exist.")
    return path


@cache
def _fetcher_class() -> type[Any]:
    # WeasyPrint takes ~0.4 s to import: only processes that render pay for it.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):  # type: ignore[misc]
        """WeasyPrint's fetcher, limited to `allowed_static_path`. `fail_on_errors` turns a
        refusal into an error that stops the rendering instead of a silently missing image."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), fail_on_errors=True)
            self._roots = static_roots()

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = allowed_static_path(url, self._roots)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticFilesFetcher


def static_files_fetcher() -> Any:
    """A URL fetcher for WeasyPrint that serves the static files and refuses everything else."""
    return _fetcher_class()()
