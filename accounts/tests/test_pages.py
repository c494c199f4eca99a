"""Sign-up, sign-in and sign-out pages (session auth), as a browser sees them."""

import html
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HTMX = {"HX-Request": "true"}


def csrf_token(response, action: str) -> str:
    """The token inside the form that posts to `action`."""
    content = response.content.decode()
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', content, re.S)
    assert form, f"no form posts to {action}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token, f"the form to {action} carries no CSRF token"
    return token.group(1)


def text(response) -> str:
    return html.unescape(response.content.decode())


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


# --- register -----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_register_page_has_the_form(headers):
    response = Client().get("/accounts/register/", headers=headers)
    assert response.status_code == 200
    content = response.content.decode()
    for name in ("username", "password1", "password2"):
        assert f'name="{name}"' in content
    assert csrf_token(response, "/accounts/register/")


def test_register_signs_in_and_redirects_to_the_lobby():
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client.get("/accounts/register/"), "/accounts/register/")

    response = client.post(
        "/accounts/register/",
        {"csrfmiddlewaretoken": token, "username": "erin", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == "erin"
    assert User.objects.get(username="erin").check_password(PASSWORD)
    assert 'href="/users/erin/"' in client.get("/").content.decode()


def test_register_without_a_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/register/")
    response = client.post(
        "/accounts/register/", {"username": "erin", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="erin").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", "This password is too common."),
        ("x7!q", "This password is too short. It must contain at least 8 characters."),
        ("4815162342", "This password is entirely numeric."),
    ],
    ids=["common", "short", "numeric"],
)
def test_register_with_a_weak_password_is_400_with_the_validator_message(password, message):
    client = Client()
    response = client.post(
        "/accounts/register/", {"username": "erin", "password1": password, "password2": password}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert not User.objects.filter(username="erin").exists()
    assert signed_in_as(client) is None


def test_register_with_a_taken_username_is_400(alice):
    response = Client().post(
        "/accounts/register/", {"username": "alice", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400
    assert "A user with that username already exists." in text(response)
    assert User.objects.filter(username="alice").count() == 1


def test_register_that_loses_a_race_for_the_username_is_400_not_500():
    """Another sign-up takes the name between the form's check and the insert."""
    raced = []

    def other_signup_commits_first(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The form's last "is it free?" check: the model's unique check, after clean_username's.
        if 'FROM "accounts_user" WHERE "accounts_user"."username" = ' in sql and not raced:
            raced.append(True)
            User.objects.create_user(username="erin", password=PASSWORD)
        return result

    with connection.execute_wrapper(other_signup_commits_first):
        response = Client().post(
            "/accounts/register/", {"username": "erin", "password1": PASSWORD, "password2": PASSWORD}
        )
    assert raced
    assert response.status_code == 400
    assert "That username is taken." in text(response)
    assert User.objects.filter(username="erin").count() == 1


def test_register_with_mismatched_passwords_is_400():
    response = Client().post(
        "/accounts/register/", {"username": "erin", "password1": PASSWORD, "password2": PASSWORD + "!"}
    )
    assert response.status_code == 400
    assert "The two password fields didn’t match." in text(response)
    assert not User.objects.exists()


def test_register_with_markup_in_the_username_is_400_and_escaped():
    response = Client().post(
        "/accounts/register/", {"username": "<b>x</b>", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400
    assert "Enter a valid username." in text(response)
    assert "<b>x</b>" not in response.content.decode()
    assert not User.objects.exists()


def test_register_when_signed_in_redirects_to_the_lobby(alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/accounts/register/")
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- login --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_login_page_has_the_form(headers):
    response = Client().get("/accounts/login/", headers=headers)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert csrf_token(response, "/accounts/login/")


def test_login_with_good_credentials_starts_a_session(alice):
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client.get("/accounts/login/"), "/accounts/login/")

    response = client.post(
        "/accounts/login/", {"csrfmiddlewaretoken": token, "username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == "alice"


def test_login_with_a_bad_password_re_renders_with_the_error(alice):
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong password"})
    # Django's LoginView re-renders an invalid form with 200.
    assert response.status_code == 200
    assert "Please enter a correct username and password." in text(response)
    assert 'role="alert"' in response.content.decode()
    assert signed_in_as(client) is None


def test_login_respects_next(alice):
    client = Client()
    page = client.get("/accounts/login/?next=/leaderboard/")
    assert 'name="next" value="/leaderboard/"' in page.content.decode()

    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/leaderboard/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/leaderboard/"


def test_login_ignores_a_next_on_another_site(alice):
    response = Client().post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_page_when_signed_in_redirects(alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- logout -------------------------------------------------------------------------


def test_logout_from_the_nav_form_signs_out(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    token = csrf_token(client.get("/"), "/accounts/logout/")

    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) is None
    assert 'href="/accounts/login/"' in client.get("/").content.decode()


def test_logout_by_get_is_405_and_keeps_the_session(alice):
    client = Client()
    client.force_login(alice)
    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in_as(client) == "alice"


def test_logout_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/accounts/logout/").status_code == 403
    assert signed_in_as(client) == "alice"
