"""One place maps domain errors to HTTP: GameError → 400/403/404/409."""

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from games.exceptions import GameError


class GameAPIError(exceptions.APIException):
    def __init__(self, error: GameError):
        self.status_code = error.status
        # {"detail": ..., "code": ...}: DRF's shape plus a stable code for clients.
        data = {"detail": error.detail, "code": error.code}
        if error.field:
            data["field"] = error.field
        super().__init__(detail=data)


def exception_handler(exc, context):
    if isinstance(exc, GameError):
        exc = GameAPIError(exc)
    return drf_exception_handler(exc, context)
