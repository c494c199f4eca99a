"""Fixtures shared by the games tests' files; alice, bob, carol, dave and their API clients are in
the top conftest.py, rooms in any mode and state in games/tests/factories.py."""

import pytest

from games.models import Room
from games.tests.api import QUICK_PLAY, call, create, guess, post
from games.tests.factories import secret_of
from games.tests.pages import browser

# --- the page tests: signed-in browsers ----------------------------------------------------


@pytest.fixture
def as_alice(alice):
    return browser(alice)


@pytest.fixture
def as_bob(bob):
    return browser(bob)


@pytest.fixture
def as_carol(carol):
    return browser(carol)


# --- the API tests: rooms made over the API, by their codes -------------------------------


@pytest.fixture
def race(alice_api, bob_api):
    """A waiting race: alice owns it, bob has joined."""
    code = create(alice_api, mode="race", name="Friday race")["code"]
    call(bob_api, code, "join")
    return code


@pytest.fixture
def started_race(race, alice_api):
    call(alice_api, race, "start")
    return race


@pytest.fixture
def finished_race(started_race, alice_api, bob_api):
    guess(alice_api, started_race, secret_of(started_race))
    guess(bob_api, started_race, secret_of(started_race))
    assert Room.objects.get(code=started_race).status == Room.Status.FINISHED
    return started_race


@pytest.fixture
def duel(alice_api, bob_api):
    """A waiting duel: alice is the codemaker, bob the codebreaker; no secret yet."""
    code = create(alice_api, mode="duel")["code"]
    call(bob_api, code, "join")
    return code


@pytest.fixture
def started_duel(duel, alice_api):
    call(alice_api, duel, "secret", {"secret": [1, 2, 3, 4]})
    call(alice_api, duel, "start")
    return duel


@pytest.fixture
def solo(alice_api):
    """A started solo room (quick play)."""
    response = post(alice_api, QUICK_PLAY, {})
    assert response.status_code == 201
    return response.json()["code"]


@pytest.fixture
def cache_unreachable(settings):
    """Django's cache on a Redis port nobody listens on: every call fails at once."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
