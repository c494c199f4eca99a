"""A duel codemaker's secret form on the board."""

import pytest

from games import services
from games.tests.factories import fresh, make_room
from games.tests.pages import (
    HTMX,
    board_url,
    browser,
    hx_csrf,
    is_partial,
    page,
    pegs,
    refused,
    selected_pegs,
)

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


# Each way the secret form is refused: (how alice's duel was made, who posts,
# the form, the status code, the message).
# fmt: off
SECRET_REFUSED = {
    "set-twice":          ({"secret": [0, 1, 2, 3]},     "alice", pegs([3, 3, 3, 3]), 409, "The secret is already set."),
    "by-the-codebreaker": ({"join": ["bob"]},            "bob",   pegs([3, 3, 3, 3]), 403, "Only a duel's codemaker sets the secret."),
    "a-missing-peg":      ({},                           "alice", {"peg_0": "1"},     400, "Pick a colour for every peg."),
    "a-repeated-colour":  ({"allow_duplicates": False},  "alice", pegs([1, 1, 2, 3]), 400, None),
}
# fmt: on


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", SECRET_REFUSED)
def test_refused_secret_rerenders_the_board_with_its_status(alice, bob, case, headers):
    options, poster, data, status, message = SECRET_REFUSED[case]
    users = {"alice": alice, "bob": bob}
    options = {**options, "join": [users[name] for name in options.get("join", [])]}
    room = make_room(alice, "duel", **options)
    refused(browser(users[poster]), room, "secret/", data, headers=headers, status=status, message=message)


def test_the_secret_form_has_the_holes_board_js_shows(as_alice, alice):
    room = services.room_create(user=alice, mode="duel")
    content = as_alice.get(board_url(room)).content.decode()
    form = content[
        content.index('id="secret-form"') : content.index("</form>", content.index('id="secret-form"'))
    ]
    assert 'aria-label="Your secret: press a filled peg to clear it" hidden>' in form
    assert form.count('class="hole" data-hole=') == 4


def test_an_incomplete_secret_keeps_the_pegs_that_were_picked(as_alice, alice):
    room = services.room_create(user=alice, mode="duel")
    response = as_alice.post(board_url(room, "secret/"), {"peg_0": "3", "peg_2": "1"}, headers=HTMX)
    assert response.status_code == 400
    assert selected_pegs(response, "secret-form") == ["3", None, "1", None]
