"""REST auth: register, login, me, logout, token limits and throttles (SPEC §3)."""

from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from games.models import Guess, Room
from games.tests.factories import secret_of, wrong_guess

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
LOGIN = "/api/v1/auth/login/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUTALL = "/api/v1/auth/logoutall/"
ME = "/api/v1/auth/me/"
PASSWORD = "correct horse battery staple"  # conftest's make_user default

User = get_user_model()


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def login(username: str, password: str = PASSWORD, **extra):
    return APIClient(**extra).post(LOGIN, {"username": username, "password": password}, format="json")


def register(username: str, password: str = PASSWORD, **fields):
    return APIClient().post(REGISTER, {"username": username, "password": password, **fields}, format="json")


def set_rate(settings, scope: str, rate: str) -> None:
    """Override one throttle scope, keeping the others as generous as conftest made them."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def assert_token_shape(data: dict, user) -> None:
    assert set(data) == {"user", "token", "expiry"}
    assert data["user"] == {"id": user.id, "username": user.username, "guest": False}
    assert isinstance(data["token"], str) and data["token"]
    expiry = datetime.fromisoformat(data["expiry"].replace("Z", "+00:00"))
    assert expiry > timezone.now()


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert "detail" in response.json()
    assert 1 <= int(response["Retry-After"]) <= 60


# --- register ----------------------------------------------------------------


def test_register_returns_201_with_user_token_and_expiry():
    response = register("erin")
    assert response.status_code == 201
    user = User.objects.get(username="erin")
    assert_token_shape(response.json(), user)
    assert user.check_password(PASSWORD)


def test_register_token_authenticates_the_new_user():
    token = register("erin").json()["token"]
    response = client_with(token).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "erin"


def test_register_stores_the_optional_email():
    response = register("erin", email="erin@example.com")
    assert response.status_code == 201
    assert User.objects.get(username="erin").email == "erin@example.com"


def test_register_never_echoes_the_password():
    response = register("erin")
    assert PASSWORD not in response.content.decode()


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("password", id="common"),
        pytest.param("xk3!q", id="too-short"),
        pytest.param("8675309214", id="numeric"),
        pytest.param("erinwalker", id="like-the-username"),
    ],
)
def test_register_with_weak_password_is_400(password):
    response = register("erinwalker", password=password)
    assert response.status_code == 400
    assert "password" in str(response.json())
    assert not User.objects.filter(username="erinwalker").exists()


def test_register_duplicate_username_is_400_case_insensitively(alice):
    response = register("ALICE")
    assert response.status_code == 400
    assert "username" in response.json()["errors"]
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_register_with_unknown_field_is_400():
    response = register("erin", is_staff=True)
    assert response.status_code == 400
    assert "is_staff" in response.json()["errors"]
    assert not User.objects.filter(username="erin").exists()


@pytest.mark.parametrize("missing", ["username", "password"])
def test_register_with_a_missing_field_is_400(missing):
    data = {"username": "erin", "password": PASSWORD}
    del data[missing]
    response = APIClient().post(REGISTER, data, format="json")
    assert response.status_code == 400
    assert missing in response.json()["errors"]
    assert not User.objects.exists()


def test_register_with_invalid_username_is_400():
    response = register("erin walker!")
    assert response.status_code == 400
    assert "username" in response.json()["errors"]
    assert not User.objects.exists()


def test_register_with_invalid_email_is_400():
    response = register("erin", email="not-an-email")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert not User.objects.exists()


# --- login -------------------------------------------------------------------


def test_login_returns_200_with_user_token_and_expiry(alice):
    response = login("alice")
    assert response.status_code == 200
    assert_token_shape(response.json(), alice)


def test_each_login_gets_its_own_token(alice):
    first = login("alice").json()["token"]
    second = login("alice").json()["token"]
    assert first != second
    assert AuthToken.objects.filter(user=alice).count() == 2


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password entirely"), ("nobody", PASSWORD)],
    ids=["bad-password", "unknown-user"],
)
def test_login_with_bad_credentials_is_400(alice, username, password):
    response = login(username, password)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not AuthToken.objects.exists()


def test_login_of_inactive_user_is_400(alice):
    alice.is_active = False
    alice.save()
    response = login("alice")
    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_login_with_unknown_field_is_400(alice):
    response = APIClient().post(
        LOGIN, {"username": "alice", "password": PASSWORD, "remember": True}, format="json"
    )
    assert response.status_code == 400
    assert "remember" in response.json()["errors"]
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("missing", ["username", "password"])
def test_login_with_a_missing_field_is_400(alice, missing):
    data = {"username": "alice", "password": PASSWORD}
    del data[missing]
    response = APIClient().post(LOGIN, data, format="json")
    assert response.status_code == 400
    assert missing in response.json()["errors"]


# --- me ----------------------------------------------------------------------


def test_me_returns_id_username_and_empty_stats(alice):
    token = login("alice").json()["token"]
    response = client_with(token).get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": alice.id,
        "username": "alice",
        "guest": False,
        "ratings": {"race": None, "duel": None},
        "stats": {
            "games": 0,
            "wins": 0,
            "hinted_wins": 0,
            "solved": 0,
            "avg_guesses": None,
            "by_mode": {mode: {"games": 0, "wins": 0} for mode in ("solo", "coop", "race", "duel")},
        },
    }


def test_me_stats_count_a_won_solo_game(alice_api):
    code = alice_api.post("/api/v1/quick-play/", {}, format="json").json()["code"]
    secret = secret_of(code)
    wrong = wrong_guess(code)
    assert (
        alice_api.post(f"/api/v1/rooms/{code}/guesses/", {"guess": wrong}, format="json").status_code == 201
    )
    assert (
        alice_api.post(f"/api/v1/rooms/{code}/guesses/", {"guess": secret}, format="json").status_code == 201
    )
    stats = alice_api.get(ME).json()["stats"]
    assert stats["games"] == 1
    assert stats["wins"] == 1
    assert stats["solved"] == 1
    assert stats["avg_guesses"] == 2
    assert stats["by_mode"]["solo"] == {"games": 1, "wins": 1}
    assert stats["by_mode"]["race"] == {"games": 0, "wins": 0}


def test_me_without_token_is_401_with_www_authenticate(anon_api):
    response = anon_api.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-token", "Token", "Token a b", "Bearer whatever"],
    ids=["unknown-token", "no-credentials", "spaces", "other-scheme"],
)
def test_me_with_bad_token_is_401_with_www_authenticate(alice, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- logout ------------------------------------------------------------------


def test_logout_revokes_only_this_token(alice):
    phone = client_with(login("alice").json()["token"])
    laptop = client_with(login("alice").json()["token"])
    response = phone.post(LOGOUT)
    assert response.status_code == 204
    assert phone.get(ME).status_code == 401
    assert laptop.get(ME).status_code == 200
    assert AuthToken.objects.filter(user=alice).count() == 1


def test_logoutall_revokes_every_token_of_the_user(alice, bob_api):
    phone = client_with(login("alice").json()["token"])
    laptop = client_with(login("alice").json()["token"])
    response = phone.post(LOGOUTALL)
    assert response.status_code == 204
    assert phone.get(ME).status_code == 401
    assert laptop.get(ME).status_code == 401
    assert not AuthToken.objects.filter(user=alice).exists()
    # Someone else's token is untouched.
    assert bob_api.get(ME).status_code == 200


@pytest.mark.parametrize("path", [LOGOUT, LOGOUTALL])
def test_logout_without_token_is_401(anon_api, path):
    response = anon_api.post(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_revoked_token_cannot_log_out_again(alice):
    phone = client_with(login("alice").json()["token"])
    assert phone.post(LOGOUT).status_code == 204
    assert phone.post(LOGOUT).status_code == 401


# --- token limit ---------------------------------------------------------------


def test_login_at_the_token_limit_revokes_the_oldest_token(settings, alice):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    oldest = client_with(login("alice").json()["token"])
    middle = client_with(login("alice").json()["token"])
    response = login("alice")
    assert response.status_code == 200
    newest = client_with(response.json()["token"])
    assert oldest.get(ME).status_code == 401
    assert middle.get(ME).status_code == 200
    assert newest.get(ME).status_code == 200
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_login_below_the_token_limit_keeps_every_token(settings, alice):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 3}
    clients = [client_with(login("alice").json()["token"]) for _ in range(3)]
    assert [client.get(ME).status_code for client in clients] == [200, 200, 200]


def test_token_limit_counts_only_the_users_own_tokens(settings, alice, bob_api):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 1}
    login("alice")
    login("alice")
    assert bob_api.get(ME).status_code == 200


# --- throttling ----------------------------------------------------------------


def test_third_login_in_a_minute_is_429_with_retry_after(settings, alice):
    set_rate(settings, "login", "2/min")
    assert login("alice").status_code == 200
    assert login("alice").status_code == 200
    response = login("alice")
    assert_throttled(response)
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_failed_logins_count_towards_the_login_throttle(settings, alice):
    set_rate(settings, "login", "2/min")
    assert login("alice", "wrong password entirely").status_code == 400
    assert login("alice", "wrong password entirely").status_code == 400
    assert_throttled(login("alice"))
    assert not AuthToken.objects.exists()


def test_login_throttle_is_per_client_address(settings, alice):
    set_rate(settings, "login", "1/min")
    assert login("alice", REMOTE_ADDR="10.0.0.1").status_code == 200
    assert login("alice", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert login("alice", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_third_register_in_a_minute_is_429_with_retry_after(settings):
    set_rate(settings, "register", "2/min")
    assert register("erin").status_code == 201
    assert register("frank").status_code == 201
    assert_throttled(register("grace"))
    assert not User.objects.filter(username="grace").exists()


def test_third_guess_in_a_minute_is_429_with_retry_after(settings, alice_api):
    code = alice_api.post("/api/v1/quick-play/", {}, format="json").json()["code"]
    wrong = wrong_guess(code)
    set_rate(settings, "guess", "2/min")
    url = f"/api/v1/rooms/{code}/guesses/"
    assert alice_api.post(url, {"guess": wrong}, format="json").status_code == 201
    assert alice_api.post(url, {"guess": wrong}, format="json").status_code == 201
    assert_throttled(alice_api.post(url, {"guess": wrong}, format="json"))
    room = Room.objects.get(code=code)
    assert Guess.objects.filter(room=room).count() == 2
    assert room.version == 3  # game_started, then two guesses


def test_guess_throttle_does_not_limit_reading_guesses(settings, alice_api):
    code = alice_api.post("/api/v1/quick-play/", {}, format="json").json()["code"]
    wrong = wrong_guess(code)
    set_rate(settings, "guess", "1/min")
    url = f"/api/v1/rooms/{code}/guesses/"
    assert alice_api.post(url, {"guess": wrong}, format="json").status_code == 201
    assert alice_api.post(url, {"guess": wrong}, format="json").status_code == 429
    assert alice_api.get(url).status_code == 200


def test_guess_throttle_is_per_user(settings, alice_api, bob_api):
    alice_code = alice_api.post("/api/v1/quick-play/", {}, format="json").json()["code"]
    bob_code = bob_api.post("/api/v1/quick-play/", {}, format="json").json()["code"]
    set_rate(settings, "guess", "1/min")
    alice_wrong = wrong_guess(alice_code)
    bob_wrong = wrong_guess(bob_code)
    assert (
        alice_api.post(
            f"/api/v1/rooms/{alice_code}/guesses/", {"guess": alice_wrong}, format="json"
        ).status_code
        == 201
    )
    assert (
        alice_api.post(
            f"/api/v1/rooms/{alice_code}/guesses/", {"guess": alice_wrong}, format="json"
        ).status_code
        == 429
    )
    assert (
        bob_api.post(f"/api/v1/rooms/{bob_code}/guesses/", {"guess": bob_wrong}, format="json").status_code
        == 201
    )
