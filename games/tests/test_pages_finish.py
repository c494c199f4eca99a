"""The finish (issue #12): what happened, in words, for each player, and Play again with the same settings."""

import re

import pytest
from django.test import Client

from games import services
from games.models import Room
from games.tests.factories import make_room, wrong_guess

pytestmark = pytest.mark.django_db


def board_of(user, room: Room) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/rooms/{room.code}/").content.decode()


def test_solo_says_solved_in_n_of_m_and_plays_again_with_the_same_settings(alice):
    room = services.quick_play(user=alice, code_length=5, colors=7, max_guesses=8, allow_duplicates=False)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room))
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    page = board_of(alice, room)
    assert '<p class="finish" role="status"><strong>Solved in 2 of 8</strong></p>' in page
    [again_form] = re.findall(r'<form method="post" action="/play/quick/">(.*?)</form>', page)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="(\w+)">', again_form))
    fields.pop("csrfmiddlewaretoken")
    assert fields == {
        "code_length": "5",
        "colors": "7",
        "max_guesses": "8",
    }  # no repeats: no allow_duplicates
    assert "Play again" in again_form
    client = Client()
    client.force_login(alice)
    response = client.post("/play/quick/", fields)
    again = Room.objects.exclude(pk=room.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/rooms/{again.code}/"
    assert (again.code_length, again.colors, again.max_guesses, again.allow_duplicates) == (5, 7, 8, False)


def test_out_of_guesses(alice):
    room = services.quick_play(user=alice, max_guesses=2)
    room.refresh_from_db()
    for _ in range(2):
        services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room))
    assert "<strong>Out of guesses</strong>" in board_of(alice, room)


def test_a_race_tells_each_their_place(alice, bob, carol):
    room = make_room(alice, "race", "playing", join=[bob, carol])
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room))
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    for _ in range(room.max_guesses):
        services.guess_submit(room_code=room.code, user=carol, guess=wrong_guess(room))
    assert "<strong>1st of 3: solved in 1 of 10</strong>" in board_of(bob, room)
    assert "<strong>2nd of 3: solved in 2 of 10</strong>" in board_of(alice, room)
    assert "<strong>Out of guesses</strong>" in board_of(carol, room)
    assert "Play again" not in board_of(alice, room)  # a race offers the rematch instead


def test_a_duel_from_each_side(alice, bob):
    room = make_room(alice, "duel", "playing", join=[bob])
    services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room))
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    assert "<strong>You cracked it in 2 of 10</strong>" in board_of(bob, room)
    assert "<strong>Your code was cracked in 2</strong>" in board_of(alice, room)
