"""POST /api/v1/rooms/{code}/rematch/ (SPEC §3)."""

import pytest

from games.models import Room, RoomEvent
from games.tests.api import ROOMS, call, create, guess, no_new_rooms, players, post, unchanged, url
from games.tests.factories import secret_of

pytestmark = pytest.mark.django_db


def test_rematch_returns_201_with_a_waiting_room_owned_by_the_caller(bob_api, alice_api):
    old = create(alice_api, mode="race", name="Best of three", max_guesses=7, colors=8, max_players=3)["code"]
    call(bob_api, old, "join")
    call(alice_api, old, "start")
    guess(alice_api, old, secret_of(old))
    guess(bob_api, old, secret_of(old))
    response = post(bob_api, url(old, "rematch"))
    assert response.status_code == 201
    room = response.json()
    assert room["code"] != old
    assert (room["mode"], room["status"], room["owner"], room["name"]) == (
        "race",
        "waiting",
        "bob",
        "Best of three",
    )
    assert players(room) == {"bob": "waiting"}
    assert room["settings"] == alice_api.get(url(old)).json()["settings"]
    assert room["settings"]["max_guesses"] == 7


def test_rematch_tells_the_old_room_the_new_code(bob_api, finished_race):
    version = Room.objects.get(code=finished_race).version
    new = call(bob_api, finished_race, "rematch", expect=201)["code"]
    old = Room.objects.get(code=finished_race)
    assert old.version == version + 1
    event = RoomEvent.objects.get(room=old, version=old.version)
    assert event.kind == "rematch"
    assert event.payload["code"] == new


def test_old_room_names_its_rematch_to_late_viewers(bob_api, alice_api, finished_race):
    assert alice_api.get(f"{ROOMS}{finished_race}/").json()["rematch"] is None
    new = call(bob_api, finished_race, "rematch", expect=201)["code"]
    assert alice_api.get(f"{ROOMS}{finished_race}/").json()["rematch"] == new


def test_rematch_before_finish_is_409(alice_api, started_race):
    with unchanged(started_race), no_new_rooms():
        response = post(alice_api, url(started_race, "rematch"))
    assert response.status_code == 409


def test_rematch_by_non_player_is_403(carol_api, finished_race):
    with unchanged(finished_race), no_new_rooms():
        response = post(carol_api, url(finished_race, "rematch"))
    assert response.status_code == 403


def test_second_rematch_is_409(alice_api, bob_api, finished_race):
    call(bob_api, finished_race, "rematch", expect=201)
    with unchanged(finished_race), no_new_rooms():
        response = post(alice_api, url(finished_race, "rematch"))
    assert response.status_code == 409


def test_rematch_of_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "rematch")).status_code == 404
