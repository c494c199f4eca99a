"""Query budgets of the profile endpoints and page: constant in the number of games and players.

As in test_query_counts.py, a request with a token costs one more query
(Knox: the token with its user); the counts were the same on SQLite and
PostgreSQL.
"""

import pytest
from django.test import Client

from games import services
from games.models import Room
from games.tests.test_query_counts import make_rooms

pytestmark = pytest.mark.django_db


def finished_races(user, others, *, rooms: int) -> None:
    """`rooms` finished races that `user` won against every one of `others`."""
    for _ in range(rooms):
        room = services.room_create(user=user, mode="race", max_players=len(others) + 1)
        for other in others:
            services.room_join(room_code=room.code, user=other)
        services.room_start(room_code=room.code, user=user)
        room.refresh_from_db()
        services.guess_submit(room_code=room.code, user=user, guess=room.secret)
        for other in others:
            services.room_leave(room_code=room.code, user=other)
    assert Room.objects.filter(status=Room.Status.FINISHED, players__user=user).count() >= rooms


def test_profile_budget(alice, anon_api, bob_api, django_assert_num_queries):
    """GET /api/v1/users/{username}/: 3 queries (the user, the grouped stats, the ratings); 4 with a token."""
    services.quick_play(user=alice)
    with django_assert_num_queries(3):
        assert anon_api.get("/api/v1/users/alice/").status_code == 200
    with django_assert_num_queries(4):
        assert bob_api.get("/api/v1/users/alice/").status_code == 200


@pytest.mark.parametrize("rooms", [2, 12])
def test_profile_games_budget_is_constant_in_games_and_players(
    make_user, alice, anon_api, client_for, django_assert_num_queries, rooms
):
    """GET /api/v1/users/{username}/games/: 4 queries (the user, the rooms, their players with
    users, their rematches) for 2 rooms × 2 players or 12 rooms × 4; 5 with a token."""
    others = [make_user(f"rival{n}") for n in range(1 if rooms == 2 else 3)]
    finished_races(alice, others, rooms=rooms)
    make_rooms(make_user, rooms=3, players=2, prefix="noise")
    with django_assert_num_queries(4):
        response = anon_api.get("/api/v1/users/alice/games/")
    assert len(response.json()["results"]) == rooms
    rival = client_for(others[0])
    with django_assert_num_queries(5):
        assert rival.get("/api/v1/users/alice/games/").status_code == 200


@pytest.mark.parametrize("rooms", [2, 12])
def test_profile_page_budget_is_constant_in_games(make_user, alice, django_assert_num_queries, rooms):
    """/users/{username}/: the user, the stats, the ratings, the rating history, the rooms, their
    players, their rematches, and the session's few (a visitor has none): the same for 2 games or 12."""
    others = [make_user(f"rival{n}") for n in range(2)]
    finished_races(alice, others, rooms=rooms)
    with django_assert_num_queries(7):
        response = Client().get("/users/alice/")
    assert response.status_code == 200
