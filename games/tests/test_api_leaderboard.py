"""GET /api/v1/leaderboard/ (SPEC §3)."""

import pytest
from rest_framework.test import APIClient

from games.models import Room
from games.tests.api import LEADERBOARD, QUICK_PLAY, guess, post
from games.tests.factories import secret_of, wrong_guess

pytestmark = pytest.mark.django_db


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
