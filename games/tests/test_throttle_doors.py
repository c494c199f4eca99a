"""One throttle scope counts one action through every door (issue #10, defects 1 and 2).

Login, sign-up, guesses and chat lines are counted against the same
counters (the same cache keys) whether they come over REST, the socket or
an HTML form; a form that is throttled answers 429 with `Retry-After`. The
client address is the socket peer unless `NUM_PROXIES` trusts proxies, so a
forged `X-Forwarded-For` never resets a per-address limit.
"""

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from games import services
from games.models import ChatMessage, Guess, Room
from games.tests.factories import wrong_guess
from games.tests.test_consumers import (  # noqa: F401 (ws is a fixture)
    db,
    guess_count,
    make_room,
    move,
    receive,
    wrong_guess_of,
    ws,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WRONG = "not the password at all"


def set_rate(settings, scope: str, rate: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: rate}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def assert_html_throttled(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert re.search(r"try again in \d+ s\.", response.content.decode())


def api_login(password: str = PASSWORD, **headers):
    return APIClient(**headers).post(
        "/api/v1/auth/login/", {"username": "alice", "password": password}, format="json"
    )


def form_login(password: str = PASSWORD, **headers):
    return Client(**headers).post("/accounts/login/", {"username": "alice", "password": password})


def api_register(username: str, **headers):
    return APIClient(**headers).post(
        "/api/v1/auth/register/", {"username": username, "password": "a long passphrase 42"}, format="json"
    )


def form_register(username: str, **headers):
    data = {"username": username, "password1": "a long passphrase 42", "password2": "a long passphrase 42"}
    return Client(**headers).post("/accounts/register/", data)


# --- login --------------------------------------------------------------------------------


def test_wrong_passwords_on_the_login_form_are_throttled_like_the_api(settings, alice):
    set_rate(settings, "login", "3/min")
    assert [form_login(WRONG).status_code for _ in range(3)] == [200, 200, 200]

    response = form_login(PASSWORD)

    assert_html_throttled(response)
    assert "Sign in" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_login_form_and_api_count_against_one_budget(settings, alice):
    set_rate(settings, "login", "2/min")
    assert form_login(WRONG).status_code == 200
    assert api_login(WRONG).status_code == 400

    assert api_login().status_code == 429
    assert_html_throttled(form_login())
    assert not AuthToken.objects.exists()


# --- sign-up ------------------------------------------------------------------------------


def test_register_form_and_api_count_against_one_budget(settings):
    set_rate(settings, "register", "2/min")
    assert form_register("erin").status_code == 302
    assert api_register("frank").status_code == 201

    assert api_register("grace").status_code == 429
    assert_html_throttled(form_register("heidi"))
    assert not get_user_model().objects.filter(username__in=["grace", "heidi"]).exists()


def test_sign_up_page_is_rate_limited_per_address(settings):
    set_rate(settings, "register", "1/min")
    data = {"username": "erin", "password1": "a long passphrase 42", "password2": "a long passphrase 42"}
    assert Client().post("/accounts/register/", data).status_code == 302
    response = Client().post("/accounts/register/", {**data, "username": "frank"})
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert not get_user_model().objects.filter(username="frank").exists()


# --- guesses and chat ---------------------------------------------------------------------


def form_guess(client: Client, room: Room, guess: list[int]):
    return client.post(f"/rooms/{room.code}/guess/", {f"peg_{i}": c for i, c in enumerate(guess)})


def test_guess_form_and_api_count_against_one_budget(settings, alice, alice_api):
    set_rate(settings, "guess", "2/min")
    room = services.quick_play(user=alice)
    guess = wrong_guess(room)
    browser = Client()
    browser.force_login(alice)
    assert form_guess(browser, room, guess).status_code == 302
    assert alice_api.post(f"/api/v1/rooms/{room.code}/guesses/", {"guess": guess}).status_code == 201

    assert alice_api.post(f"/api/v1/rooms/{room.code}/guesses/", {"guess": guess}).status_code == 429
    response = form_guess(browser, room, guess)

    assert_html_throttled(response)
    assert "Too many guesses" in response.content.decode()
    assert Guess.objects.filter(room=room).count() == 2


def test_throttled_guess_form_over_htmx_gets_the_board_partial_with_retry_after(settings, alice):
    set_rate(settings, "guess", "1/min")
    room = services.quick_play(user=alice)
    browser = Client()
    browser.force_login(alice)
    assert form_guess(browser, room, wrong_guess(room)).status_code == 302

    response = browser.post(
        f"/rooms/{room.code}/guess/",
        {f"peg_{i}": c for i, c in enumerate(wrong_guess(room))},
        headers={"HX-Request": "true"},
    )

    assert_html_throttled(response)
    assert response.content.decode().lstrip().startswith('<div id="board"')
    assert Guess.objects.filter(room=room).count() == 1


def test_throttled_chat_form_says_when_to_retry_in_a_header(settings, alice):
    set_rate(settings, "chat", "1/min")
    room = services.room_create(user=alice, mode="race")
    browser = Client()
    browser.force_login(alice)
    assert browser.post(f"/rooms/{room.code}/chat/", {"text": "hello"}).status_code == 302

    response = browser.post(f"/rooms/{room.code}/chat/", {"text": "hello again"})

    assert_html_throttled(response)
    assert ChatMessage.objects.filter(room=room).count() == 1


# --- the client address -----------------------------------------------------------------------


def test_a_forged_forwarded_for_does_not_reset_the_login_limit(settings, alice):
    set_rate(settings, "login", "2/min")
    assert api_login(WRONG).status_code == 400
    assert api_login(WRONG).status_code == 400

    statuses = {api_login(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(10)}
    statuses |= {form_login(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(10)}

    assert statuses == {429}
    assert not AuthToken.objects.exists()


def test_a_forged_forwarded_for_does_not_reset_the_register_limit(settings):
    set_rate(settings, "register", "1/min")
    assert api_register("erin").status_code == 201

    statuses = {api_register(f"user{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(8)}

    assert statuses == {429}
    assert get_user_model().objects.count() == 1


def test_the_socket_peer_is_the_address_whatever_the_header_says(settings, alice):
    set_rate(settings, "login", "1/min")
    assert api_login(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200

    assert api_login(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429
    assert api_login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200


def test_with_one_trusted_proxy_the_address_it_appended_is_the_client(settings, alice):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    set_rate(settings, "login", "1/min")
    proxy = {"REMOTE_ADDR": "10.0.0.9"}
    assert api_login(**proxy, HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 200

    # The client forges a first hop; the proxy appends the address it saw.
    assert api_login(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.7").status_code == 429
    assert form_login(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.2, 192.0.2.7").status_code == 429
    assert api_login(**proxy, HTTP_X_FORWARDED_FOR="192.0.2.8").status_code == 200


def test_num_proxies_comes_from_the_environment_and_defaults_to_none_trusted():
    def num_proxies(**env) -> str:
        code = "from django.conf import settings; print(settings.REST_FRAMEWORK['NUM_PROXIES'])"
        base = {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": "test-only"}
        run_env = {k: v for k, v in os.environ.items() if k != "NUM_PROXIES"} | base | env
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env=run_env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    assert num_proxies() == "0"
    assert num_proxies(NUM_PROXIES="2") == "2"


# --- the socket door ---------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_guess_form_and_socket_count_against_one_budget(settings, alice, ws):  # noqa: F811
    set_rate(settings, "guess", "2/min")
    code = await make_room(alice, "solo")
    guess = await wrong_guess_of(code)
    browser = Client()
    await db(browser.force_login)(alice)
    comm, _ = await ws.room(alice, code)

    await move(comm, guess, "first")
    assert (await receive(comm))["type"] == "move.accepted"
    await receive(comm)  # its game_update
    response = await db(browser.post)(f"/rooms/{code}/guess/", {f"peg_{i}": c for i, c in enumerate(guess)})
    assert response.status_code == 302
    await receive(comm)  # the form's game_update

    await move(comm, guess, "third")
    error = await receive(comm)
    response = await db(browser.post)(f"/rooms/{code}/guess/", {f"peg_{i}": c for i, c in enumerate(guess)})

    assert (error["type"], error["code"]) == ("error", "throttled")
    assert_html_throttled(response)
    assert await guess_count(code) == 2
