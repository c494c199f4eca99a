"""`GET /api/v1/rooms/`: a page of rooms, each rendered once per room version (issue #9).

A page of 20 rooms read and serialised afresh is ~200 model instances and
~100 nested DRF serialisations (22 ms of CPU in the bench, 0.04× the hello
view). Most of a room's JSON is the same for every viewer and changes only
with an event (games/kept.py), so this process keeps each room as read with
its players and rematches and its RoomSerializer output, by games.kept.key;
a page costs one query for the page's ids and versions, and only rooms that
changed since are read again. With the cache unreachable the page is
rendered afresh, as before this module.

Two fields depend on the viewer and are computed per request from the kept
room, exactly as RoomSerializer computes them: `secret` (a duel's codemaker
sees it early) and `actions` (once per kind of viewer).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from games import kept, selectors, visibility
from games.api.serializers import RoomSerializer
from games.models import Room

MAX_ENTRIES = 4096


@dataclass
class _Rendered:
    """A room as read with its relations, its RoomSerializer output, and its actions by kind of viewer."""

    room: Room
    data: dict
    actions: dict[int | str | None, list[str]] = field(default_factory=dict)

    def for_viewer(self, user: Any) -> dict:
        """The room as RoomSerializer renders it for this viewer."""
        return {
            **self.data,
            "secret": visibility.visible_secret(self.room, user),
            "actions": self._actions(user),
        }

    def _actions(self, user: Any) -> list[str]:
        kind = visibility.viewer_kind(self.room, user)
        if kind not in self.actions:
            self.actions[kind] = visibility.actions(self.room, user)
        return list(self.actions[kind])


_kept: kept.Kept[_Rendered] = kept.Kept(MAX_ENTRIES)


def render_page(rooms: Sequence[Room], *, user: Any) -> list[dict]:
    """The page's rooms as RoomSerializer renders them for this viewer; `rooms` carry id, code and version."""
    generation = kept.generation()
    if generation is None:
        fresh = selectors.rooms_by_id([room.pk for room in rooms])
        return [_rendered(fresh[room.pk]).for_viewer(user) for room in rooms if room.pk in fresh]
    found = {room.pk: _kept.get(kept.key(room, generation)) for room in rooms}
    missing = [pk for pk, rendered in found.items() if rendered is None]
    if missing:
        for pk, room in selectors.rooms_by_id(missing).items():
            found[pk] = rendered = _rendered(room)
            _kept.put(kept.key(room, generation), rendered)
    # A room deleted between the two reads is left out of the page.
    return [entry.for_viewer(user) for room in rooms if (entry := found[room.pk]) is not None]


def _rendered(room: Room) -> _Rendered:
    return _Rendered(room, RoomSerializer(room, context={"user": None}).data)
