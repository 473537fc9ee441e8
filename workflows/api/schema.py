"""The OpenAPI schema class of the API (a module of its own: drf-spectacular's AutoSchema
imports DRF's generic views, which read the pagination class from `workflows.api`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from workflows.api import PROBLEM_CONTENT_TYPE, ConditionalGetMixin, ProblemSerializer

CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="ETag of a copy you hold: 304 without a body while it is current.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="HTTP date; honoured where Last-Modified is sent and If-None-Match is not.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=["200", "304"],
        description="Digest of the representation.",
    ),
]


# --- the schema: every operation documents its problems ------------------------------------------


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the problem responses each operation can give, the
    304 of a conditional GET and the If-None-Match / If-Modified-Since headers."""

    def _is_conditional(self) -> bool:
        """A GET of a view that answers 304 (ConditionalGetMixin); the streamed open-data
        files, for one, have no ETag."""
        return self.method == "GET" and isinstance(self.view, ConditionalGetMixin)

    def get_override_parameters(self) -> list[Any]:
        extra = CONDITIONAL_PARAMETERS if self._is_conditional() else []
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
