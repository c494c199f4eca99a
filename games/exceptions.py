"""Domain errors raised by the game rules and services, independent of Django."""

from __future__ import annotations


class GameError(Exception):
    """Base of every domain error. `code` is a stable machine-readable slug, `status` the HTTP status it maps to."""

    status: int = 400
    default_code: str = "game_error"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code if code is not None else self.default_code
        self.field = field

    def __str__(self) -> str:
        return self.detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, code={self.code!r}, field={self.field!r})"


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
