"""Tests for games.solver: Knuth's published numbers, the better strategies, and the bounded search of
large spaces (no database). Timings live in bench/solver.py, not here."""

from __future__ import annotations

import statistics
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from games import solver
from games.exceptions import InvalidMove
from games.rules import (
    Feedback,
    GameSettings,
    all_codes,
    code_space_size,
    draw_secret,
    score,
    validate_code,
)
from games.solver import Hint, Solver, SpaceTooLarge, Strategy, distribution, guesses_needed, play
from games.tests.oracles import consistent_codes
from games.tests.test_rules import codes_for, game_settings, imported_modules

CLASSIC = GameSettings()  # 4 pegs, 6 colours, repeats allowed
# Knuth (1977), "The computer as master mind", J. Recreational Mathematics 9(1).
KNUTH_1977 = {1: 1, 2: 6, 3: 62, 4: 533, 5: 694}
# Measured here; the same as published for the expected-size strategy (Irving 1979) and most parts
# (Kooi 2005, "Yet another Mastermind strategy", ICGA Journal 28(1)), with as many 6-guess games.
EXPECTED_SIZE = {1: 1, 2: 10, 3: 54, 4: 645, 5: 583, 6: 3}  # 5696 guesses
MOST_PARTS = {1: 1, 2: 12, 3: 72, 4: 635, 5: 569, 6: 7}  # 5668 guesses
STRATEGIES = list(Strategy)
PROPS = settings(max_examples=100, deadline=None)


def total(counts: dict[int, int]) -> int:
    return sum(guesses * codes for guesses, codes in counts.items())


def fits(code, history) -> bool:
    return all(score(code, guess) == feedback for guess, feedback in history)


@st.composite
def small_game(draw, max_guesses=4):
    """Settings of at most 4 pegs and 6 colours, a secret and a history of guesses against it."""
    s = draw(game_settings(max_length=4, max_colors=6))
    secret = draw(codes_for(s))
    guesses = draw(st.lists(codes_for(s), max_size=max_guesses))
    return s, secret, [(guess, score(secret, guess)) for guess in guesses]


# --- Knuth and the better strategies on 4 pegs × 6 colours ------------------


def test_knuth_solves_every_classic_code_in_5801_guesses_at_most_5():
    counts = distribution(CLASSIC, "knuth")
    assert counts == KNUTH_1977
    assert sum(counts.values()) == 1296
    assert total(counts) == 5801
    assert round(total(counts) / 1296, 3) == 4.476
    assert max(counts) == 5


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [(Strategy.EXPECTED, EXPECTED_SIZE), (Strategy.PARTS, MOST_PARTS)],
)
def test_better_strategies_beat_knuth_on_average(strategy, expected):
    counts = distribution(CLASSIC, strategy)
    assert counts == expected
    assert sum(counts.values()) == 1296
    assert total(counts) < 5801
    # Koyama and Lai (1993): no strategy does better than 5625 in total.
    assert total(counts) >= 5625


def test_published_totals_add_up():
    assert sum(KNUTH_1977.values()) == sum(EXPECTED_SIZE.values()) == sum(MOST_PARTS.values()) == 1296
    assert (total(KNUTH_1977), total(EXPECTED_SIZE), total(MOST_PARTS)) == (5801, 5696, 5668)


@pytest.mark.parametrize(
    ("strategy", "first"),
    [("knuth", (0, 0, 1, 1)), ("expected", (0, 0, 1, 2)), ("parts", (0, 0, 1, 2))],
)
def test_first_guess_on_classic_board(strategy, first):
    assert Solver(CLASSIC).hint([], strategy) == Hint(possible=1296, exact=True, suggestion=first)


@pytest.mark.parametrize(("length", "colors"), [(2, 5), (3, 4), (4, 4), (4, 6), (5, 3), (3, 6)])
@pytest.mark.parametrize("strategy", [Strategy.KNUTH, Strategy.EXPECTED, Strategy.PARTS])
def test_first_guess_by_symmetry_equals_full_search(length, colors, strategy):
    """Only one code per colour pattern is scored for the opening; a full search must agree."""
    space = solver._space(length, colors, True)
    everything = solver.Consistent(space.size, True, True, list(space.codes))
    assert solver._first_guess(length, colors, True, strategy) == solver._choose(
        space, everything, [], strategy
    )


def test_interactive_play_follows_the_decision_tree():
    needed = guesses_needed(CLASSIC, "knuth")
    assert len(needed) == 1296
    codes = list(all_codes(CLASSIC))
    for secret in codes[::131]:
        guesses = play(CLASSIC, secret, "knuth")
        assert guesses[-1] == secret
        assert len(guesses) == needed[secret]
        assert guesses[0] == (0, 0, 1, 1)
        assert all(validate_code(g, CLASSIC) == g for g in guesses)


def test_knuth_second_guess_after_a_miss():
    """After 1122 scores nothing, only colours 3-6 remain (256 codes); the minimax reply is 3345 (2234 here)."""
    hint = Solver(CLASSIC).hint([((0, 0, 1, 1), (0, 0))])
    assert (hint.possible, hint.exact) == (256, True)
    assert hint.suggestion == (2, 2, 3, 4)


# --- every strategy, every code, small spaces -------------------------------


@pytest.mark.parametrize(
    ("length", "colors", "duplicates"),
    [(3, 4, True), (4, 4, False), (2, 2, True), (3, 3, False), (2, 10, True), (4, 5, False), (8, 2, True)],
)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_solves_every_code(length, colors, duplicates, strategy):
    s = GameSettings(code_length=length, colors=colors, allow_duplicates=duplicates)
    needed = guesses_needed(s, strategy)
    assert set(needed) == set(all_codes(s))
    assert min(needed.values()) == 1
    assert max(needed.values()) <= code_space_size(s)


def test_knuth_on_three_pegs_four_colours():
    counts = distribution(GameSettings(code_length=3, colors=4), "knuth")
    assert counts == {1: 1, 2: 3, 3: 31, 4: 29}
    assert max(counts) == 4


# --- consistent codes -------------------------------------------------------


@PROPS
@given(small_game())
def test_possible_matches_rules(game):
    s, secret, history = game
    possible = Solver(s).possible(history)
    assert possible == consistent_codes(all_codes(s), history)
    assert secret in possible
    state = Solver(s).consistent(history)
    assert (state.count, state.exact, state.complete) == (len(possible), True, True)


@PROPS
@given(small_game(), st.sampled_from([1, 3, 7, 40]))
def test_possible_matches_rules_across_small_blocks(game, block_size):
    """Force the prefix × suffix-block enumeration that large spaces use onto small ones."""
    s, secret, history = game
    possible = Solver(s, block_size=block_size).possible(history)
    assert possible == consistent_codes(all_codes(s), history)


def test_blocks_without_duplicates_on_a_mid_size_space():
    s = GameSettings(code_length=6, colors=9, allow_duplicates=False)
    secret = (8, 0, 3, 5, 1, 7)
    history = [(g, score(secret, g)) for g in [(0, 1, 2, 3, 4, 5), (5, 6, 7, 8, 0, 1)]]
    state = Solver(s).consistent(history)
    brute = consistent_codes(all_codes(s), history)
    assert (state.count, state.exact) == (len(brute), True)
    assert set(state.codes) <= set(brute)
    if state.complete:
        assert state.codes == brute


def test_possible_of_a_huge_space_is_refused_not_enumerated():
    s = GameSettings(code_length=8, colors=10)
    state = Solver(s).consistent([])
    assert (state.count, state.exact, state.complete) == (10**8, True, False)
    assert all(validate_code(code, s) == code for code in state.codes)
    with pytest.raises(SpaceTooLarge):
        Solver(s).possible([])


def test_small_budget_gives_an_honest_unbiased_estimate():
    s = GameSettings(code_length=6, colors=10)
    secret = (1, 2, 3, 4, 5, 6)
    history = [(g, score(secret, g)) for g in [(0, 0, 1, 1, 2, 2), (3, 3, 4, 4, 5, 5)]]
    truth = Solver(s).consistent(history)
    assert truth.exact
    estimates = []
    for _ in range(20):
        state = Solver(s, budget=400_000).consistent(history)
        assert not state.exact and not state.complete
        assert state.codes and all(fits(code, history) for code in state.codes)
        estimates.append(state.count)
    assert abs(statistics.mean(estimates) - truth.count) < 0.35 * truth.count


# --- suggestions ------------------------------------------------------------


@PROPS
@given(small_game(max_guesses=3), st.sampled_from(STRATEGIES))
def test_suggestion_is_a_valid_code(game, strategy):
    s, secret, history = game
    hint = Solver(s).hint(history, strategy)
    assert validate_code(hint.suggestion, s) == hint.suggestion
    assert hint.exact
    assert hint.possible == len(consistent_codes(all_codes(s), history))
    if strategy is Strategy.RANDOM:
        assert fits(hint.suggestion, history)
    if any(feedback == (s.code_length, 0) for _, feedback in history):
        assert hint == Hint(1, True, secret)


@pytest.mark.parametrize(
    ("length", "colors", "duplicates"),
    [(8, 10, True), (8, 10, False), (6, 9, False)],
)
def test_large_spaces_suggest_a_valid_consistent_code(length, colors, duplicates):
    s = GameSettings(code_length=length, colors=colors, allow_duplicates=duplicates)
    sv = Solver(s)
    secret = draw_secret(s)
    history = []
    for _ in range(3):
        guess = sv.suggest(history)
        assert validate_code(guess, s) == guess
        history.append((guess, score(secret, guess)))
    state = sv.consistent(history)
    assert state.count >= 1
    assert all(fits(code, history) for code in state.codes)
    hint = sv.hint(history, "random")
    assert validate_code(hint.suggestion, s) == hint.suggestion
    if state.codes:  # the budget found consistent codes: the random pick is one of them
        assert fits(hint.suggestion, history)


@pytest.mark.parametrize(
    ("length", "colors", "duplicates", "first"),
    [(8, 10, False, (0, 1, 2, 3, 4, 5, 6, 7)), (6, 9, False, (0, 1, 2, 3, 4, 5))],
)
def test_first_guess_without_repeats_is_the_smallest_code(length, colors, duplicates, first):
    s = GameSettings(code_length=length, colors=colors, allow_duplicates=duplicates)
    assert Solver(s).hint([]) == Hint(code_space_size(s), True, first)


def test_first_guess_of_a_sampled_space_is_reproducible():
    s = GameSettings(code_length=8, colors=10)
    first = Solver(s).suggest([])
    solver._first_guess.cache_clear()
    assert Solver(s).suggest([]) == first
    # One of the smallest codes of a colour pattern: colours appear in order, each as a run.
    assert list(first) == sorted(first)
    assert list(dict.fromkeys(first)) == list(range(len(set(first))))


def test_solved_history_suggests_the_secret():
    guess = (3, 1, 4, 1)
    assert Solver(CLASSIC).hint([(guess, Feedback(4, 0))]) == Hint(1, True, guess)


# --- bad histories ----------------------------------------------------------


@pytest.mark.parametrize(
    "history",
    [
        [((0, 0, 1, 1), (4, 0)), ((0, 0, 1, 2), (4, 0))],  # two different secrets
        [((0, 1, 2, 3), (3, 1))],  # impossible feedback
        [((0, 0, 0, 0), (0, 0)), ((0, 1, 2, 3), (4, 0))],
    ],
)
def test_inconsistent_history_is_invalid(history):
    with pytest.raises(InvalidMove) as info:
        Solver(CLASSIC).hint(history)
    assert info.value.field == "history"
    assert Solver(CLASSIC).possible(history) == []


@pytest.mark.parametrize(
    "history",
    [
        [((0, 0, 1), (0, 0))],
        [((0, 0, 1, 6), (0, 0))],
        [((0, 0, 1, 1), (3, 2))],
        [((0, 0, 1, 1), (-1, 0))],
        [((0, 0, 1, 1), (True, 0))],
        [((0, 0, 1, 1), "4,0")],
        [((0, 0, 1, 1), None)],
    ],
)
def test_malformed_history_is_invalid(history):
    with pytest.raises(InvalidMove) as info:
        Solver(CLASSIC).hint(history)
    assert info.value.field == "history"


def test_unknown_strategy():
    with pytest.raises(ValueError, match="nope"):
        Solver(CLASSIC).hint([], "nope")


# --- solver_stats -----------------------------------------------------------


def run_stats(*args: str) -> str:
    out = StringIO()
    call_command("solver_stats", *args, stdout=out)
    return out.getvalue()


def test_solver_stats_prints_knuths_table():
    text = run_stats("--length", "4", "--colors", "6", "--strategy", "knuth")
    assert "| guesses | codes |" in text
    for guesses, codes in KNUTH_1977.items():
        assert f"| {guesses} | {codes} |" in text
    assert "total 5801 guesses, average 4.476, max 5" in text


def test_solver_stats_options():
    text = run_stats("--length", "3", "--colors", "4", "--strategy", "parts", "--no-duplicates")
    assert "Strategy parts, 3 pegs × 4 colours, no repeats: 24 codes" in text
    counts = distribution(GameSettings(code_length=3, colors=4, allow_duplicates=False), "parts")
    assert f"total {total(counts)} guesses" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--length", "8", "--colors", "10"], "limited to 10000 codes"),
        (["--length", "9"], "code_length"),
        (["--length", "5", "--colors", "4", "--no-duplicates"], "colors"),
    ],
)
def test_solver_stats_refuses(args, message):
    with pytest.raises(CommandError, match=message):
        run_stats(*args)


# --- purity -----------------------------------------------------------------


def test_solver_is_pure_python():
    names = imported_modules(Path(solver.__file__))
    assert not {n for n in names if n.split(".")[0] in {"django", "numpy", "random"}}
