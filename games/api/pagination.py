"""Cursor pagination that answers a bad `cursor` or `page_size` with a 400 (SPEC §3), never a 500 or a silent default."""

import re
from base64 import b64decode
from urllib import parse

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

CURSOR_KEYS = {"o", "r", "p"}
# DRF's cursors are base64 of a query string: nothing else is one.
BASE64 = re.compile(r"[A-Za-z0-9+/=_-]+")


def _bad(field: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]})


class StrictCursorPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = "Rooms per page, 1 to 100 (default 20)."
    cursor_query_description = "The `next` or `previous` link's cursor; any other value is a 400."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise _bad(self.page_size_query_param, f"Must be an integer from 1 to {self.max_page_size}.")
        return int(raw)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:  # absent or blank: the first page
            return None
        invalid = _bad(self.cursor_query_param, "Invalid cursor: use a next or previous link as given.")
        if not BASE64.fullmatch(encoded):
            raise invalid
        try:
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
        except (ValueError, UnicodeError):
            raise invalid from None
        tokens = parse.parse_qs(querystring, keep_blank_values=True)
        if not tokens or set(tokens) - CURSOR_KEYS or any(len(v) != 1 for v in tokens.values()):
            raise invalid
        if "\x00" in tokens.get("p", [""])[0]:
            raise invalid
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise invalid from None

    def paginate_queryset(self, queryset, request, view=None):
        # A well-formed cursor can still carry a position that is not a value
        # of the ordering field (a date that is no date): the query says so.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, DataError, ValueError, TypeError, OverflowError):
            raise _bad(
                self.cursor_query_param, "Invalid cursor: use a next or previous link as given."
            ) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
