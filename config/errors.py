"""The base of the apps' domain errors (games.exceptions, accounts.exceptions), independent of Django.

Each carries the HTTP `status` it maps to, a stable machine-readable `code`,
a `detail` for people and the request `field` at fault if one is; the doors
map them (config/api/errors.py for REST, the pages and sockets their own way).
"""

from __future__ import annotations


class DomainError(Exception):
    status: int = 400
    default_code: str = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code if code is not None else self.default_code
        self.field = field

    def __str__(self) -> str:
        return self.detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, code={self.code!r}, field={self.field!r})"
