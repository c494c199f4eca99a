"""DELETE /api/v1/auth/me/ (SPEC §7): an anonymised account, every token revoked, finished games kept."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tests.test_api_auth import assert_throttled, client_with, login, register, set_rate
from games import services
from games.models import Player, Room

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
PASSWORD = "correct horse battery staple"  # conftest's make_user default

User = get_user_model()


def delete_me(client, password=PASSWORD):
    return client.delete(ME, {"password": password}, format="json")


def finished_race(winner, loser) -> Room:
    room = services.room_create(user=winner, mode="race", name="Friday race")
    services.room_join(room_code=room.code, user=loser)
    services.room_start(room_code=room.code, user=winner)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=winner, guess=room.secret)
    services.room_leave(room_code=room.code, user=loser)
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED
    return room


def test_delete_is_204_and_anonymises_the_account(alice):
    alice.email = "alice@example.com"
    alice.first_name = "Alice"
    alice.save()
    response = delete_me(client_with(AuthToken.objects.create(user=alice)[1]))
    assert response.status_code == 204
    assert response.content == b""
    alice.refresh_from_db()
    assert re.fullmatch(r"deleted-[a-z0-9]{6}", alice.username)
    assert not alice.has_usable_password()
    assert alice.email == ""
    assert alice.first_name == ""
    assert not alice.is_active
    assert not User.objects.filter(username="alice").exists()


def test_delete_revokes_every_token_and_sign_in_fails(alice):
    first, second = (AuthToken.objects.create(user=alice)[1] for _ in range(2))
    assert delete_me(client_with(first)).status_code == 204
    assert AuthToken.objects.filter(user=alice).count() == 0
    for token in (first, second):
        assert client_with(token).get(ME).status_code == 401
    response = login("alice")
    assert response.status_code == 400


def test_delete_signs_out_the_browser_sessions(alice):
    browser = Client()
    browser.force_login(alice)
    assert 'href="/users/alice/"' in browser.get("/").content.decode()
    assert delete_me(client_with(AuthToken.objects.create(user=alice)[1])).status_code == 204
    lobby = browser.get("/").content.decode()
    assert "Sign in" in lobby
    assert "deleted-" not in lobby


def test_a_wrong_password_is_400_and_deletes_nothing(alice):
    token = AuthToken.objects.create(user=alice)[1]
    response = delete_me(client_with(token), password="not my password")
    assert response.status_code == 400
    assert response.json()["field"] == "password"
    alice.refresh_from_db()
    assert alice.username == "alice"
    assert alice.is_active
    assert client_with(token).get(ME).status_code == 200


@pytest.mark.parametrize("data", [None, {}, {"password": PASSWORD, "now": True}, {"password": 1}])
def test_delete_without_a_proper_body_is_400_and_deletes_nothing(alice, data):
    client = client_with(AuthToken.objects.create(user=alice)[1])
    response = client.delete(ME) if data is None else client.delete(ME, data, format="json")
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.is_active


def test_delete_needs_a_token(alice):
    assert delete_me(APIClient()).status_code == 401


def test_delete_attempts_count_against_the_login_throttle(alice, settings):
    set_rate(settings, "login", "1/min")
    client = client_with(AuthToken.objects.create(user=alice)[1])
    assert delete_me(client, password="wrong").status_code == 400
    assert_throttled(delete_me(client))
    alice.refresh_from_db()
    assert alice.is_active


def test_finished_games_stay_for_the_other_players(alice, bob, bob_api):
    room = finished_race(winner=alice, loser=bob)
    bob_stats = bob_api.get(ME).json()["stats"]
    assert delete_me(client_with(AuthToken.objects.create(user=alice)[1])).status_code == 204
    alice.refresh_from_db()

    shown = bob_api.get(f"/api/v1/rooms/{room.code}/")
    assert shown.status_code == 200
    body = shown.json()
    assert [p["username"] for p in body["players"]] == [alice.username, "bob"]
    assert body["winner"] == alice.username
    assert body["secret"] == room.secret
    assert len(bob_api.get(f"/api/v1/rooms/{room.code}/guesses/").json()) == 1
    assert bob_api.get(ME).json()["stats"] == bob_stats


def test_delete_leaves_waiting_and_playing_games(alice, bob, carol):
    waiting = services.room_create(user=alice, mode="race", name="Waiting")
    services.room_join(room_code=waiting.code, user=bob)
    playing = services.room_create(user=carol, mode="race", name="Playing")
    services.room_join(room_code=playing.code, user=alice)
    services.room_start(room_code=playing.code, user=carol)
    solo = services.quick_play(user=alice)

    assert delete_me(client_with(AuthToken.objects.create(user=alice)[1])).status_code == 204

    waiting.refresh_from_db()
    assert waiting.owner == bob
    assert list(waiting.players.values_list("user__username", flat=True)) == ["bob"]
    assert Player.objects.get(room=playing, user=alice).status == Player.Status.LEFT
    playing.refresh_from_db()
    assert playing.status == Room.Status.PLAYING  # carol plays on
    solo.refresh_from_db()
    assert solo.status == Room.Status.FINISHED


def test_the_old_username_is_free_again(alice):
    assert delete_me(client_with(AuthToken.objects.create(user=alice)[1])).status_code == 204
    response = register("alice")
    assert response.status_code == 201
    assert response.json()["user"]["id"] != alice.id
