"""Account errors, independent of Django: the doors map them (config/api/errors.py, the sign-up page)."""

from __future__ import annotations

from config.errors import DomainError


class AccountError(DomainError):
    """A sign-up or sign-in the account rules refuse: a 400 with a stable `code`, and the `field` at fault if one is."""


class AccountNotAllowed(AccountError):
    """An account action this user may not take (a 403): claiming an account that is not a guest."""

    status = 403
    default_code = "not_allowed"
