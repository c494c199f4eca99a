"""The rooms REST API, endpoint by endpoint (SPEC §3), as a client sees it.

Tests may read a room's secret from the database to finish a game quickly;
the API itself must never reveal it early.
"""

from contextlib import contextmanager

import pytest
from rest_framework.test import APIClient

from games import rules
from games.models import Guess, Player, Room, RoomEvent

pytestmark = pytest.mark.django_db

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
    "actions",
    "created_at",
    "started_at",
    "finished_at",
}
PLAYER_KEYS = {"username", "status", "guesses_used", "solved_at", "place"}
GUESS_RESULT_KEYS = {"number", "guess", "exact", "misplaced", "solved", "remaining", "version"}


# --- helpers -------------------------------------------------------------------


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


def secret_of(code: str) -> list[int]:
    return Room.objects.get(code=code).secret


def wrong_guess(code: str) -> list[int]:
    """A valid guess that is not the secret: every peg shifted by one colour."""
    room = Room.objects.get(code=code)
    return [(peg + 1) % room.colors for peg in room.secret]


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


# --- fixtures ------------------------------------------------------------------


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


# --- list ----------------------------------------------------------------------


def test_list_without_token_is_401(anon_api):
    assert anon_api.get(ROOMS).status_code == 401


def test_list_returns_rooms_in_the_room_shape(alice_api, race):
    response = alice_api.get(ROOMS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"next", "previous", "results"}
    [room] = body["results"]
    assert set(room) == ROOM_KEYS
    assert room["code"] == race
    assert all(set(p) >= PLAYER_KEYS for p in room["players"])


def test_list_is_newest_first_by_default(alice_api):
    made = [create(alice_api, mode="race")["code"] for _ in range(3)]
    assert codes(alice_api.get(ROOMS)) == made[::-1]


def test_list_next_link_pages_without_overlap(alice_api):
    made = {create(alice_api, mode="race")["code"] for _ in range(5)}
    seen, pages = [], 0
    response = alice_api.get(ROOMS, {"page_size": 2})
    while True:
        page = codes(response)
        assert len(page) <= 2
        seen += page
        pages += 1
        link = response.json()["next"]
        if link is None:
            break
        response = alice_api.get(link)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == made


def test_list_previous_link_returns_the_earlier_page(alice_api):
    for _ in range(4):
        create(alice_api, mode="race")
    first = alice_api.get(ROOMS, {"page_size": 2})
    second = alice_api.get(first.json()["next"])
    back = alice_api.get(second.json()["previous"])
    assert codes(back) == codes(first)


def test_list_filters_by_status(alice_api, race, solo):
    assert codes(alice_api.get(ROOMS, {"status": "playing"})) == [solo]
    assert codes(alice_api.get(ROOMS, {"status": "waiting"})) == [race]


def test_list_filters_by_mode(alice_api, race, solo, duel):
    assert codes(alice_api.get(ROOMS, {"mode": "duel"})) == [duel]
    assert codes(alice_api.get(ROOMS, {"mode": "race"})) == [race]


def test_list_joinable_shows_only_waiting_rooms_with_a_free_seat(alice_api, race, solo, duel):
    open_coop = create(alice_api, mode="coop")["code"]
    # The duel is full (2 of 2); the solo room is playing.
    assert set(codes(alice_api.get(ROOMS, {"joinable": "true"}))) == {race, open_coop}


@pytest.mark.parametrize("term", ["friday", "FRIDAY RACE"], ids=["part", "whole-other-case"])
def test_list_search_matches_name(alice_api, race, solo, term):
    assert codes(alice_api.get(ROOMS, {"search": term})) == [race]


def test_list_search_matches_code_case_insensitively(alice_api, race, solo):
    assert codes(alice_api.get(ROOMS, {"search": race.lower()})) == [race]


def test_list_search_matches_owner(alice_api, bob_api, race):
    bobs = create(bob_api, mode="coop", name="Team")["code"]
    assert codes(alice_api.get(ROOMS, {"search": "bob"})) == [bobs]


def test_list_mine_shows_only_rooms_i_play_in(alice_api, carol_api, race):
    carols = create(carol_api, mode="race")["code"]
    assert codes(carol_api.get(ROOMS, {"mine": "true"})) == [carols]
    assert codes(alice_api.get(ROOMS, {"mine": "true"})) == [race]


def test_list_orders_by_name(alice_api):
    for name in ("Bravo", "Charlie", "Alpha"):
        create(alice_api, mode="race", name=name)
    names = [room["name"] for room in alice_api.get(ROOMS, {"ordering": "name"}).json()["results"]]
    assert names == ["Alpha", "Bravo", "Charlie"]


def test_list_orders_by_name_across_pages(alice_api):
    for name in ("Delta", "Bravo", "Echo", "Charlie", "Alpha"):
        create(alice_api, mode="race", name=name)
    response = alice_api.get(ROOMS, {"ordering": "name", "page_size": 2})
    names = []
    while response is not None:
        names += [room["name"] for room in response.json()["results"]]
        link = response.json()["next"]
        response = alice_api.get(link) if link else None
    assert names == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def test_list_orders_by_newest_created(alice_api):
    made = [create(alice_api, mode="race")["code"] for _ in range(3)]
    assert codes(alice_api.get(ROOMS, {"ordering": "-created_at"})) == made[::-1]
    assert codes(alice_api.get(ROOMS, {"ordering": "created_at"})) == made


def test_list_hides_private_rooms_from_others(alice_api, carol_api):
    private = create(alice_api, mode="race", private=True)["code"]
    public = create(alice_api, mode="race")["code"]
    assert codes(carol_api.get(ROOMS)) == [public]
    assert codes(carol_api.get(ROOMS, {"search": private})) == []
    assert codes(carol_api.get(ROOMS, {"mine": "true"})) == []


def test_list_mine_shows_private_rooms_to_their_players(alice_api, bob_api):
    private = create(alice_api, mode="race", private=True)["code"]
    call(bob_api, private, "join")
    assert codes(alice_api.get(ROOMS, {"mine": "true"})) == [private]
    assert codes(bob_api.get(ROOMS, {"mine": "true"})) == [private]


@pytest.mark.parametrize(
    "params",
    [{"status": "bogus"}, {"mode": "chess"}, {"joinable": "maybe"}, {"mine": "yes"}],
    ids=["status", "mode", "joinable", "mine"],
)
def test_list_with_invalid_filter_value_is_400(alice_api, params):
    response = alice_api.get(ROOMS, params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


# --- create --------------------------------------------------------------------


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


# --- retrieve --------------------------------------------------------------------


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


# --- destroy ---------------------------------------------------------------------


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


# --- join ------------------------------------------------------------------------


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
    with unchanged(duel):
        response = post(carol_api, url(duel, "join"))
    assert response.status_code == 409
    assert "detail" in response.json()


def test_join_twice_is_409(bob_api, race):
    with unchanged(race):
        response = post(bob_api, url(race, "join"))
    assert response.status_code == 409


def test_owner_joining_own_room_is_409(alice_api, race):
    with unchanged(race):
        assert post(alice_api, url(race, "join")).status_code == 409


def test_join_started_room_is_409(carol_api, started_race):
    with unchanged(started_race):
        response = post(carol_api, url(started_race, "join"))
    assert response.status_code == 409


@pytest.mark.parametrize("code", ["ZZZZZZ", "%00"])
def test_join_unknown_room_is_404(bob_api, code):
    response = post(bob_api, url(code, "join"))
    assert response.status_code == 404
    assert "detail" in response.json()


def test_join_with_a_body_is_400(carol_api, race):
    with unchanged(race):
        response = post(carol_api, url(race, "join"), {"seat": 2})
    assert response.status_code == 400


# --- leave -----------------------------------------------------------------------


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
    with unchanged(race):
        response = post(carol_api, url(race, "leave"))
    assert response.status_code == 403


def test_leave_finished_room_is_409(alice_api, finished_race):
    with unchanged(finished_race):
        assert post(alice_api, url(finished_race, "leave")).status_code == 409


def test_leave_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "leave")).status_code == 404


# --- start -----------------------------------------------------------------------


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
    with unchanged(race):
        assert post(bob_api, url(race, "start")).status_code == 403


def test_start_by_outsider_is_403(carol_api, race):
    with unchanged(race):
        assert post(carol_api, url(race, "start")).status_code == 403


def test_start_with_too_few_players_is_409(alice_api):
    code = create(alice_api, mode="coop")["code"]
    with unchanged(code):
        response = post(alice_api, url(code, "start"))
    assert response.status_code == 409
    assert "detail" in response.json()


def test_start_duel_before_the_secret_is_set_is_409(alice_api, duel):
    with unchanged(duel):
        assert post(alice_api, url(duel, "start")).status_code == 409


def test_start_duel_once_the_secret_is_set(alice_api, duel):
    call(alice_api, duel, "secret", {"secret": [0, 1, 2, 3]})
    room = call(alice_api, duel, "start")
    assert room["status"] == "playing"
    assert secret_of(duel) == [0, 1, 2, 3]


def test_start_twice_is_409(alice_api, started_race):
    with unchanged(started_race):
        assert post(alice_api, url(started_race, "start")).status_code == 409


def test_start_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "start")).status_code == 404


# --- secret (duel) ---------------------------------------------------------------


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
    with unchanged(duel):
        assert post(bob_api, url(duel, "secret"), {"secret": [0, 1, 2, 3]}).status_code == 403


def test_secret_in_a_non_duel_room_is_403(alice_api, race):
    with unchanged(race):
        assert post(alice_api, url(race, "secret"), {"secret": [0, 1, 2, 3]}).status_code == 403


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
    with unchanged(duel):
        response = post(alice_api, url(duel, "secret"), {"secret": secret})
    assert response.status_code == 400


def test_secret_repeating_a_colour_without_duplicates_is_400(alice_api, bob_api):
    code = create(alice_api, mode="duel", allow_duplicates=False)["code"]
    call(bob_api, code, "join")
    with unchanged(code):
        response = post(alice_api, url(code, "secret"), {"secret": [0, 1, 1, 2]})
    assert response.status_code == 400


def test_secret_with_unknown_field_is_400(alice_api, duel):
    with unchanged(duel):
        response = post(alice_api, url(duel, "secret"), {"secret": [0, 1, 2, 3], "hint": "easy"})
    assert response.status_code == 400
    assert "hint" in response.json()["errors"]


# --- guesses: GET ----------------------------------------------------------------


def test_guesses_are_listed_oldest_first(alice_api, bob_api):
    code = create(alice_api, mode="coop")["code"]
    call(bob_api, code, "join")
    call(alice_api, code, "start")
    wrong = wrong_guess(code)
    guess(alice_api, code, wrong)
    guess(bob_api, code, wrong)
    guess(alice_api, code, wrong)
    response = bob_api.get(url(code, "guesses"))
    assert response.status_code == 200
    rows = response.json()
    assert [(row["number"], row["username"]) for row in rows] == [(1, "alice"), (2, "bob"), (3, "alice")]
    assert all(row["guess"] == wrong for row in rows)
    score = rules.score(secret_of(code), wrong)
    assert all((row["exact"], row["misplaced"]) == score for row in rows)


def test_guesses_of_a_new_game_are_empty(alice_api, solo):
    response = alice_api.get(url(solo, "guesses"))
    assert response.status_code == 200
    assert response.json() == []


def test_race_rivals_see_feedback_but_not_colours(alice_api, bob_api, carol_api, started_race):
    wrong = wrong_guess(started_race)
    guess(alice_api, started_race, wrong)
    [own] = alice_api.get(url(started_race, "guesses")).json()
    [rival] = bob_api.get(url(started_race, "guesses")).json()
    [spectated] = carol_api.get(url(started_race, "guesses")).json()
    assert own["guess"] == wrong
    assert rival["guess"] is None
    assert spectated["guess"] is None
    assert (rival["number"], rival["exact"], rival["misplaced"]) == (
        own["number"],
        own["exact"],
        own["misplaced"],
    )


def test_guesses_of_a_private_room_one_is_not_in_are_404(alice_api, carol_api):
    code = create(alice_api, mode="solo", private=True)["code"]
    assert carol_api.get(url(code, "guesses")).status_code == 404


def test_guesses_of_unknown_room_are_404(alice_api):
    assert alice_api.get(url("ZZZZZZ", "guesses")).status_code == 404


# --- guesses: POST ---------------------------------------------------------------


def test_guess_returns_201_with_feedback(alice_api, solo):
    wrong = wrong_guess(solo)
    version = Room.objects.get(code=solo).version
    response = post(alice_api, url(solo, "guesses"), {"guess": wrong})
    assert response.status_code == 201
    result = response.json()
    exact, misplaced = rules.score(secret_of(solo), wrong)
    assert result == {
        "number": 1,
        "guess": wrong,
        "exact": exact,
        "misplaced": misplaced,
        "solved": False,
        "remaining": 9,
        "version": version + 1,
    }
    assert Room.objects.get(code=solo).version == version + 1
    assert Guess.objects.filter(room__code=solo).count() == 1


def test_solving_guess_finishes_a_solo_game_and_reveals_the_secret(alice_api, solo):
    secret = secret_of(solo)
    result = guess(alice_api, solo, secret)
    assert set(result) == GUESS_RESULT_KEYS
    assert (result["exact"], result["misplaced"], result["solved"]) == (4, 0, True)
    room = alice_api.get(url(solo)).json()
    assert room["status"] == "finished"
    assert room["winner"] == "alice"
    assert room["secret"] == secret
    assert room["version"] == result["version"] + 1  # then game_finished
    assert players(room) == {"alice": "solved"}


def test_guess_numbers_and_remaining_count_down(alice_api, solo):
    wrong = wrong_guess(solo)
    first = guess(alice_api, solo, wrong)
    second = guess(alice_api, solo, wrong)
    assert (first["number"], first["remaining"]) == (1, 9)
    assert (second["number"], second["remaining"]) == (2, 8)
    assert second["version"] == first["version"] + 1


def test_guess_looks_up_the_code_case_insensitively(alice_api, solo):
    guess(alice_api, solo.lower(), wrong_guess(solo))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"guess": [0, 1, 2]}, id="too-short"),
        pytest.param({"guess": [0, 1, 2, 3, 4]}, id="too-long"),
        pytest.param({"guess": [0, 1, 2, 3, 4, 5, 0, 1, 2]}, id="longer-than-any-code"),
        pytest.param({"guess": []}, id="empty"),
        pytest.param({"guess": [0, 1, 2, 6]}, id="colour-out-of-range"),
        pytest.param({"guess": [0, 1, 2, -1]}, id="negative-colour"),
        pytest.param({"guess": [0, 1, 2, "3"]}, id="string-element"),
        pytest.param({"guess": [0, 1, 2, True]}, id="boolean-element"),
        pytest.param({"guess": [0, 1, 2, 3.0]}, id="float-element"),
        pytest.param({"guess": [0, 1, 2, None]}, id="null-element"),
        pytest.param({"guess": [0, 1, 2, [3]]}, id="nested-list"),
        pytest.param({"guess": "0123"}, id="string-not-a-list"),
        pytest.param({"guess": 123}, id="number-not-a-list"),
        pytest.param({"guess": {"0": 1}}, id="object-not-a-list"),
        pytest.param({"guess": None}, id="null"),
        pytest.param({"guess": [0, 1, 2, 3], "player": "bob"}, id="unknown-field"),
        pytest.param({}, id="missing-guess"),
        pytest.param([0, 1, 2, 3], id="body-is-a-list"),
    ],
)
def test_bad_guess_is_400_and_stores_nothing(alice_api, solo, data):
    with unchanged(solo):
        response = post(alice_api, url(solo, "guesses"), data)
    assert response.status_code == 400


def test_guess_repeating_a_colour_without_duplicates_is_400(alice_api):
    code = create(alice_api, mode="solo", allow_duplicates=False)["code"]
    with unchanged(code):
        response = post(alice_api, url(code, "guesses"), {"guess": [0, 1, 1, 2]})
    assert response.status_code == 400
    assert "detail" in response.json()


def test_bad_guess_error_does_not_reveal_the_secret(alice_api):
    code = create(alice_api, mode="solo", code_length=2, colors=2)["code"]
    response = post(alice_api, url(code, "guesses"), {"guess": [0, 1, 0]})
    assert response.status_code == 400
    assert "secret" not in response.content.decode().lower()


def test_guess_by_spectator_is_403(carol_api, started_race):
    with unchanged(started_race):
        response = post(carol_api, url(started_race, "guesses"), {"guess": [0, 1, 2, 3]})
    assert response.status_code == 403
    assert "detail" in response.json()


def test_guess_in_private_room_by_outsider_is_404(alice_api, carol_api):
    code = create(alice_api, mode="solo", private=True)["code"]
    with unchanged(code):
        assert post(carol_api, url(code, "guesses"), {"guess": [0, 1, 2, 3]}).status_code == 404


def test_guess_by_duel_codemaker_is_403(alice_api, started_duel):
    with unchanged(started_duel):
        response = post(alice_api, url(started_duel, "guesses"), {"guess": [0, 1, 2, 3]})
    assert response.status_code == 403


def test_duel_codebreaker_guesses_and_codemaker_sees_them(alice_api, bob_api, started_duel):
    result = guess(bob_api, started_duel, [1, 2, 3, 0])
    assert (result["exact"], result["misplaced"]) == (3, 0)
    [row] = alice_api.get(url(started_duel, "guesses")).json()
    assert row["guess"] == [1, 2, 3, 0]


def test_guess_before_start_is_409(alice_api, race):
    with unchanged(race):
        response = post(alice_api, url(race, "guesses"), {"guess": [0, 1, 2, 3]})
    assert response.status_code == 409
    assert "detail" in response.json()


def test_guess_after_finish_is_409(alice_api, solo):
    guess(alice_api, solo, secret_of(solo))
    with unchanged(solo):
        response = post(alice_api, url(solo, "guesses"), {"guess": [0, 1, 2, 3]})
    assert response.status_code == 409


def test_guess_after_solving_in_a_race_is_409(alice_api, bob_api, started_race):
    guess(alice_api, started_race, secret_of(started_race))
    assert bob_api.get(url(started_race)).json()["status"] == "playing"
    with unchanged(started_race):
        response = post(alice_api, url(started_race, "guesses"), {"guess": wrong_guess(started_race)})
    assert response.status_code == 409


def test_guess_with_no_guesses_left_in_a_race_is_409(alice_api, bob_api):
    code = create(alice_api, mode="race", max_guesses=1)["code"]
    call(bob_api, code, "join")
    call(alice_api, code, "start")
    assert guess(alice_api, code, wrong_guess(code))["remaining"] == 0
    assert players(alice_api.get(url(code)).json()) == {"alice": "out", "bob": "playing"}
    with unchanged(code):
        assert post(alice_api, url(code, "guesses"), {"guess": wrong_guess(code)}).status_code == 409


def test_guess_after_leaving_is_409(alice_api, started_race):
    call(alice_api, started_race, "leave")
    with unchanged(started_race):
        assert post(alice_api, url(started_race, "guesses"), {"guess": [0, 1, 2, 3]}).status_code == 409


def test_coop_game_is_lost_when_the_shared_budget_is_spent(alice_api, bob_api):
    code = create(alice_api, mode="coop", max_guesses=2)["code"]
    call(bob_api, code, "join")
    call(alice_api, code, "start")
    guess(alice_api, code, wrong_guess(code))
    assert guess(bob_api, code, wrong_guess(code))["remaining"] == 0
    room = alice_api.get(url(code)).json()
    assert room["status"] == "finished"
    assert room["winner"] is None
    with unchanged(code):
        assert post(alice_api, url(code, "guesses"), {"guess": [0, 1, 2, 3]}).status_code == 409


def test_guess_in_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "guesses"), {"guess": [0, 1, 2, 3]}).status_code == 404


def test_guess_without_token_is_401(anon_api, solo):
    with unchanged(solo):
        assert post(anon_api, url(solo, "guesses"), {"guess": [0, 1, 2, 3]}).status_code == 401


# --- quick play ------------------------------------------------------------------


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


# --- rematch ---------------------------------------------------------------------


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


# --- leaderboard -----------------------------------------------------------------


def play_solo(client: APIClient, *, wrong_first: int = 0, win: bool = True) -> None:
    code = post(client, QUICK_PLAY, {"max_guesses": wrong_first + 1}).json()["code"]
    for _ in range(wrong_first):
        guess(client, code, wrong_guess(code))
    guess(client, code, secret_of(code) if win else wrong_guess(code))
    assert Room.objects.get(code=code).status == Room.Status.FINISHED


def test_leaderboard_needs_no_token(anon_api):
    response = anon_api.get(LEADERBOARD)
    assert response.status_code == 200
    assert response.json() == []


def test_leaderboard_orders_players_by_wins(anon_api, alice_api, bob_api, carol_api, client_for, dave):
    play_solo(alice_api, wrong_first=2)
    play_solo(alice_api, wrong_first=2)
    play_solo(bob_api)  # fewer guesses, but fewer wins
    play_solo(carol_api, win=False)
    client_for(dave).post(QUICK_PLAY, {}, format="json")  # still playing: not counted
    response = anon_api.get(LEADERBOARD)
    assert response.status_code == 200
    assert response.json() == [
        {"username": "alice", "wins": 2, "hinted_wins": 0, "games": 2, "avg_guesses": 3.0},
        {"username": "bob", "wins": 1, "hinted_wins": 0, "games": 1, "avg_guesses": 1.0},
        {"username": "carol", "wins": 0, "hinted_wins": 0, "games": 1, "avg_guesses": None},
    ]


# --- idempotency ------------------------------------------------------------------


def test_guess_retried_with_the_same_idempotency_key_is_stored_once(alice_api, alice):
    room = alice_api.post(QUICK_PLAY, {}, format="json").json()
    url = f"{ROOMS}{room['code']}/guesses/"
    first = alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    again = alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Guess.objects.filter(room__code=room["code"]).count() == 1
    assert Room.objects.get(code=room["code"]).version == first.json()["version"]


def test_idempotency_key_reused_for_another_guess_is_400(alice_api):
    room = alice_api.post(QUICK_PLAY, {}, format="json").json()
    url = f"{ROOMS}{room['code']}/guesses/"
    alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    response = alice_api.post(url, {"guess": [3, 2, 1, 0]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert Guess.objects.filter(room__code=room["code"]).count() == 1


def test_idempotency_key_over_64_characters_is_400(alice_api):
    room = alice_api.post(QUICK_PLAY, {}, format="json").json()
    response = alice_api.post(
        f"{ROOMS}{room['code']}/guesses/",
        {"guess": [0, 1, 2, 3]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k" * 65,
    )
    assert response.status_code == 400
    assert not Guess.objects.filter(room__code=room["code"]).exists()
