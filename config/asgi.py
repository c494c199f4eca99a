"""ASGI entry point: HTTP through Django, WebSockets through Channels; one process serves both.

HTTP runs on a fixed pool of threads (config/serving.py, HTTP_HANDLER) behind
admission control (config/overload.py); WebSockets go through the origin,
session and token policy (games/ws_auth.py) to the consumers. daphne serves
it (`make run`); so can uvicorn or granian.
"""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

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

# What the process holds from here on (settings, models, URL patterns and every
# view they import, templates' loaders, the serializers' classes) lives as long
# as the process: moved out of the garbage collector's generations, the full
# collections no longer walk it. Those walks made the tail of the latency:
# issue #9's open loop at 100 REST guesses/s had a p99 of 55-104 ms with a
# p50 of 7 ms, and 11-17 ms once frozen (docs/performance.md, fourth round).
get_resolver().url_patterns  # noqa: B018 - imports every view now, not on the first request
gc.collect()
gc.freeze()
