"""One Redis connection pool per server process for the cache (throttle counters).

Django keeps a cache object per thread and async context, and under ASGI
every request has a context of its own, so Django's Redis cache built a new
connection pool, and so a new connection (HELLO, CLIENT SETINFO, a version
lookup), for every authenticated request: 22 % of the REST guess's profile
in issue #9. Pools here are kept for the life of the process, keyed by URL
and options, and shared by every cache object.
"""

import threading

import redis

_pools: dict[tuple, redis.ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    """`from_url` hands back the process's pool for that URL and options, made on first use."""

    @classmethod
    # Hands back the process's shared plain ConnectionPool, not an instance of this class.
    def from_url(cls, url: str, **options) -> redis.ConnectionPool:  # type: ignore[override]
        key = (url, tuple(sorted((name, repr(value)) for name, value in options.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = redis.ConnectionPool.from_url(url, **options)
        return pool
