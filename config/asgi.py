"""ASGI entry point: HTTP through Django, WebSockets through Channels (daphne serves both)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from games.bots import BotRunnerMiddleware  # noqa: E402
from games.routing import websocket_urlpatterns  # noqa: E402
from games.ws_auth import websocket_stack  # noqa: E402

application = BotRunnerMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # Origin policy → session → Knox token subprotocol → routes (games/ws_auth.py).
            "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
        }
    )
)
