"""Every mode played to the end through the REST API, as a client sees it.

The tests read a room's secret from the database only to steer their guesses;
everything asserted is what the API returns. After every call that returns a
room, the room's event log is checked: one RoomEvent per version, 1..N.
"""

import pytest

from games.models import Room, RoomEvent
from games.tests.factories import secret_of, wrong_guess

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


# --- helpers -------------------------------------------------------------------


def assert_log_matches(code: str, version: int) -> None:
    """The room's version equals its number of events, numbered 1..N without gaps."""
    versions = list(
        RoomEvent.objects.filter(room__code=code).order_by("version").values_list("version", flat=True)
    )
    assert versions == list(range(1, version + 1))
    assert Room.objects.get(code=code).version == version


def room_call(api, method: str, path: str, data=None, status: int = 200) -> dict:
    response = getattr(api, method)(path, data, format="json")
    assert response.status_code == status, response.content
    room = response.json()
    assert_log_matches(room["code"], room["version"])
    return room


def create(api, mode: str, **settings) -> dict:
    return room_call(api, "post", ROOMS, {"mode": mode, **settings}, status=201)


def quick_play(api, **settings) -> dict:
    return room_call(api, "post", "/api/v1/quick-play/", settings, status=201)


def join(api, code: str) -> dict:
    return room_call(api, "post", f"{ROOMS}{code}/join/")


def start(api, code: str) -> dict:
    return room_call(api, "post", f"{ROOMS}{code}/start/")


def leave(api, code: str) -> dict:
    return room_call(api, "post", f"{ROOMS}{code}/leave/")


def set_secret(api, code: str, secret: list[int]) -> dict:
    return room_call(api, "post", f"{ROOMS}{code}/secret/", {"secret": secret})


def get_room(api, code: str) -> dict:
    return room_call(api, "get", f"{ROOMS}{code}/")


def guesses(api, code: str) -> list[dict]:
    response = api.get(f"{ROOMS}{code}/guesses/")
    assert response.status_code == 200, response.content
    return response.json()


def guess(api, code: str, code_guess: list[int]) -> dict:
    """Post a guess; check the 201's version against the event log."""
    response = api.post(f"{ROOMS}{code}/guesses/", {"guess": code_guess}, format="json")
    assert response.status_code == 201, response.content
    result = response.json()
    room = Room.objects.get(code=code)
    kinds = dict(RoomEvent.objects.filter(room=room).values_list("version", "kind"))
    assert kinds[result["version"]] == "guess"
    if room.status == Room.Status.FINISHED:
        # A finishing guess: `guess` at N (the 201's version), then `game_finished` at N+1.
        assert room.version == result["version"] + 1
        assert kinds[room.version] == "game_finished"
    else:
        assert room.version == result["version"]
    assert_log_matches(code, room.version)
    return result


def players(room: dict) -> dict[str, dict]:
    return {p["username"]: p for p in room["players"]}


def started_room(owner_api, joiner_apis, mode: str, **settings) -> str:
    code = create(owner_api, mode, **settings)["code"]
    for api in joiner_apis:
        join(api, code)
    start(owner_api, code)
    return code


def started_duel(alice_api, bob_api, secret: list[int], **settings) -> str:
    code = create(alice_api, "duel", **settings)["code"]
    join(bob_api, code)
    set_secret(alice_api, code, secret)
    start(alice_api, code)
    return code


# --- solo ------------------------------------------------------------------------


def test_solo_quick_play_solved(alice_api):
    room = quick_play(alice_api)
    code = room["code"]
    assert room["mode"] == "solo"
    assert room["status"] == "playing"
    assert room["secret"] is None

    first = guess(alice_api, code, wrong_guess(code))
    assert (first["number"], first["solved"], first["remaining"]) == (1, False, 9)
    last = guess(alice_api, code, secret_of(code))
    assert (last["number"], last["solved"], last["remaining"]) == (2, True, 8)
    assert last["exact"] == 4 and last["misplaced"] == 0

    room = get_room(alice_api, code)
    assert room["status"] == "finished"
    assert room["winner"] == "alice"
    assert room["secret"] == secret_of(code)
    assert room["finished_at"] is not None
    me = players(room)["alice"]
    assert (me["status"], me["place"], me["guesses_used"]) == ("solved", 1, 2)
    assert me["solved_at"] is not None


def test_solo_lost_when_max_guesses_run_out(alice_api):
    code = quick_play(alice_api, max_guesses=2)["code"]
    guess(alice_api, code, wrong_guess(code, shift=1))
    last = guess(alice_api, code, wrong_guess(code, shift=2))
    assert (last["number"], last["solved"], last["remaining"]) == (2, False, 0)

    room = get_room(alice_api, code)
    assert room["status"] == "finished"
    assert room["winner"] is None
    assert room["secret"] == secret_of(code)
    me = players(room)["alice"]
    assert (me["status"], me["place"]) == ("out", None)

    response = alice_api.post(f"{ROOMS}{code}/guesses/", {"guess": secret_of(code)}, format="json")
    assert response.status_code == 409


# --- coop ------------------------------------------------------------------------


def test_coop_shared_board_numbering_and_full_visibility(alice_api, bob_api, carol_api):
    code = started_room(alice_api, [bob_api, carol_api], "coop")
    numbers = [
        guess(alice_api, code, wrong_guess(code, shift=1))["number"],
        guess(bob_api, code, wrong_guess(code, shift=2))["number"],
        guess(carol_api, code, wrong_guess(code, shift=3))["number"],
    ]
    assert numbers == [1, 2, 3]

    expected = [
        (1, "alice", wrong_guess(code, shift=1)),
        (2, "bob", wrong_guess(code, shift=2)),
        (3, "carol", wrong_guess(code, shift=3)),
    ]
    for api in (alice_api, bob_api, carol_api):
        seen = [(g["number"], g["username"], g["guess"]) for g in guesses(api, code)]
        assert seen == expected
    room = get_room(bob_api, code)
    assert room["status"] == "playing"
    assert room["secret"] is None


def test_coop_solved_by_one_solves_everyone(alice_api, bob_api, carol_api):
    code = started_room(alice_api, [bob_api, carol_api], "coop")
    guess(alice_api, code, wrong_guess(code))
    result = guess(bob_api, code, secret_of(code))
    assert (result["number"], result["solved"]) == (2, True)

    for api in (alice_api, bob_api, carol_api):
        room = get_room(api, code)
        assert room["status"] == "finished"
        assert room["winner"] == "bob"
        assert room["secret"] == secret_of(code)
        assert {p["status"] for p in room["players"]} == {"solved"}

    response = carol_api.post(f"{ROOMS}{code}/guesses/", {"guess": secret_of(code)}, format="json")
    assert response.status_code == 409


def test_coop_lost_when_shared_budget_is_spent(alice_api, bob_api, carol_api):
    code = started_room(alice_api, [bob_api, carol_api], "coop", max_guesses=3)
    guess(alice_api, code, wrong_guess(code, shift=1))
    guess(bob_api, code, wrong_guess(code, shift=2))
    # Carol has not guessed herself: the budget is the team's, not hers.
    last = guess(carol_api, code, wrong_guess(code, shift=3))
    assert (last["number"], last["remaining"], last["solved"]) == (3, 0, False)

    room = get_room(carol_api, code)
    assert room["status"] == "finished"
    assert room["winner"] is None
    assert room["secret"] == secret_of(code)
    assert {p["status"] for p in room["players"]} == {"out"}


# --- race ------------------------------------------------------------------------


def test_race_own_boards_places_and_finish(alice_api, bob_api, carol_api, client_for, dave):
    dave_api = client_for(dave)
    code = started_room(alice_api, [bob_api, carol_api], "race", max_guesses=3)

    # Everyone numbers their own board from 1.
    assert guess(alice_api, code, wrong_guess(code, shift=1))["number"] == 1
    assert guess(bob_api, code, wrong_guess(code, shift=1))["number"] == 1
    assert guess(carol_api, code, wrong_guess(code, shift=1))["number"] == 1
    assert guess(alice_api, code, wrong_guess(code, shift=2))["number"] == 2

    # Bob solves first: 1st place and the winner, but the race goes on.
    result = guess(bob_api, code, secret_of(code))
    assert (result["number"], result["solved"], result["remaining"]) == (2, True, 1)
    assert (result["exact"], result["misplaced"]) == (4, 0)
    room = get_room(alice_api, code)
    assert room["status"] == "playing"
    assert room["winner"] == "bob"
    assert room["secret"] is None
    assert (players(room)["bob"]["status"], players(room)["bob"]["place"]) == ("solved", 1)

    # Alice solves second.
    assert guess(alice_api, code, secret_of(code))["number"] == 3
    room = get_room(carol_api, code)
    assert room["status"] == "playing"
    assert (players(room)["alice"]["status"], players(room)["alice"]["place"]) == ("solved", 2)

    # Carol runs out: she is out with no place, and that was the last one playing.
    guess(carol_api, code, wrong_guess(code, shift=2))
    last = guess(carol_api, code, wrong_guess(code, shift=3))
    assert (last["number"], last["remaining"], last["solved"]) == (3, 0, False)

    for api in (alice_api, bob_api, carol_api, dave_api):
        room = get_room(api, code)
        assert room["status"] == "finished"
        assert room["winner"] == "bob"
        assert room["secret"] == secret_of(code)
        by_name = players(room)
        assert (by_name["bob"]["status"], by_name["bob"]["place"]) == ("solved", 1)
        assert (by_name["alice"]["status"], by_name["alice"]["place"]) == ("solved", 2)
        assert (by_name["carol"]["status"], by_name["carol"]["place"]) == ("out", None)


def test_race_hides_opponent_colours_until_the_finish(alice_api, bob_api, carol_api, client_for, dave):
    dave_api = client_for(dave)
    code = started_room(alice_api, [bob_api, carol_api], "race", max_guesses=2)
    mine = {
        "alice": wrong_guess(code, shift=1),
        "bob": wrong_guess(code, shift=2),
        "carol": wrong_guess(code, shift=3),
    }
    feedback = {}
    for name, api in (("alice", alice_api), ("bob", bob_api), ("carol", carol_api)):
        result = guess(api, code, mine[name])
        assert result["guess"] == mine[name]
        feedback[name] = (result["exact"], result["misplaced"])

    viewers = {"alice": alice_api, "bob": bob_api, "carol": carol_api, "dave": dave_api}
    for viewer, api in viewers.items():
        for item in guesses(api, code):
            owner = item["username"]
            assert item["number"] == 1
            assert (item["exact"], item["misplaced"]) == feedback[owner]
            assert item["guess"] == (mine[owner] if owner == viewer else None)

    # Everyone runs out; now every viewer sees every colour and the secret.
    for api in (alice_api, bob_api, carol_api):
        guess(api, code, wrong_guess(code, shift=4))
    for api in viewers.values():
        assert get_room(api, code)["secret"] == secret_of(code)
        items = guesses(api, code)
        assert len(items) == 6
        assert all(item["guess"] is not None for item in items)
        assert [i["guess"] for i in items if i["number"] == 1] == [mine["alice"], mine["bob"], mine["carol"]]


# --- duel ------------------------------------------------------------------------


def test_duel_codebreaker_cracks_the_code_and_wins(alice_api, bob_api):
    code = create(alice_api, "duel")["code"]
    room = join(bob_api, code)
    assert room["owner"] == "alice"
    assert {p["username"]: p["role"] for p in room["players"]} == {"alice": "codemaker", "bob": "codebreaker"}
    room = set_secret(alice_api, code, [5, 4, 3, 2])
    assert room["secret"] == [5, 4, 3, 2]
    room = start(alice_api, code)
    assert room["status"] == "playing"

    assert guess(bob_api, code, [0, 1, 2, 3])["number"] == 1
    # The codemaker watches every guess in full.
    assert [g["guess"] for g in guesses(alice_api, code)] == [[0, 1, 2, 3]]
    last = guess(bob_api, code, [5, 4, 3, 2])
    assert (last["number"], last["solved"]) == (2, True)

    for api in (alice_api, bob_api):
        room = get_room(api, code)
        assert room["status"] == "finished"
        assert room["winner"] == "bob"
        assert room["secret"] == [5, 4, 3, 2]
        assert players(room)["bob"]["place"] == 1


def test_duel_budget_runs_out_and_codemaker_wins(alice_api, bob_api):
    code = started_duel(alice_api, bob_api, [5, 4, 3, 2], max_guesses=2)
    guess(bob_api, code, [0, 1, 2, 3])
    last = guess(bob_api, code, [1, 1, 1, 1])
    assert (last["remaining"], last["solved"]) == (0, False)

    room = get_room(bob_api, code)
    assert room["status"] == "finished"
    assert room["winner"] == "alice"
    assert room["secret"] == [5, 4, 3, 2]
    assert players(room)["bob"]["status"] == "out"
    assert players(room)["alice"]["place"] == 1


def test_duel_codemaker_guessing_is_403(alice_api, bob_api):
    code = started_duel(alice_api, bob_api, [5, 4, 3, 2])
    version = get_room(alice_api, code)["version"]
    response = alice_api.post(f"{ROOMS}{code}/guesses/", {"guess": [5, 4, 3, 2]}, format="json")
    assert response.status_code == 403
    # A failed request changes nothing.
    assert get_room(alice_api, code)["version"] == version
    assert guesses(alice_api, code) == []


# --- leaving as a forfeit ----------------------------------------------------------


def test_race_leaver_forfeits_and_last_player_solving_finishes(alice_api, bob_api, carol_api):
    code = started_room(alice_api, [bob_api, carol_api], "race")
    guess(bob_api, code, wrong_guess(code))

    room = leave(bob_api, code)
    assert room["status"] == "playing"
    assert players(room)["bob"]["status"] == "left"
    room = leave(carol_api, code)
    assert room["status"] == "playing"
    assert players(room)["carol"]["status"] == "left"

    guess(alice_api, code, secret_of(code))
    room = get_room(bob_api, code)
    assert room["status"] == "finished"
    assert room["winner"] == "alice"
    by_name = players(room)
    assert (by_name["alice"]["status"], by_name["alice"]["place"]) == ("solved", 1)
    assert (by_name["bob"]["status"], by_name["bob"]["place"]) == ("left", None)
    assert (by_name["carol"]["status"], by_name["carol"]["place"]) == ("left", None)


def test_race_leaver_cannot_guess_afterwards(alice_api, bob_api):
    code = started_room(alice_api, [bob_api], "race")
    leave(bob_api, code)
    response = bob_api.post(f"{ROOMS}{code}/guesses/", {"guess": secret_of(code)}, format="json")
    assert response.status_code == 409


def test_duel_codebreaker_leaving_hands_the_win_to_the_codemaker(alice_api, bob_api):
    code = started_duel(alice_api, bob_api, [5, 4, 3, 2])
    guess(bob_api, code, [0, 1, 2, 3])
    room = leave(bob_api, code)
    assert room["status"] == "finished"
    assert room["winner"] == "alice"
    assert players(room)["bob"]["status"] == "left"
    assert get_room(alice_api, code)["winner"] == "alice"


def test_everyone_leaving_a_playing_coop_finishes_it(alice_api, bob_api, carol_api):
    code = started_room(alice_api, [bob_api, carol_api], "coop")
    guess(carol_api, code, wrong_guess(code))
    assert leave(alice_api, code)["status"] == "playing"
    assert leave(bob_api, code)["status"] == "playing"
    room = leave(carol_api, code)
    assert room["status"] == "finished"
    assert room["winner"] is None
    assert {p["status"] for p in room["players"]} == {"left"}
    assert room["secret"] == secret_of(code)


# --- rematch -----------------------------------------------------------------------


def test_rematch_after_a_race_is_a_new_waiting_room_owned_by_the_caller(alice_api, bob_api):
    settings = {"code_length": 5, "colors": 7, "max_guesses": 6, "allow_duplicates": False, "max_players": 3}
    code = started_room(alice_api, [bob_api], "race", name="Friday race", **settings)
    guess(alice_api, code, secret_of(code))
    leave(bob_api, code)
    old = get_room(bob_api, code)
    assert old["status"] == "finished"

    new = room_call(bob_api, "post", f"{ROOMS}{code}/rematch/", status=201)
    assert new["code"] != code
    assert new["status"] == "waiting"
    assert new["mode"] == "race"
    assert new["name"] == "Friday race"
    assert new["owner"] == "bob"
    assert new["settings"] == old["settings"]
    assert [(p["username"], p["status"]) for p in new["players"]] == [("bob", "waiting")]
    assert new["secret"] is None

    # The old room logged a `rematch` event carrying the new code.
    after = get_room(alice_api, code)
    assert after["version"] == old["version"] + 1
    event = RoomEvent.objects.get(room__code=code, version=after["version"])
    assert (event.kind, event.payload["code"]) == ("rematch", new["code"])

    # The new room is playable: alice joins and bob starts it.
    join(alice_api, new["code"])
    assert start(bob_api, new["code"])["status"] == "playing"


def test_rematch_of_a_solo_game_starts_at_once(alice_api):
    code = quick_play(alice_api, code_length=3, colors=5, max_guesses=4)["code"]
    guess(alice_api, code, secret_of(code))

    new = room_call(alice_api, "post", f"{ROOMS}{code}/rematch/", status=201)
    assert new["code"] != code
    assert new["mode"] == "solo"
    assert new["status"] == "playing"
    assert new["owner"] == "alice"
    assert new["secret"] is None
    assert new["settings"] == {
        "code_length": 3,
        "colors": 5,
        "max_guesses": 4,
        "allow_duplicates": True,
        "max_players": 1,
    }
    assert guess(alice_api, new["code"], secret_of(new["code"]))["solved"] is True


def test_rematch_before_the_finish_is_409(alice_api):
    code = quick_play(alice_api)["code"]
    response = alice_api.post(f"{ROOMS}{code}/rematch/", format="json")
    assert response.status_code == 409


# --- versions ----------------------------------------------------------------------


def test_versions_count_events_and_a_finishing_guess_makes_two(alice_api, bob_api):
    room = create(alice_api, "coop", max_guesses=5)
    code = room["code"]
    assert room["version"] == 0
    assert join(bob_api, code)["version"] == 1
    assert start(alice_api, code)["version"] == 2

    first = guess(bob_api, code, wrong_guess(code))
    assert first["version"] == 3
    assert get_room(alice_api, code)["version"] == 3

    last = guess(alice_api, code, secret_of(code))
    assert last["version"] == 4
    assert get_room(bob_api, code)["version"] == 5
    kinds = list(RoomEvent.objects.filter(room__code=code).order_by("version").values_list("kind", flat=True))
    assert kinds == ["player_joined", "game_started", "guess", "guess", "game_finished"]


def test_failed_requests_do_not_bump_the_version(alice_api, bob_api, carol_api):
    code = started_room(alice_api, [bob_api], "race", max_players=2)
    version = get_room(alice_api, code)["version"]
    failures = [
        (carol_api.post(f"{ROOMS}{code}/join/", format="json"), 409),
        (carol_api.post(f"{ROOMS}{code}/guesses/", {"guess": [0, 0, 0, 0]}, format="json"), 403),
        (bob_api.post(f"{ROOMS}{code}/guesses/", {"guess": [0, 0, 0]}, format="json"), 400),
        (bob_api.post(f"{ROOMS}{code}/start/", format="json"), 403),
        (alice_api.post(f"{ROOMS}{code}/start/", format="json"), 409),
        (alice_api.post(f"{ROOMS}{code}/rematch/", format="json"), 409),
    ]
    assert [r.status_code for r, _ in failures] == [status for _, status in failures]
    assert get_room(alice_api, code)["version"] == version
