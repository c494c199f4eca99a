"""The board's guess form, without JavaScript and with HTMX."""

import pytest
from django.test import Client

from games import rules, services
from games.models import Guess
from games.tests.factories import make_room, secret_of, solve, wrong_guess
from games.tests.pages import (
    HTMX,
    board_url,
    browser,
    hx_csrf,
    is_partial,
    page,
    pegs,
    refused,
    section,
    selected_pegs,
)

pytestmark = pytest.mark.django_db


def test_guess_without_js_redirects_and_the_row_appears_on_reload(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="solo")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/guess/")
    guess = wrong_guess(room)

    response = client.post(
        board_url(room, "guess/"),
        {"csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"], **pegs(guess)},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert Guess.objects.get(room=room).guess == guess
    content = client.get(response["Location"]).content.decode()
    assert 'class="row" data-number="1" data-username="alice"' in content


def test_guess_with_htmx_returns_the_board_partial_with_the_new_row(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="solo")
    board = client.get(board_url(room))

    response = client.post(
        board_url(room, "guess/"), pegs(wrong_guess(room)), headers={**HTMX, "X-CSRFToken": hx_csrf(board)}
    )

    assert response.status_code == 200
    assert is_partial(response)
    page(response)
    assert 'class="row" data-number="1"' in response.content.decode()
    assert Guess.objects.filter(room=room).count() == 1


def test_a_winning_guess_shows_the_result_and_secret(as_alice, alice):
    room = services.room_create(user=alice, mode="solo")
    response = as_alice.post(board_url(room, "guess/"), pegs(secret_of(room)), headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Winner: <strong>alice</strong>" in content
    assert 'class="secret"' in content
    assert page(response).actions == {"Rematch"}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    "data",
    [{"peg_0": "0", "peg_1": "1", "peg_2": "2"}, {"peg_0": "9", "peg_1": "1", "peg_2": "2", "peg_3": "3"}],
    ids=["missing-peg", "colour-out-of-range"],
)
def test_bad_guess_is_400_with_the_message_and_nothing_stored(as_alice, alice, headers, data):
    room = services.room_create(user=alice, mode="solo")
    refused(
        as_alice, room, "guess/", data, headers=headers, status=400, message="Pick a colour for every peg."
    )


# Each way the board refuses a guess: (alice's room, who guesses, what alice did
# first, the message, the status code). bob has joined every room but the solo one.
# fmt: off
GUESS_REFUSED = {
    "spectator":      ("race", "playing",  "carol", None,    "You are not a player in this room.", 403),
    "finished":       ("solo", "finished", "alice", None,    "The game is finished.", 409),
    "not-started":    ("race", "waiting",  "bob",   None,    "The game has not started yet.", 409),
    "already-solved": ("race", "playing",  "alice", "solve", "You have already solved this code.", 409),
    "codemaker":      ("duel", "playing",  "alice", None,    "The codemaker watches; only the codebreaker guesses.", 403),
    "forfeited":      ("race", "playing",  "alice", "leave", "You have left this game.", 409),
}
# fmt: on


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", GUESS_REFUSED)
def test_refused_guess_rerenders_the_board_with_its_status(alice, bob, carol, case, headers):
    mode, status, poster, first, message, code = GUESS_REFUSED[case]
    room = make_room(alice, mode, status, join=[] if mode == "solo" else [bob])
    if first == "solve":
        solve(room, alice)
    elif first == "leave":
        services.room_leave(room_code=room.code, user=alice)
    users = {"alice": alice, "bob": bob, "carol": carol}
    response = refused(
        browser(users[poster]),
        room,
        "guess/",
        pegs([0, 1, 2, 3]),
        headers=headers,
        status=code,
        message=message,
    )
    assert 'id="board-error"' in response.content.decode()


def test_anonymous_guess_redirects_to_sign_in(alice):
    room = services.room_create(user=alice, mode="solo")
    response = Client().post(board_url(room, "guess/"), pegs([0, 1, 2, 3]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Guess.objects.exists()


def test_guess_in_an_unknown_room_is_404(as_alice):
    assert as_alice.post("/rooms/ZZZZZZ/guess/", pegs([0, 1, 2, 3])).status_code == 404


# --- the form's two faces: selects without JS, holes with it ---------------------------


def test_the_guess_form_posts_selects_and_carries_the_holes_board_js_shows(as_alice, alice):
    room = services.room_create(user=alice, mode="solo")
    response = as_alice.get(board_url(room))
    form = page(response).form(f"/rooms/{room.code}/guess/")
    # Without JS the selects are the form: one per peg, every colour an option.
    assert sorted(form["selects"]) == ["peg_0", "peg_1", "peg_2", "peg_3"]
    assert [value for value, _ in form["selects"]["peg_0"]] == ["", "0", "1", "2", "3", "4", "5"]
    content = response.content.decode()
    holes = section(content, '<div class="code-holes"', "</div>")
    assert 'role="group"' in holes and " hidden>" in holes  # board.js shows them
    for n in range(4):
        assert (
            f'<button type="button" class="hole" data-hole="{n}" aria-label="Peg {n + 1}: empty"></button>'
            in holes
        )
    assert 'id="announcer"' in content and 'aria-live="polite"' in content and 'data-me="alice"' in content


def test_each_row_carries_its_feedback_for_the_page_to_read_out(as_alice, alice):
    room = services.room_create(user=alice, mode="solo")
    guess = wrong_guess(room)
    exact, misplaced = rules.score(room.secret, guess)
    response = as_alice.post(board_url(room, "guess/"), pegs(guess), headers=HTMX)
    assert (
        f'class="row" data-number="1" data-username="alice" data-exact="{exact}" data-misplaced="{misplaced}"'
        in response.content.decode()
    )


# --- a refused move keeps its pegs ------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [{"peg_0": "2", "peg_1": "5", "peg_3": "0"}, {"peg_0": "2", "peg_1": "5", "peg_2": "99", "peg_3": "0"}],
    ids=["missing-peg", "colour-out-of-range"],
)
def test_a_refused_guess_keeps_the_pegs_that_were_picked(as_alice, alice, data):
    room = services.room_create(user=alice, mode="solo")
    response = as_alice.post(board_url(room, "guess/"), data, headers=HTMX)
    assert response.status_code == 400
    assert selected_pegs(response, "guess-form") == ["2", "5", None, "0"]


def test_a_guess_the_rules_refuse_keeps_its_pegs(as_alice, alice):
    room = services.room_create(user=alice, mode="solo", allow_duplicates=False)
    response = as_alice.post(board_url(room, "guess/"), pegs([1, 1, 2, 3]))
    assert response.status_code == 400
    assert 'id="board-error"' in response.content.decode()
    assert selected_pegs(response, "guess-form") == ["1", "1", "2", "3"]
