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
"""

import math

from rest_framework import throttling
from rest_framework.settings import api_settings

from config import outages


class _LiveRates:
    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's attribute name
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except outages.REDIS_DOWN as exc:
            outages.warn("redis", "throttles let requests through", exc)
            return True


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
