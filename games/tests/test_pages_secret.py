"""A duel codemaker's secret form on the board.

Everything asserted is what a browser receives: status, headers and HTML
(read with games.tests.pages).
"""

import pytest

from games import services
from games.tests.factories import fresh
from games.tests.pages import HTMX, board_url, browser, hx_csrf, is_partial, page, pegs, snapshot, text

pytestmark = pytest.mark.django_db


def test_codemaker_sets_the_secret_from_the_board_form(alice, bob):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="duel")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/secret/")

    response = client.post(
        board_url(room, "secret/"),
        {"csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"], **pegs([3, 2, 1, 0])},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert fresh(room).secret == [3, 2, 1, 0]
    content = client.get(board_url(room)).content.decode()
    assert "(you set it)" in content
    assert not page(client.get(board_url(room))).has_form(f"/rooms/{room.code}/secret/")


def test_codemaker_sets_the_secret_with_htmx(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="duel")
    board = client.get(board_url(room))
    response = client.post(
        board_url(room, "secret/"), pegs([1, 1, 1, 1]), headers={**HTMX, "X-CSRFToken": hx_csrf(board)}
    )
    assert response.status_code == 200
    assert is_partial(response)
    assert fresh(room).secret == [1, 1, 1, 1]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_setting_the_secret_twice_is_409(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="duel")
    services.room_set_secret(room_code=room.code, user=alice, secret=[0, 1, 2, 3])
    before = snapshot(room)

    response = as_alice.post(board_url(room, "secret/"), pegs([3, 3, 3, 3]), headers=headers)

    assert response.status_code == 409
    assert "The secret is already set." in text(response)
    assert snapshot(room) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_codebreaker_setting_the_secret_is_403(as_bob, alice, bob, headers):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)
    before = snapshot(room)

    response = as_bob.post(board_url(room, "secret/"), pegs([3, 3, 3, 3]), headers=headers)

    assert response.status_code == 403
    assert "Only a duel's codemaker sets the secret." in text(response)
    assert snapshot(room) == before


def test_secret_with_a_missing_peg_is_400(as_alice, alice):
    room = services.room_create(user=alice, mode="duel")
    response = as_alice.post(board_url(room, "secret/"), {"peg_0": "1"})
    assert response.status_code == 400
    assert "Pick a colour for every peg." in response.content.decode()
    assert fresh(room).secret is None


def test_secret_that_repeats_a_colour_without_duplicates_is_400(as_alice, alice):
    room = services.room_create(user=alice, mode="duel", allow_duplicates=False)
    before = snapshot(room)
    response = as_alice.post(board_url(room, "secret/"), pegs([1, 1, 2, 3]))
    assert response.status_code == 400
    assert snapshot(room) == before
