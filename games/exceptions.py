"""Domain errors raised by the game rules and services, independent of Django."""

from __future__ import annotations

from config.errors import DomainError


class GameError(DomainError):
    """Base of every game error. `code` is a stable machine-readable slug, `status` the HTTP status it maps to."""

    default_code: str = "game_error"


class InvalidMove(GameError):
    """A request that breaks the rules: bad settings, malformed guess, and the like."""

    status = 400
    default_code = "invalid"


class NotAllowed(GameError):
    """The player may not perform this action."""

    status = 403
    default_code = "not_allowed"


class RoomNotFound(GameError):
    """No room matches the given code."""

    status = 404
    default_code = "not_found"


class WrongState(GameError):
    """The action does not fit the room's current state (e.g. guessing after the game ended)."""

    status = 409
    default_code = "wrong_state"
