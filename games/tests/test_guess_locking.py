"""guess_submit's one locking read, with real threads on the real database (#9).

The guess path reads the room and its players in the statement that locks
them. On PostgreSQL a statement that waited for a lock re-reads only the rows
it locked: were the players only joined, not locked, a guess that waited
would see them as they were before the wait. These races would then end a
race never, or number a board twice.
"""

from collections import Counter

import pytest

from games import services
from games.models import Guess, Player, Room
from games.tests.factories import make_room, wrong_guess
from games.tests.test_concurrency import assert_contiguous_log, run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.realdb]


def started_race(owner, *others, max_guesses: int) -> Room:
    return make_room(owner, "race", "playing", join=others, max_guesses=max_guesses, max_players=8)


def test_a_race_where_everyone_runs_out_at_once_finishes_once(alice, bob, carol, dave):
    room = started_race(alice, bob, carol, dave, max_guesses=1)
    guess = wrong_guess(room)
    outcomes = run_concurrently(
        [
            (lambda user=user: services.guess_submit(room_code=room.code, user=user, guess=guess))
            for user in (alice, bob, carol, dave)
        ]
    )
    assert [o[0] for o in outcomes] == ["ok"] * 4
    room.refresh_from_db()
    # The last guess to commit saw every other player out: the race is over.
    assert room.status == Room.Status.FINISHED
    assert set(room.players.values_list("status", flat=True)) == {Player.Status.OUT}
    assert assert_contiguous_log(room)[-5:] == ["guess"] * 4 + ["game_finished"]


def test_a_guess_submitted_six_times_at_once_gets_six_numbers(alice, bob):
    room = started_race(alice, bob, max_guesses=10)
    guess = wrong_guess(room)
    outcomes = run_concurrently(
        [lambda: services.guess_submit(room_code=room.code, user=bob, guess=guess)] * 6
    )
    assert Counter(o[0] for o in outcomes) == {"ok": 6}
    numbers = sorted(Guess.objects.filter(player__user=bob).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert Player.objects.get(room=room, user=bob).guesses_used == 6


def test_a_move_retried_at_once_is_applied_once(alice, bob):
    room = started_race(alice, bob, max_guesses=10)
    guess = wrong_guess(room)
    outcomes = run_concurrently(
        [lambda: services.guess_submit(room_code=room.code, user=bob, guess=guess, request_id="dup")] * 6
    )
    assert [o[0] for o in outcomes] == ["ok"] * 6
    first = outcomes[0][1]
    assert all(o[1] == first for o in outcomes)
    assert Guess.objects.filter(player__user=bob).count() == 1
    assert assert_contiguous_log(room).count("guess") == 1
