"""HTTP with WSGI semantics inside the ASGI app: an A/B candidate for issue #9.

Plain HTTP goes to Django's WSGI handler through a2wsgi's WSGIMiddleware, a
fixed pool of threads (no per-request thread context, no async/sync hops per
middleware), behind the same admission control as config.asgi when the app
has one (config/overload.py, since issue #9); everything else (WebSockets,
with the bots) goes to config.asgi's application unchanged. Serve it like
config.asgi: `daphne bench.asgi_wsgi:application`.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# Importing it sets Django up, as `daphne config.asgi:application` would.
from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from config.asgi import application as shipped  # noqa: E402

# a2wsgi's default pool is 10 threads; each holds a pooled database connection while it works.
WSGI_THREADS = int(os.environ.get("BENCH_WSGI_THREADS") or 10)

http = WSGIMiddleware(get_wsgi_application(), workers=WSGI_THREADS)
try:
    from config.overload import AdmissionControl
except ImportError:  # the app before issue #9 (48fcf81) had none
    pass
else:
    http = AdmissionControl(
        http,
        concurrency=settings.HTTP_MAX_CONCURRENCY,
        queue=settings.HTTP_MAX_QUEUE,
        queue_timeout=settings.HTTP_QUEUE_TIMEOUT,
    )


async def application(scope, receive, send):
    if scope["type"] == "http":
        return await http(scope, receive, send)
    return await shipped(scope, receive, send)
