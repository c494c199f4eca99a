"""A room's board page: who may see it, what it shows to each viewer in every mode and state."""

import pytest
from django.test import Client

from games import boards, rules, services
from games.models import Player
from games.tests.factories import DUEL_SECRET, fresh, make_room, secret_of, wrong_guess
from games.tests.pages import HTMX, board_url, browser, is_partial, page, pegs, section, snapshot, text

pytestmark = pytest.mark.django_db


# --- the board: reading ---------------------------------------------------------------


def test_board_needs_a_sign_in(alice):
    room = services.room_create(user=alice, mode="race")
    response = Client().get(board_url(room))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/rooms/{room.code}/"


def test_sign_in_from_the_board_redirect_comes_back_to_the_board(alice):
    room = services.room_create(user=alice, mode="race")
    client = Client()
    login_url = client.get(board_url(room))["Location"]
    login_page = page(client.get(login_url))
    assert login_page.form("/accounts/login/")["inputs"]["next"] == f"/rooms/{room.code}/"

    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple", "next": f"/rooms/{room.code}/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert client.get(response["Location"]).status_code == 200


def test_board_shows_settings_players_and_the_guess_form(as_alice, alice, bob):
    room = services.room_create(
        user=alice, mode="race", name="Board test", code_length=5, colors=8, max_guesses=12, max_players=3
    )
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room))

    response = as_alice.get(board_url(room))

    assert response.status_code == 200
    content = text(response)
    assert "5 pegs · 8 colours · 12 guesses · up to 3 players" in content
    assert f"Room <strong>{room.code}</strong>" in content
    assert 'data-username="alice" data-status="playing"' in content
    assert 'data-username="bob" data-status="playing"' in content
    assert "0 guesses" in content
    assert "1 guess<" in content
    guess = page(response).form(f"/rooms/{room.code}/guess/")
    assert sorted(guess["selects"]) == [f"peg_{i}" for i in range(5)]
    for options in guess["selects"].values():
        assert options[0] == ["", "–"]
        assert len(options) == 1 + 8
        for index, (value, label) in enumerate(options[1:]):
            _, name, symbol = boards.PALETTE[index]
            assert value == str(index)
            assert label == f"{index + 1} {symbol} {name}"
    assert "Guesses left: <strong" in content


def test_board_shows_your_rows_with_exact_and_misplaced(as_alice, alice):
    room = services.room_create(user=alice, mode="solo")
    guess = [0, 0, 1, 1] if secret_of(room) != [0, 0, 1, 1] else [2, 2, 3, 3]
    feedback = rules.score(secret_of(room), guess)
    as_alice.post(board_url(room, "guess/"), pegs(guess))

    content = as_alice.get(board_url(room)).content.decode()

    row = section(content, 'class="row" data-number="1"', "</li>")
    assert f'<span class="sr-only">{feedback.exact} exact, {feedback.misplaced} misplaced</span>' in row
    assert f"{feedback.exact} ●" in row
    assert f"{feedback.misplaced} ○" in row
    for colour in guess:
        assert f"{boards.PALETTE[colour][2]}</span>{colour + 1}" in row
    assert 'Guesses left: <strong id="remaining">9</strong>' in content


def test_race_spectator_sees_progress_but_not_colours(as_carol, alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], wrong_guesses=1)
    content = as_carol.get(board_url(room)).content.decode()
    assert content.count('class="row"') == 2
    assert content.count('class="hidden-pegs"') == 2
    assert content.count('class="hole secret-hole"') == 2 * 4  # a hidden hole per peg of each row
    assert 'class="secret"' not in content


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_lowercase_code_redirects_to_the_canonical_board(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="race")
    response = as_alice.get(f"/rooms/{room.code.lower()}/", headers=headers)
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"


def test_lowercase_code_works_for_actions(as_bob, alice, bob):
    room = services.room_create(user=alice, mode="race")
    response = as_bob.post(f"/rooms/{room.code.lower()}/join/")
    assert response.status_code == 302
    assert Player.objects.filter(room=room, user=bob).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_unknown_room_is_the_friendly_404_page(as_alice, headers):
    response = as_alice.get("/rooms/ZZZZZZ/", headers=headers)
    assert response.status_code == 404
    content = response.content.decode()
    assert "Back to the lobby" in content
    assert "There is no such page or room" in content
    page(response)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_private_room_of_others_is_404(as_bob, alice, headers):
    room = services.room_create(user=alice, mode="race", name="Hush", private=True)
    response = as_bob.get(board_url(room), headers=headers)
    assert response.status_code == 404
    assert "Hush" not in response.content.decode()
    before = snapshot(room)
    for action in ("leave/", "start/", "delete/", "rematch/", "chat/"):
        assert as_bob.post(board_url(room, action), {"text": "hi"}, headers=headers).status_code == 404
    assert as_bob.post(board_url(room, "guess/"), pegs([0, 0, 0, 0])).status_code == 404
    assert snapshot(room) == before


def test_private_room_code_is_the_invitation_to_join(as_bob, alice, bob):
    """README: anyone with the code may join a waiting private room; then they see its board."""
    room = services.room_create(user=alice, mode="race", name="Hush", private=True)
    response = as_bob.post(board_url(room, "join/"))
    assert response.status_code == 302
    assert Player.objects.filter(room=room, user=bob).exists()
    assert "Hush" in as_bob.get(board_url(room)).content.decode()


def test_htmx_get_of_the_board_returns_only_the_partial(as_alice, alice):
    room = services.room_create(user=alice, mode="race", name="Partial room")
    full = as_alice.get(board_url(room))
    partial = as_alice.get(board_url(room), headers=HTMX)
    assert full.status_code == partial.status_code == 200
    assert "<html" in full.content.decode()
    assert 'ws-connect="/ws/rooms/' in full.content.decode()
    assert is_partial(partial)
    assert "Partial room" in partial.content.decode()
    page(partial)


# --- the board: every mode, state and viewer ------------------------------------------


CASES = [
    (mode, status, viewer)
    for mode in ("solo", "coop", "race", "duel")
    for status in ("waiting", "playing", "finished", "abandoned")
    for viewer in ("owner", "player", "spectator")
    if not (mode == "solo" and (status == "waiting" or viewer == "player"))
]


def expected_actions(mode: str, status: str, viewer: str) -> set[str]:
    if viewer == "spectator":
        # A duel seats two, and both seats are taken here.
        return {"Join"} if status == "waiting" and mode != "duel" else set()
    if status == "waiting":
        return {"Start game", "Leave", "Delete room"} if viewer == "owner" else {"Leave"}
    if status == "playing":
        if mode == "duel" and viewer == "owner":
            return {"Forfeit and leave"}
        return {"Guess", "Forfeit and leave"}
    if status == "finished":
        return {"Rematch"}
    return set()


@pytest.mark.parametrize(("mode", "status", "viewer"), CASES)
def test_board_renders_for_every_mode_state_and_viewer(alice, bob, carol, mode, status, viewer):
    room = make_room(
        alice,
        mode,
        status,
        join=[] if mode == "solo" else [bob],
        secret=DUEL_SECRET if mode == "duel" else None,
        wrong_guesses=1,
        name=f"{mode} room",
    )
    client = browser({"owner": alice, "player": bob, "spectator": carol}[viewer])

    response = client.get(board_url(room))
    partial = client.get(board_url(room), headers=HTMX)

    assert response.status_code == partial.status_code == 200
    assert is_partial(partial)
    page(partial)
    parsed = page(response)
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    assert parsed.actions == expected_actions(mode, status, viewer)
    content = response.content.decode()
    assert f'data-status="{status}"' in content
    assert f"{mode} room" in content
    # Chat is for rooms of several players; a solo board has none.
    assert ("Chat" in content and parsed.has_form(f"/rooms/{room.code}/chat/")) == (mode != "solo")
    shows_secret = status in ("finished", "abandoned") or (mode == "duel" and viewer == "owner")
    assert ('class="secret"' in content) == shows_secret
    if shows_secret:
        secret = section(content, 'class="secret"', "</div>")
        for colour in fresh(room).secret:
            assert f"{boards.PALETTE[colour][2]}</span>{colour + 1}" in secret
    if status == "finished":
        assert 'class="result"' in content


def test_duel_codemaker_before_the_secret_sees_the_secret_form(as_alice, as_bob, alice, bob):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)

    owner = page(as_alice.get(board_url(room)))
    breaker = as_bob.get(board_url(room))

    # No Start before the secret: it would be a 409.
    assert owner.actions == {"Set secret", "Leave", "Delete room"}
    secret_form = owner.form(f"/rooms/{room.code}/secret/")
    assert sorted(secret_form["selects"]) == ["peg_0", "peg_1", "peg_2", "peg_3"]
    assert page(breaker).actions == {"Leave"}
    assert "Waiting for players and the codemaker's secret." in text(breaker)


def test_abandoned_waiting_room_renders_for_its_former_owner_and_a_spectator(alice, carol):
    room = services.room_create(user=alice, mode="race", name="Left behind")
    services.room_leave(room_code=room.code, user=alice)
    for user in (alice, carol):
        response = browser(user).get(board_url(room))
        assert response.status_code == 200
        assert page(response).actions == set()
        assert "This room was abandoned." in response.content.decode()


# --- the board answers only GET -------------------------------------------------------


def test_board_answers_only_get(alice):
    room = services.quick_play(user=alice)
    client = Client()
    client.force_login(alice)
    assert client.post(f"/rooms/{room.code}/").status_code == 405


def test_your_board_has_empty_holes_for_the_rows_to_come_and_key_pegs(as_alice, alice, bob):
    room = make_room(alice, "race", "playing", join=[bob])
    guess = wrong_guess(room)
    services.guess_submit(room_code=room.code, user=alice, guess=guess)
    content = as_alice.get(board_url(room)).content.decode()
    mine = section(content, 'data-owner="alice"', "</ol>")
    assert mine.count('<li class="to-come') == 9 and mine.count('<span class="hole">') == 9 * 4
    assert '<li class="to-come current" aria-hidden="true"><span class="number">2.</span>' in mine
    exact, misplaced = rules.score(room.secret, guess)
    keys = ["hit"] * exact + ["near"] * misplaced + ["none"] * (4 - exact - misplaced)
    assert "".join(f'<i class="key {k}"></i>' for k in keys) in mine
    rival = section(content, 'data-owner="bob"', "</ol>")
    assert "to-come" not in rival  # a rival's board shows only their moves
