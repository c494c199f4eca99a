"""Room events: recorded with the change that made them, broadcast after commit.

`record()` is the one seam between the services and the live layer: it bumps
the room's version, writes the event to the room's log (RoomEvent, same
transaction) and schedules the broadcast for after the commit, so no viewer
ever hears of a change that was rolled back.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

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


def group_name(room_code: str) -> str:
    return f"room.{room_code}"


def build(*, room_code: str, version: int, kind: str, payload: dict) -> dict:
    """The wire shape of an event, before per-viewer filtering."""
    return {"type": "game_update", "room": room_code, "version": version, "event": kind, **payload}


def record(room: Room, kind: str, **payload) -> dict:
    """Bump the room's version, log the event, broadcast it once committed.

    The caller holds the room's row lock and saves the room afterwards.
    """
    assert kind in KINDS, kind
    room.version += 1
    RoomEvent.objects.create(room=room, version=room.version, kind=kind, payload=payload)
    event = build(room_code=room.code, version=room.version, kind=kind, payload=payload)

    # robust: a channel layer outage must not turn a committed move into a
    # 500; viewers recover the event from the log by version (resync).
    # A closure, not functools.partial: Django logs a robust callback's
    # failure by its __qualname__, which a partial lacks.
    def broadcast_after_commit():
        broadcast(room.code, event)

    transaction.on_commit(broadcast_after_commit, robust=True)
    return event


def broadcast(room_code: str, event: dict) -> None:
    """Send one committed event to everyone watching the room."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(room_code), {"type": "room.event", "event": event})
