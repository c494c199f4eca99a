"""`GET /api/v1/rooms/`: a page of rooms, each rendered once per room version (issue #9).

A page of 20 rooms read and serialised afresh is ~200 model instances and
~100 nested DRF serialisations (22 ms of CPU in the bench, 0.04× the hello
view). Most of a room's JSON is the same for every viewer and changes only
with an event, and every event bumps `Room.version` (events.record). So this
process keeps, per (room id, creation time, version), the room as read with its players and
rematches and its RoomSerializer output; a page costs one query for the
page's ids and versions, and only rooms that changed since are read again.

Two fields depend on the viewer and are computed per request from the kept
room, exactly as RoomSerializer computes them: `secret` (a duel's codemaker
sees it early) and `actions`.

What can change a room's JSON without an event: a username (a guest claims
their account, an account is deleted and anonymised, staff rename a user in
the admin). Those bump a shared "names" generation in Django's cache (Redis
when REDIS_URL is set, so every process sees it), part of every key. A kept
entry also expires after ENTRY_SECONDS, a bound on anything else done
behind the services' back (a raw SQL fix). With the cache unreachable the
page is rendered afresh, as before this module.
"""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from games import selectors, visibility
from games.api.serializers import RoomSerializer
from games.models import Room

logger = logging.getLogger(__name__)

NAMES_KEY = "rooms:names-generation"
ENTRY_SECONDS = 30.0
MAX_ENTRIES = 4096

# Room id, creation time, version, names generation. The time guards against
# an id used again (SQLite hands out a rolled-back insert's id again).
_Key = tuple[int, datetime, int, int]


@dataclass
class _Rendered:
    """A room as read with its relations, its RoomSerializer output, and its actions by kind of viewer."""

    room: Room
    data: dict
    actions: dict[tuple, list[str]] = field(default_factory=dict)

    def for_viewer(self, user: Any) -> dict:
        """The room as RoomSerializer renders it for this viewer."""
        return {
            **self.data,
            "secret": visibility.visible_secret(self.room, user),
            "actions": self._actions(user),
        }

    def _actions(self, user: Any) -> list[str]:
        # visibility.actions depends on the viewer only through their seat, signing in and being a guest.
        seat = visibility.player_of(self.room.players.all(), user)
        kind = (seat.pk if seat else None, bool(getattr(user, "is_authenticated", False)), _is_guest(user))
        if kind not in self.actions:
            self.actions[kind] = visibility.actions(self.room, user)
        return list(self.actions[kind])


class _Kept:
    """A bounded map of rendered rooms, oldest out first; entries expire after ENTRY_SECONDS."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[_Key, tuple[float, _Rendered]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: _Key, now: float) -> _Rendered | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < now:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: _Key, rendered: _Rendered, now: float) -> None:
        with self._lock:
            self._entries[key] = (now + ENTRY_SECONDS, rendered)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_kept = _Kept(MAX_ENTRIES)


def names_generation() -> int | None:
    """The shared generation of usernames; None when the cache cannot be reached."""
    try:
        return cache.get_or_set(NAMES_KEY, 0, timeout=None)
    except Exception:  # robust: the page is rendered afresh without the cache
        logger.warning("room list: cache unreachable, rendering rooms afresh", exc_info=True)
        return None


def names_changed() -> None:
    """A username changed or a user went: every kept room is rendered again (call it once committed)."""
    try:
        cache.incr(NAMES_KEY)
    except ValueError:  # no generation yet: nothing is kept under one
        cache.set(NAMES_KEY, 1, timeout=None)
    except Exception:  # robust: entries still expire after ENTRY_SECONDS
        logger.warning("room list: could not bump the names generation", exc_info=True)


def render_page(rooms: Sequence[Room], *, user: Any) -> list[dict]:
    """The page's rooms as RoomSerializer renders them for this viewer; `rooms` carry id, created_at, version."""
    generation = names_generation()
    if generation is None:
        fresh = selectors.rooms_by_id([room.pk for room in rooms])
        return [_rendered(fresh[room.pk]).for_viewer(user) for room in rooms if room.pk in fresh]
    now = time.monotonic()
    kept = {room.pk: _kept.get(_key(room, generation), now) for room in rooms}
    missing = [pk for pk, rendered in kept.items() if rendered is None]
    if missing:
        for pk, room in selectors.rooms_by_id(missing).items():
            kept[pk] = rendered = _rendered(room)
            _kept.put(_key(room, generation), rendered, now)
    # A room deleted between the two reads is left out of the page.
    return [entry.for_viewer(user) for room in rooms if (entry := kept[room.pk]) is not None]


def _key(room: Room, generation: int) -> _Key:
    return room.pk, room.created_at, room.version, generation


def _rendered(room: Room) -> _Rendered:
    return _Rendered(room, RoomSerializer(room, context={"user": None}).data)


def _is_guest(user: Any) -> bool:
    return bool(getattr(user, "is_guest", False))


@receiver(post_save, sender=get_user_model(), dispatch_uid="room_list_user_saved")
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and (update_fields is None or "username" in update_fields):
        # Once committed: a bump seen before the new name is would keep the old one.
        transaction.on_commit(names_changed, robust=True)


@receiver(post_delete, sender=get_user_model(), dispatch_uid="room_list_user_deleted")
def _user_deleted(sender, instance, **kwargs):
    transaction.on_commit(names_changed, robust=True)
