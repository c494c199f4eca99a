"""The rules of Mastermind: settings, codes, feedback and draws. Pure Python, no Django."""

from __future__ import annotations

import itertools
import math
import operator
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeGuard

from games.exceptions import GameError, InvalidMove, NotAllowed, RoomNotFound, WrongState

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


# --- games: players, moves, outcomes and what a viewer may do -------------------
#
# As lichess's Game and Finisher: what a move does to the players and whether
# the game ends is decided here, from plain values, and so is what a viewer
# may do now. games.services locks, loads, asks, writes and broadcasts; the
# board and the REST room ask `allowed_actions`, which refuses exactly what
# the services refuse (both go through `refusal`). The strings are the
# models' choices (Room.Status, Player.Status, Player.Role).

# A room's status.
WAITING, PLAYING, FINISHED, ABANDONED = "waiting", "playing", "finished", "abandoned"
# A player's status: WAITING, PLAYING, then SOLVED, OUT or LEFT.
SOLVED, OUT, LEFT = "solved", "out", "left"
# A player's role: PLAYER except in a duel.
PLAYER, CODEMAKER, CODEBREAKER = "player", "codemaker", "codebreaker"

MIN_PLAYERS_TO_START = {"solo": 1, "coop": 2, "race": 2, "duel": 2}

# What a viewer may do, in the order a board offers it.
ACTIONS = ("join", "add_bot", "set_secret", "start", "guess", "hint", "chat", "rematch", "leave", "delete")

_STATUS_REFUSALS = {
    WAITING: "The game has not started yet.",
    PLAYING: "The game has already started.",
    FINISHED: "The game is finished.",
    ABANDONED: "The room was abandoned.",
}


@dataclass(frozen=True)
class PlayerState:
    """One seat of a game: what the rules read and change of a player."""

    id: int
    role: str = PLAYER
    status: str = WAITING
    guesses_used: int = 0
    # The board's guess number that solved it (the shared board's in coop).
    solved_in: int | None = None
    place: int | None = None
    won: bool = False


@dataclass(frozen=True)
class Game:
    """A room as the rules see it: settings, state and players in the order they joined."""

    mode: str
    settings: GameSettings
    status: str
    players: tuple[PlayerState, ...]
    owner: int | None  # the owner's player id
    max_players: int
    guesses_made: int = 0  # on every board; the next number on a shared board is this plus one
    winner: int | None = None  # a player id
    secret_set: bool = False
    private: bool = False
    rematch: str | None = None  # the code of this room's rematch, once asked for
    daily: bool = False  # a daily challenge's room: no hints (SPEC §9)
    rated: bool = False  # rated play: people only (SPEC §8)

    def player(self, player_id: int | None) -> PlayerState | None:
        return next((p for p in self.players if p.id == player_id), None)

    @property
    def is_over(self) -> bool:
        return self.status in (FINISHED, ABANDONED)

    @property
    def shared_board(self) -> bool:
        """Race gives every player a board and a budget of their own; the other modes share one."""
        return self.mode != "race"


@dataclass(frozen=True)
class Guessed:
    """A move: `player` made a guess that scored `feedback`."""

    player: int
    feedback: Feedback


@dataclass(frozen=True)
class Left:
    """A move: `player` leaves; removed while waiting, a forfeit while playing."""

    player: int


Move = Guessed | Left


@dataclass(frozen=True)
class Outcome:
    """What a move did.

    `moved` is the players right after the move itself, as the move's own
    event shows them; `game` is the room after the mode's ending rules too
    (places, winner, status). `finished` says the move ended a running game
    (a `game_finished` event); leaving the last seat of a waiting room
    abandons it instead.
    """

    game: Game
    moved: tuple[PlayerState, ...]
    finished: bool = False
    changed: bool = True  # False: a leave with nothing left to give up
    removed: int | None = None  # the player a waiting room lost
    secret_cleared: bool = False  # a duel's secret leaves with its codemaker
    number: int = 0  # a guess's number on its board
    solved: bool = False
    remaining: int = 0  # guesses left on that board

    @property
    def placements(self) -> dict[int, int]:
        """Player id to place, for the players placed so far."""
        return {p.id: p.place for p in self.game.players if p.place is not None}


# --- what a viewer may do ---------------------------------------------------------


def status_refusal(status: str, *allowed: str) -> WrongState | None:
    """The 409 for an action that needs one of `allowed` room statuses, or None."""
    return None if status in allowed else WrongState(_STATUS_REFUSALS[status])


def _not_a_player(game: Game) -> GameError:
    """What an outsider is told: a private room does not exist for them."""
    if game.private:
        return RoomNotFound("No such room.")
    return NotAllowed("You are not a player in this room.")


def _seat_refusal(game: Game) -> GameError | None:
    """Why nobody can take a seat now (the game has begun, or the room is full), or None."""
    if refused := status_refusal(game.status, WAITING):
        return refused
    if len(game.players) >= game.max_players:
        return WrongState("The room is full.")
    return None


def _owner_refusal(game: Game, me: PlayerState, message: str, *statuses: str) -> GameError | None:
    if me.id != game.owner:
        return NotAllowed(message)
    return status_refusal(game.status, *statuses)


def _guess_refusal(game: Game, me: PlayerState) -> GameError | None:
    if me.role == CODEMAKER:
        return NotAllowed("The codemaker watches; only the codebreaker guesses.")
    if refused := status_refusal(game.status, PLAYING):
        return refused
    finished = {
        SOLVED: "You have already solved this code.",
        OUT: "You have no guesses left.",
        LEFT: "You have left this game.",
    }
    return WrongState(finished[me.status]) if me.status in finished else None


def _start_refusal(game: Game, me: PlayerState) -> GameError | None:
    if refused := _owner_refusal(game, me, "Only the room's owner can start the game.", WAITING):
        return refused
    needed = MIN_PLAYERS_TO_START[game.mode]
    if len(game.players) < needed:
        return WrongState(f"A {game.mode} game needs at least {needed} players.")
    if game.mode == "duel" and not game.secret_set:
        return WrongState("The codemaker has not set the secret yet.")
    return None


def _set_secret_refusal(game: Game, me: PlayerState) -> GameError | None:
    if game.mode != "duel" or me.role != CODEMAKER:
        return NotAllowed("Only a duel's codemaker sets the secret.")
    if refused := status_refusal(game.status, WAITING):
        return refused
    return WrongState("The secret is already set.") if game.secret_set else None


def _add_bot_refusal(game: Game, me: PlayerState) -> GameError | None:
    if me.id != game.owner:
        return NotAllowed("Only the room's owner can add a computer player.")
    if game.mode != "race":
        return NotAllowed("Bots play races only.")
    if game.rated:
        return WrongState("Computer players cannot join a rated room.")
    return _seat_refusal(game)


def _hint_refusal(game: Game, me: PlayerState) -> GameError | None:
    if game.mode != "solo":
        return NotAllowed("Hints are for solo games only.")
    if game.daily:
        return NotAllowed("No hints in the daily challenge: everyone plays it on their own.")
    if refused := status_refusal(game.status, PLAYING):
        return refused
    return WrongState("You have finished this game.") if me.status != PLAYING else None


def _rematch_refusal(game: Game, me: PlayerState) -> GameError | None:
    if refused := status_refusal(game.status, FINISHED):
        return refused
    if game.rematch is not None:
        return WrongState(f"A rematch already exists: room {game.rematch}.", code="rematch_exists")
    return None


def _leave_refusal(game: Game, me: PlayerState) -> GameError | None:
    # A player who solved, ran out or left has nothing to give up: leaving a
    # running game again is accepted and changes nothing (see allowed_actions).
    return status_refusal(game.status, WAITING, PLAYING)


def _delete_refusal(game: Game, me: PlayerState) -> GameError | None:
    return _owner_refusal(game, me, "Only the room's owner can delete it.", WAITING)


_PLAYER_ACTIONS = {
    "add_bot": _add_bot_refusal,
    "set_secret": _set_secret_refusal,
    "start": _start_refusal,
    "guess": _guess_refusal,
    "hint": _hint_refusal,
    "rematch": _rematch_refusal,
    "leave": _leave_refusal,
    "delete": _delete_refusal,
}


def refusal(game: Game, action: str, viewer: int | None, *, guest: bool = False) -> GameError | None:
    """The error a signed-in viewer (`viewer`: their player id, None for an outsider) gets for `action` now, or None.

    The one statement of every action's preconditions, in the order the
    services have always checked them (so the same request gets the same
    status and message). Input (a code, a difficulty) is checked apart.
    """
    me = game.player(viewer)
    if action == "join":
        if me is not None:
            return WrongState("You have already joined this room.")
        if game.rated and guest:
            return NotAllowed("Guests play unrated games: keep your account to play rated.")
        return _seat_refusal(game)
    if action == "chat":
        # Anyone who may see the room may talk in it, but not a guest (SPEC §7);
        # a solo game has nobody to talk to.
        if game.private and me is None:
            return RoomNotFound("No such room.")
        if game.mode == "solo":
            return NotAllowed("A solo game has no chat.")
        return (
            NotAllowed("Guests cannot chat: keep your account (choose a name and password) to chat.")
            if guest
            else None
        )
    if me is None:
        return _not_a_player(game)
    return _PLAYER_ACTIONS[action](game, me)


def check(game: Game, action: str, viewer: int | None, *, guest: bool = False) -> None:
    """Raise the refusal of `action` for this viewer (a guest, or not), if any. Raises GameError."""
    if (refused := refusal(game, action, viewer, guest=guest)) is not None:
        raise refused


def allowed_actions(
    game: Game, viewer: int | None, *, signed_in: bool = True, guest: bool = False
) -> list[str]:
    """What this viewer may do now (ACTIONS order): each one passes `check`.

    An anonymous viewer may do nothing until they sign in. A leave that
    would change nothing (a running game you have solved, run out of or
    left) is accepted but not offered.
    """
    if not signed_in:
        return []
    actions = [action for action in ACTIONS if refusal(game, action, viewer, guest=guest) is None]
    me = game.player(viewer)
    if "leave" in actions and me is not None and game.status == PLAYING and me.status != PLAYING:
        actions.remove("leave")
    return actions


# --- moves and their outcome --------------------------------------------------------


def started(game: Game) -> Game:
    """The game once its owner starts it (solo: at creation). Raises WrongState, NotAllowed."""
    check(game, "start", game.owner)
    return replace(game, status=PLAYING, players=tuple(replace(p, status=PLAYING) for p in game.players))


def outcome(game: Game, move: Move) -> Outcome:
    """What `move` does to `game`: the players' new states, places, and whether the game ends.

    Raises the move's refusal (GameError) if the mover may not make it now.
    """
    if isinstance(move, Guessed):
        check(game, "guess", move.player)
        return _guessed(game, move)
    check(game, "leave", move.player)
    if game.status == WAITING:
        return _left_waiting(game, move.player)
    return _forfeited(game, move.player)


def _replaced(players: tuple[PlayerState, ...], *changed: PlayerState) -> tuple[PlayerState, ...]:
    by_id = {p.id: p for p in changed}
    return tuple(by_id.get(p.id, p) for p in players)


def _placed(player: PlayerState, place: int) -> PlayerState:
    return replace(player, place=place, won=place == 1)


def _finished(game: Game, *changed: PlayerState, winner: int | None) -> Game:
    return replace(game, players=_replaced(game.players, *changed), status=FINISHED, winner=winner)


def _guessed(game: Game, move: Guessed) -> Outcome:
    me = game.player(move.player)
    assert me is not None  # checked: the mover is a player
    number = (game.guesses_made if game.shared_board else me.guesses_used) + 1
    if number > game.settings.max_guesses:  # pragma: no cover - the game ends when the budget is spent
        raise WrongState("No guesses left.")
    solved = is_solved(move.feedback, game.settings)
    remaining = game.settings.max_guesses - number
    status = me.status
    if solved:
        status = SOLVED
    elif remaining == 0 and not game.shared_board:
        status = OUT
    me = replace(
        me, guesses_used=me.guesses_used + 1, status=status, solved_in=number if solved else me.solved_in
    )
    moved = _replaced(game.players, me)
    after = replace(game, players=moved, guesses_made=game.guesses_made + 1)
    if game.mode == "race":
        after = _race_after_guess(after, me, solved)
    elif solved or remaining == 0:
        after = _ENDINGS[game.mode](after, me, solved)
    return Outcome(
        game=after,
        moved=moved,
        finished=after.status == FINISHED,
        number=number,
        solved=solved,
        remaining=remaining,
    )


def _race_after_guess(game: Game, me: PlayerState, solved: bool) -> Game:
    """Players are placed in the order they solve; the race ends when nobody still plays."""
    if solved:
        place = sum(1 for p in game.players if p.place is not None) + 1
        me = _placed(me, place)
        game = replace(game, players=_replaced(game.players, me), winner=me.id if place == 1 else game.winner)
    if any(p.status == PLAYING for p in game.players):
        return game
    return replace(game, status=FINISHED)


def _coop_ending(game: Game, me: PlayerState, solved: bool) -> Game:
    """One shared board: the team wins or loses together."""
    if solved:
        team = [
            replace(p, status=SOLVED, solved_in=me.solved_in, won=True)
            for p in game.players
            if p.id != me.id and p.status != LEFT
        ]
        return _finished(game, replace(me, won=True), *team, winner=me.id)
    out = [replace(p, status=OUT) for p in game.players if p.status == PLAYING]
    return _finished(game, *out, winner=None)


def _duel_ending(game: Game, me: PlayerState, solved: bool) -> Game:
    """The codebreaker wins by cracking the code, the codemaker when the budget runs out."""
    codemaker = next((p for p in game.players if p.id != me.id and p.status != LEFT), None)
    if solved:
        changed = [_placed(me, 1)] + ([_placed(codemaker, 2)] if codemaker else [])
        return _finished(game, *changed, winner=me.id)
    changed = [_placed(replace(me, status=OUT), 2)] + ([_placed(codemaker, 1)] if codemaker else [])
    return _finished(game, *changed, winner=codemaker.id if codemaker else None)


def _solo_ending(game: Game, me: PlayerState, solved: bool) -> Game:
    if solved:
        return _finished(game, _placed(me, 1), winner=me.id)
    return _finished(game, replace(me, status=OUT), winner=None)


_ENDINGS = {"coop": _coop_ending, "duel": _duel_ending, "solo": _solo_ending}


def _left_waiting(game: Game, player_id: int) -> Outcome:
    """Removed from a waiting room: ownership passes to the earliest remaining player."""
    remaining = tuple(p for p in game.players if p.id != player_id)
    after = replace(game, players=remaining)
    cleared = False
    if not remaining:
        after = replace(after, status=ABANDONED)
    elif game.owner == player_id:
        heir = remaining[0]
        after = replace(after, owner=heir.id)
        if game.mode == "duel":
            # The codemaker is whoever owns the duel; a secret set by the one
            # who left goes with them.
            heir = replace(heir, role=CODEMAKER)
            after = replace(after, players=_replaced(remaining, heir), secret_set=False)
            cleared = game.secret_set
    return Outcome(game=after, moved=after.players, removed=player_id, secret_cleared=cleared)


def _forfeited(game: Game, player_id: int) -> Outcome:
    """Leaving a running game: the player's status becomes left; the game may end."""
    me = game.player(player_id)
    assert me is not None  # checked: the mover is a player
    if me.status != PLAYING:
        return Outcome(game=game, moved=game.players, changed=False)
    me = replace(me, status=LEFT)
    moved = _replaced(game.players, me)
    after = replace(game, players=moved)
    if game.mode == "duel":
        # The other side wins a duel that one side walks away from.
        other = next((p for p in moved if p.id != me.id), None)
        if other is None:  # pragma: no cover - a running duel has two players
            after = _finished(after, winner=None)
        else:
            after = _finished(after, _placed(other, 1), replace(me, place=2), winner=other.id)
    elif not any(p.status == PLAYING for p in moved):
        after = _finished(after, winner=game.winner)
    return Outcome(game=after, moved=moved, finished=after.status == FINISHED)
