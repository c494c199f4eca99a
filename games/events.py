"""Room events: recorded with the change that made them, broadcast after commit.

`record()` is the one seam between the services and the live layer: it bumps
the room's version, writes the event to the room's log (RoomEvent, same
transaction) and schedules the broadcast for after the commit, so no viewer
ever hears of a change that was rolled back.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from config import outages
from config import rows as sql
from games import metrics, wire
from games.models import Room, RoomEvent

logger = logging.getLogger(__name__)

KINDS = (
    "player_joined",
    "player_left",
    "secret_set",
    "game_started",
    "guess",
    "game_finished",
    "chat",
    "rematch",
    "room_deleted",
)


LOBBY_GROUP = "lobby"


def group_name(room_code: str) -> str:
    return f"room.{room_code}"


# Every server process listens here (ws_auth.CredentialWatch), so signing
# out closes that user's sockets at once wherever they are open.
AUTH_GROUP = "auth"


def build(*, room_code: str, version: int, kind: str, payload: dict) -> dict:
    """The wire shape of an event, before per-viewer filtering."""
    return {"type": "game_update", "room": room_code, "version": version, "event": kind, **payload}


def record(room: Room, kind: str, **payload) -> dict:
    """Bump the room's version, log the event, broadcast it once committed.

    The caller holds the room's row lock and saves the room afterwards.
    """
    assert kind in KINDS, kind
    room.version += 1
    sql.insert(RoomEvent(room=room, version=room.version, kind=kind, payload=payload))
    event = build(room_code=room.code, version=room.version, kind=kind, payload=payload)

    # robust: a channel layer outage must not turn a committed move into a
    # 500; viewers recover the event from the log by version (resync).
    # A closure, not functools.partial: Django logs a robust callback's
    # failure by its __qualname__, which a partial lacks.
    def broadcast_after_commit():
        broadcast(room.code, event)

    transaction.on_commit(broadcast_after_commit, robust=True)
    _lobby_after(room, kind, payload)
    return event


def _lobby_after(room: Room, kind: str, payload: dict) -> None:
    if kind == "player_joined" or kind == "player_left" and room.status == Room.Status.WAITING:
        lobby_notify(room, "room_updated")
    elif kind == "player_left" and room.status == Room.Status.ABANDONED:
        lobby_notify(room, "room_finished")
    elif kind == "game_started":
        lobby_notify(room, "room_started")
    elif kind == "game_finished":
        lobby_notify(room, "room_finished")
    elif kind == "room_deleted":
        lobby_notify(room, "room_deleted")


def lobby_notify(room: Room, kind: str) -> None:
    """Tell the lobby about a public multiplayer room, after commit.

    Lobby events are hints for a list that the client can always re-read
    (GET /api/v1/rooms/), so they carry no version. Solo and private rooms
    never appear in the lobby.
    """
    if room.private or room.mode == Room.Mode.SOLO:
        return
    player_count = room.players.count()
    if kind == "room_updated" and player_count >= room.max_players:
        kind = "room_filled"
    message = {
        "type": "lobby_update",
        "event": kind,
        "room": wire.lobby_room(room, player_count=player_count),
    }

    def send_after_commit():
        send_to_group(LOBBY_GROUP, {"type": "lobby.event", "event": message})

    transaction.on_commit(send_after_commit, robust=True)


def broadcast(room_code: str, event: dict) -> None:
    """Send one committed event to everyone watching the room."""
    metrics.EVENTS_BROADCAST.labels(event["event"]).inc()
    send_to_group(group_name(room_code), {"type": "room.event", "event": event})


# The server process's event loop (config/serving.RememberServerLoop sets it).
server_loop: asyncio.AbstractEventLoop | None = None
# Sends handed to the server's loop and not yet done (a task needs a reference).
_sending: set[asyncio.Task] = set()


def send_to_group(group: str, message: dict) -> None:
    """Send from synchronous code, on the server's own loop when there is one.

    A request thread of the WSGI pool knows no event loop, and `async_to_sync`
    would start a new one for each call, with a new Redis connection (the
    pub/sub layer keeps its connections per loop). On the server's loop every
    broadcast shares the process's one connection. Elsewhere (management
    commands, tests without a server) `async_to_sync` is right.

    From a thread the send is handed to the loop and not waited for: the
    caller's transaction has committed, and the event is in the room's log
    whatever happens to the message (delivery is at most once either way;
    sockets fill gaps from the log). Waiting held a request or socket
    thread for a round trip to the loop and to Redis for nothing (issue #9).
    A failed send is logged.
    """
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - CHANNEL_LAYERS is always configured
        return
    loop = server_loop
    if loop is not None and loop.is_running() and not _running_on(loop):
        loop.call_soon_threadsafe(_start_sending, layer, group, message)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except outages.REDIS_DOWN as exc:
        _not_sent(exc)


def _start_sending(layer, group: str, message: dict) -> None:
    task = asyncio.get_running_loop().create_task(layer.group_send(group, message))
    _sending.add(task)
    task.add_done_callback(_sent)


def _sent(task: asyncio.Task) -> None:
    _sending.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if isinstance(exc, outages.REDIS_DOWN):
        _not_sent(exc)
    elif exc is not None:
        logger.warning("A group message was not sent: %r", exc)


def _not_sent(exc: BaseException) -> None:
    # The change is committed and in the room's log; sockets fill the gap
    # from it at their next event or resync, once Redis is back.
    outages.warn("redis", "live events are not sent", exc)


def _running_on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def tokens_revoked(*, user_id: int, token_keys: list[str] | None) -> None:
    """After commit, close the user's sockets that signed in with these tokens (None: all)."""

    def send_after_commit():
        send_to_group(AUTH_GROUP, {"type": "auth.revoked", "user_id": user_id, "token_keys": token_keys})

    transaction.on_commit(send_after_commit, robust=True)


def user_group(user_id: int) -> str:
    """The group of one user's `/ws/me/` sockets (every tab and device)."""
    return f"user.{user_id}"


def personal(user_id: int, frame: dict) -> None:
    """After commit, send one user's `/ws/me/` sockets a frame (SPEC §4): `match_found` or `ticket_expired`."""

    def send_after_commit():
        send_to_group(user_group(user_id), {"type": "me.event", "frame": frame})

    transaction.on_commit(send_after_commit, robust=True)
