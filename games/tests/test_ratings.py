"""Rated play (SPEC §8): rated rooms, openskill ratings per mode, their history, boards and profiles."""

import pytest
from openskill.models import PlackettLuce
from rest_framework.test import APIClient

from accounts import services as account_services
from games import ratings, services
from games.models import Rating, RatingChange, Room
from games.tests.factories import wrong_guess

pytestmark = pytest.mark.django_db


def rated_race(owner, *others):
    room = services.room_create(user=owner, mode="race", rated=True, max_players=len(others) + 1)
    for user in others:
        services.room_join(room_code=room.code, user=user)
    services.room_start(room_code=room.code, user=owner)
    room.refresh_from_db()
    return room


def test_a_finished_rated_race_rates_everyone_once(alice, bob, carol, alice_api):
    room = rated_race(alice, bob, carol)
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)  # 1st
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)  # 2nd
    for _ in range(room.max_guesses):  # carol never solves: last
        services.guess_submit(room_code=room.code, user=carol, guess=wrong_guess(room))
    data = alice_api.get(f"/api/v1/rooms/{room.code}/").json()
    assert (data["status"], data["rated"]) == ("finished", True)
    model = PlackettLuce(mu=1500, sigma=500, beta=250, tau=5)
    fresh = [[model.rating()] for _ in range(3)]
    bob_new, alice_new, carol_new = (team[0] for team in model.rate(fresh, ranks=[1.0, 2.0, 3.0]))
    changes = {p["username"]: p["rating_change"] for p in data["players"]}
    assert changes == {
        "bob": round(bob_new.mu) - 1500,
        "alice": round(alice_new.mu) - 1500,
        "carol": round(carol_new.mu) - 1500,
    }
    assert changes["bob"] > changes["alice"] > 0 > changes["carol"]
    assert RatingChange.objects.filter(room=room).count() == 3
    assert Rating.objects.get(user=bob, mode="race").wins == 1
    assert Rating.objects.get(user=alice, mode="race").games == 1


def test_non_solvers_tie_last(alice, bob, carol):
    room = rated_race(alice, bob, carol)
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    for user in (bob, carol):
        for _ in range(room.max_guesses):
            services.guess_submit(room_code=room.code, user=user, guess=wrong_guess(room))
    room.refresh_from_db()
    changes = dict(room.players.values_list("user__username", "rating_change"))
    assert changes["bob"] == changes["carol"] < 0 < changes["alice"]


def test_a_duel_ranks_the_codebreaker_first_only_if_they_crack_it(alice, bob):
    room = services.room_create(user=alice, mode="duel", rated=True)
    services.room_join(room_code=room.code, user=bob)
    services.room_set_secret(room_code=room.code, user=alice, secret=[1, 2, 3, 4])
    services.room_start(room_code=room.code, user=alice)
    services.guess_submit(room_code=room.code, user=bob, guess=[1, 2, 3, 4])
    room.refresh_from_db()
    changes = dict(room.players.values_list("user__username", "rating_change"))
    assert changes["bob"] > 0 > changes["alice"]
    assert RatingChange.objects.get(user=alice, room=room).mode == "duel"


def test_unrated_rooms_change_no_rating(alice, bob, alice_api):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    data = alice_api.get(f"/api/v1/rooms/{room.code}/").json()
    assert data["rated"] is False and {p["rating_change"] for p in data["players"]} == {None}
    assert not Rating.objects.exists()


@pytest.mark.parametrize(("mode", "status"), [("solo", 400), ("coop", 400)])
def test_only_race_and_duel_can_be_rated(alice_api, mode, status):
    response = alice_api.post("/api/v1/rooms/", {"mode": mode, "rated": True}, format="json")
    assert response.status_code == status and response.json()["field"] == "rated"
    assert not Room.objects.exists()


def test_guests_cannot_make_or_join_rated_rooms(client_for, alice):
    guest = account_services.guest_create()
    response = client_for(guest).post("/api/v1/rooms/", {"mode": "race", "rated": True}, format="json")
    assert response.status_code == 403
    room = services.room_create(user=alice, mode="race", rated=True)
    assert client_for(guest).post(f"/api/v1/rooms/{room.code}/join/").status_code == 403


def test_computer_players_cannot_join_a_rated_room(alice, alice_api):
    room = services.room_create(user=alice, mode="race", rated=True)
    response = alice_api.post(f"/api/v1/rooms/{room.code}/bots/", {"difficulty": "easy"}, format="json")
    assert response.status_code == 409
    assert "add_bot" not in alice_api.get(f"/api/v1/rooms/{room.code}/").json()["actions"]


def play_rated_duels(winner, loser, n: int) -> None:
    for _ in range(n):
        room = services.room_create(user=loser, mode="duel", rated=True)
        services.room_join(room_code=room.code, user=winner)
        services.room_set_secret(room_code=room.code, user=loser, secret=[0, 1, 2, 3])
        services.room_start(room_code=room.code, user=loser)
        services.guess_submit(room_code=room.code, user=winner, guess=[0, 1, 2, 3])


def test_the_rating_board_lists_settled_players_highest_first(alice, bob, carol):
    play_rated_duels(alice, bob, 12)
    play_rated_duels(carol, bob, 1)  # carol is still provisional
    rows = APIClient().get("/api/v1/leaderboard/", {"mode": "duel"}).json()
    assert [r["username"] for r in rows] == ["alice", "bob"]
    assert rows[0]["rating"] > rows[1]["rating"] and rows[0]["wins"] == 12 and rows[1]["games"] == 13
    assert all(r["deviation"] <= 400 for r in rows)
    assert APIClient().get("/api/v1/leaderboard/", {"mode": "solo"}).status_code == 400


def test_profiles_and_me_show_ratings(alice, bob, alice_api):
    play_rated_duels(alice, bob, 1)
    profile = APIClient().get("/api/v1/users/alice/").json()
    assert profile["ratings"]["race"] is None
    duel = profile["ratings"]["duel"]
    assert duel == ratings.shown(Rating.objects.get(user=alice, mode="duel")).__dict__
    assert duel["provisional"] is True and duel["games"] == 1
    assert alice_api.get("/api/v1/auth/me/").json()["ratings"] == profile["ratings"]


def test_rated_matchmaking_makes_a_rated_room(alice_api, bob_api):
    alice_api.post("/api/v1/matchmaking/", {"mode": "race", "rated": True}, format="json")
    room = bob_api.post("/api/v1/matchmaking/", {"mode": "race", "rated": True}, format="json").json()["room"]
    assert room["rated"] is True


def test_the_profile_page_draws_the_rating_history_and_tables_it(alice, bob):
    from django.test import Client

    play_rated_duels(alice, bob, 3)
    page = Client().get("/users/alice/").content.decode()
    after = [round(c.mu_after) for c in RatingChange.objects.filter(user=alice).order_by("id")]
    assert f"Duel rating: {after[-1]}" in page
    assert page.count("<polyline points=") == 1 and "<title" in page
    assert [int(v) for v in __import__("re").findall(r"<td>\d{3,4}</td><td>(\d{3,4})</td>", page)] == after
    assert "Race rating" not in page  # no rated race yet


def test_the_leaderboard_page_has_rating_tabs_and_the_lobby_creates_rated_rooms(alice, bob):
    from django.test import Client

    play_rated_duels(alice, bob, 12)
    page = Client().get("/leaderboard/?board=duel").content.decode()
    assert 'aria-current="page">Duel rating' in page and 'href="/users/alice/">alice</a></td><td>' in page
    browser = Client()
    browser.force_login(alice)
    browser.post(
        "/rooms/new/",
        {
            "name": "Rated",
            "mode": "race",
            "code_length": 4,
            "colors": 6,
            "max_guesses": 10,
            "allow_duplicates": "on",
            "rated": "on",
        },
    )
    assert Room.objects.get(name="Rated").rated is True


def test_a_rated_duel_gives_exactly_openskills_values(alice, bob):
    play_rated_duels(bob, alice, 1)  # bob breaks alice's code
    model = PlackettLuce(mu=1500, sigma=500, beta=250, tau=5)
    maker, breaker = model.rate([[model.rating()], [model.rating()]], ranks=[2.0, 1.0])
    for user, (expected,) in ((alice, maker), (bob, breaker)):
        rating = Rating.objects.get(user=user, mode="duel")
        assert (rating.mu, rating.sigma) == pytest.approx((expected.mu, expected.sigma))
