"""POST /api/v1/rooms/ and /api/v1/quick-play/: making a room (SPEC §3)."""

import pytest

from games import rules
from games.models import Room
from games.tests.api import QUICK_PLAY, ROOM_KEYS, ROOMS, create, no_new_rooms, players, post
from games.tests.factories import secret_of

pytestmark = pytest.mark.django_db


# --- create ---------------------------------------------------------------------------


def test_create_returns_201_with_the_caller_as_owner_and_first_player(alice_api):
    response = post(alice_api, ROOMS, {"mode": "race"})
    assert response.status_code == 201
    room = response.json()
    assert set(room) == ROOM_KEYS
    assert room["owner"] == "alice"
    assert room["status"] == "waiting"
    assert players(room) == {"alice": "waiting"}
    assert room["secret"] is None
    assert room["winner"] is None
    assert room["private"] is False
    assert room["name"]
    assert room["started_at"] is None
    assert len(room["code"]) == 6
    assert set(room["code"]) <= set(rules.ROOM_CODE_ALPHABET)
    assert Room.objects.filter(code=room["code"], owner__username="alice").exists()


@pytest.mark.parametrize(("mode", "seats"), [("solo", 1), ("duel", 2), ("coop", 4), ("race", 4)])
def test_create_uses_the_defaults_of_each_mode(alice_api, mode, seats):
    room = create(alice_api, mode=mode)
    assert room["mode"] == mode
    assert room["settings"] == {
        "code_length": 4,
        "colors": 6,
        "max_guesses": 10,
        "allow_duplicates": True,
        "max_players": seats,
    }


def test_create_solo_room_starts_at_once(alice_api):
    room = create(alice_api, mode="solo")
    assert room["status"] == "playing"
    assert players(room) == {"alice": "playing"}
    assert room["started_at"] is not None
    assert room["secret"] is None
    assert secret_of(room["code"]) is not None


def test_create_honours_every_setting(alice_api):
    room = create(
        alice_api,
        mode="race",
        name="Friday race",
        code_length=5,
        colors=8,
        max_guesses=12,
        allow_duplicates=False,
        max_players=6,
        private=True,
    )
    assert room["name"] == "Friday race"
    assert room["private"] is True
    assert room["settings"] == {
        "code_length": 5,
        "colors": 8,
        "max_guesses": 12,
        "allow_duplicates": False,
        "max_players": 6,
    }
    stored = Room.objects.get(code=room["code"])
    assert (stored.code_length, stored.colors, stored.max_guesses, stored.allow_duplicates) == (
        5,
        8,
        12,
        False,
    )
    assert (stored.max_players, stored.private, stored.name) == (6, True, "Friday race")


def test_create_keeps_a_60_character_name_whole(alice_api):
    name = "n" * 59 + "!"
    room = create(alice_api, mode="race", name=name)
    assert room["name"] == name
    assert Room.objects.get(code=room["code"]).name == name


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"mode": "race", "speed": 3}, "speed", id="unknown-field"),
        pytest.param({"mode": "race", "name": "n" * 61}, "name", id="name-61-chars"),
        pytest.param({"mode": "race", "name": ""}, "name", id="blank-name"),
        pytest.param({"mode": "race", "name": "   "}, "name", id="whitespace-name"),
        pytest.param({"mode": "race", "code_length": 9}, "code_length", id="code_length-9"),
        pytest.param({"mode": "race", "code_length": 1}, "code_length", id="code_length-1"),
        pytest.param({"mode": "race", "code_length": 4.0}, "code_length", id="code_length-float"),
        pytest.param({"mode": "race", "colors": "6"}, "colors", id="colors-string"),
        pytest.param({"mode": "race", "colors": 11}, "colors", id="colors-11"),
        pytest.param({"mode": "race", "max_guesses": 0}, "max_guesses", id="max_guesses-0"),
        pytest.param({"mode": "race", "max_guesses": 21}, "max_guesses", id="max_guesses-21"),
        pytest.param(
            {"mode": "race", "allow_duplicates": "true"}, "allow_duplicates", id="duplicates-string"
        ),
        pytest.param({"mode": "race", "allow_duplicates": 1}, "allow_duplicates", id="duplicates-int"),
        pytest.param({"mode": "race", "private": "yes"}, "private", id="private-string"),
        pytest.param(
            {"mode": "race", "allow_duplicates": False, "code_length": 6, "colors": 5},
            "colors",
            id="fewer-colors-than-pegs-without-duplicates",
        ),
        pytest.param({"mode": "duel", "max_players": 3}, "max_players", id="duel-3-players"),
        pytest.param({"mode": "solo", "max_players": 2}, "max_players", id="solo-2-players"),
        pytest.param({"mode": "race", "max_players": 1}, "max_players", id="race-1-player"),
        pytest.param({"mode": "race", "max_players": 9}, "max_players", id="race-9-players"),
        pytest.param({"mode": "chess"}, "mode", id="mode-chess"),
        pytest.param({}, "mode", id="no-mode"),
    ],
)
def test_create_with_bad_settings_is_400(alice_api, data, field):
    with no_new_rooms():
        response = post(alice_api, ROOMS, data)
    assert response.status_code == 400
    body = response.json()
    assert field in body or body.get("field") == field


def test_create_with_a_list_body_is_400(alice_api):
    with no_new_rooms():
        response = post(alice_api, ROOMS, [{"mode": "race"}])
    assert response.status_code == 400


def test_create_without_token_is_401(anon_api):
    with no_new_rooms():
        assert post(anon_api, ROOMS, {"mode": "race"}).status_code == 401


# --- quick play -----------------------------------------------------------------------


def test_quick_play_returns_201_with_a_started_solo_room(alice_api):
    response = post(alice_api, QUICK_PLAY, {})
    assert response.status_code == 201
    room = response.json()
    assert set(room) == ROOM_KEYS
    assert (room["mode"], room["status"], room["owner"]) == ("solo", "playing", "alice")
    assert players(room) == {"alice": "playing"}
    assert room["settings"] == {
        "code_length": 4,
        "colors": 6,
        "max_guesses": 10,
        "allow_duplicates": True,
        "max_players": 1,
    }
    assert room["secret"] is None
    assert room["started_at"] is not None


def test_quick_play_without_a_body(alice_api):
    response = alice_api.post(QUICK_PLAY)
    assert response.status_code == 201
    assert response.json()["status"] == "playing"


def test_quick_play_honours_settings(alice_api):
    room = post(
        alice_api,
        QUICK_PLAY,
        {
            "name": "Lunch",
            "code_length": 5,
            "colors": 8,
            "max_guesses": 12,
            "allow_duplicates": False,
            "private": True,
        },
    ).json()
    assert room["name"] == "Lunch"
    assert room["private"] is True
    assert room["settings"] == {
        "code_length": 5,
        "colors": 8,
        "max_guesses": 12,
        "allow_duplicates": False,
        "max_players": 1,
    }
    secret = secret_of(room["code"])
    assert len(secret) == 5 and len(set(secret)) == 5


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"code_length": 9}, id="code_length-9"),
        pytest.param({"colors": "6"}, id="colors-string"),
        pytest.param({"allow_duplicates": "true"}, id="duplicates-string"),
        pytest.param({"allow_duplicates": False, "code_length": 6, "colors": 5}, id="too-few-colors"),
        pytest.param({"name": "n" * 61}, id="name-61-chars"),
        pytest.param({"mode": "race"}, id="mode-is-unknown-here"),
        pytest.param({"max_players": 2}, id="max_players-is-unknown-here"),
        pytest.param({"turbo": True}, id="unknown-field"),
    ],
)
def test_quick_play_with_bad_settings_is_400(alice_api, data):
    with no_new_rooms():
        response = post(alice_api, QUICK_PLAY, data)
    assert response.status_code == 400


def test_quick_play_without_token_is_401(anon_api):
    with no_new_rooms():
        assert post(anon_api, QUICK_PLAY, {}).status_code == 401
