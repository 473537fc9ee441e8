"""The grantee's final report (Verwendungsnachweis / compte rendu financier).

A report is a draft while its grant is due for a report: text, participants by country, the
actual amount of each budget category and the list of receipts. Submitting it hands its totals
to the grant (`grants.services.submit_report_figures`), which runs the audited transition.
Only members of the grantee organisation write it; staff read it.

`totals` holds the numbers and who may do what, `validation` the checks of typed input,
`services` the writes; everything callers need is imported here.
"""

from applications.reporting.services import report_for, save_report, submit_report
from applications.reporting.totals import (
    CATEGORY_LABELS,
    CATEGORY_ORDER,
    MAX_PARTICIPANTS,
    MAX_RECEIPTS,
    OTHER_COUNTRIES,
    CategoryFigures,
    ReportFigures,
    Settlement,
    can_edit_report,
    can_read_report,
    check_editable,
    existing_report,
    figures,
    paid_so_far,
    participants_rows,
    planned_by_category,
    submission_problems,
)

__all__ = [
    "CATEGORY_LABELS",
    "CATEGORY_ORDER",
    "MAX_PARTICIPANTS",
    "MAX_RECEIPTS",
    "OTHER_COUNTRIES",
    "CategoryFigures",
    "ReportFigures",
    "Settlement",
    "can_edit_report",
    "can_read_report",
    "check_editable",
    "existing_report",
    "figures",
    "paid_so_far",
    "participants_rows",
    "planned_by_category",
    "report_for",
    "save_report",
    "submission_problems",
    "submit_report",
]
