"""Calling the rooms REST API as a client does, for the API tests (test_api_*.py).

Those tests may read a room's secret from the database to finish a game
quickly; the API itself must never reveal it early. The race, duel and solo
fixtures (room codes) are in games/tests/conftest.py.

`call(client, code, "join")` posts to a room action and checks the status;
`unchanged(code)` asserts a refused request changed nothing.
"""

from contextlib import contextmanager

from rest_framework.test import APIClient

from games.models import Guess, Player, Room, RoomEvent

ROOMS = "/api/v1/rooms/"

QUICK_PLAY = "/api/v1/quick-play/"

LEADERBOARD = "/api/v1/leaderboard/"

ROOM_KEYS = {
    "code",
    "name",
    "mode",
    "status",
    "private",
    "owner",
    "version",
    "settings",
    "players",
    "winner",
    "secret",
    "rematch",
    "daily",
    "rated",
    "actions",
    "created_at",
    "started_at",
    "finished_at",
}

PLAYER_KEYS = {"username", "status", "guesses_used", "solved_at", "place", "rating_change"}

GUESS_RESULT_KEYS = {"number", "guess", "exact", "misplaced", "solved", "remaining", "version"}


def url(code: str, action: str | None = None) -> str:
    return f"{ROOMS}{code}/" + (f"{action}/" if action else "")


def post(client: APIClient, path: str, data=None):
    return client.post(path, data, format="json")


def create(client: APIClient, **data) -> dict:
    response = post(client, ROOMS, data)
    assert response.status_code == 201, response.content
    return response.json()


def call(client: APIClient, code: str, action: str, data=None, *, expect: int = 200) -> dict:
    response = post(client, url(code, action), data)
    assert response.status_code == expect, response.content
    return response.json() if response.content else {}


def guess(client: APIClient, code: str, pegs: list, *, expect: int = 201) -> dict:
    return call(client, code, "guesses", {"guess": pegs}, expect=expect)


def players(room: dict) -> dict[str, str]:
    return {p["username"]: p["status"] for p in room["players"]}


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [room["code"] for room in response.json()["results"]]


def state(code: str) -> dict:
    room = Room.objects.get(code=code)
    return {
        "version": room.version,
        "status": room.status,
        "owner": room.owner_id,
        "secret": room.secret,
        "guesses": Guess.objects.filter(room=room).count(),
        "events": RoomEvent.objects.filter(room=room).count(),
        "players": sorted(
            Player.objects.filter(room=room).values_list("user__username", "status", "guesses_used")
        ),
    }


@contextmanager
def unchanged(code: str):
    """A failed request changes nothing: no guess, no event, same version."""
    before = state(code)
    yield
    assert state(code) == before


@contextmanager
def no_new_rooms():
    before = (Room.objects.count(), Player.objects.count())
    yield
    assert (Room.objects.count(), Player.objects.count()) == before


def refused(client: APIClient, code: str, action: str, data=None, *, status: int) -> dict:
    """POST a room action that must be refused: `status`, the one error shape, nothing changed."""
    with unchanged(code):
        response = post(client, url(code, action), data)
    assert response.status_code == status, response.content
    body = response.json()
    assert {"detail", "code"} <= set(body), body
    return body
