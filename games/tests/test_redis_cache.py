"""The Redis cache (throttle counters) keeps one connection pool per process (issue #9).

Django keeps a cache object per thread and per async context, and under ASGI
each request is a context of its own: with Django's own pool handling each
request opened a new Redis connection. Every cache object must draw on the
same pool, so connections are reused across requests.
"""

import os
import threading

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="the embedded run caches in local memory, with no connection"
)

THREADS = 8


def test_every_threads_cache_uses_the_one_pool_and_reuses_its_connections():
    pools, barrier = [], threading.Barrier(THREADS)
    # The pool lives as long as the process: count only what this test adds
    # (other tests in the same worker may have opened connections already).
    pool = caches["default"]._cache._get_connection_pool(write=True)
    before = pool._created_connections

    def request_like():
        cache = caches["default"]  # a cache object of this thread's own
        barrier.wait()
        for number in range(5):
            cache.set(f"pool-check-{threading.get_ident()}-{number}", number, 5)
        pools.append(cache._cache._get_connection_pool(write=True))

    threads = [threading.Thread(target=request_like) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {id(p) for p in pools} == {id(pool)}
    # 40 writes from 8 threads at once: at most one new connection per thread, not one per write.
    assert pool._created_connections - before <= THREADS
