"""Download of the fund's documents (letters, agreement, summary, payment advice, settlement).

Served only to those who may read the application's files (`rules.documents_visible_to`);
everybody else gets 404, so nobody learns that a document exists.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from applications.documents import document_for, download_name


@login_required
@require_safe
def download(request: HttpRequest, pk: int) -> FileResponse:
    document = document_for(request.user, pk)
    if document is None or not document.file.name:
        raise Http404
    try:
        handle = document.file.storage.open(document.file.name, "rb")
    except OSError as missing:  # the row exists but its file went missing: nothing to serve
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(document),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it in place, it runs with no scripts, no forms, no same origin.
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response
