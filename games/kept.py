"""What this process keeps per room version: renderings that only an event can change (issue #9).

Every change to a room that a player can see is an event, and every event
bumps `Room.version` (events.record). So a room read with its relations,
and what is rendered from it, stays right for as long as the room's version
does: the room list (games/api/room_list.py) and the board's snapshot for
sockets and pages (games.boards) keep theirs by `key(room)`: the room's id,
its code (SQLite hands a rolled-back insert's id out again, but not with the
same random code), its version, and the usernames' generation.

What changes a rendering without an event: a username (a guest claims their
account, an account is deleted and anonymised, staff rename a user in the
admin). Those bump the shared generation in Django's cache (Redis when
REDIS_URL is set, so every process sees it) once committed; a process reads
it at most every GENERATION_SECONDS (a cache round trip was 8.5 % of a
socket handshake's CPU), and at once after its own bump. Entries also
expire after ENTRY_SECONDS, a bound on anything else done behind the
services' back (a raw SQL fix, a chat line deleted in the admin). With the
cache unreachable `generation()` is None and callers render afresh.
"""

import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Generic, TypeVar, cast

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

logger = logging.getLogger(__name__)

NAMES_KEY = "rooms:names-generation"
ENTRY_SECONDS = 30.0
GENERATION_SECONDS = 0.5

Key = tuple[int, str, int, int]  # room id, room code, version, names generation
V = TypeVar("V")


class Kept(Generic[V]):
    """A bounded map by Key, oldest out first; entries expire after ENTRY_SECONDS. Thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[Key, tuple[float, V]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: Key) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Key, value: V) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ENTRY_SECONDS, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def key(room: Any, generation: int) -> Key:
    """`room` has pk, code and version (a Room, or a RoomKey)."""
    return room.pk, room.code, room.version, generation


# (generation, read at): the last read of the shared generation in this process.
_last_read: tuple[int, float] | None = None


def generation() -> int | None:
    """The shared generation of usernames (at most GENERATION_SECONDS old); None when the cache cannot
    be reached."""
    global _last_read
    last, now = _last_read, time.monotonic()
    if last is not None and now - last[1] < GENERATION_SECONDS:
        return last[0]
    try:
        value = cast(int, cache.get_or_set(NAMES_KEY, _fresh_generation, timeout=None))
    except Exception:  # robust: callers render afresh without the cache
        logger.warning("kept renderings: cache unreachable, rendering rooms afresh", exc_info=True)
        _last_read = None
        return None
    _last_read = (value, now)
    return value


def _fresh_generation() -> int:
    # A generation never used before, not 0: a flushed cache (a Redis restart) must not start
    # again at a value that entries kept before the flush are filed under.
    return time.time_ns()


def names_changed() -> None:
    """A username changed or a user went: every kept rendering is made again (call it once committed)."""
    global _last_read
    _last_read = None  # this process sees its own bump at once
    try:
        cache.incr(NAMES_KEY)
    except ValueError:  # none stored (a new or flushed cache): start afresh
        cache.set(NAMES_KEY, _fresh_generation(), timeout=None)
    except Exception:  # robust: entries still expire after ENTRY_SECONDS
        logger.warning("kept renderings: could not bump the names generation", exc_info=True)


@receiver(post_save, sender=get_user_model(), dispatch_uid="kept_user_saved")
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and (update_fields is None or "username" in update_fields):
        # Once committed: a bump seen before the new name is would keep the old one.
        transaction.on_commit(names_changed, robust=True)


@receiver(post_delete, sender=get_user_model(), dispatch_uid="kept_user_deleted")
def _user_deleted(sender, instance, **kwargs):
    transaction.on_commit(names_changed, robust=True)


@receiver(setting_changed, dispatch_uid="kept_cache_changed")
def _cache_changed(setting, **kwargs):
    global _last_read
    if setting == "CACHES":  # another cache (tests): its generation is not the one read
        _last_read = None
