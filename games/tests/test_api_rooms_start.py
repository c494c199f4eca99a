"""POST /api/v1/rooms/{code}/start/ and a duel's secret/ (SPEC §3)."""

import pytest

from games.tests.api import call, create, players, post, refused, unchanged, url
from games.tests.factories import secret_of

pytestmark = pytest.mark.django_db


# --- start ----------------------------------------------------------------------------


def test_owner_starts_the_game(alice_api, race):
    response = post(alice_api, url(race, "start"))
    assert response.status_code == 200
    room = response.json()
    assert room["status"] == "playing"
    assert players(room) == {"alice": "playing", "bob": "playing"}
    assert room["started_at"] is not None
    assert room["secret"] is None
    assert len(secret_of(race)) == 4


def test_start_by_non_owner_player_is_403(bob_api, race):
    refused(bob_api, race, "start", status=403)


def test_start_by_outsider_is_403(carol_api, race):
    refused(carol_api, race, "start", status=403)


def test_start_with_too_few_players_is_409(alice_api):
    code = create(alice_api, mode="coop")["code"]
    refused(alice_api, code, "start", status=409)


def test_start_duel_before_the_secret_is_set_is_409(alice_api, duel):
    refused(alice_api, duel, "start", status=409)


def test_start_duel_once_the_secret_is_set(alice_api, duel):
    call(alice_api, duel, "secret", {"secret": [0, 1, 2, 3]})
    room = call(alice_api, duel, "start")
    assert room["status"] == "playing"
    assert secret_of(duel) == [0, 1, 2, 3]


def test_start_twice_is_409(alice_api, started_race):
    refused(alice_api, started_race, "start", status=409)


def test_start_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "start")).status_code == 404


# --- secret (duel) --------------------------------------------------------------------


def test_codemaker_sets_the_secret_and_sees_it(alice_api, duel):
    response = post(alice_api, url(duel, "secret"), {"secret": [5, 0, 5, 1]})
    assert response.status_code == 200
    assert response.json()["secret"] == [5, 0, 5, 1]
    assert alice_api.get(url(duel)).json()["secret"] == [5, 0, 5, 1]
    assert secret_of(duel) == [5, 0, 5, 1]


def test_codebreaker_and_spectators_do_not_see_the_duel_secret(alice_api, bob_api, carol_api, started_duel):
    assert alice_api.get(url(started_duel)).json()["secret"] == [1, 2, 3, 4]
    assert bob_api.get(url(started_duel)).json()["secret"] is None
    assert carol_api.get(url(started_duel)).json()["secret"] is None


def test_setting_the_secret_twice_is_409(alice_api, duel):
    call(alice_api, duel, "secret", {"secret": [0, 1, 2, 3]})
    with unchanged(duel):
        response = post(alice_api, url(duel, "secret"), {"secret": [3, 2, 1, 0]})
    assert response.status_code == 409
    assert "0, 1, 2, 3" not in response.content.decode()


def test_secret_by_the_codebreaker_is_403(bob_api, duel):
    refused(bob_api, duel, "secret", {"secret": [0, 1, 2, 3]}, status=403)


def test_secret_in_a_non_duel_room_is_403(alice_api, race):
    refused(alice_api, race, "secret", {"secret": [0, 1, 2, 3]}, status=403)


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param([0, 1, 2], id="too-short"),
        pytest.param([0, 1, 2, 3, 4], id="too-long"),
        pytest.param([0, 1, 2, 6], id="colour-out-of-range"),
        pytest.param([0, 1, 2, -1], id="negative-colour"),
        pytest.param([0, 1, 2, "3"], id="string-element"),
        pytest.param([0, 1, 2, True], id="boolean-element"),
        pytest.param("0123", id="not-a-list"),
        pytest.param(None, id="null"),
    ],
)
def test_invalid_secret_is_400(alice_api, duel, secret):
    refused(alice_api, duel, "secret", {"secret": secret}, status=400)


def test_secret_repeating_a_colour_without_duplicates_is_400(alice_api, bob_api):
    code = create(alice_api, mode="duel", allow_duplicates=False)["code"]
    call(bob_api, code, "join")
    refused(alice_api, code, "secret", {"secret": [0, 1, 1, 2]}, status=400)


def test_secret_with_unknown_field_is_400(alice_api, duel):
    with unchanged(duel):
        response = post(alice_api, url(duel, "secret"), {"secret": [0, 1, 2, 3], "hint": "easy"})
    assert response.status_code == 400
    assert "hint" in response.json()["errors"]
