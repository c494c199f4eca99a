"""Degrade, don't crash, when a backing service goes away (SPEC §6; docs/deploy.md "Outages").

- PostgreSQL down: a request that meets the database error gets a fast 503
  with `Retry-After` (the SPEC's JSON error under /api/, a plain page
  elsewhere) instead of a 500, and nothing is half-written: the request's
  transaction rolled back, so a client that retries with the same
  `Idempotency-Key` is applied once. The pool's wait for a connection is
  short (DB_POOL_TIMEOUT), so "down" is known within two seconds.
- Redis down: the throttles let requests through (config/api/throttling.py)
  and broadcasts are skipped (games/events.py): the game goes on over REST
  and HTML, and the event log fills the gap once Redis is back.
- Sockets: a socket whose work meets either outage is closed with
  CLOSE_UNAVAILABLE (4503), so the client reconnects with backoff and
  resyncs from its last version.

Each outage is logged as one warning per service per LOG_INTERVAL seconds,
without a traceback: it is an operations event, not a bug.
"""

import logging
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOG_INTERVAL = 60.0
# Seconds a client should wait before retrying: a PostgreSQL restart takes a few.
RETRY_AFTER = 2
# A WebSocket close code in the 4xxx range our protocol uses, after HTTP's 503.
CLOSE_UNAVAILABLE = 4503

DATABASE_DOWN = (OperationalError, InterfaceError)
REDIS_DOWN = (RedisError, ConnectionError, TimeoutError)
BACKEND_DOWN = DATABASE_DOWN + REDIS_DOWN

UNAVAILABLE_DETAIL = "The service is briefly unavailable; try again in a moment."
UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Back in a moment · Mastermind Online'
    '</title></head><body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; '
    'padding: 0 1rem"><h1>Back in a moment</h1><p>The game cannot reach its database right now. Nothing '
    'you did was half-saved; try again in a few seconds.</p><p><a href="/">Back to the lobby</a></p>'
    "</body></html>"
)

_last_logged: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


def service_of(exc: BaseException) -> str:
    return "database" if isinstance(exc, DATABASE_DOWN) else "redis"


def warn(service: str, what: str, exc: BaseException) -> None:
    """Log that `service` is unavailable and `what` follows, at most once per LOG_INTERVAL seconds for each."""
    now = time.monotonic()
    with _lock:
        last = _last_logged.get((service, what))
        if last is not None and now - last < LOG_INTERVAL:
            return
        _last_logged[service, what] = now
    logger.warning(
        "%s unavailable (%s: %s); %s. Logged at most once every %d s.",
        service,
        type(exc).__name__,
        str(exc).splitlines()[0][:200] if str(exc) else "",
        what,
        LOG_INTERVAL,
    )


def unavailable_response(request) -> HttpResponse:
    """503 with Retry-After: SPEC §3's error shape under /api/, a plain page (no database) elsewhere."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE_DETAIL, "code": "unavailable"}, status=503)
    else:
        response = HttpResponse(UNAVAILABLE_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that meets a database outage answers 503 with Retry-After, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_DOWN):
            return None
        warn("database", "requests are answered 503", exception)
        return unavailable_response(request)
