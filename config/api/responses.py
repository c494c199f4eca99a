"""What every REST door shares: a strictly validated body, and the error responses it documents."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


def body(request, serializer_class) -> dict:
    """The request body validated by `serializer_class`; a ValidationError (400) if it is not valid."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ErrorSerializer(serializers.Serializer):
    """SPEC §3's one error shape, for every 4xx and 5xx under /api/."""

    detail = serializers.CharField(help_text="A sentence for people.")
    code = serializers.CharField(
        help_text="A stable slug for programs: invalid, parse_error, not_authenticated, authentication_failed, "
        "not_allowed, not_found, method_not_allowed, wrong_state, too_large, unsupported_media_type, "
        "throttled, server_error, unavailable, or a domain error's own (e.g. bad_credentials)."
    )
    field = serializers.CharField(required=False, help_text="The first request field at fault, when one is.")
    # Documents the wire field "errors" (this serializer only describes the shape,
    # it never validates, so hiding Serializer.errors is harmless).
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Every field at fault and its messages, when fields are at fault.",
    )


E400 = OpenApiResponse(ErrorSerializer, description="Bad input; nothing was stored.")
E401 = OpenApiResponse(ErrorSerializer, description="No or bad token.")
E403 = OpenApiResponse(ErrorSerializer, description="Not allowed (not a player, not the owner).")
E404 = OpenApiResponse(ErrorSerializer, description="No such room, or a private room you are not in.")
E409 = OpenApiResponse(ErrorSerializer, description="Wrong state (not started, finished, full, ...).")
E429 = OpenApiResponse(ErrorSerializer, description="Throttled; see the Retry-After header.")


def errors(*codes: int) -> dict:
    """The error responses of an operation: 401 and 429 (every operation's), plus `codes`."""
    table = {400: E400, 401: E401, 403: E403, 404: E404, 409: E409, 429: E429}
    return {code: table[code] for code in (401, 429, *codes)}
