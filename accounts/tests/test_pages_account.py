"""Account pages (SPEC §5, §7): password rules at sign-up, password change and reset, account deletion."""

import html
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from knox.models import AuthToken

from accounts.models import User
from accounts.tests.test_api_auth import client_with, set_rate
from accounts.tests.test_pages import csrf_token
from games import services

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # conftest's make_user default
NEW = "a brand new passphrase"
CHANGE = "/accounts/password/change/"
RESET = "/accounts/password/reset/"
DELETE = "/accounts/delete/"


def signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_form(client: Client, url: str, data: dict):
    return client.post(url, {"csrfmiddlewaretoken": csrf_token(client.get(url), url), **data})


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- sign-up shows the rules ----------------------------------------------------------


def test_sign_up_shows_the_password_rules_before_you_submit(db):
    content = Client().get("/accounts/register/").content.decode()
    assert 'id="id_password1_helptext"' in content
    assert re.search(r'<input[^>]*name="password1"[^>]*aria-describedby="id_password1_helptext"', content)
    rules = content[content.index('id="id_password1_helptext"') :]
    for rule in ("at least 8 characters", "commonly used password", "entirely numeric"):
        assert rule in rules


def test_the_sign_in_page_offers_the_reset(db):
    assert f'href="{RESET}"' in Client().get("/accounts/login/").content.decode()


# --- password change ------------------------------------------------------------------


def test_password_change_page_needs_a_sign_in(db):
    response = Client().get(CHANGE)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={CHANGE}"


def test_password_change_page_keeps_this_session_and_revokes_every_token(alice):
    token = AuthToken.objects.create(user=alice)[1]
    other_browser = signed_in(alice)
    client = signed_in(alice)
    page = client.get(CHANGE)
    assert page.status_code == 200
    assert 'id="id_new_password1_helptext"' in page.content.decode()

    response = post_form(
        client, CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    assert "Password changed" in client.get(response["Location"]).content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert client.session.get(SESSION_KEY) == str(alice.pk)
    assert client_with(token).get("/api/v1/auth/me/").status_code == 401
    assert 'href="/users/alice/"' not in other_browser.get("/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
            "old password was entered incorrectly",
        ),
        ({"old_password": PASSWORD, "new_password1": "short1", "new_password2": "short1"}, "too short"),
        ({"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "!"}, "didn’t match"),
    ],
    ids=["wrong-old", "weak", "mismatch"],
)
def test_password_change_page_refusals_are_400_and_change_nothing(alice, data, message):
    token = AuthToken.objects.create(user=alice)[1]
    response = post_form(signed_in(alice), CHANGE, data)
    assert response.status_code == 400
    assert message in text(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert client_with(token).get("/api/v1/auth/me/").status_code == 200


def test_password_change_page_counts_against_the_login_throttle(alice, settings):
    set_rate(settings, "login", "1/min")
    client = signed_in(alice)
    data = {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}
    assert post_form(client, CHANGE, data).status_code == 400
    response = post_form(client, CHANGE, {**data, "old_password": PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many attempts" in text(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- password reset -------------------------------------------------------------------


def test_reset_page_sends_the_link_and_says_the_same_for_an_unknown_address(make_user):
    erin = make_user("erin")
    erin.email = "erin@example.com"
    erin.save()
    page = Client().get(RESET)
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()

    known = post_form(Client(enforce_csrf_checks=True), RESET, {"email": "erin@example.com"})
    unknown = post_form(Client(enforce_csrf_checks=True), RESET, {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    assert "Check your email" in Client().get(known["Location"]).content.decode()
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_reset_page_counts_against_the_login_throttle(db, settings):
    set_rate(settings, "login", "1/min")
    assert post_form(Client(), RESET, {"email": "a@example.com"}).status_code == 302
    response = post_form(Client(), RESET, {"email": "b@example.com"})
    assert response.status_code == 429
    assert "Too many attempts" in text(response)


def test_a_broken_reset_link_says_so(alice):
    response = Client().get("/accounts/reset/MQ/not-a-token/")
    assert response.status_code == 200
    assert "This link does not work" in text(response)
    assert f'href="{RESET}"' in response.content.decode()


# --- account deletion -----------------------------------------------------------------


def test_delete_page_needs_a_sign_in(db):
    response = Client().get(DELETE)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={DELETE}"


def test_delete_page_asks_for_the_password_and_a_confirmation(alice):
    content = signed_in(alice).get(DELETE).content.decode()
    assert 'name="password"' in content
    assert re.search(r'<input type="checkbox" name="confirm"[^>]*required', content)
    assert "cannot be undone" in content


def test_delete_page_deletes_signs_out_and_keeps_finished_games(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    services.room_leave(room_code=room.code, user=alice)
    client = signed_in(alice)

    response = post_form(client, DELETE, {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/delete/done/"
    assert "Your account is deleted" in client.get(response["Location"]).content.decode()
    assert SESSION_KEY not in client.session
    alice.refresh_from_db()
    assert alice.username.startswith("deleted-")
    assert not alice.is_active
    board = signed_in(bob).get(f"/rooms/{room.code}/")
    assert board.status_code == 200
    assert alice.username in board.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": PASSWORD}, "This field is required."),
        ({"password": "wrong", "confirm": "on"}, "That is not your current password."),
    ],
    ids=["unconfirmed", "wrong-password"],
)
def test_delete_page_refusals_are_400_and_delete_nothing(alice, data, message):
    response = post_form(signed_in(alice), DELETE, data)
    assert response.status_code == 400
    assert message in text(response)
    assert User.objects.get(pk=alice.pk).is_active
