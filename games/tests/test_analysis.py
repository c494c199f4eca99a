"""The solver's analysis of a finished game (SPEC §9): the numbers, the endpoint, the board."""

import itertools
import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from games import rules, services, solver
from games.models import Room

pytestmark = pytest.mark.django_db


def brute(settings: rules.GameSettings, history) -> list[tuple[int, int, int]]:
    """(possible_before, possible_after, best_worst_case) by scoring every code against every code."""
    codes = list(rules.all_codes(settings))
    pool = codes
    rows = []
    for guess, feedback in history:
        after = [c for c in pool if tuple(rules.score(c, guess)) == tuple(feedback)]
        best = min(
            max(sum(1 for c in pool if rules.score(c, g) == key) for key in {rules.score(c, g) for c in pool})
            for g in codes
        )
        rows.append((len(pool), len(after), best))
        pool = after
    return rows


def random_game(settings: rules.GameSettings, seed: int) -> list:
    rng = random.Random(seed)
    secret = tuple(rng.randrange(settings.colors) for _ in range(settings.code_length))
    history = []
    for _ in range(settings.max_guesses):
        guess = tuple(rng.randrange(settings.colors) for _ in range(settings.code_length))
        history.append((guess, tuple(rules.score(secret, guess))))
        if guess == secret:
            break
    return history


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("length", "colors"), [(3, 4), (3, 5), (2, 6)])
def test_counts_and_minimax_match_brute_force(length, colors, seed):
    settings = rules.GameSettings(code_length=length, colors=colors, max_guesses=6)
    history = random_game(settings, seed)
    verdicts = solver.analyse(settings, history)
    expected = brute(settings, history)
    assert [(v.possible_before, v.possible_after, v.best_worst_case) for v in verdicts] == expected
    assert all(v.exact_counts for v in verdicts)


def test_knuths_first_guess_leaves_at_most_256_of_1296():
    settings = rules.GameSettings()
    first = solver.analyse(settings, [((0, 0, 1, 1), (0, 0))])[0]
    assert (first.possible_before, first.best_worst_case, first.exact_counts) == (1296, 256, True)
    # No peg of colours 0 or 1: the codes of the other four colours, 4**4.
    assert first.possible_after == 256


@pytest.mark.parametrize("seed", range(3))
def test_a_board_chains_before_and_after(seed):
    settings = rules.GameSettings(code_length=5, colors=8)
    verdicts = solver.analyse(settings, random_game(settings, seed))
    for earlier, later in itertools.pairwise(verdicts):
        assert later.possible_before == earlier.possible_after
    assert all(v.possible_after <= v.possible_before for v in verdicts if v.exact_counts)


def test_large_boards_say_their_counts_are_estimates():
    settings = rules.GameSettings(code_length=6, colors=9)
    first = solver.analyse(settings, [((0, 1, 2, 3, 4, 5), (0, 1))])[0]
    assert first.possible_before == 9**6
    assert first.exact_counts is False


# --- the endpoint and the board ------------------------------------------------


def finish_solo(user, *, wrong: int = 2) -> Room:
    room = services.quick_play(user=user)
    for _ in range(wrong):
        services.guess_submit(
            room_code=room.code, user=user, guess=[(room.secret[0] + 1) % 6, *room.secret[1:]]
        )
    services.guess_submit(room_code=room.code, user=user, guess=room.secret)
    room.refresh_from_db()
    return room


def test_the_analysis_of_a_finished_solo_game(alice_api, alice):
    room = finish_solo(alice)
    response = alice_api.get(f"/api/v1/rooms/{room.code}/analysis/")
    assert response.status_code == 200
    data = response.json()
    assert (data["code"], data["mode"]) == (room.code, "solo")
    [player] = data["players"]
    assert player["username"] == "alice"
    rows = player["guesses"]
    assert [r["number"] for r in rows] == [1, 2, 3]
    assert rows[0]["possible_before"] == 1296 and rows[-1]["exact"] == 4
    history = [(r["guess"], (r["exact"], r["misplaced"])) for r in rows]
    expected = solver.analyse(rules.GameSettings(), history)
    assert [(r["possible_before"], r["possible_after"], r["best_worst_case"]) for r in rows] == [
        (v.possible_before, v.possible_after, v.best_worst_case) for v in expected
    ]


def test_a_race_is_judged_board_by_board(alice, bob, alice_api):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    wrong = [(room.secret[0] + 1) % 6, *room.secret[1:]]
    services.guess_submit(room_code=room.code, user=bob, guess=wrong)
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    data = alice_api.get(f"/api/v1/rooms/{room.code}/analysis/").json()
    boards = {p["username"]: p["guesses"] for p in data["players"]}
    assert [r["number"] for r in boards["alice"]] == [1]
    assert [r["number"] for r in boards["bob"]] == [1, 2]
    # Each board starts from the whole space: bob's second guess is judged after his first only.
    assert boards["alice"][0]["possible_before"] == boards["bob"][0]["possible_before"] == 1296
    assert boards["bob"][1]["possible_before"] == boards["bob"][0]["possible_after"]


def test_analysis_waits_for_the_end(alice_api, alice):
    room = services.quick_play(user=alice)
    response = alice_api.get(f"/api/v1/rooms/{room.code}/analysis/")
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_state"


def test_private_rooms_analysis_is_404_for_outsiders(alice, bob_api):
    room = finish_solo(alice)
    Room.objects.filter(pk=room.pk).update(private=True)
    assert bob_api.get(f"/api/v1/rooms/{room.code}/analysis/").status_code == 404
    assert bob_api.get("/api/v1/rooms/ZZZZZZ/analysis/").status_code == 404


def test_analysis_needs_a_token(alice):
    room = finish_solo(alice)
    assert APIClient().get(f"/api/v1/rooms/{room.code}/analysis/").status_code == 401


def test_analysis_is_computed_once_per_room(alice_api, alice):
    room = finish_solo(alice)
    url = f"/api/v1/rooms/{room.code}/analysis/"
    with CaptureQueriesContext(connection) as first:
        body = alice_api.get(url).json()
    with CaptureQueriesContext(connection) as second:
        assert alice_api.get(url).json() == body
    guess_reads = [q for q in second.captured_queries if "games_guess" in q["sql"] and "FROM" in q["sql"]]
    assert len(second.captured_queries) < len(first.captured_queries)
    assert guess_reads == []


def test_the_finished_board_shows_the_analysis(alice):
    room = finish_solo(alice, wrong=1)
    browser = Client()
    browser.force_login(alice)
    page = browser.get(f"/rooms/{room.code}/").content.decode()
    assert "The solver&#x27;s analysis" in page or "The solver's analysis" in page
    assert "of 1296; the best guess could have left at most 256." in page
    assert "Cracked it." in page
    analysis_page = browser.get(f"/rooms/{room.code}/analysis/")
    assert analysis_page.status_code == 200
    assert "of 1296; the best guess could have left at most 256." in analysis_page.content.decode()


def test_the_analysis_page_of_a_running_game_is_409(alice):
    room = services.quick_play(user=alice)
    browser = Client()
    browser.force_login(alice)
    response = browser.get(f"/rooms/{room.code}/analysis/")
    assert response.status_code == 409
    assert "once the game is finished" in response.content.decode()
    assert Client().get("/rooms/ZZZZZZ/analysis/").status_code == 404


@pytest.mark.parametrize("seed", range(3))
def test_a_4x6_game_matches_brute_force(seed):
    """The classic board: every count, and the minimax wherever the consistent set is small enough to brute-force."""
    settings = rules.GameSettings()
    history = random_game(settings, seed)
    codes = list(rules.all_codes(settings))
    pool = codes
    for (guess, feedback), verdict in zip(history, solver.analyse(settings, history), strict=True):
        after = [c for c in pool if tuple(rules.score(c, guess)) == tuple(feedback)]
        assert (verdict.possible_before, verdict.possible_after, verdict.exact_counts) == (
            len(pool),
            len(after),
            True,
        )
        if len(pool) <= 150:
            worst = min(
                max(
                    sum(1 for c in pool if rules.score(c, g) == key)
                    for key in {rules.score(c, g) for c in pool}
                )
                for g in codes
            )
            assert verdict.best_worst_case == worst
        pool = after
