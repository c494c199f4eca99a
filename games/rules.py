"""The rules of Mastermind: settings, codes, feedback and draws. Pure Python, no Django."""

from __future__ import annotations

import itertools
import math
import operator
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeGuard

from games.exceptions import InvalidMove

MODES = ("solo", "coop", "race", "duel")
ROOM_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ROOM_CODE_LENGTH = 6
BOT_DIFFICULTIES = ("easy", "hard")
LIMITS = {
    "code_length": (2, 8),
    "colors": (2, 10),
    "max_guesses": (1, 20),
    "max_players": (1, 8),
}

_DEFAULT_PLAYERS = {"solo": 1, "duel": 2, "coop": 4, "race": 4}
_PLAYER_RANGE = {"solo": (1, 1), "duel": (2, 2), "coop": (2, 8), "race": (2, 8)}

# SystemRandom draws from os.urandom, so secrets stay unpredictable to players.
_rng = secrets.SystemRandom()


@dataclass(frozen=True)
class GameSettings:
    """The parameters of one game; build it through validate_settings."""

    code_length: int = 4
    colors: int = 6
    max_guesses: int = 10
    allow_duplicates: bool = True


class Feedback(NamedTuple):
    """Black pegs (right colour, right place) and white pegs (right colour, wrong place)."""

    exact: int
    misplaced: int


def _is_int(value: object) -> TypeGuard[int]:
    """True for a real int; bool is excluded although it subclasses int."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_mode(mode: object) -> str:
    """Return mode if it is one of MODES, else raise InvalidMove on field "mode"."""
    if not isinstance(mode, str) or mode not in MODES:
        raise InvalidMove(f"mode must be one of: {', '.join(MODES)}.", field="mode")
    return mode


def _check_range(name: str, value: object) -> int:
    """Return value if it is an int within LIMITS[name], else raise InvalidMove on that field."""
    low, high = LIMITS[name]
    if not _is_int(value):
        raise InvalidMove(f"{name} must be an integer.", field=name)
    if not low <= value <= high:
        raise InvalidMove(f"{name} must be between {low} and {high}.", field=name)
    return value


def default_max_players(mode: str) -> int:
    """Number of seats a room of this mode gets when none is requested."""
    return _DEFAULT_PLAYERS[_check_mode(mode)]


def validate_settings(
    *,
    mode: str,
    code_length: Any = 4,
    colors: Any = 6,
    max_guesses: Any = 10,
    allow_duplicates: Any = True,
    max_players: Any = None,
) -> tuple[GameSettings, int]:
    """Check untrusted room settings and return them with max_players defaulted by mode."""
    mode = _check_mode(mode)
    code_length = _check_range("code_length", code_length)
    colors = _check_range("colors", colors)
    max_guesses = _check_range("max_guesses", max_guesses)
    if not isinstance(allow_duplicates, bool):
        raise InvalidMove("allow_duplicates must be true or false.", field="allow_duplicates")
    if not allow_duplicates and colors < code_length:
        raise InvalidMove(
            f"Without duplicates, colors must be at least code_length ({code_length}).",
            field="colors",
        )
    if max_players is None:
        max_players = _DEFAULT_PLAYERS[mode]
    max_players = _check_range("max_players", max_players)
    low, high = _PLAYER_RANGE[mode]
    if not low <= max_players <= high:
        if low == high:
            allowed = f"exactly {low} player" + ("" if low == 1 else "s")
        else:
            allowed = f"between {low} and {high} players"
        raise InvalidMove(f"A {mode} game must have {allowed}.", field="max_players")
    settings = GameSettings(
        code_length=code_length,
        colors=colors,
        max_guesses=max_guesses,
        allow_duplicates=allow_duplicates,
    )
    return settings, max_players


def validate_code(code: Any, settings: GameSettings, *, field: str = "guess") -> tuple[int, ...]:
    """Check an untrusted code (guess or chosen secret) against settings and return it as a tuple."""
    n = settings.code_length
    if not isinstance(code, (list, tuple)):
        raise InvalidMove(f"{field} must be a list of {n} colours.", field=field)
    if len(code) != n:
        raise InvalidMove(f"{field} must have exactly {n} colours, not {len(code)}.", field=field)
    if not all(_is_int(peg) for peg in code):
        raise InvalidMove(f"{field} must contain only integers.", field=field)
    top = settings.colors - 1
    if not all(0 <= peg <= top for peg in code):
        raise InvalidMove(f"Each colour in {field} must be between 0 and {top}.", field=field)
    if not settings.allow_duplicates and len(set(code)) != n:
        raise InvalidMove(f"{field} must not repeat a colour in this game.", field=field)
    return tuple(code)


def score(secret: Sequence[int], guess: Sequence[int]) -> Feedback:
    """Feedback for guess against secret; both must have the same length."""
    exact = sum(map(operator.eq, secret, guess))
    common = sum(min(secret.count(c), guess.count(c)) for c in set(guess))
    return Feedback(exact, common - exact)


def is_solved(feedback: Feedback, settings: GameSettings) -> bool:
    """True when every peg is exact."""
    return feedback.exact == settings.code_length


def draw_secret(settings: GameSettings) -> tuple[int, ...]:
    """A uniformly random valid secret, drawn with a cryptographic RNG."""
    if settings.allow_duplicates:
        return tuple(secrets.randbelow(settings.colors) for _ in range(settings.code_length))
    return tuple(_rng.sample(range(settings.colors), settings.code_length))


def draw_room_code() -> str:
    """A fresh random room code of ROOM_CODE_LENGTH characters from ROOM_CODE_ALPHABET."""
    return "".join(secrets.choice(ROOM_CODE_ALPHABET) for _ in range(ROOM_CODE_LENGTH))


def normalize_room_code(code: str) -> str:
    """Canonical form of a user-typed room code, so lookups are case-insensitive.

    No room code holds a NUL byte, and PostgreSQL refuses one in a query (a
    500), so such input becomes "", which matches no room: a 404 at every door.
    """
    if "\x00" in code:
        return ""
    return code.strip().upper()


def all_codes(settings: GameSettings) -> Iterator[tuple[int, ...]]:
    """Every valid code, in lexicographic order."""
    palette = range(settings.colors)
    if settings.allow_duplicates:
        return itertools.product(palette, repeat=settings.code_length)
    return itertools.permutations(palette, settings.code_length)


def code_space_size(settings: GameSettings) -> int:
    """How many codes all_codes yields."""
    if settings.allow_duplicates:
        return settings.colors**settings.code_length
    return math.perm(settings.colors, settings.code_length)


def consistent_codes(
    candidates: Iterable[tuple[int, ...]],
    history: Iterable[tuple[Sequence[int], Feedback]],
) -> list[tuple[int, ...]]:
    """The candidates that would have produced every feedback in history as the secret."""
    past = [(guess, tuple(feedback)) for guess, feedback in history]
    return [code for code in candidates if all(score(code, guess) == fb for guess, fb in past)]
