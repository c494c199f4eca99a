"""Who may see what (the secret, rivals' colours, private rooms), and do what.

Every door (REST, WebSocket, pages, events) asks here, so the rules of
SPEC §2 "What each viewer may see" live in one place; what a viewer may do
is decided by `rules.allowed_actions`, from the room as `game_of` reads it.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from games import rules
from games.models import Player, Room


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_player(room: Room, user: Any) -> bool:
    if not _signed_in(user):
        return False
    return any(p.user_id == user.id for p in room.players.all())


def viewer_kind(room: Room, user: Any) -> int | str | None:
    """Viewers who see a room alike and may do alike share one kind: anonymous ones (None), signed-up
    outsiders, guest outsiders (who may not chat or join a rated room), and each player and the
    owner on their own (their user id).

    What a viewer sees and may do (`actions`) depends on nothing else, so what is worked out for
    one viewer serves every viewer of the same kind (boards.state_for, the REST room list).
    """
    if not _signed_in(user):
        return None
    if is_player(room, user) or user.id == room.owner_id:
        return int(user.id)
    return "guest" if getattr(user, "is_guest", False) else "outsider"


def can_see_room(room: Room, user: Any) -> bool:
    """Private rooms exist only for their players (404 for everyone else)."""
    return not room.private or is_player(room, user)


def can_see_room_of(*, private: bool, players: list[dict], user: Any) -> bool:
    """can_see_room from plain values: the room's `private` flag and its `players` as an event carries them."""
    if not private:
        return True
    username = getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None
    return username is not None and any(p["username"] == username for p in players)


def can_see_secret(room: Room, user: Any) -> bool:
    """The secret is revealed when the game is over; a duel's codemaker knows it all along."""
    if room.is_over:
        return True
    return room.mode == Room.Mode.DUEL and _signed_in(user) and room.owner_id == user.id


def can_see_colours(room: Room, *, guesser_user_id: int, user: Any) -> bool:
    """In a running race only the guesser sees their colours; elsewhere everyone does."""
    if room.mode != Room.Mode.RACE or room.is_over:
        return True
    return _signed_in(user) and guesser_user_id == user.id


def visible_secret(room: Room, user: Any) -> list[int] | None:
    return room.secret if can_see_secret(room, user) else None


def filter_event(event: dict, *, mode: str, room_over: bool, user: Any) -> dict:
    """The event as this viewer may see it (race rivals' colours hidden)."""
    if event.get("event") != "guess" or mode != Room.Mode.RACE or room_over:
        return event
    if _signed_in(user) and event.get("username") == user.username:
        return event
    return {**event, "guess": None}


# --- what a viewer may do ---------------------------------------------------------


def seat_of(player: Player) -> rules.PlayerState:
    """A player as the rules see them."""
    return rules.PlayerState(
        id=player.pk,
        role=player.role,
        status=player.status,
        guesses_used=player.guesses_used,
        solved_in=player.solved_in,
        place=player.place,
        won=player.won,
    )


def game_of(room: Room, players: Sequence[Player], *, rematch: str | None = None) -> rules.Game:
    """The room as the rules see it, with these players (all of them, in the order they joined)."""
    seats = tuple(seat_of(p) for p in players)
    by_user = {p.user_id: p.pk for p in players}
    winner = by_user.get(room.winner_id) if room.winner_id is not None else None
    return rules.Game(
        mode=room.mode,
        settings=room.game_settings,
        status=room.status,
        players=seats,
        owner=by_user.get(room.owner_id),
        max_players=room.max_players,
        guesses_made=room.guesses_made,
        winner=winner,
        secret_set=room.secret is not None,
        private=room.private,
        rematch=rematch,
        daily=room.is_daily,
        rated=room.rated,
    )


def player_of(players: Iterable[Player], user: Any) -> Player | None:
    """This user's seat among the players, if they have one."""
    if not _signed_in(user):
        return None
    return next((p for p in players if p.user_id == user.id), None)


def actions(room: Room, user: Any) -> list[str]:
    """What this viewer may do now (rules.ACTIONS), from a room read with its players and rematches."""
    players = list(room.players.all())
    rematch = next(iter(room.rematches.all()), None)
    game = game_of(room, players, rematch=rematch.code if rematch else None)
    me = player_of(players, user)
    guest = getattr(user, "is_guest", False)
    return rules.allowed_actions(game, me.pk if me else None, signed_in=_signed_in(user), guest=guest)
