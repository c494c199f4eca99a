"""DRF throttles whose rates are read at request time, shared by every door.

DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import, so a
changed setting (tests, or THROTTLE_* read at start-up) would not be seen;
these read DRF's live settings instead. Counters live in the default cache
(Redis when REDIS_URL is set, so every server process shares them).

One scope counts one action through every door: REST uses these classes as
DRF throttles, the HTML forms call `door_allows` with their Django request
and the socket calls `socket_allows` with its user. All three build the same
cache key, so a limit cannot be walked round by switching doors.

The client address is DRF's `get_ident`: the socket peer (REMOTE_ADDR)
unless NUM_PROXIES trusts that many proxies in front (config/settings.py).

When the cache (Redis) is down a throttle lets the request through (fails
open) and logs one warning a minute (config/outages.py): an outage of the
counters must not become an outage of the game.

On Redis, a check is one atomic script (`SLIDING_WINDOW`) on a sorted set
of the window's request times, instead of DRF's read of the pickled list
and write of it back: one round trip instead of two (7-10 % of a socket
move's CPU in issue #9's profile), and two requests arriving together can
no longer both take the last place in the window. Same window, same limit,
same `wait()`; other caches (the embedded local memory) keep DRF's code.
"""

import itertools
import math
import uuid
from typing import cast

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from redis.exceptions import ResponseError
from rest_framework import throttling
from rest_framework.settings import api_settings

from config import outages

# KEYS[1]: the counter; ARGV: now, window (s), limit, a unique member.
# Returns {allowed (1/0), requests in the window, the oldest one's time}.
SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, count, oldest[2]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return {1, count + 1, tostring(now)}
"""
_script: Script | None = None
# One client per connection pool: building a redis.Redis copies its table of
# response callbacks, which Django's cache does for every call.
_clients: dict[redis.ConnectionPool, redis.Redis] = {}
# Window members: unique across processes (the prefix) and threads (the count).
_member_prefix = uuid.uuid4().hex[:12]
_member_count = itertools.count()


class _LiveRates(throttling.SimpleRateThrottle):
    # Set by SimpleRateThrottle.__init__ from the rate (not declared in its stubs).
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        # DRF's copy taken at import would miss a changed setting: read the live one.
        self.THROTTLE_RATES = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return super().get_rate()

    def allow_request(self, request, view) -> bool:
        try:
            cache = caches["default"]
            if isinstance(cache, RedisCache):
                return self.allow_on_redis(cache, request, view)
            return super().allow_request(request, view)
        except outages.REDIS_DOWN as exc:
            outages.warn("redis", "throttles let requests through", exc)
            return True

    def allow_on_redis(self, cache: RedisCache, request, view) -> bool:
        """DRF's `allow_request` in one atomic round trip (see the module's docstring)."""
        global _script
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        key = cache.make_key(self.key)
        # Django's own pool for writes (private, not in django-stubs: test_throttle_redis covers it).
        pool = cache._cache._get_connection_pool(True)  # type: ignore[attr-defined]
        client = _clients.get(pool)
        if client is None:
            client = _clients.setdefault(pool, cache._cache.get_client(key, write=True))
        if _script is None:
            _script = client.register_script(SLIDING_WINDOW)
        self.now = self.timer()
        member = f"{self.now!r}:{_member_prefix}:{next(_member_count)}"
        args: list[str | int] = [repr(self.now), self.duration, self.num_requests, member]
        try:
            allowed, count, oldest = _script(keys=[key], args=args, client=client)
        except ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
            # A counter DRF's own code wrote (a pickled list): start it afresh.
            client.delete(key)
            allowed, count, oldest = _script(keys=[key], args=args, client=client)
        # What DRF's wait() reads: the window's requests, the oldest last. A
        # request that took its time just before this one's may have reached
        # Redis first: "now" is never earlier than the oldest in the window.
        self.history = [float(oldest)] * int(count)
        self.now = max(self.now, float(oldest))
        return bool(allowed)


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    pass


class ClientIPThrottle(_LiveRates, throttling.SimpleRateThrottle):
    """Keyed by client address whoever is signed in: for login and register."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterThrottle(ClientIPThrottle):
    scope = "register"


class LoginThrottle(ClientIPThrottle):
    scope = "login"


class GuestThrottle(ClientIPThrottle):
    scope = "guest"


class GuessThrottle(_LiveRates, throttling.UserRateThrottle):
    scope = "guess"


class ChatThrottle(_LiveRates, throttling.UserRateThrottle):
    scope = "chat"


def door_allows(throttle_class, request) -> float | None:
    """None when `request` may go on, else the seconds to wait (the REST counters, any door).

    `request` is anything DRF's throttles read: a DRF or Django request (its
    `user` and `META`), or a socket's stand-in.
    """
    throttle = throttle_class()
    if throttle.allow_request(request, view=None):
        return None
    return throttle.wait() or 1.0


def retry_after(wait: float) -> int:
    """Whole seconds for the Retry-After header (rounded up, as DRF's 429 does)."""
    return max(1, math.ceil(wait))


class _SocketRequest:
    """What DRF's user throttles read from a request, for WebSocket messages."""

    def __init__(self, user):
        self.user = user
        self.META = {}


def socket_allows(throttle_class, user) -> float | None:
    """None when `user` may go on, else the seconds to wait (same counters as REST)."""
    return door_allows(throttle_class, _SocketRequest(user))
