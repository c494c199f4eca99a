"""What operators watch (`/metrics`, Prometheus text; served only when METRICS_ENABLED=1).

Requests and their latency by route come from django-prometheus's middleware
(added in settings when metrics are on). The game's own figures are here;
recording them is cheap, so they are kept whether or not they are served.
Each server process counts its own: scrape every process (docs/deploy.md).
"""

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily

GUESSES = Counter("mm_guesses_total", "Guesses stored", ["mode"])
EVENTS_BROADCAST = Counter("mm_events_broadcast_total", "Room events sent to the channel layer", ["event"])
SOCKETS_OPEN = Gauge("mm_sockets_open", "WebSocket connections open now", ["endpoint"])
SOCKETS_CLOSED = Counter("mm_sockets_closed_total", "WebSocket connections ended, by close code", ["code"])
HTTP_SHED = Counter("mm_http_shed_total", "HTTP requests answered 503 because the server was busy")
HTTP_RUNNING = Gauge("mm_http_running", "HTTP requests running now")
HTTP_QUEUED = Gauge("mm_http_queued", "HTTP requests waiting for a slot now")


POOL_STATS = (
    ("pool_size", "Connections the pool holds, in use or idle"),
    ("pool_available", "Idle connections in the pool"),
    ("requests_waiting", "Requests waiting for a connection now"),
    ("requests_queued", "Requests that had to wait for a connection, in all"),
    ("requests_errors", "Requests that timed out or failed waiting for a connection"),
    ("requests_wait_ms", "Time spent waiting for a connection, in all (ms)"),
)


class DatabasePoolCollector:
    """The psycopg pool's own statistics, read at scrape time (PostgreSQL only)."""

    def describe(self):
        # Without describe(), registering would call collect() at import and
        # create the pool before the test runner renames the database.
        return [GaugeMetricFamily(f"mm_db_{name}", help_text) for name, help_text in POOL_STATS]

    def collect(self):
        from django.db import connections

        pool = getattr(connections["default"], "pool", None)
        if pool is None:
            return
        stats = pool.get_stats()
        for name, help_text in POOL_STATS:
            family = GaugeMetricFamily(f"mm_db_{name}", help_text)
            family.add_metric([], stats.get(name, 0))
            yield family


REGISTRY.register(DatabasePoolCollector())
