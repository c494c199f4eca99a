from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from games import consumers, rules

# A well-formed room code, either case (lookups are case-insensitive). Any
# other code falls through to NoSuchEndpoint and closes 4404 like an unknown
# room (SPEC §4), before it can reach a channel-layer group name.
_ALPHABET = rules.ROOM_CODE_ALPHABET + rules.ROOM_CODE_ALPHABET.lower()
ROOM_CODE = f"(?P<code>[{_ALPHABET}]{{{rules.ROOM_CODE_LENGTH}}})"


class NoSuchEndpoint(AsyncWebsocketConsumer):
    """Any other /ws/ path: accept, then close 4404 (not a server error)."""

    async def connect(self):
        await self.accept()
        await self.close(code=consumers.CLOSE_NOT_FOUND)


# Channels routes ASGI apps with Django's path(); types-channels types path()
# for views only, hence the ignores (arg-type) on these lines.
websocket_urlpatterns: list[Any] = [
    re_path(rf"^ws/rooms/{ROOM_CODE}/$", consumers.RoomConsumer.as_asgi()),  # type: ignore[arg-type]
    re_path(rf"^ws/rooms/{ROOM_CODE}/html/$", consumers.RoomHtmlConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/lobby/", consumers.LobbyConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/lobby/html/", consumers.LobbyHtmlConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/me/", consumers.MeConsumer.as_asgi()),  # type: ignore[arg-type]
    re_path(r"", NoSuchEndpoint.as_asgi()),  # type: ignore[arg-type]
]
