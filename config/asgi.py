"""ASGI entry point: HTTP through Django, WebSockets through Channels; one process serves both.

HTTP runs on a fixed pool of threads (config/serving.py, HTTP_HANDLER) behind
admission control (config/overload.py); WebSockets go through the origin,
session and token policy (games/ws_auth.py) to the consumers. daphne serves
it (`make run`); so can uvicorn or granian.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.overload import AdmissionControl  # noqa: E402
from config.serving import RememberServerLoop, http_application  # noqa: E402
from games.bots import BotRunnerMiddleware  # noqa: E402
from games.routing import websocket_urlpatterns  # noqa: E402
from games.ws_auth import websocket_stack  # noqa: E402

application = RememberServerLoop(
    BotRunnerMiddleware(
        ProtocolTypeRouter(
            {
                "http": AdmissionControl(
                    http_application(settings.HTTP_HANDLER, threads=settings.HTTP_MAX_CONCURRENCY),
                    concurrency=settings.HTTP_MAX_CONCURRENCY,
                    queue=settings.HTTP_MAX_QUEUE,
                    queue_timeout=settings.HTTP_QUEUE_TIMEOUT,
                ),
                # Origin policy → session → Knox token subprotocol → routes (games/ws_auth.py).
                "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
            }
        )
    )
)
