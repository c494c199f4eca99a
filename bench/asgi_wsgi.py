"""HTTP with WSGI semantics inside the ASGI app: an A/B candidate for issue #9.

Plain HTTP goes to Django's WSGI handler through a2wsgi's WSGIMiddleware, a
fixed pool of threads (no per-request thread context, no async/sync hops per
middleware); WebSockets go to the same Channels stack as config.asgi, and the
bots run as they do there. Serve it like config.asgi:
`daphne bench.asgi_wsgi:application`.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# Django must be set up before anything imports models.
django_wsgi_app = get_wsgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from games.bots import BotRunnerMiddleware  # noqa: E402
from games.routing import websocket_urlpatterns  # noqa: E402
from games.ws_auth import websocket_stack  # noqa: E402

# a2wsgi's default pool is 10 threads; each holds a pooled database connection while it works.
WSGI_THREADS = int(os.environ.get("BENCH_WSGI_THREADS") or 10)

application = BotRunnerMiddleware(
    ProtocolTypeRouter(
        {
            "http": WSGIMiddleware(django_wsgi_app, workers=WSGI_THREADS),
            "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
        }
    )
)
