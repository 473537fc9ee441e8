"""Errors of the workflow engine: each carries a stable code and a message a volunteer can read."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class WorkflowError(Exception):
    """Base of every refusal; views turn it into a message, the API into 400/403/409."""

    code = "workflow_error"
    http_status = 400

    def __init__(self, message: object = None, *, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message()
        if code:
            self.code = code
        super().__init__(str(self.message))

    def default_message(self) -> object:
        return _("This action could not be carried out.")


class UnknownTransition(WorkflowError):
    code = "unknown_transition"

    def default_message(self) -> object:
        return _("This action does not exist.")


class TransitionNotAllowed(WorkflowError):
    """The object is not in a state from which the transition starts (often: someone was faster)."""

    code = "transition_not_allowed"
    http_status = 409


class TransitionForbidden(WorkflowError):
    code = "forbidden"
    http_status = 403

    def default_message(self) -> object:
        return _("You are not allowed to do this.")


class TransitionConflict(WorkflowError):
    code = "conflict"
    http_status = 409

    def default_message(self) -> object:
        return _("Someone else changed this at the same time. Please reload and try again.")


class RuleViolation(WorkflowError):
    """One or more business rules refuse the action; `violations` holds (code, field, message)."""

    code = "rule_violation"

    def __init__(self, violations: list, message: object = None) -> None:
        self.violations = list(violations)
        first = self.violations[0].message if self.violations else None
        super().__init__(message if message is not None else first, code=self.code)


@dataclass(frozen=True)
class FieldProblem:
    """One refused value: a stable code, the field it was given in, a readable message."""

    code: str
    field: str
    message: object


class InvalidInput(RuleViolation):
    """A value given to a step is refused (not text, too long, missing, a date out of range...).

    It names its field, so a page shows the message beside it and the API lists it in `errors`;
    `code` is the problem's own (`text_too_long`, `bad_deadline`, ...)."""

    code = "invalid_input"

    def __init__(self, message: object, *, code: str, field: str = "") -> None:
        self.field = field
        super().__init__([FieldProblem(code, field, message)])
        self.code = code
