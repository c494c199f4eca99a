"""Wire shapes on the hot paths, one definition each: what events, socket frames and REST share.

Plain functions, each the one definition of a shape that a socket frame or
an event carries as well as (for a player) REST. Not DRF serializers: they
run inside the services' transactions (a player snapshot on every move, a
lobby summary on every join) and for every line of a room's chat, where a
serializer's per-instance field binding costs more than the whole dict.
Services, selectors and events import them from here, never from games.api;
games.api.serializers.PlayerSerializer renders through player_data.
"""

from datetime import datetime

from rest_framework.fields import DateTimeField

from games.models import ChatMessage, Player, Room

_DATETIME = DateTimeField()

PLAYER_FIELDS = ["username", "status", "role", "guesses_used", "solved_at", "place", "rating_change"]
CHAT_LINE_FIELDS = ["id", "username", "text", "created_at"]
LOBBY_ROOM_FIELDS = [
    "code",
    "name",
    "mode",
    "status",
    "owner",
    "player_count",
    "max_players",
    "joinable",
    "code_length",
    "colors",
    "max_guesses",
    "rated",
]


def timestamp(value: datetime | None) -> str | None:
    """A datetime as every door writes it: DRF's ISO 8601, UTC as "Z", so REST and events agree."""
    return None if value is None else _DATETIME.to_representation(value)


def player_data(player: Player) -> dict:
    """A player (PLAYER_FIELDS): REST's and room.state's `players`, and every event that carries players.

    A plain function because services._guess_record builds one on every move;
    PlayerSerializer renders through it, so the REST schema and the events
    cannot drift apart. Reads player.user: select it with the player.
    """
    return {
        "username": player.user.username,
        "status": player.status,
        "role": player.role,
        "guesses_used": player.guesses_used,
        "solved_at": timestamp(player.solved_at),
        "place": player.place,
        "rating_change": player.rating_change,
    }


def chat_line(message: ChatMessage) -> dict:
    """A chat line (CHAT_LINE_FIELDS): the `chat` event and room.state's `chat` list.

    A plain function: no REST door serves chat, and a room's state renders
    up to 50 lines for every viewer it is built for. Reads message.user.
    """
    return {
        "id": message.pk,
        "username": message.user.username,
        "text": message.text,
        "created_at": timestamp(message.created_at),
    }


def lobby_room(room: Room, *, player_count: int) -> dict:
    """A room in the lobby (LOBBY_ROOM_FIELDS): lobby.state's `rooms` and every lobby_update's `room`.

    A plain function: the lobby is a socket door only (REST lists rooms with
    RoomSerializer), and events.lobby_notify runs inside the joining
    transaction. Reads room.owner; the caller counts the players once.
    """
    return {
        "code": room.code,
        "name": room.name,
        "mode": room.mode,
        "status": room.status,
        "owner": room.owner.username,
        "player_count": player_count,
        "max_players": room.max_players,
        "joinable": room.status == Room.Status.WAITING and player_count < room.max_players,
        "code_length": room.code_length,
        "colors": room.colors,
        "max_guesses": room.max_guesses,
        "rated": room.rated,
    }
