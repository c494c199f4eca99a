"""The throttles' counters on Redis: one atomic check per request (config/api/throttling.py).

DRF's own throttle reads the window's list from the cache and writes it
back: two requests arriving together can both see the last free place. On
Redis the check is one script, so a limit of N lets exactly N through, however
many arrive at once, and what a client is told to wait is DRF's figure.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches

from config.api.throttling import GuessThrottle, socket_allows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="the atomic check is Redis's; the embedded run keeps DRF's"
    ),
]


def set_rate(settings, scope: str, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def test_a_limit_of_ten_lets_exactly_ten_through_when_forty_arrive_together(settings, alice):
    set_rate(settings, "guess", "10/min")
    start = threading.Barrier(40)

    def one(_):
        start.wait(timeout=10)
        return socket_allows(GuessThrottle, alice)

    with ThreadPoolExecutor(40) as pool:
        waits = list(pool.map(one, range(40)))
    assert waits.count(None) == 10
    refused = [w for w in waits if w is not None]
    assert len(refused) == 30
    # DRF's wait(): the rest of the window, spread over the places that free up.
    assert all(0 < w <= 60 for w in refused), refused


def test_the_window_slides_and_the_wait_is_what_is_left_of_it(settings, alice):
    set_rate(settings, "guess", "2/s")
    assert socket_allows(GuessThrottle, alice) is None
    assert socket_allows(GuessThrottle, alice) is None
    wait = socket_allows(GuessThrottle, alice)
    assert wait is not None and 0 < wait <= 1
    time.sleep(wait + 0.05)
    assert socket_allows(GuessThrottle, alice) is None


def test_a_counter_left_by_drfs_own_code_is_started_afresh(settings, alice):
    set_rate(settings, "guess", "1/min")
    key = GuessThrottle().cache_format % {"scope": "guess", "ident": alice.pk}
    caches["default"].set(key, [time.time()], 60)  # DRF's pickled list
    assert socket_allows(GuessThrottle, alice) is None
    assert socket_allows(GuessThrottle, alice) is not None
