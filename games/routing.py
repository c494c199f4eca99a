from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from games import consumers


class NoSuchEndpoint(AsyncWebsocketConsumer):
    """Any other /ws/ path: accept, then close 4404 (not a server error)."""

    async def connect(self):
        await self.accept()
        await self.close(code=consumers.CLOSE_NOT_FOUND)


websocket_urlpatterns = [
    path("ws/rooms/<str:code>/", consumers.RoomConsumer.as_asgi()),
    path("ws/rooms/<str:code>/html/", consumers.RoomHtmlConsumer.as_asgi()),
    path("ws/lobby/", consumers.LobbyConsumer.as_asgi()),
    path("ws/lobby/html/", consumers.LobbyHtmlConsumer.as_asgi()),
    re_path(r"", NoSuchEndpoint.as_asgi()),
]
