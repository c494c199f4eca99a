"""ASGI entry point: HTTP through Django, WebSockets through Channels (daphne serves both)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.overload import AdmissionControl  # noqa: E402
from games.bots import BotRunnerMiddleware  # noqa: E402
from games.routing import websocket_urlpatterns  # noqa: E402
from games.ws_auth import websocket_stack  # noqa: E402

application = BotRunnerMiddleware(
    ProtocolTypeRouter(
        {
            "http": AdmissionControl(
                django_asgi_app,
                concurrency=settings.HTTP_MAX_CONCURRENCY,
                queue=settings.HTTP_MAX_QUEUE,
                queue_timeout=settings.HTTP_QUEUE_TIMEOUT,
            ),
            # Origin policy → session → Knox token subprotocol → routes (games/ws_auth.py).
            "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
        }
    )
)
