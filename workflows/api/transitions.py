"""State changes through the API: one endpoint per machine, the transition named in the path.

    GET  /api/v1/<records>/{id}/transitions/         what the caller may do now
    POST /api/v1/<records>/{id}/transitions/{name}/  do it: {"note": "...", <the data>}

The data a transition takes is what the admin asks for: the form of the admin's
`TransitionSpec` (plus the note, when the app's service takes one) is turned into a serializer
here, so the admin page and the API validate the same fields the same way. The view then calls
the app's transition service (`run_*_transition`), which goes through `workflows.perform()`:
row lock, permission, state, audit row with the caller as actor, side effects after commit.

Answers: 200 with the record as the caller reads it; problems otherwise — 400 invalid data
(`errors`) or a refused value (WorkflowError, RuleViolation with `errors`), 403 not allowed
(a read-only account; the transition's rule), 404 a record outside the caller's scope or a
transition this kind of record does not have (`unknown_transition`), 409 not possible in the
current status or changed concurrently, 422 an Idempotency-Key reused for another request.
Each status is the one the refusal declares (`WorkflowError.http_status`), as everywhere in the
API: a RuleViolation (e.g. `budget_refused`) is a 400 with the broken rules in `errors`. An
answer other than 2xx leaves the database as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from workflows.api import idempotency
from workflows.api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer
from workflows.engine import available_transitions, state_field
from workflows.errors import InvalidInput
from workflows.fields import ReplyDateField, StepTextField
from workflows.roles import STAFF_ROLES, has_role
from workflows.text import clean_reply_date, clean_text
from workflows.transitions import NoteForm, TransitionSpec, run_transition

NAME_PATTERN = r"[a-z][a-z_]{0,63}"
V = TypeVar("V", bound="TransitionViewSetMixin")

# --- who may write ----------------------------------------------------------------------------


class MayWrite(BasePermission):
    """Staff write (their session, with CSRF, or a token of theirs); funders only read."""

    message = _("This account may only read the API.")
    code = "read_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, *STAFF_ROLES)


# --- the data of a transition: the admin's form, as a serializer --------------------------------


class TransitionInput(serializers.Serializer[dict[str, Any]]):
    """The body of a transition: its fields and nothing else (a typo must not pass unseen)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                message = str(_("This action takes no such field."))
                raise exceptions.ValidationError(
                    {
                        name: [exceptions.ErrorDetail(message, code="unknown_field")]
                        for name in unknown
                    }
                )
        validated: dict[str, Any] = super().to_internal_value(data)
        return validated


def _must_be_true(value: bool) -> None:
    if value is not True:
        raise serializers.ValidationError(_("This must be true."), code="invalid")


def _as_serializer_error(error: InvalidInput) -> serializers.ValidationError:
    message: Any = error.message  # a (lazy) string
    return serializers.ValidationError(message, code=error.code)


class StepTextSerializerField(serializers.CharField):
    """A `StepTextField` in JSON: the same cleaner, so the same refusals in the same words."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and not self.required:
            return True, ""  # null for an optional text: none given, as the form would hold
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> str:
        try:
            return clean_text(data, max_length=self.max_length)
        except InvalidInput as error:
            raise _as_serializer_error(error) from error


def _reply_date(value: date) -> None:
    try:
        clean_reply_date(value)
    except InvalidInput as error:
        raise _as_serializer_error(error) from error


class ChoicesSerializerField(serializers.MultipleChoiceField):
    """A `MultipleChoiceField` in JSON: a list of choices, answered in the choices' order
    (DRF's own gives a set, which no audit row can hold)."""

    def to_internal_value(self, data: Any) -> list[Any]:  # type: ignore[override]
        chosen = super().to_internal_value(data)
        return [value for value in self.choices if value in chosen]


def _required_words(field: forms.Field) -> dict[str, Any]:
    """The form field's own words for a missing value, for every way JSON can miss it."""
    message = field.error_messages.get("required")
    if not field.required or message is forms.Field.default_error_messages["required"]:
        return {}
    return {"error_messages": dict.fromkeys(("required", "null", "blank", "empty"), message)}


def serializer_field(field: forms.Field) -> serializers.Field:
    """The serializer field that accepts what the form field accepts, in JSON, refusing the rest
    with the form's words. An optional field left out gets the value the form's cleaned_data
    would hold (False, "", [] or null)."""
    options: dict[str, Any] = {"label": field.label, **_required_words(field)}
    if field.help_text:
        options["help_text"] = field.help_text
    optional = not field.required
    if isinstance(field, forms.BooleanField):
        if optional:  # an unticked box
            return serializers.BooleanField(default=False, **options)
        return serializers.BooleanField(validators=[_must_be_true], **options)
    if isinstance(field, StepTextField):
        if optional:
            options["default"] = ""
        return StepTextSerializerField(max_length=field.max_length, allow_blank=optional, **options)
    if isinstance(field, forms.CharField) and type(field) in (forms.CharField, forms.EmailField):
        text = (
            serializers.EmailField if isinstance(field, forms.EmailField) else serializers.CharField
        )
        if optional:
            options["default"] = ""
        return text(
            max_length=field.max_length,
            min_length=field.min_length,
            trim_whitespace=field.strip,
            allow_blank=optional,
            **options,
        )
    if isinstance(field, forms.MultipleChoiceField):
        if optional:
            options["default"] = list
        several: Any = field.choices
        return ChoicesSerializerField(choices=list(several), allow_empty=optional, **options)
    if optional:
        options.update(default=None, allow_null=True)
    numeric: dict[str, Any] = {
        "min_value": getattr(field, "min_value", None),
        "max_value": getattr(field, "max_value", None),
    }
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits, decimal_places=field.decimal_places, **numeric, **options
        )
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.FloatField):
        return serializers.IntegerField(**numeric, **options)
    if isinstance(field, ReplyDateField):
        return serializers.DateField(validators=[_reply_date], **options)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**options)
    if isinstance(field, forms.ChoiceField):
        choices: Any = field.choices
        return serializers.ChoiceField(choices=list(choices), **options)
    raise ImproperlyConfigured(f"no API field for the form field {type(field).__name__}")


@functools.cache
def transition_serializer(
    prefix: str, name: str, form: type[forms.Form], with_note: bool
) -> type[TransitionInput]:
    """The input serializer of transition `name` (its schema component: <Prefix><Name>Input)."""
    fields = {field_name: serializer_field(f) for field_name, f in form.base_fields.items()}
    if with_note:
        fields.setdefault("note", serializer_field(NoteForm.base_fields["note"]))
    camel = "".join(part.capitalize() for part in name.split("_"))
    attrs: dict[str, Any] = {**fields, "__module__": __name__, "__doc__": f"The data of “{name}”."}
    return type(f"{prefix}{camel}InputSerializer", (TransitionInput,), attrs)


FIELD_TYPES = ["string", "decimal", "integer", "date", "boolean", "choice", "choices"]


def field_type(field: serializers.Field) -> str:
    for kind, label in (
        (serializers.MultipleChoiceField, "choices"),  # before ChoiceField, its base
        (serializers.BooleanField, "boolean"),
        (serializers.DecimalField, "decimal"),
        (serializers.IntegerField, "integer"),
        (serializers.DateField, "date"),
        (serializers.ChoiceField, "choice"),
    ):
        if isinstance(field, kind):
            return label
    return "string"


# --- what the caller may do now -------------------------------------------------------------------


class TransitionFieldSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    type = serializers.ChoiceField(FIELD_TYPES, help_text="“choices”: a list of choices")
    required = serializers.BooleanField()  # type: ignore[assignment]


class AvailableTransitionSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(help_text="POST to transitions/{name}/ to do it")
    label = serializers.CharField(help_text="in the request's language")  # type: ignore[assignment]
    fields = TransitionFieldSerializer(many=True, help_text="what the body may hold")  # type: ignore[assignment]


class AvailableTransitionsSerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.CharField(help_text="the record's current status")
    transitions = AvailableTransitionSerializer(many=True)


# --- the view pieces ----------------------------------------------------------------------------


class TransitionViewSetMixin:
    """Adds `transitions` (GET) and `transition` (POST) to a read-only viewset of a record with a
    state machine. The viewset's queryset is the caller's scope; its serializer answers.

    Subclasses set `transition_specs`, the machine's table (workflows.transitions): its services
    run, its forms are the input; the decorator of `transition_schema()` documents them.
    """

    transition_specs: Mapping[str, TransitionSpec] = {}
    schema_prefix = ""

    def run_transition(self, obj: Any, name: str, *, by: Any, **data: Any) -> Any:
        return run_transition(self.transition_specs, obj, name, by=by, **data)

    def get_permissions(self) -> list[BasePermission]:
        permissions: list[BasePermission] = super().get_permissions()  # type: ignore[misc]
        if getattr(self, "action", None) == "transition":
            permissions.append(MayWrite())
        return permissions

    @classmethod
    def transition_input(cls, name: str) -> type[TransitionInput]:
        spec = cls.transition_specs[name]
        prefix = cls.schema_prefix or cls.__name__.removesuffix("ViewSet")
        return transition_serializer(prefix, name, spec.form, spec.takes_note)

    def _known(self, name: str) -> bool:
        return name in self.transition_specs

    @action(
        detail=True,
        methods=["get"],
        url_path="transitions",
        url_name="transitions",
        filter_backends=[],
        pagination_class=None,
    )
    def transitions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        names = [n for n in available_transitions(obj, request.user) if self._known(n)]
        data = {
            "status": state_field(type(obj)).get_state(obj),
            "transitions": [
                {
                    "name": name,
                    "label": self.transition_specs[name].label,
                    "fields": [
                        {"name": field_name, "type": field_type(field), "required": field.required}
                        for field_name, field in self.transition_input(name)().fields.items()
                    ],
                }
                for name in names
            ],
        }
        return Response(AvailableTransitionsSerializer(data).data)

    @action(
        detail=True,
        methods=["post"],
        url_path=rf"transitions/(?P<name>{NAME_PATTERN})",
        url_name="transition",
        filter_backends=[],
        pagination_class=None,
    )
    def transition(self, request: Request, *args: Any, name: str = "", **kwargs: Any) -> Response:
        key = idempotency.requested_key(request)
        return idempotency.respond_once(request, key, lambda: self._answer(request, name))

    def _answer(self, request: Request, name: str) -> Response:
        """The transition's answer; a refusal as its problem response, not an exception."""
        try:
            return self._perform_transition(request, name)
        except Exception as exc:
            response: Response = self.handle_exception(exc)  # type: ignore[attr-defined]
            return response

    def _perform_transition(self, request: Request, name: str) -> Response:
        if not self._known(name):
            raise exceptions.NotFound(
                _("“%(name)s” is not an action on this kind of record.") % {"name": name},
                code="unknown_transition",
            )
        obj = self.get_object()  # type: ignore[attr-defined]  # 404 outside the caller's scope
        data = self.transition_input(name)(data=request.data)
        data.is_valid(raise_exception=True)
        self.run_transition(obj, name, by=request.user, **data.validated_data)
        fresh = self.get_object()  # type: ignore[attr-defined]  # as the caller reads it now
        serializer = self.get_serializer(fresh)  # type: ignore[attr-defined]
        return Response(serializer.data)


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


def transition_schema(
    *, record: str, answer: type[serializers.BaseSerializer[Any]]
) -> Callable[[type[V]], type[V]]:
    """Class decorator: the OpenAPI documentation of a viewset's two transition endpoints."""

    def decorate(view: type[V]) -> type[V]:
        decorator = extend_schema_view(**_transition_operations(view, record, answer))
        return decorator(view)

    return decorate


def _transition_operations(
    view: type[TransitionViewSetMixin], record: str, answer: type[serializers.BaseSerializer[Any]]
) -> dict[str, Any]:
    names = sorted(view.transition_specs)
    prefix = view.schema_prefix or view.__name__.removesuffix("ViewSet")
    bodies = [view.transition_input(name) for name in names]
    lines = []
    for name, body in zip(names, bodies, strict=True):
        fields = body().fields
        described = ", ".join(
            f"`{field_name}`" + ("" if field.required else " (optional)")
            for field_name, field in fields.items()
        )
        lines.append(f"- `{name}`: {described or 'no data'}")
    problems = {
        (code, PROBLEM_CONTENT_TYPE): _problem(text)
        for code, text in (
            (
                400,
                "Invalid data (`errors` names each field), an invalid Idempotency-Key, or a "
                "value the rules refuse (e.g. `amount_out_of_range`; a refused field such as "
                "`text_too_long`, `bad_deadline` or `checklist_incomplete` is named in "
                "`errors`, in the same words as on the staff pages; `rule_violation` and "
                "`budget_refused` list the broken rules in `errors`).",
            ),
            (
                403,
                "A read-only account (funder), or the transition's rule refuses the caller "
                "(`forbidden`, `four_eyes`), or a session request without its CSRF token.",
            ),
            (
                404,
                f"No such {record} in the caller's scope (`not_found`), or no such transition "
                "for it (`unknown_transition`).",
            ),
            (
                409,
                "Not possible in the current status (`transition_not_allowed` or the code of "
                "the unmet condition), changed by someone else at the same time (`conflict`: "
                "reload and retry), or the Idempotency-Key's first request is still running "
                "(`idempotency_key_in_use`).",
            ),
            (
                422,
                "The Idempotency-Key was used before with another request "
                "(`idempotency_key_reused`).",
            ),
        )
    }
    post = extend_schema(
        operation_id=f"{prefix.lower()}s_transition",
        summary=f"Change the {record}'s status (one transition)",
        description=(
            f"Runs transition `name` on the {record} as the caller (staff only; funders read), "
            "through the same service as the staff pages: permission, status and business rules "
            "are checked under a row lock, the audit log records the caller. The body is a JSON "
            "object with `note` (kept in the audit log) and the transition's data; any other "
            "field is refused. Answers the "
            f"{record} as the caller reads it.\n\nThe data of each transition:\n" + "\n".join(lines)
        ),
        parameters=[
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=names,
                description="the transition",
            ),
            idempotency.KEY_PARAMETER,
            idempotency.REPLAYED_PARAMETER,
        ],
        request=PolymorphicProxySerializer(
            component_name=f"{prefix}TransitionInput",
            serializers=bodies,
            resource_type_field_name=None,
        ),
        responses={
            200: OpenApiResponse(answer, description=f"Done: the {record} in its new status."),
            **problems,
        },
    )
    listing = extend_schema(
        summary=f"The transitions the caller may run on the {record} now",
        description="Each with its label and the fields its body takes; empty for read-only "
        "accounts and in final states.",
        responses=AvailableTransitionsSerializer,
    )
    return {"transition": post, "transitions": listing}
