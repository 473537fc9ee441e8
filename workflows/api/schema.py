"""The OpenAPI schema class of the API (a module of its own: drf-spectacular's AutoSchema
imports DRF's generic views, which read the pagination class from `workflows.api`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from workflows.api.conditional import ConditionalGetMixin
from workflows.api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="ETag of a copy you hold: 304 without a body while it is current.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=["200", "304"],
        description="Digest of the representation.",
    ),
]
# Only for a view whose Last-Modified covers all it shows (ConditionalGetMixin).
LAST_MODIFIED_PARAMETERS = [
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="HTTP date; honoured where If-None-Match is not sent.",
    ),
    OpenApiParameter(
        "Last-Modified",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=["200"],
        description="The latest change of anything the representation shows.",
    ),
]


# --- the schema: every operation documents its problems ------------------------------------------


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the problem responses each operation can give, the
    304 of a conditional GET and its headers (If-None-Match; If-Modified-Since only where a
    view's Last-Modified covers all it shows)."""

    def _is_conditional(self) -> bool:
        """A GET of a view that answers 304 (ConditionalGetMixin); the streamed open-data
        files, for one, have no ETag."""
        return self.method == "GET" and isinstance(self.view, ConditionalGetMixin)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        """A body the API writes has exactly its serializer's fields: `additionalProperties:
        false`, so that a staff body (more fields) never passes for a funder's, and a field
        that is not documented is a violation."""
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            schema["additionalProperties"] = False
        return schema

    def _get_parameters(self) -> list[dict[str, Any]]:
        """Every query parameter of a single value says `allowEmptyValue`: an empty value is no
        value (no filter, the first page, the default size), as for an HTML form's empty
        field. An array's empty value is the empty array already."""
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["schema"].get("type") != "array":
                parameter["allowEmptyValue"] = True
        return parameters

    def get_override_parameters(self) -> list[Any]:
        extra = CONDITIONAL_PARAMETERS if self._is_conditional() else []
        if extra and getattr(self.view, "sends_last_modified", False):
            extra = [*extra, *LAST_MODIFIED_PARAMETERS]
        return [*super().get_override_parameters(), *extra]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "429"]
        if (
            self.method != "GET"
            or self._is_list_view()
            or getattr(self.view, "validates_query", False)
        ):
            codes.insert(0, "400")
        if "{" in self.path:
            codes.append("404")
        if self.method != "GET":
            codes.append("409")
        for code in codes:
            responses.setdefault(
                code,
                self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE]
                ),
            )
        if self._is_conditional():
            not_modified = OpenApiResponse(
                description="Not modified: the copy you hold is current."
            )
            responses.setdefault("304", self._get_response_for_code(not_modified, "304"))
        return dict(sorted(responses.items()))
