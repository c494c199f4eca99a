"""GET and DELETE /api/v1/rooms/{code}/: reading and deleting one room (SPEC §3)."""

import pytest

from games.models import Room
from games.tests.api import ROOM_KEYS, create, players, unchanged, url
from games.tests.factories import secret_of

pytestmark = pytest.mark.django_db


# --- retrieve -------------------------------------------------------------------------


def test_retrieve_as_player(bob_api, started_race):
    response = bob_api.get(url(started_race))
    assert response.status_code == 200
    room = response.json()
    assert set(room) == ROOM_KEYS
    assert room["status"] == "playing"
    assert players(room) == {"alice": "playing", "bob": "playing"}
    assert room["secret"] is None


def test_retrieve_as_spectator_of_a_public_room(carol_api, started_race):
    response = carol_api.get(url(started_race))
    assert response.status_code == 200
    assert response.json()["code"] == started_race
    assert response.json()["secret"] is None


def test_retrieve_private_room_one_is_not_in_is_404(alice_api, carol_api):
    code = create(alice_api, mode="race", private=True)["code"]
    response = carol_api.get(url(code))
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("code", ["ZZZZZZ", "nope", "ABCDEFGHJ", "%00", "AB%00CD"])
def test_retrieve_unknown_code_is_404(alice_api, code):
    response = alice_api.get(url(code))
    assert response.status_code == 404
    assert "detail" in response.json()


def test_retrieve_looks_up_the_code_case_insensitively(alice_api, race):
    response = alice_api.get(url(race.lower()))
    assert response.status_code == 200
    assert response.json()["code"] == race


def test_retrieve_without_token_is_401(anon_api, race):
    assert anon_api.get(url(race)).status_code == 401


def test_retrieve_reveals_the_secret_to_everyone_once_finished(carol_api, finished_race):
    assert carol_api.get(url(finished_race)).json()["secret"] == secret_of(finished_race)


# --- destroy --------------------------------------------------------------------------


def test_owner_deletes_a_waiting_room_then_it_is_404(alice_api, race):
    response = alice_api.delete(url(race))
    assert response.status_code == 204
    assert not response.content
    assert alice_api.get(url(race)).status_code == 404
    assert not Room.objects.filter(code=race).exists()


def test_delete_by_non_owner_player_is_403(bob_api, race):
    with unchanged(race):
        response = bob_api.delete(url(race))
    assert response.status_code == 403


def test_delete_by_outsider_is_403(carol_api, race):
    with unchanged(race):
        response = carol_api.delete(url(race))
    assert response.status_code == 403


def test_delete_started_room_is_409(alice_api, started_race):
    with unchanged(started_race):
        response = alice_api.delete(url(started_race))
    assert response.status_code == 409


def test_delete_unknown_room_is_404(alice_api):
    assert alice_api.delete(url("ZZZZZZ")).status_code == 404


@pytest.mark.parametrize("method", ["put", "patch"])
def test_rooms_are_not_edited_with_put_or_patch(alice_api, race, method):
    with unchanged(race):
        response = getattr(alice_api, method)(url(race), {"name": "Renamed"}, format="json")
    assert response.status_code == 405
