"""Replays (SPEC §9): the logged events over REST, and a finished board step by step."""

import re

import pytest
from django.test import Client

from games import services
from games.models import Room
from games.tests.test_consumers import (  # noqa: F401 - the module's fixtures and helpers
    db,
    make_room,
    receive,
    ws,
)

pytestmark = pytest.mark.django_db


def wrong(room: Room) -> list[int]:
    return [(room.secret[0] + 1) % room.colors, *room.secret[1:]]


def race(alice, bob, *, finish: bool) -> Room:
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=wrong(room))
    services.guess_submit(room_code=room.code, user=bob, guess=wrong(room))
    if finish:
        services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
        services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    room.refresh_from_db()
    return room


def test_events_replay_the_whole_room_in_order(alice, bob, alice_api):
    room = race(alice, bob, finish=True)
    frames = alice_api.get(f"/api/v1/rooms/{room.code}/events/").json()
    assert [f["version"] for f in frames] == list(range(1, room.version + 1))
    assert all(f["type"] == "game_update" and f["room"] == room.code for f in frames)
    kinds = [f["event"] for f in frames]
    assert kinds[0] == "player_joined" and kinds[-1] == "game_finished"
    guesses = [f for f in frames if f["event"] == "guess"]
    assert len(guesses) == 4 and all(f["guess"] is not None for f in guesses)  # finished: every colour shown


def test_events_after_a_version(alice, bob, alice_api):
    room = race(alice, bob, finish=True)
    frames = alice_api.get(f"/api/v1/rooms/{room.code}/events/?since={room.version - 2}").json()
    assert [f["version"] for f in frames] == [room.version - 1, room.version]
    assert alice_api.get(f"/api/v1/rooms/{room.code}/events/?since={room.version}").json() == []


def test_a_running_race_hides_rivals_colours(alice, bob, alice_api):
    room = race(alice, bob, finish=False)
    guesses = [f for f in alice_api.get(f"/api/v1/rooms/{room.code}/events/").json() if f["event"] == "guess"]
    seen = {f["username"]: f["guess"] for f in guesses}
    assert seen["alice"] == wrong(room) and seen["bob"] is None


@pytest.mark.parametrize("since", ["-1", "x", "1.5", "", "１", "9999999999"])
def test_a_bad_since_is_400(alice, alice_api, since):
    room = services.quick_play(user=alice)
    response = alice_api.get(f"/api/v1/rooms/{room.code}/events/", {"since": since})
    assert response.status_code == 400
    assert response.json()["field"] == "since"


def test_events_of_private_rooms_are_404_for_outsiders(alice, bob_api):
    room = services.quick_play(user=alice, private=True)
    assert bob_api.get(f"/api/v1/rooms/{room.code}/events/").status_code == 404


# --- the finished board, step by step ---------------------------------------


def rows_on(page: str) -> list[str]:
    return re.findall(r'<li class="row" data-number="(\d+)" data-username="(\w+)"', page)


def test_a_finished_board_replays_move_by_move(alice, bob):
    room = race(alice, bob, finish=True)
    browser = Client()
    browser.force_login(alice)
    full = browser.get(f"/rooms/{room.code}/").content.decode()
    assert len(rows_on(full)) == 4 and "Move <strong>4</strong> of 4" in full
    after_two = browser.get(f"/rooms/{room.code}/?move=2").content.decode()
    assert rows_on(after_two) == [("1", "alice"), ("1", "bob")]
    assert 'href="?move=1"' in after_two and 'href="?move=3"' in after_two
    start = browser.get(f"/rooms/{room.code}/?move=0").content.decode()
    assert rows_on(start) == [] and "Move <strong>0</strong> of 4" in start
    past_the_end = browser.get(f"/rooms/{room.code}/?move=99").content.decode()
    assert len(rows_on(past_the_end)) == 4


@pytest.mark.parametrize("move", ["-1", "two", "1e3"])
def test_a_bad_move_is_400_on_the_board(alice, move):
    room = services.quick_play(user=alice)
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    browser = Client()
    browser.force_login(alice)
    response = browser.get(f"/rooms/{room.code}/", {"move": move})
    assert response.status_code == 400
    assert "move must be a whole number" in response.content.decode()


def test_a_running_board_has_no_replay(alice):
    room = services.quick_play(user=alice)
    services.guess_submit(room_code=room.code, user=alice, guess=wrong(room))
    browser = Client()
    browser.force_login(alice)
    page = browser.get(f"/rooms/{room.code}/?move=0").content.decode()
    assert "data-replay" not in page and len(rows_on(page)) == 1


def test_a_replay_before_the_end_is_not_redrawn_by_the_socket(alice, bob):
    room = race(alice, bob, finish=True)
    browser = Client()
    browser.force_login(alice)
    socket = f'ws-connect="/ws/rooms/{room.code}/html/"'
    assert socket not in browser.get(f"/rooms/{room.code}/?move=1").content.decode()
    assert socket in browser.get(f"/rooms/{room.code}/").content.decode()


# --- replays are the socket's frames ----------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_replay_is_exactly_what_a_socket_saw(ws, alice, bob, client_for):  # noqa: F811
    code = await make_room(alice, "race", "playing", join=[bob])
    comm, _ = await ws.room(alice, code)
    room = await db(lambda: Room.objects.get(code=code))()
    replay = db(lambda: client_for(alice).get(f"/api/v1/rooms/{code}/events/", {"since": 2}).json())

    async def play(moves, *, last: str = "guess") -> list[dict]:
        for user, guess in moves:
            await db(services.guess_submit)(room_code=code, user=user, guess=guess)
        frames: list[dict] = []
        while len(frames) < len(moves) or frames[-1]["event"] != last:
            frame = await receive(comm)
            if frame["type"] == "game_update":
                frames.append(frame)
        return frames

    # While the race runs: the same frames, bob's colours hidden from alice in both.
    running = await play([(bob, wrong(room)), (alice, wrong(room))])
    assert running[0]["guess"] is None and running[1]["guess"] == wrong(room)
    assert await replay() == running
    # Once it is over the replay shows every colour; everything else is as the socket sent it.
    finished = running + await play([(alice, room.secret), (bob, room.secret)], last="game_finished")
    after = await replay()
    assert [{**f, "guess": None} for f in after] == [{**f, "guess": None} for f in finished]
    assert [f.get("guess") for f in after if f["event"] == "guess"] == [
        wrong(room),
        wrong(room),
        room.secret,
        room.secret,
    ]
