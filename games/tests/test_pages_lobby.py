"""The lobby and its forms: the room lists, quick play, a new room, joining by code."""

import pytest
from django.test import Client

from games import services
from games.models import Player, Room
from games.tests.factories import secret_of
from games.tests.pages import HTMX, browser, hx_csrf, page, section, text

pytestmark = pytest.mark.django_db


# --- lobby ----------------------------------------------------------------------------


def test_lobby_for_anonymous_has_play_now_and_sign_in_links_only(alice):
    services.room_create(user=alice, mode="race", name="Open race")
    for headers in ({}, HTMX):
        response = Client().get("/", headers=headers)
        assert response.status_code == 200
        parsed = page(response)
        assert [form["attrs"].get("action") for form in parsed.forms] == ["/play/now/"]
        content = response.content.decode()
        assert 'href="/accounts/login/?next=/"' in content
        assert 'href="/accounts/register/"' in content
        assert "Open race" in content


def test_lobby_signed_in_has_quick_play_and_every_create_setting(as_alice):
    response = as_alice.get("/")
    assert response.status_code == 200
    parsed = page(response)
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    quick = parsed.form("/play/quick/")
    assert quick["attrs"]["method"] == "post"
    assert quick["buttons"] == ["Quick play (solo, 4 pegs, 6 colours)"]
    create = parsed.form("/rooms/new/")
    assert create["attrs"]["method"] == "post"
    fields = set(create["inputs"]) | set(create["selects"])
    assert fields >= {
        "mode",
        "name",
        "code_length",
        "colors",
        "max_guesses",
        "allow_duplicates",
        "max_players",
        "private",
        "csrfmiddlewaretoken",
    }
    assert [value for value, _ in create["selects"]["mode"]] == ["solo", "coop", "race", "duel"]
    assert create["input_attrs"]["allow_duplicates"]["type"] == "checkbox"
    assert "checked" in create["input_attrs"]["allow_duplicates"]
    assert create["input_attrs"]["private"]["type"] == "checkbox"
    assert "checked" not in create["input_attrs"]["private"]
    assert create["inputs"]["code_length"] == "4"
    assert create["inputs"]["colors"] == "6"
    assert create["inputs"]["max_guesses"] == "10"


def test_lobby_lists_only_joinable_public_rooms(as_carol, alice, bob, dave):
    services.room_create(user=alice, mode="race", name="Open race")
    services.room_create(user=alice, mode="coop", name="Open coop")
    services.room_create(user=alice, mode="race", name="Private race", private=True)
    services.room_create(user=alice, mode="solo", name="Solo run")
    full = services.room_create(user=alice, mode="duel", name="Full duel")
    services.room_join(room_code=full.code, user=bob)
    started = services.room_create(user=alice, mode="coop", name="Started coop")
    services.room_join(room_code=started.code, user=dave)
    services.room_start(room_code=started.code, user=alice)

    for headers in ({}, HTMX):
        content = as_carol.get("/", headers=headers).content.decode()
        joinable = section(content, 'id="lobby-rooms"', "</ul>")
        assert "Open race" in joinable
        assert "Open coop" in joinable
        for hidden in ("Private race", "Solo run", "Full duel", "Started coop"):
            assert hidden not in joinable
        assert "Private race" not in content


def test_lobby_lists_your_waiting_and_playing_games_private_ones_included(as_alice, alice, bob):
    services.room_create(user=alice, mode="race", name="My waiting race")
    services.room_create(user=alice, mode="coop", name="My private coop", private=True)
    services.room_create(user=alice, mode="solo", name="My solo")
    done = services.room_create(user=alice, mode="solo", name="My finished solo")
    services.guess_submit(room_code=done.code, user=alice, guess=secret_of(done))
    joined = services.room_create(user=bob, mode="race", name="Bob's race I joined")
    services.room_join(room_code=joined.code, user=alice)
    services.room_create(user=bob, mode="race", name="Bob's other race")

    content = text(as_alice.get("/"))
    mine = section(content, 'aria-labelledby="mine-title"', "</section>")
    for name in ("My waiting race", "My private coop", "My solo", "Bob's race I joined"):
        assert name in mine
    assert "My finished solo" not in mine
    assert "Bob's other race" not in mine


# --- quick play -----------------------------------------------------------------------


def test_quick_play_from_the_lobby_form_redirects_to_a_started_solo_board(alice):
    client = browser(alice, enforce_csrf_checks=True)
    form = page(client.get("/")).form("/play/quick/")

    response = client.post("/play/quick/", form["inputs"])

    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.mode, room.status, room.owner) == ("solo", "playing", alice)
    assert (room.code_length, room.colors, room.max_guesses, room.allow_duplicates) == (4, 6, 10, True)
    assert page(client.get(response["Location"])).form(f"/rooms/{room.code}/guess/")


def test_quick_play_with_htmx_answers_with_hx_redirect(alice):
    client = browser(alice, enforce_csrf_checks=True)
    lobby = client.get("/")
    form = page(lobby).form("/play/quick/")
    data = {k: v for k, v in form["inputs"].items() if k != "csrfmiddlewaretoken"}

    response = client.post("/play/quick/", data, headers={**HTMX, "X-CSRFToken": hx_csrf(lobby)})

    room = Room.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/rooms/{room.code}/"
    assert room.status == "playing"


def test_quick_play_without_a_csrf_token_is_refused(alice):
    client = browser(alice, enforce_csrf_checks=True)
    client.get("/")
    assert client.post("/play/quick/", {"code_length": 4, "colors": 6, "max_guesses": 10}).status_code == 403
    assert not Room.objects.exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_quick_play_with_eleven_colours_is_400_with_the_error(as_alice, headers):
    response = as_alice.post(
        "/play/quick/", {"code_length": 4, "colors": 11, "max_guesses": 10}, headers=headers
    )
    assert response.status_code == 400
    page(response)
    assert "Colours: Ensure this value is less than or equal to 10." in text(response)
    assert "HX-Redirect" not in response
    assert not Room.objects.exists()


def test_quick_play_settings_the_rules_reject_are_400_with_the_message(as_alice):
    response = as_alice.post("/play/quick/", {"code_length": 8, "colors": 6, "max_guesses": 10})
    assert response.status_code == 400
    assert "Without duplicates, colors must be at least code_length (8)." in text(response)
    assert not Room.objects.exists()


def test_quick_play_needs_a_sign_in(db):
    response = Client().post("/play/quick/", {"code_length": 4, "colors": 6, "max_guesses": 10})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/play/quick/"
    assert not Room.objects.exists()


# --- create room ----------------------------------------------------------------------


def create_data(**overrides) -> dict:
    data = {
        "mode": "race",
        "name": "",
        "code_length": "4",
        "colors": "6",
        "max_guesses": "10",
        "allow_duplicates": "on",
        "max_players": "",
    }
    return {**data, **overrides}


def test_create_room_from_the_lobby_form_with_every_setting(alice):
    client = browser(alice, enforce_csrf_checks=True)
    form = page(client.get("/")).form("/rooms/new/")
    data = {
        "csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"],
        "mode": "race",
        "name": "Friday night",
        "code_length": "5",
        "colors": "8",
        "max_guesses": "12",
        "max_players": "3",
        "private": "on",
    }

    response = client.post("/rooms/new/", data)

    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.name, room.mode, room.status, room.private) == ("Friday night", "race", "waiting", True)
    assert (room.code_length, room.colors, room.max_guesses, room.allow_duplicates) == (5, 8, 12, False)
    assert room.max_players == 3
    board = text(client.get(response["Location"]))
    assert "5 pegs · 8 colours · 12 guesses · no repeats · up to 3 players" in board


@pytest.mark.parametrize(
    ("mode", "players", "status"),
    [("solo", 1, "playing"), ("coop", 4, "waiting"), ("race", 4, "waiting"), ("duel", 2, "waiting")],
)
def test_create_room_of_every_mode_with_default_seats(as_alice, alice, mode, players, status):
    response = as_alice.post("/rooms/new/", create_data(mode=mode))
    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.mode, room.max_players, room.status, room.owner) == (mode, players, status, alice)
    role = "codemaker" if mode == "duel" else "player"
    assert Player.objects.get(room=room).role == role


def test_create_room_with_htmx_answers_with_hx_redirect(alice):
    client = browser(alice, enforce_csrf_checks=True)
    lobby = client.get("/")
    response = client.post(
        "/rooms/new/", create_data(mode="coop"), headers={**HTMX, "X-CSRFToken": hx_csrf(lobby)}
    )
    room = Room.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/rooms/{room.code}/"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_create_room_with_a_61_character_name_is_400_with_a_field_error(as_alice, headers):
    response = as_alice.post("/rooms/new/", create_data(name="n" * 61), headers=headers)
    assert response.status_code == 400
    create = page(response).form("/rooms/new/")
    assert create["inputs"]["name"] == "n" * 61
    assert "Ensure this value has at most 60 characters (it has 61)." in text(response)
    assert 'class="field-error"' in response.content.decode()
    assert not Room.objects.exists()


def test_create_room_with_seats_the_mode_forbids_is_400_with_the_message(as_alice):
    response = as_alice.post("/rooms/new/", create_data(mode="duel", max_players="3"))
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Room.objects.exists()


def test_create_room_with_an_unknown_mode_is_400(as_alice):
    response = as_alice.post("/rooms/new/", create_data(mode="chess"))
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert not Room.objects.exists()


# --- join by code ---------------------------------------------------------------------


def test_join_by_code_lets_an_invited_player_into_a_private_room(alice, bob):
    room = services.room_create(user=alice, mode="race", private=True)
    client = Client()
    client.force_login(bob)
    assert client.get(f"/rooms/{room.code}/").status_code == 404
    response = client.post("/join/", {"code": room.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert client.get(f"/rooms/{room.code}/").status_code == 200
    assert room.players.filter(user=bob).exists()


def test_join_by_code_of_an_unknown_room_is_404_on_the_lobby(bob):
    client = Client()
    client.force_login(bob)
    response = client.post("/join/", {"code": "ZZZZZZ"})
    assert response.status_code == 404
    assert "No such room." in response.content.decode()


def test_join_by_code_of_your_own_room_takes_you_to_it(alice):
    room = services.room_create(user=alice, mode="race")
    client = Client()
    client.force_login(alice)
    response = client.post("/join/", {"code": room.code})
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"


def test_join_by_code_of_a_full_room_is_409(alice, bob, carol):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)
    client = Client()
    client.force_login(carol)
    assert client.post("/join/", {"code": room.code}).status_code == 409
    assert not room.players.filter(user=carol).exists()


def test_join_by_code_with_a_nul_byte_is_404_not_a_server_error(bob):
    client = Client()
    client.force_login(bob)
    response = client.post("/join/", {"code": "AB\x00CDE"})
    assert response.status_code == 404


def test_lobby_rows_tell_rooms_of_the_same_name_apart(alice, bob, as_carol):
    from games import services

    services.room_create(user=alice, mode="race", name="Friday", code_length=5, colors=8)
    services.room_create(user=bob, mode="duel", name="Friday", rated=True)
    content = as_carol.get("/").content.decode()
    assert "5 pegs · 8 colours · 10 guesses" in content and "4 pegs · 6 colours · 10 guesses" in content
    assert "by alice" in content and "by bob" in content and '<span class="tag">rated</span>' in content
