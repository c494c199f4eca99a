"""GET /api/v1/rooms/: the room list, its filters, search, order and pages (SPEC §3)."""

import pytest

from games.tests.api import PLAYER_KEYS, ROOM_KEYS, ROOMS, call, codes, create

pytestmark = pytest.mark.django_db


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


def test_list_joinable_counts_every_seat_with_mine_and_search_beside_it(alice_api, bob_api, race, duel):
    """A full room is not joinable whichever filters join the players table beside it (bob plays in all)."""
    open_duel = create(bob_api, mode="duel")["code"]  # bob alone: a free seat
    cases = [  # extra filters, joinable rooms, full or started rooms
        ({}, {race, open_duel}, {duel}),
        ({"mine": "true"}, {race, open_duel}, {duel}),
        ({"search": "bob"}, {open_duel}, set()),  # bob owns only that one
        ({"mine": "true", "search": "alice"}, {race}, {duel}),
    ]
    for extra, joinable, not_joinable in cases:
        assert set(codes(bob_api.get(ROOMS, {"joinable": "true", **extra}))) == joinable, extra
        assert set(codes(bob_api.get(ROOMS, {"joinable": "false", **extra}))) == not_joinable, extra


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
