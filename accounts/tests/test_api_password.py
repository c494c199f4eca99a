"""POST /api/v1/auth/password/ and /password-reset/ (SPEC §7): change, revoke the other tokens, reset by email."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tests.test_api_auth import assert_throttled, client_with, login, set_rate

pytestmark = pytest.mark.django_db

PASSWORD_URL = "/api/v1/auth/password/"
RESET_URL = "/api/v1/auth/password-reset/"
ME = "/api/v1/auth/me/"
OLD = "correct horse battery staple"  # conftest's make_user default
NEW = "a brand new passphrase"

User = get_user_model()


def tokens(user, n: int) -> list[str]:
    return [AuthToken.objects.create(user=user)[1] for _ in range(n)]


def change(client, old=OLD, new=NEW, **extra):
    return client.post(PASSWORD_URL, {"old_password": old, "new_password": new, **extra}, format="json")


# --- change -------------------------------------------------------------------------


def test_password_change_is_204_and_the_new_password_signs_in(alice):
    mine, _ = tokens(alice, 2)
    response = change(client_with(mine))
    assert response.status_code == 204
    assert response.content == b""
    assert login("alice", NEW).status_code == 200
    assert login("alice", OLD).status_code == 400


def test_password_change_revokes_the_other_tokens_and_keeps_the_callers(alice, bob):
    mine, other, another = tokens(alice, 3)
    (bobs,) = tokens(bob, 1)
    assert change(client_with(mine)).status_code == 204
    assert client_with(mine).get(ME).status_code == 200
    assert client_with(other).get(ME).status_code == 401
    assert client_with(another).get(ME).status_code == 401
    assert AuthToken.objects.filter(user=alice).count() == 1
    assert client_with(bobs).get(ME).status_code == 200


def test_wrong_old_password_is_400_and_changes_nothing(alice):
    mine, other = tokens(alice, 2)
    response = change(client_with(mine), old="not my password")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "old_password"
    alice.refresh_from_db()
    assert alice.check_password(OLD)
    assert client_with(other).get(ME).status_code == 200


@pytest.mark.parametrize(
    ("new", "rule"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749261538", "entirely numeric"),
        ("alice1234", "similar"),
    ],
)
def test_a_weak_new_password_is_400_naming_the_rule(alice, new, rule):
    (mine,) = tokens(alice, 1)
    response = change(client_with(mine), new=new)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "new_password"
    assert rule in body["detail"]
    alice.refresh_from_db()
    assert alice.check_password(OLD)


@pytest.mark.parametrize(
    "data",
    [{"old_password": OLD}, {"new_password": NEW}, {"old_password": OLD, "new_password": 5}, {}],
    ids=["no-new", "no-old", "number", "empty"],
)
def test_password_change_with_missing_or_wrong_typed_fields_is_400(alice, data):
    (mine,) = tokens(alice, 1)
    response = client_with(mine).post(PASSWORD_URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_password_change_with_an_unknown_field_is_400(alice):
    (mine,) = tokens(alice, 1)
    response = change(client_with(mine), extra="x")
    assert response.status_code == 400
    assert response.json()["field"] == "extra"


def test_password_change_needs_a_token(alice):
    response = change(APIClient())
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_password_change_attempts_count_against_the_login_throttle(alice, settings):
    set_rate(settings, "login", "2/min")
    (mine,) = tokens(alice, 1)
    client = client_with(mine)
    assert change(client, old="wrong one").status_code == 400
    assert change(client, old="wrong two").status_code == 400
    assert_throttled(change(client))
    alice.refresh_from_db()
    assert alice.check_password(OLD)


# --- reset by email -------------------------------------------------------------------


def reset(email: str, **kwargs):
    return APIClient().post(RESET_URL, {"email": email}, format="json", **kwargs)


def test_reset_for_a_known_address_is_202_and_mails_a_link(make_user):
    user = make_user("erin")
    user.email = "erin@example.com"
    user.save()
    response = reset("Erin@Example.com")
    assert response.status_code == 202
    assert response.content == b""
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erin@example.com"]
    assert "Reset your Mastermind Online password" in message.subject
    assert "erin" in message.body
    assert re.search(r"http://testserver/accounts/reset/[\w-]+/[\w-]+/", message.body)


def test_reset_for_an_unknown_address_is_the_same_202_and_sends_nothing(make_user):
    known = make_user("erin")
    known.email = "erin@example.com"
    known.save()
    unknown = reset("nobody@example.com")
    assert unknown.status_code == 202
    assert mail.outbox == []
    assert unknown.content == reset("erin@example.com").content
    assert len(mail.outbox) == 1


def test_reset_link_sets_a_new_password_in_the_browser_and_revokes_every_token(make_user):
    user = make_user("erin")
    user.email = "erin@example.com"
    user.save()
    (token,) = tokens(user, 1)
    assert reset("erin@example.com").status_code == 202
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    browser = Client()
    form_page = browser.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    # Django swaps the token in the URL for a session marker before showing the form.
    set_url = form_page.redirect_chain[-1][0]
    done = browser.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert login("erin", NEW).status_code == 200
    assert client_with(token).get(ME).status_code == 401
    # The link works once.
    again = Client().get(link, follow=True)
    assert "This link does not work" in again.content.decode()


def test_reset_mails_no_inactive_account(make_user):
    user = make_user("erin")
    user.email = "erin@example.com"
    user.is_active = False
    user.save()
    assert reset("erin@example.com").status_code == 202
    assert mail.outbox == []


@pytest.mark.parametrize(
    "data", [{"email": "not an address"}, {}, {"email": "a@b.c", "x": 1}], ids=["bad", "none", "extra"]
)
def test_reset_with_a_malformed_body_is_400(db, data):
    response = APIClient().post(RESET_URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert mail.outbox == []


def test_reset_counts_against_the_login_throttle(db, settings):
    set_rate(settings, "login", "2/min")
    assert reset("a@example.com").status_code == 202
    assert reset("b@example.com").status_code == 202
    assert_throttled(reset("c@example.com"))
