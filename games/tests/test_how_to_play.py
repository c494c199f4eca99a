"""/how-to-play/: the rules of every mode with a worked example board, for anyone, without JavaScript."""

import html
import re

import pytest
from django.test import Client

from games import howto, rules, services
from games.tests.pages import browser, page, section

pytestmark = pytest.mark.django_db

URL = "/how-to-play/"
LINK = f'href="{URL}"'


def test_how_to_play_is_a_page_for_anyone():
    response = Client().get(URL)
    assert response.status_code == 200
    page(response)
    content = html.unescape(response.content.decode())
    assert "<title>How to play · Mastermind Online</title>" in content
    for mode in ("Solo", "Co-op", "Race", "Duel"):
        assert f"<dt>{mode}</dt>" in content
    for words in ("Exact", "Misplaced", "2–8 pegs, 2–10 colours, 1–20 guesses"):
        assert words in content


def test_the_example_board_is_rendered_with_the_boards_partials_and_true_feedback():
    content = Client().get(URL).content.decode()
    board = section(content, 'class="guess-board example', "</ol>")
    rows = re.findall(r'<li class="row" data-number="(\d+)".*?</li>', board, re.S)
    assert rows == [str(n) for n in range(1, len(howto.GUESSES) + 1)]
    # Each row: the guess's pegs (colour class, number, name) and the feedback the rules give.
    for number, (guess, _) in enumerate(howto.GUESSES, start=1):
        row = re.search(rf'data-number="{number}".*?</li>', board, re.S).group(0)
        assert re.findall(r'class="peg c(\d)"', row) == [str(c) for c in guess]
        feedback = rules.score(howto.SECRET, guess)
        assert f'<span class="sr-only">{feedback.exact} exact, {feedback.misplaced} misplaced</span>' in row
    notes = section(content, '<ol class="notes">', "</ol>")
    assert "Guess 2: 0 exact, 3 misplaced." in notes
    assert "Guess 4: 4 exact, 0 misplaced." in notes
    secret = section(content, '<p class="secret">', "</p>")
    assert re.findall(r'class="peg c(\d)"', secret) == [str(c) for c in howto.SECRET]


def test_the_example_ends_solved():
    last_guess, note = howto.GUESSES[-1]
    assert last_guess == howto.SECRET
    assert f"solved in {len(howto.GUESSES)} of {howto.MAX_GUESSES}" in note


def test_the_page_needs_no_javascript():
    """Everything is in the first response: no part of the page is fetched or built by a script."""
    content = Client().get(URL).content.decode()
    main = section(content, '<main id="main">', "</main>")
    assert "hx-" not in main
    assert "ws-connect" not in main
    assert "<script" not in main
    assert "<noscript" not in main


def test_how_to_play_takes_only_get():
    assert Client().post(URL).status_code == 405


def test_the_lobby_links_to_how_to_play_for_visitors_and_players(alice):
    for client in (Client(), browser(alice)):
        content = client.get("/").content.decode()
        assert LINK in section(content, '<main id="main">', "</main>")


def test_the_board_links_to_how_to_play(alice):
    room = services.quick_play(user=alice)
    content = browser(alice).get(f"/rooms/{room.code}/").content.decode()
    assert LINK in section(content, '<main id="main">', "</main>")


def test_every_page_header_links_to_how_to_play(alice):
    content = Client().get("/leaderboard/").content.decode()
    assert LINK in section(content, '<nav aria-label="Main">', "</nav>")
