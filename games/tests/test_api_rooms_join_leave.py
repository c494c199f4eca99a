"""POST /api/v1/rooms/{code}/join/ and leave/ (SPEC §3)."""

import pytest

from games.tests.api import call, create, players, post, refused, url

pytestmark = pytest.mark.django_db


# --- join -----------------------------------------------------------------------------


def test_join_returns_the_room_with_the_new_player(alice_api, bob_api):
    code = create(alice_api, mode="race")["code"]
    response = post(bob_api, url(code, "join"))
    assert response.status_code == 200
    room = response.json()
    assert players(room) == {"alice": "waiting", "bob": "waiting"}
    assert room["version"] == 1


def test_join_looks_up_the_code_case_insensitively(alice_api, bob_api):
    code = create(alice_api, mode="race")["code"]
    assert post(bob_api, url(code.lower(), "join")).status_code == 200


def test_join_private_room_by_its_code(alice_api, bob_api):
    code = create(alice_api, mode="race", private=True)["code"]
    response = post(bob_api, url(code, "join"))
    assert response.status_code == 200
    assert "bob" in players(response.json())


def test_join_full_room_is_409(carol_api, duel):
    refused(carol_api, duel, "join", status=409)


def test_join_twice_is_409(bob_api, race):
    refused(bob_api, race, "join", status=409)


def test_owner_joining_own_room_is_409(alice_api, race):
    refused(alice_api, race, "join", status=409)


def test_join_started_room_is_409(carol_api, started_race):
    refused(carol_api, started_race, "join", status=409)


@pytest.mark.parametrize("code", ["ZZZZZZ", "%00"])
def test_join_unknown_room_is_404(bob_api, code):
    response = post(bob_api, url(code, "join"))
    assert response.status_code == 404
    assert "detail" in response.json()


def test_join_with_a_body_is_400(carol_api, race):
    refused(carol_api, race, "join", {"seat": 2}, status=400)


# --- leave ----------------------------------------------------------------------------


def test_leave_waiting_room_removes_the_player(bob_api, race):
    response = post(bob_api, url(race, "leave"))
    assert response.status_code == 200
    room = response.json()
    assert players(room) == {"alice": "waiting"}
    assert room["owner"] == "alice"
    assert room["status"] == "waiting"


def test_owner_leaving_a_waiting_room_passes_ownership_to_the_earliest_player(alice_api, carol_api, race):
    call(carol_api, race, "join")
    room = call(alice_api, race, "leave")
    assert room["owner"] == "bob"
    assert players(room) == {"bob": "waiting", "carol": "waiting"}


def test_last_player_leaving_abandons_the_room(alice_api):
    code = create(alice_api, mode="race")["code"]
    room = call(alice_api, code, "leave")
    assert room["status"] == "abandoned"
    assert room["players"] == []


def test_leave_while_playing_is_a_forfeit(alice_api, bob_api, started_race):
    room = call(alice_api, started_race, "leave")
    assert players(room) == {"alice": "left", "bob": "playing"}
    assert room["status"] == "playing"
    assert bob_api.get(url(started_race)).json()["status"] == "playing"


def test_game_finishes_when_no_one_is_left_playing(alice_api, bob_api, started_race):
    call(alice_api, started_race, "leave")
    room = call(bob_api, started_race, "leave")
    assert room["status"] == "finished"
    assert players(room) == {"alice": "left", "bob": "left"}


def test_leave_by_non_player_is_403(carol_api, race):
    refused(carol_api, race, "leave", status=403)


def test_leave_finished_room_is_409(alice_api, finished_race):
    refused(alice_api, finished_race, "leave", status=409)


def test_leave_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "leave")).status_code == 404
