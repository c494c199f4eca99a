"""The board's room actions: join, leave, start, delete and rematch."""

import pytest
from django.test import Client

from games import services
from games.models import Player, Room
from games.tests.factories import fresh, make_room
from games.tests.pages import HTMX, board_url, browser, hx_csrf, is_partial, page, refused, snapshot

pytestmark = pytest.mark.django_db


# --- join, leave, start, delete, rematch ----------------------------------------------


def test_join_from_the_spectator_form_without_js(alice, bob):
    room = services.room_create(user=alice, mode="race")
    client = browser(bob, enforce_csrf_checks=True)
    parsed = page(client.get(board_url(room)))
    assert parsed.actions == {"Join"}
    form = parsed.form(f"/rooms/{room.code}/join/")

    response = client.post(board_url(room, "join/"), form["inputs"])

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert Player.objects.filter(room=room, user=bob).exists()
    assert page(client.get(board_url(room))).actions == {"Leave"}


def test_join_with_htmx_returns_the_board_partial(alice, bob):
    room = services.room_create(user=alice, mode="race")
    client = browser(bob, enforce_csrf_checks=True)
    board = client.get(board_url(room))

    response = client.post(board_url(room, "join/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})

    assert response.status_code == 200
    assert is_partial(response)
    assert page(response).actions == {"Leave"}
    assert 'data-username="bob" data-status="waiting"' in response.content.decode()


def test_action_without_a_csrf_token_is_refused(alice, bob):
    room = services.room_create(user=alice, mode="race")
    client = browser(bob, enforce_csrf_checks=True)
    client.get(board_url(room))
    assert client.post(board_url(room, "join/"), headers=HTMX).status_code == 403
    assert client.post(board_url(room, "join/")).status_code == 403
    assert not Player.objects.filter(room=room, user=bob).exists()


# Each way the board refuses a room action: (mode, status, who joined, who posts,
# the action, the status code, the message). alice owns every room.
# fmt: off
REFUSED = {
    "join-a-full-room":              ("duel", "waiting", ["bob"], "carol", "join/",   409, "The room is full."),
    "join-twice":                    ("race", "waiting", [],      "alice", "join/",   409, "You have already joined this room."),
    "leave-as-a-spectator":          ("race", "waiting", ["bob"], "carol", "leave/",  403, "You are not a player in this room."),
    "start-as-a-non-owner":          ("race", "waiting", ["bob"], "bob",   "start/",  403, "Only the room's owner can start the game."),
    "start-alone":                   ("coop", "waiting", [],      "alice", "start/",  409, "A coop game needs at least 2 players."),
    "start-a-duel-without-a-secret": ("duel", "waiting", ["bob"], "alice", "start/",  409, "The codemaker has not set the secret yet."),
    "start-twice":                   ("race", "playing", ["bob"], "alice", "start/",  409, "The game has already started."),
    "delete-as-a-non-owner":         ("race", "waiting", ["bob"], "bob",   "delete/", 403, "Only the room's owner can delete it."),
    "delete-a-started-room":         ("race", "playing", ["bob"], "alice", "delete/", 409, None),
}
# fmt: on


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", REFUSED)
def test_refused_room_action_rerenders_the_board_with_its_status(alice, bob, carol, case, headers):
    mode, status, joined, poster, action, code, message = REFUSED[case]
    users = {"alice": alice, "bob": bob, "carol": carol}
    room = make_room(alice, mode, status, join=[users[name] for name in joined])
    refused(browser(users[poster]), room, action, headers=headers, status=code, message=message)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_leave_while_waiting_removes_the_player(as_bob, alice, bob, headers):
    room = make_room(alice, "race", "waiting", join=[bob])
    response = as_bob.post(board_url(room, "leave/"), headers=headers)
    if headers:
        assert response.status_code == 200
        assert is_partial(response)
        assert page(response).actions == {"Join"}
    else:
        assert response.status_code == 302
        assert response["Location"] == f"/rooms/{room.code}/"
    assert not Player.objects.filter(room=room, user=bob).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_leave_while_playing_is_a_forfeit(as_bob, alice, bob, headers):
    room = make_room(alice, "race", "playing", join=[bob])
    response = as_bob.post(board_url(room, "leave/"), headers=headers)
    assert response.status_code == (200 if headers else 302)
    assert Player.objects.get(room=room, user=bob).status == "left"
    content = as_bob.get(board_url(room)).content.decode()
    assert 'data-username="bob" data-status="left"' in content
    assert page(as_bob.get(board_url(room))).actions == set()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_owner_starts_the_game(alice, bob, headers):
    room = make_room(alice, "race", "waiting", join=[bob])
    client = browser(alice, enforce_csrf_checks=True)
    board = client.get(board_url(room))
    form = page(board).form(f"/rooms/{room.code}/start/")
    if headers:
        response = client.post(board_url(room, "start/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})
        assert response.status_code == 200
        assert is_partial(response)
        assert page(response).actions == {"Guess", "Forfeit and leave"}
    else:
        response = client.post(board_url(room, "start/"), form["inputs"])
        assert response.status_code == 302
        assert response["Location"] == f"/rooms/{room.code}/"
    assert fresh(room).status == "playing"


def test_delete_without_js_redirects_to_the_lobby(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="race")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/delete/")

    response = client.post(board_url(room, "delete/"), form["inputs"])

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Room.objects.filter(pk=room.pk).exists()
    assert client.get(board_url(room)).status_code == 404


def test_delete_with_htmx_answers_with_hx_redirect_to_the_lobby(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="race")
    board = client.get(board_url(room))
    form = page(board).form(f"/rooms/{room.code}/delete/")
    assert form["attrs"]["hx-target"] == "#board"

    response = client.post(board_url(room, "delete/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/"
    assert not Room.objects.filter(pk=room.pk).exists()


def test_rematch_without_js_redirects_to_the_new_room(bob, alice):
    room = make_room(alice, "race", "finished", join=[bob])
    client = browser(bob, enforce_csrf_checks=True)
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/rematch/")

    response = client.post(board_url(room, "rematch/"), form["inputs"])

    new = Room.objects.get(rematch_of=room)
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{new.code}/"
    assert (new.owner, new.mode, new.status) == (bob, "race", "waiting")
    assert f'href="/rooms/{new.code}/"' in client.get(board_url(room)).content.decode()


def test_rematch_with_htmx_answers_with_hx_redirect(alice, bob):
    room = make_room(alice, "coop", "finished", join=[bob])
    client = browser(alice, enforce_csrf_checks=True)
    board = client.get(board_url(room))
    assert page(board).form(f"/rooms/{room.code}/rematch/")["attrs"]["hx-target"] == "#board"

    response = client.post(board_url(room, "rematch/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})

    new = Room.objects.get(rematch_of=room)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/rooms/{new.code}/"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_second_rematch_is_409_naming_the_first(as_bob, alice, bob, headers):
    room = make_room(alice, "race", "finished", join=[bob])
    first = services.room_rematch(room_code=room.code, user=alice)
    refused(
        as_bob,
        room,
        "rematch/",
        headers=headers,
        status=409,
        message=f"A rematch already exists: room {first.code}.",
    )
    assert Room.objects.filter(rematch_of=room).count() == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_rematch_by_a_spectator_is_403_and_before_the_end_409(as_alice, as_carol, alice, bob, headers):
    finished = make_room(alice, "race", "finished", join=[bob])
    assert as_carol.post(board_url(finished, "rematch/"), headers=headers).status_code == 403
    playing = make_room(alice, "race", "playing", join=[bob])
    assert as_alice.post(board_url(playing, "rematch/"), headers=headers).status_code == 409
    assert not Room.objects.filter(rematch_of__isnull=False).exists()


@pytest.mark.parametrize(
    "suffix", ["guess/", "secret/", "chat/", "rematch/", "delete/", "join/", "leave/", "start/", "dance/"]
)
def test_get_on_a_post_only_room_url_is_405(as_alice, alice, suffix):
    room = services.room_create(user=alice, mode="race")
    assert as_alice.get(board_url(room, suffix)).status_code == 405


@pytest.mark.parametrize("url", ["/play/quick/", "/rooms/new/", "/accounts/logout/"])
def test_get_on_a_post_only_url_is_405(as_alice, url):
    assert as_alice.get(url).status_code == 405


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_unknown_action_is_404(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="race")
    before = snapshot(room)
    response = as_alice.post(board_url(room, "dance/"), headers=headers)
    assert response.status_code == 404
    assert "Back to the lobby" in response.content.decode()
    assert snapshot(room) == before


# --- the rematch link -----------------------------------------------------------------


def test_after_a_rematch_the_old_board_links_to_it_instead_of_offering_another(alice):
    room = services.quick_play(user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    new = services.room_rematch(room_code=room.code, user=alice)
    client = Client()
    client.force_login(alice)
    page = client.get(f"/rooms/{room.code}/").content.decode()
    assert f'href="/rooms/{new.code}/"' in page
    assert f'action="/rooms/{room.code}/rematch/"' not in page
