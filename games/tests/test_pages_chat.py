"""The board's chat form."""

import re

import pytest

from games import services
from games.models import ChatMessage
from games.tests.factories import make_room
from games.tests.pages import HTMX, board_url, browser, hx_csrf, is_partial, page, refused, snapshot

pytestmark = pytest.mark.django_db


def test_chat_from_the_board_form_is_stored_and_shown_escaped(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="race")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/chat/")

    response = client.post(
        board_url(room, "chat/"),
        {"csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"], "text": "<script>alert(1)</script>"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert ChatMessage.objects.get(room=room).text == "<script>alert(1)</script>"
    content = client.get(board_url(room)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content


def test_chat_with_htmx_returns_the_partial_with_the_line(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob])
    client = browser(bob, enforce_csrf_checks=True)
    board = client.get(board_url(room))

    response = client.post(
        board_url(room, "chat/"),
        {"text": "good luck <b>all</b>"},
        headers={**HTMX, "X-CSRFToken": hx_csrf(board)},
    )

    assert response.status_code == 200
    assert is_partial(response)
    content = response.content.decode()
    assert "<strong>bob</strong> good luck &lt;b&gt;all&lt;/b&gt;" in content


def test_spectator_of_a_public_room_may_chat(as_carol, alice, bob):
    room = make_room(alice, "race", "playing", join=[bob])
    assert as_carol.post(board_url(room, "chat/"), {"text": "go bob"}).status_code == 302
    assert ChatMessage.objects.get(room=room).user.username == "carol"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("message", ["", "   ", "x" * 501], ids=["empty", "blank", "501-chars"])
def test_bad_chat_is_400_and_nothing_stored(as_alice, alice, headers, message):
    room = services.room_create(user=alice, mode="race")
    refused(
        as_alice,
        room,
        "chat/",
        {"text": message},
        headers=headers,
        status=400,
        message="A chat message has 1 to 500 characters.",
    )


def test_chat_of_exactly_500_characters_is_stored(as_alice, alice):
    room = services.room_create(user=alice, mode="race")
    assert as_alice.post(board_url(room, "chat/"), {"text": "y" * 500}).status_code == 302
    assert len(ChatMessage.objects.get(room=room).text) == 500


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_third_chat_line_within_a_minute_is_429_at_two_per_minute(as_alice, alice, settings, headers):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "chat": "2/min"}
    settings.REST_FRAMEWORK = rest
    room = services.room_create(user=alice, mode="race")

    ok = [as_alice.post(board_url(room, "chat/"), {"text": f"line {i}"}, headers=headers) for i in range(2)]
    before = snapshot(room)
    response = as_alice.post(board_url(room, "chat/"), {"text": "one too many"}, headers=headers)

    assert [r.status_code for r in ok] == ([200, 200] if headers else [302, 302])
    assert response.status_code == 429
    assert re.search(r"Too many messages; try again in \d+ s\.", response.content.decode())
    assert is_partial(response) == bool(headers)
    assert snapshot(room) == before
    assert ChatMessage.objects.filter(room=room).count() == 2
