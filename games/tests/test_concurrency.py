"""Lock races with real threads on the real database (SQLite file or PostgreSQL).

Each thread has its own database connection, so these tests need committed
data (transaction=True) and prove the room row lock, not a mock of it.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from games import services
from games.exceptions import GameError
from games.models import Guess, Room, RoomEvent
from games.tests.factories import make_room, wrong_guess

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.realdb]


def run_concurrently(calls):
    """Start every call at once (a Barrier) and collect each outcome."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except GameError as exc:
            outcomes[index] = (exc.status, exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return outcomes


def assert_contiguous_log(room: Room) -> list[str]:
    room.refresh_from_db()
    versions = list(RoomEvent.objects.filter(room=room).order_by("version").values_list("version", flat=True))
    assert versions == list(range(1, room.version + 1))
    return list(RoomEvent.objects.filter(room=room).order_by("version").values_list("kind", flat=True))


def test_fifty_concurrent_coop_guesses_store_exactly_the_budget(alice, bob):
    room = make_room(alice, "coop", "playing", join=[bob], max_guesses=10)
    guess = wrong_guess(room)

    calls = [
        (lambda user=user: services.guess_submit(room_code=room.code, user=user, guess=guess))
        for user in [alice, bob] * 25
    ]
    outcomes = run_concurrently(calls)

    accepted = [o[1] for o in outcomes if o[0] == "ok"]
    refused = Counter(o for o in outcomes if o[0] != "ok")
    assert len(accepted) == 10
    assert refused == {(409, "wrong_state"): 40}
    assert Guess.objects.filter(room=room).count() == 10
    assert sorted(r.number for r in accepted) == list(range(1, 11))
    # Every accepted guess reports its own version; none is shared.
    assert len({r.version for r in accepted}) == 10
    kinds = assert_contiguous_log(room)
    assert kinds == ["player_joined", "game_started", *["guess"] * 10, "game_finished"]
    room.refresh_from_db()
    assert room.status == "finished"
    assert room.winner is None


def test_concurrent_race_guesses_keep_every_board_and_version_apart(alice, bob, carol):
    room = make_room(alice, "race", "playing", join=[bob, carol], max_guesses=10)
    guess = wrong_guess(room)

    calls = [
        (lambda user=user: services.guess_submit(room_code=room.code, user=user, guess=guess))
        for user in [alice, bob, carol] * 4
    ]
    outcomes = run_concurrently(calls)

    assert all(o[0] == "ok" for o in outcomes)
    for user in (alice, bob, carol):
        numbers = sorted(Guess.objects.filter(room=room, player__user=user).values_list("number", flat=True))
        assert numbers == [1, 2, 3, 4]
    kinds = assert_contiguous_log(room)
    assert kinds.count("guess") == 12


def test_two_players_racing_for_the_last_seat_only_one_gets_it(alice, bob, carol):
    room = services.room_create(user=alice, mode="race", max_players=2)
    outcomes = run_concurrently(
        [
            lambda: services.room_join(room_code=room.code, user=bob),
            lambda: services.room_join(room_code=room.code, user=carol),
        ]
    )
    assert sorted(o[0] for o in outcomes if o[0] != "ok") == [409]
    assert sum(o[0] == "ok" for o in outcomes) == 1
    assert room.players.count() == 2
    assert assert_contiguous_log(room) == ["player_joined"]


def test_a_double_submitted_join_joins_once(alice, bob):
    room = services.room_create(user=alice, mode="coop")
    outcomes = run_concurrently([lambda: services.room_join(room_code=room.code, user=bob)] * 5)
    assert sum(o[0] == "ok" for o in outcomes) == 1
    assert Counter(o for o in outcomes if o[0] != "ok") == {(409, "wrong_state"): 4}
    assert room.players.filter(user=bob).count() == 1
