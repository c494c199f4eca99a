"""Account errors, independent of Django: the doors map them (config/api/errors.py, the sign-up page)."""

from __future__ import annotations


class AccountError(Exception):
    """A sign-up or sign-in the account rules refuse: a 400 with a stable `code`, and the `field` at fault if one is."""

    status: int = 400
    default_code: str = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code if code is not None else self.default_code
        self.field = field

    def __str__(self) -> str:
        return self.detail


class AccountNotAllowed(AccountError):
    """An account action this user may not take (a 403): claiming an account that is not a guest."""

    status = 403
    default_code = "not_allowed"
