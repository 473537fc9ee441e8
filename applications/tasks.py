"""Background work of the applicant side: the fund's documents.

Tasks take ids only, are idempotent (a document is made once per cause, see
`applications.documents.issue_document`) and may run twice or be retried.
"""

from __future__ import annotations

from django_tasks import task

from applications.documents import issue_for_ids


@task()
def issue_document_task(
    application_id: int,
    kind: str,
    log_id: int | None = None,
    grant_id: int | None = None,
    payment_id: int | None = None,
) -> int:
    """Render and store one document for one cause; returns the Document's id."""
    return issue_for_ids(application_id, kind, log_id, grant_id, payment_id).pk
