"""The shop API's OpenAPI schema: every operation also documents the errors
it can answer, all in the one shape of `oxy.api.api_exception_handler`."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_serializer
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiError(serializers.Serializer):
    code = serializers.CharField(
        help_text="`invalid`, `not_found`, `permission_denied`, `not_authenticated`, `authentication_failed`, "
        "`throttled`, or the rule the request breaks (e.g. `slot_taken`, `channel_error`)."
    )
    message = serializers.CharField(help_text="For people, in the shop's language.")
    fields = serializers.DictField(
        help_text="With `invalid`: each field's errors (a list of messages; nested for nested input). Else empty."
    )


# Authentication failures are 403, not 401: DRF answers 401 only when the
# first authenticator names a WWW-Authenticate scheme, and the session's names none.
FORBIDDEN = "Not signed in, an unknown or revoked API key, or a role (or read-only key) that may not do this."
THROTTLED = "Too many calls for this API key or this shop: retry after the `Retry-After` header's seconds."
INVALID = "Invalid input (`invalid`, per field in `fields`), or a request the shop's rules refuse."
NOT_FOUND = "No such object in this shop, or a page past the last."


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ApiError, description=description)


class ShopApiSchema(AutoSchema):
    """Documents 400 wherever input is validated (a body, or query parameters
    read by a serializer), 403 and 429 everywhere, 404 wherever an id is in
    the path or a list is paginated. Views declare the rarer ones (409, 502)."""

    def get_operation(self, *args, **kwargs) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        has_path_ids = any(parameter["in"] == "path" for parameter in operation.get("parameters", []))
        validates_query = any(is_serializer(parameters) for parameters in self.get_override_parameters())
        paginated = self._is_list_view() and self._get_paginator() is not None
        errors = {
            "400": INVALID if "requestBody" in operation or validates_query else None,
            "403": FORBIDDEN,
            "404": NOT_FOUND if has_path_ids or paginated else None,
            "429": THROTTLED,
        }
        responses = operation["responses"]
        for status_code, description in errors.items():
            if description and status_code not in responses:
                responses[status_code] = self._get_response_for_code(error_response(description), status_code)
        operation["responses"] = dict(sorted(responses.items()))
        return operation
