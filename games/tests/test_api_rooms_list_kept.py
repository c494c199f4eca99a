"""GET /api/v1/rooms/ renders each room once per version and viewer kind (games/api/room_list.py).

What a client sees must not depend on whether a room came from this
process's kept renderings or from the database: each list entry equals the
room's own GET /rooms/{code}/ for the same viewer, on a first read and on
a second, and changes the moment the room, or a name in it, does.
"""

import pytest

from accounts import services as account_services
from games.tests.api import ROOMS, call, url
from games.tests.factories import make_room, submit_guess

pytestmark = pytest.mark.django_db


def listed(api) -> dict[str, dict]:
    response = api.get(ROOMS, {"page_size": 50})
    assert response.status_code == 200, response.content
    return {room["code"]: room for room in response.json()["results"]}


def detail(api, code: str) -> dict:
    response = api.get(url(code))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def rooms_in_every_state(alice, bob, carol):
    """Rooms of every mode and state, alice in all, bob in some, carol in none."""
    return [
        make_room(alice, "race"),
        make_room(alice, "race", "playing", join=[bob], wrong_guesses=1),
        make_room(alice, "race", "finished", join=[bob], wrong_guesses=1),
        make_room(alice, "coop", "playing", join=[bob], wrong_guesses=2),
        make_room(alice, "duel"),
        make_room(alice, "duel", "playing", join=[bob], wrong_guesses=1),  # alice knows the secret
        make_room(alice, "duel", "finished", join=[bob]),
        make_room(alice, "quick"),
        make_room(alice, "race", "abandoned", join=[bob]),
        make_room(alice, "race", private=True),
        make_room(bob, "race", private=True),  # not alice's
        make_room(alice, "race", "finished", join=[bob]),  # rematch asked below
    ]


@pytest.mark.parametrize("viewer", ["alice", "bob", "carol"])
def test_each_entry_is_the_rooms_own_page_for_that_viewer_first_and_second_time(
    viewer, rooms_in_every_state, client_for, request
):
    api = client_for(request.getfixturevalue(viewer))
    bob_api = client_for(request.getfixturevalue("bob"))
    call(bob_api, rooms_in_every_state[-1].code, "rematch", expect=201)
    for _ in range(2):  # rendered, then kept
        rooms = listed(api)
        assert rooms, "the viewer sees some rooms"
        for code, entry in rooms.items():
            assert entry == detail(api, code), code
    # Secrets and actions are the viewer's own, not the first viewer's.
    if viewer != "alice":
        duel = rooms_in_every_state[5].code
        assert rooms[duel]["secret"] is None
        assert listed(client_for(request.getfixturevalue("alice")))[duel]["secret"] == [0, 1, 2, 3]


def test_a_move_shows_in_the_list_at_once(alice, bob, alice_api, bob_api):
    room = make_room(alice, "race", "playing", join=[bob])
    before = listed(alice_api)[room.code]
    assert listed(bob_api)[room.code] == detail(bob_api, room.code)  # kept now
    submit_guess(room, bob)
    after = listed(alice_api)[room.code]
    assert after["version"] == before["version"] + 1
    assert {p["username"]: p["guesses_used"] for p in after["players"]} == {"alice": 0, "bob": 1}
    assert after == detail(alice_api, room.code)


def test_a_claimed_guest_shows_under_their_new_name_at_once(
    alice, alice_api, django_capture_on_commit_callbacks
):
    guest = account_services.guest_create()
    room = make_room(alice, "race", join=[guest])
    assert guest.username in [p["username"] for p in listed(alice_api)[room.code]["players"]]
    with django_capture_on_commit_callbacks(execute=True):
        account_services.guest_claim(user=guest, username="newname", password="a long new passphrase")
    assert [p["username"] for p in listed(alice_api)[room.code]["players"]] == ["alice", "newname"]


def test_a_deleted_account_is_anonymised_in_finished_rooms_at_once(
    alice, bob, alice_api, django_capture_on_commit_callbacks
):
    room = make_room(alice, "race", "finished", join=[bob])
    assert [p["username"] for p in listed(alice_api)[room.code]["players"]] == ["alice", "bob"]
    with django_capture_on_commit_callbacks(execute=True):
        account_services.account_delete(user=bob, password="correct horse battery staple")
    names = [p["username"] for p in listed(alice_api)[room.code]["players"]]
    assert names[0] == "alice" and names[1].startswith("deleted-")


def test_the_list_works_with_the_shared_cache_unreachable(alice, bob, alice_api, cache_unreachable):
    room = make_room(alice, "race", "playing", join=[bob])
    assert listed(alice_api)[room.code] == detail(alice_api, room.code)
