"""GET /api/v1/users/{username}/ and /games/ (SPEC §7): anyone reads a profile; private games only for their players."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tests.test_api_auth import client_with
from games import services
from games.models import Room

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct horse battery staple"  # conftest's make_user default


def profile_url(username: str) -> str:
    return f"/api/v1/users/{username}/"


def games_url(username: str) -> str:
    return f"/api/v1/users/{username}/games/"


def solo_win(user, *, private: bool = False, name: str = "A win") -> Room:
    room = services.room_create(user=user, mode="solo", private=private, name=name)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=user, guess=room.secret)
    return room


def solo_loss(user, name: str = "A loss") -> Room:
    room = services.room_create(user=user, mode="solo", max_guesses=1, name=name)
    room.refresh_from_db()
    wrong = [(room.secret[0] + 1) % room.colors, *room.secret[1:]]
    services.guess_submit(room_code=room.code, user=user, guess=wrong)
    return room


def private_race(owner, other, name: str) -> Room:
    room = services.room_create(user=owner, mode="race", private=True, name=name)
    services.room_join(room_code=room.code, user=other)
    services.room_start(room_code=room.code, user=owner)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=owner, guess=room.secret)
    services.room_leave(room_code=room.code, user=other)
    return room


def names(response) -> list[str]:
    return [room["name"] for room in response.json()["results"]]


# --- the profile ----------------------------------------------------------------------


def test_anyone_reads_a_profile_with_the_stats_me_reports(alice, alice_api):
    solo_win(alice)
    solo_loss(alice)
    response = APIClient().get(profile_url("alice"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"username", "guest", "joined", "stats", "ratings"}
    assert body["username"] == "alice"
    assert body["guest"] is False
    assert body["joined"].startswith(alice.date_joined.strftime("%Y-%m-%dT"))
    assert body["ratings"] == {"race": None, "duel": None}
    assert body["stats"] == alice_api.get("/api/v1/auth/me/").json()["stats"]
    assert body["stats"]["games"] == 2
    assert body["stats"]["wins"] == 1


def test_me_is_what_its_serializer_documents(alice, alice_api):
    """`me` answers its selectors' dict without a serializer: it must be what MeSerializer makes of it."""
    from accounts.api.serializers import MeSerializer
    from games.models import Rating

    solo_win(alice)
    solo_loss(alice)
    Rating.objects.create(user=alice, mode="race", mu=1612.4, sigma=310.6, games=4, wins=3)

    body = alice_api.get("/api/v1/auth/me/").json()
    documented = MeSerializer({**body, "is_guest": body["guest"]}).data
    assert body == documented
    assert body["stats"]["avg_guesses"] == 1.0 and isinstance(body["stats"]["avg_guesses"], float)
    assert body["ratings"] == {
        "race": {"rating": 1612, "deviation": 311, "provisional": False, "games": 4},
        "duel": None,
    }


def test_a_signed_in_player_reads_anothers_profile(alice, bob_api):
    response = bob_api.get(profile_url("alice"))
    assert response.status_code == 200
    assert response.json()["stats"]["games"] == 0


def test_a_profile_shows_no_email_or_id(alice):
    alice.email = "alice@example.com"
    alice.save()
    content = APIClient().get(profile_url("alice")).content.decode()
    assert "alice@example.com" not in content
    assert '"id"' not in content


@pytest.mark.parametrize("url", [profile_url("nobody"), games_url("nobody")])
def test_an_unknown_user_is_404_in_the_error_shape(db, url):
    response = APIClient().get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such user.", "code": "not_found"}


def test_usernames_are_matched_exactly(alice):
    assert APIClient().get(profile_url("Alice")).status_code == 404


def test_a_bad_token_is_401_even_where_anyone_may_read(alice):
    response = client_with("not-a-token").get(profile_url("alice"))
    assert response.status_code == 401


def test_a_deleted_accounts_profile_is_404_by_either_name(alice):
    token = AuthToken.objects.create(user=alice)[1]
    assert (
        client_with(token).delete("/api/v1/auth/me/", {"password": PASSWORD}, format="json").status_code
        == 204
    )
    alice.refresh_from_db()
    for name in ("alice", alice.username):
        assert APIClient().get(profile_url(name)).status_code == 404
        assert APIClient().get(games_url(name)).status_code == 404
        assert Client().get(f"/users/{name}/").status_code == 404


# --- their games ----------------------------------------------------------------------


def test_games_are_the_finished_rooms_they_played_newest_first(alice, bob):
    solo_win(alice, name="First")
    solo_loss(alice, name="Second")
    solo_win(alice, name="Third")
    solo_win(bob, name="Bob's own")
    services.quick_play(user=alice)  # playing
    services.room_create(user=alice, mode="race", name="Waiting")
    abandoned = services.room_create(user=alice, mode="race", name="Abandoned")
    services.room_leave(room_code=abandoned.code, user=alice)

    response = APIClient().get(games_url("alice"))

    assert response.status_code == 200
    assert names(response) == ["Third", "Second", "First"]
    assert all(room["status"] == "finished" for room in response.json()["results"])


def test_games_show_each_room_as_the_room_endpoint_does(alice, bob_api):
    room = solo_win(alice)
    listed = bob_api.get(games_url("alice")).json()["results"][0]
    assert listed == bob_api.get(f"/api/v1/rooms/{room.code}/").json()
    assert listed["secret"] == room.secret


def test_private_games_are_listed_only_to_their_players(alice, bob, carol, client_for):
    solo_win(alice, name="Public")
    solo_win(alice, private=True, name="Alice alone")
    private_race(alice, bob, "Alice and Bob")

    seen = {
        "alice": names(client_for(alice).get(games_url("alice"))),
        "bob": names(client_for(bob).get(games_url("alice"))),
        "carol": names(client_for(carol).get(games_url("alice"))),
        "anyone": names(APIClient().get(games_url("alice"))),
    }

    assert seen["alice"] == ["Alice and Bob", "Alice alone", "Public"]
    assert seen["bob"] == ["Alice and Bob", "Public"]
    assert seen["carol"] == ["Public"]
    assert seen["anyone"] == ["Public"]


def test_games_are_cursor_paginated(alice):
    for n in range(5):
        solo_win(alice, name=f"Game {n}")
    client = APIClient()
    first = client.get(games_url("alice"), {"page_size": 2}).json()
    assert [r["name"] for r in first["results"]] == ["Game 4", "Game 3"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [r["name"] for r in second["results"]] == ["Game 2", "Game 1"]
    third = client.get(second["next"]).json()
    assert [r["name"] for r in third["results"]] == ["Game 0"]
    assert third["next"] is None


@pytest.mark.parametrize("query", [{"cursor": "bogus!"}, {"page_size": "0"}, {"page_size": "101"}])
def test_a_bad_cursor_or_page_size_is_400(alice, query):
    response = APIClient().get(games_url("alice"), query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_player_with_no_finished_game_has_an_empty_page(alice):
    response = APIClient().get(games_url("alice"))
    assert response.status_code == 200
    assert response.json()["results"] == []
