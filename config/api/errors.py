"""One error shape for everything under /api/ (SPEC §3), mapped in one place.

Every 4xx and 5xx body is `{"detail", "code", "field"?, "errors"?}`:
`detail` a sentence for people, `code` a stable slug for programs, and, when
request fields are at fault, `field` (the first) and `errors` (every field's
messages). Domain errors (games.exceptions.GameError,
accounts.exceptions.AccountError) become 400/403/404/409;
DRF's own exceptions keep their status with their body reshaped; a body over
DATA_UPLOAD_MAX_MEMORY_SIZE is 413; the database gone is a 503 with
Retry-After; anything else is a bug: a JSON 500 with no traceback in the
body (the traceback goes to the log).

DRF only sees exceptions raised inside its views. What happens before or
beside them (no URL matched, a body too large for a middleware that read it,
a bug in a plain view) reaches Django's handler400/403/404/500, which
config/urls.py points at the `*_view` functions below: JSON under /api/,
the site's HTML pages elsewhere.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from accounts.exceptions import AccountError
from games.exceptions import GameError

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
SERVER_ERROR = "The server hit a bug; it has been logged. Nothing was stored."
# Seconds a client waits after a 503 before trying again.
RETRY_AFTER_UNAVAILABLE = 5

# DRF's codes where SPEC §3 names them differently.
CODE_ALIASES = {"permission_denied": "not_allowed", "error": "server_error"}


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class Unavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A backing service is down; try again shortly. Nothing was stored."
    default_code = "unavailable"


# The apps' own errors: each carries its `status`, `code`, `detail` and `field`.
DOMAIN_ERRORS = (GameError, AccountError)


class DomainAPIError(exceptions.APIException):
    def __init__(self, error: GameError | AccountError):
        self.status_code = error.status
        self.error = error
        super().__init__(detail=error.detail, code=error.code)


def error_body(detail: str, code: str, errors: dict[str, list[str]] | None = None) -> dict:
    body: dict = {"detail": detail, "code": CODE_ALIASES.get(code, code)}
    if errors:
        body["field"] = next(iter(errors))
        body["errors"] = errors
    return body


def _messages(value, prefix: str = "") -> list[str]:
    """Every message in a DRF error structure, each prefixed with where it sits inside its field."""
    if isinstance(value, dict):
        messages = []
        for key, inner in value.items():
            where = f"item {key}" if isinstance(key, int) or str(key).isdigit() else str(key)
            messages += _messages(inner, f"{prefix}{where}: ")
        return messages
    if isinstance(value, list):
        return [message for item in value for message in _messages(item, prefix)]
    return [f"{prefix}{value}"]


def validation_body(detail) -> dict:
    """A serializer's errors as SPEC's shape: per field, then the first field's first message."""
    if not isinstance(detail, dict):
        messages = _messages(detail) or ["Invalid input."]
        return error_body(messages[0], "invalid")
    non_field = _messages(detail.get(api_settings.NON_FIELD_ERRORS_KEY, []))
    errors = {
        str(name): _messages(value)
        for name, value in detail.items()
        if name != api_settings.NON_FIELD_ERRORS_KEY
    }
    if not errors:
        return error_body(non_field[0] if non_field else "Invalid input.", "invalid")
    field = next(iter(errors))
    return error_body(f"{field}: {errors[field][0]}", "invalid", errors)


def _api_exception_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, DomainAPIError):
        error = exc.error
        return error_body(error.detail, error.code, {error.field: [error.detail]} if error.field else None)
    if isinstance(exc, exceptions.ValidationError):
        return validation_body(exc.detail)
    detail = exc.detail
    code = exc.get_codes()
    if isinstance(detail, (list, dict)):  # an APIException raised with a structure
        return validation_body(detail) | {"code": CODE_ALIASES.get(exc.default_code, exc.default_code)}
    return error_body(str(detail), code if isinstance(code, str) else exc.default_code)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes SPEC's one shape."""
    if isinstance(exc, DOMAIN_ERRORS):
        exc = DomainAPIError(exc)
    elif isinstance(exc, Http404):
        # DRF answers these itself but hands us the original, which has no .detail.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = TooLarge()
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The database is gone (or the pool has no connection for us): not a
        # bug, a 503 the client may retry. The transaction, if any, is lost.
        logger.warning("Database unavailable: %s", type(exc).__name__)
        exc = Unavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an error we know: a bug. Roll back, log it as Django would, and
        # answer JSON that gives nothing away.
        set_rollback()
        request = context.get("request")
        path = request.path if request is not None else "?"
        logger.error("Internal Server Error: %s", path, exc_info=exc)
        return Response(error_body(SERVER_ERROR, "server_error"), status=500)
    response.data = _api_exception_body(exc)
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


# --- Django's handlers (config/urls.py) ---------------------------------------------


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request_view(request, exception=None):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body(TooLarge.default_detail, "too_large"), status=413)
    return JsonResponse(error_body("Bad request.", "invalid"), status=400)


def permission_denied_view(request, exception=None):
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(error_body("You are not allowed to do that.", "not_allowed"), status=403)


def page_not_found_view(request, exception=None):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body("No such path.", "not_found"), status=404)


def server_error_view(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return JsonResponse(error_body(SERVER_ERROR, "server_error"), status=500)
