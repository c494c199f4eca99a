"""Guests (SPEC §7): play in one click, claim the account in place, pruned when idle."""

import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services as account_services
from config.asgi import application
from games import services
from games.models import ChatMessage, Guess, Player, Room

pytestmark = pytest.mark.django_db

GUEST = "/api/v1/auth/guest/"
CLAIM = "/api/v1/auth/claim/"
ME = "/api/v1/auth/me/"
STRONG = "a long enough passphrase 42"
GUEST_NAME = re.compile(r"guest-[a-z0-9]{6}")

User = get_user_model()


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def new_guest() -> tuple[dict, APIClient]:
    response = APIClient().post(GUEST)
    assert response.status_code == 201, response.content
    data = response.json()
    return data, with_token(data["token"])


def set_rate(settings, scope: str, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def wrong_guess(room: Room) -> list[int]:
    return [(room.secret[0] + 1) % room.colors, *room.secret[1:]]


# --- the API ----------------------------------------------------------------


def test_guest_gets_a_generated_name_a_token_and_no_password():
    data, client = new_guest()
    assert set(data) == {"user", "token", "expiry"}
    assert GUEST_NAME.fullmatch(data["user"]["username"])
    assert data["user"]["guest"] is True
    user = User.objects.get(pk=data["user"]["id"])
    assert user.is_guest and not user.has_usable_password()
    me = client.get(ME).json()
    assert (me["id"], me["username"], me["guest"]) == (user.id, user.username, True)


def test_two_guests_are_two_accounts():
    first, _ = new_guest()
    second, _ = new_guest()
    assert first["user"]["id"] != second["user"]["id"]
    assert first["user"]["username"] != second["user"]["username"]


def test_a_guest_plays_quick_play_to_the_end():
    _, client = new_guest()
    room = client.post("/api/v1/quick-play/", {}, format="json").json()
    secret = Room.objects.get(code=room["code"]).secret
    result = client.post(f"/api/v1/rooms/{room['code']}/guesses/", {"guess": secret}, format="json")
    assert result.status_code == 201 and result.json()["solved"] is True
    stats = client.get(ME).json()["stats"]
    assert (stats["games"], stats["wins"]) == (1, 1)


def test_guests_are_not_on_the_leaderboard(alice):
    _, client = new_guest()
    for player in (client, APIClient()):
        if player is client:
            code = client.post("/api/v1/quick-play/", {}, format="json").json()["code"]
            user = Room.objects.get(code=code).owner
        else:
            code, user = services.quick_play(user=alice).code, alice
        room = Room.objects.get(code=code)
        services.guess_submit(room_code=code, user=user, guess=room.secret)
    names = [row["username"] for row in APIClient().get("/api/v1/leaderboard/").json()]
    assert names == [alice.username]


def test_guest_creation_is_throttled_per_address(settings):
    set_rate(settings, "guest", "2/hour")
    assert [APIClient().post(GUEST).status_code for _ in range(3)] == [201, 201, 429]
    assert User.objects.filter(is_guest=True).count() == 2


def test_guest_takes_no_body_fields():
    response = APIClient().post(GUEST, {"username": "mine"}, format="json")
    assert response.status_code == 201  # the request body is not read: nothing to choose
    assert GUEST_NAME.fullmatch(response.json()["user"]["username"])


def test_claim_keeps_the_id_games_and_token():
    data, client = new_guest()
    code = client.post("/api/v1/quick-play/", {}, format="json").json()["code"]
    response = client.post(
        CLAIM, {"username": "newbie", "password": STRONG, "email": "n@example.com"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"user": {"id": data["user"]["id"], "username": "newbie", "guest": False}}
    user = User.objects.get(pk=data["user"]["id"])
    assert (user.username, user.email, user.is_guest) == ("newbie", "n@example.com", False)
    assert user.check_password(STRONG)
    assert Room.objects.get(code=code).owner == user
    assert client.get(ME).json()["guest"] is False  # the guest's token still works
    login = APIClient().post("/api/v1/auth/login/", {"username": "newbie", "password": STRONG}, format="json")
    assert login.status_code == 200


def test_claim_by_an_account_is_forbidden(alice_api, alice):
    response = alice_api.post(CLAIM, {"username": "other", "password": STRONG}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    alice.refresh_from_db()
    assert alice.username != "other"


def test_claim_needs_a_token():
    assert APIClient().post(CLAIM, {"username": "x", "password": STRONG}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "alice", "password": STRONG}, "username"),
        ({"username": "ALICE", "password": STRONG}, "username"),
        ({"username": "guest-abc123", "password": STRONG}, "username"),
        ({"username": "Deleted-zz", "password": STRONG}, "username"),
        ({"username": "newbie", "password": "123"}, "password"),
        ({"username": "newbie", "password": "newbie1234"}, "password"),
        ({"username": "newbie", "password": STRONG, "colour": 3}, "colour"),
        ({"password": STRONG}, "username"),
    ],
    ids=[
        "taken",
        "taken-other-case",
        "guest-prefix",
        "deleted-prefix",
        "short",
        "like-username",
        "unknown",
        "missing",
    ],
)
def test_claim_applies_the_sign_up_rules(alice, fields, field):
    data, client = new_guest()
    response = client.post(CLAIM, fields, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    user = User.objects.get(pk=data["user"]["id"])
    assert user.is_guest and user.username == data["user"]["username"] and not user.has_usable_password()


def test_register_refuses_the_generated_prefixes():
    response = APIClient().post(
        "/api/v1/auth/register/", {"username": "guest-fake01", "password": STRONG}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "username"
    assert not User.objects.filter(username="guest-fake01").exists()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_guests_cannot_chat_over_the_socket(bob):
    data, client = await sync_to_async(new_guest)()
    room = await sync_to_async(services.room_create)(user=bob, mode=Room.Mode.RACE)
    code = room.code
    joined = await sync_to_async(client.post)(f"/api/v1/rooms/{code}/join/")
    assert joined.status_code == 200
    comm = WebsocketCommunicator(
        application, f"/ws/rooms/{code}/", subprotocols=["mastermind.v1", f"token.{data['token']}"]
    )
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["type"] == "room.state"
    await comm.send_json_to({"type": "chat", "text": "hello"})
    error = await comm.receive_json_from(timeout=5)
    await comm.disconnect()
    assert (error["type"], error["code"]) == ("error", "not_allowed")
    assert "Guests cannot chat" in error["detail"]
    assert not await sync_to_async(ChatMessage.objects.exists)()


# --- the pages --------------------------------------------------------------


def test_a_visitor_plays_in_one_click():
    browser = Client()
    lobby = browser.get("/").content.decode()
    assert 'action="/play/now/"' in lobby and "Play now, no sign-up" in lobby
    response = browser.post("/play/now/")
    assert response.status_code == 302
    room = Room.objects.get()
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.mode, room.status) == (Room.Mode.SOLO, Room.Status.PLAYING)
    assert room.owner.is_guest and GUEST_NAME.fullmatch(room.owner.username)
    board = browser.get(response["Location"]).content.decode()
    assert "Keep your games: create an account" in board
    assert 'href="/accounts/claim/"' in board


def test_play_now_when_signed_in_makes_no_guest(alice):
    browser = Client()
    browser.force_login(alice)
    assert browser.post("/play/now/").status_code == 302
    assert Room.objects.get().owner == alice
    assert not User.objects.filter(is_guest=True).exists()


def test_play_now_is_throttled_with_the_api(settings):
    set_rate(settings, "guest", "1/hour")
    assert APIClient().post(GUEST).status_code == 201
    response = Client().post("/play/now/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many new guests" in response.content.decode()
    assert User.objects.filter(is_guest=True).count() == 1 and not Room.objects.exists()


def test_play_now_needs_post():
    assert Client().get("/play/now/").status_code == 405


def test_claim_page_keeps_the_guest_signed_in_with_its_games():
    browser = Client()
    browser.post("/play/now/")
    guest = User.objects.get(is_guest=True)
    page = browser.get("/accounts/claim/")
    assert page.status_code == 200 and guest.username in page.content.decode()
    form = {"username": "keeper", "password1": STRONG, "password2": STRONG, "email": ""}
    response = browser.post("/accounts/claim/", form)
    assert response.status_code == 302 and response["Location"] == "/"
    guest.refresh_from_db()
    assert (guest.username, guest.is_guest) == ("keeper", False)
    lobby = browser.get("/").content.decode()  # still signed in, no guest note
    assert 'href="/users/keeper/"' in lobby and "Keep your games" not in lobby
    assert Room.objects.get().owner == guest


def test_claim_page_shows_the_errors_and_changes_nothing(alice):
    browser = Client()
    browser.post("/play/now/")
    response = browser.post(
        "/accounts/claim/", {"username": "alice", "password1": STRONG, "password2": STRONG, "email": ""}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode() or "taken" in response.content.decode()
    assert User.objects.get(is_guest=True)


def test_claim_page_sends_accounts_back_to_the_lobby(alice):
    browser = Client()
    browser.force_login(alice)
    assert browser.get("/accounts/claim/")["Location"] == "/"


def test_a_guest_is_not_offered_chat_and_cannot_post_it(bob):
    room = services.room_create(user=bob, mode=Room.Mode.RACE)
    browser = Client()
    browser.post("/play/now/")
    guest = User.objects.get(is_guest=True)
    services.room_join(room_code=room.code, user=guest)
    response = browser.post(f"/rooms/{room.code}/chat/", {"text": "hi"})
    assert response.status_code == 403
    assert "Guests cannot chat" in response.content.decode()
    assert not ChatMessage.objects.exists()


# --- prune_guests -----------------------------------------------------------


def age(user, days: int) -> None:
    """Move everything the user did `days` into the past."""
    past = timezone.now() - timedelta(days=days)
    User.objects.filter(pk=user.pk).update(date_joined=past, last_login=past)
    Player.objects.filter(user=user).update(joined_at=past)
    Guess.objects.filter(player__user=user).update(created_at=past)


def test_prune_deletes_idle_guests_with_their_solo_games(capsys):
    idle = account_services.guest_create()
    room = services.quick_play(user=idle)
    services.guess_submit(room_code=room.code, user=idle, guess=wrong_guess(room))
    AuthToken.objects.create(user=idle)
    age(idle, 31)
    call_command("prune_guests", "--days", "30")
    assert "1 guest(s) deleted, 0 anonymised" in capsys.readouterr().out
    assert not User.objects.filter(pk=idle.pk).exists()
    assert not Room.objects.filter(pk=room.pk).exists()
    assert not AuthToken.objects.exists()


def test_prune_keeps_active_guests_and_every_account(alice):
    active = account_services.guest_create()
    services.quick_play(user=active)
    age(active, 31)
    room = services.quick_play(user=active)  # played today
    age(alice, 400)
    call_command("prune_guests", "--days", "30")
    assert User.objects.filter(pk=active.pk).exists() and Room.objects.filter(pk=room.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()


def test_prune_anonymises_a_guest_who_shared_a_finished_game(alice):
    guest = account_services.guest_create()
    room = services.room_create(user=alice, mode=Room.Mode.RACE)
    services.room_join(room_code=room.code, user=guest)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=guest, guess=wrong_guess(room))
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    solo = services.quick_play(user=guest)
    AuthToken.objects.create(user=guest)
    age(guest, 45)
    call_command("prune_guests", "--days", "30")
    guest.refresh_from_db()
    assert re.fullmatch(r"deleted-[a-z0-9]{6}", guest.username)
    assert not guest.is_active and not guest.has_usable_password() and guest.email == ""
    assert not AuthToken.objects.filter(user=guest).exists()
    assert not Room.objects.filter(pk=solo.pk).exists()  # nobody else played it
    shared = APIClient()
    shared.force_authenticate(alice)
    data = shared.get(f"/api/v1/rooms/{room.code}/").json()
    assert sorted(p["username"] for p in data["players"]) == sorted(["alice", guest.username])
    assert data["winner"] == "alice" and Guess.objects.filter(room=room).count() == 2


def test_prune_refuses_zero_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("prune_guests", "--days", "0")


def test_staff_find_guests_in_the_admin(admin_client, alice):
    guest = account_services.guest_create()
    page = admin_client.get("/admin/accounts/user/?is_guest__exact=1").content.decode()
    assert guest.username in page and ">alice<" not in page
    assert admin_client.get(f"/admin/accounts/user/{guest.pk}/change/").status_code == 200


def test_a_guest_profile_says_guest_and_deleting_works_for_claimed_guests():
    data, client = new_guest()
    profile = APIClient().get(f"/api/v1/users/{data['user']['username']}/").json()
    assert profile["guest"] is True
    client.post(CLAIM, {"username": "claimed", "password": STRONG}, format="json")
    assert APIClient().get("/api/v1/users/claimed/").json()["guest"] is False
    response = client.delete(ME, {"password": STRONG}, format="json")
    assert response.status_code == 204
    user = User.objects.get(pk=data["user"]["id"])
    assert user.username.startswith("deleted-") and not user.is_active
