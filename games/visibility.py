"""Who may see what: the secret, rivals' colours, private rooms.

Every door (REST, WebSocket, pages, events) asks here, so the rules of
SPEC §2 "What each viewer may see" live in one place.
"""

from games.models import Player, Room


def is_player(room: Room, user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return any(p.user_id == user.id for p in room.players.all())


def can_see_room(room: Room, user) -> bool:
    """Private rooms exist only for their players (404 for everyone else)."""
    return not room.private or is_player(room, user)


def can_see_room_of(*, private: bool, players: list[dict], user) -> bool:
    """can_see_room from plain values: the room's `private` flag and its `players` as an event carries them."""
    if not private:
        return True
    username = getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None
    return username is not None and any(p["username"] == username for p in players)


def can_see_secret(room: Room, user) -> bool:
    """The secret is revealed when the game is over; a duel's codemaker knows it all along."""
    if room.is_over:
        return True
    return (
        room.mode == Room.Mode.DUEL and getattr(user, "is_authenticated", False) and room.owner_id == user.id
    )


def can_see_colours(room: Room, *, guesser_user_id: int, user) -> bool:
    """In a running race only the guesser sees their colours; elsewhere everyone does."""
    if room.mode != Room.Mode.RACE or room.is_over:
        return True
    return getattr(user, "is_authenticated", False) and guesser_user_id == user.id


def visible_secret(room: Room, user) -> list[int] | None:
    return room.secret if can_see_secret(room, user) else None


def filter_event(event: dict, *, mode: str, room_over: bool, user) -> dict:
    """The event as this viewer may see it (race rivals' colours hidden)."""
    if event.get("event") != "guess" or mode != Room.Mode.RACE or room_over:
        return event
    if getattr(user, "is_authenticated", False) and event.get("username") == user.username:
        return event
    return {**event, "guess": None}


def player_role_can_guess(player: Player) -> bool:
    return player.role != Player.Role.CODEMAKER
