"""Property and example tests for games.rules and games.exceptions (no Django, no database)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games import rules
from games.exceptions import (
    GameError,
    InvalidMove,
    NotAllowed,
    RoomNotFound,
    WrongState,
)
from games.rules import (
    LIMITS,
    MODES,
    ROOM_CODE_ALPHABET,
    ROOM_CODE_LENGTH,
    Feedback,
    GameSettings,
    all_codes,
    code_space_size,
    draw_room_code,
    draw_secret,
    is_solved,
    normalize_room_code,
    score,
    validate_code,
    validate_settings,
)
from games.tests.oracles import consistent_codes

PROPS = settings(max_examples=300, deadline=None)


def oracle(secret, guess):
    """Reference feedback: mark exact pegs, then greedily pair each leftover guess peg with an unused secret peg."""
    n = len(secret)
    used_secret = [False] * n
    used_guess = [False] * n
    exact = 0
    for i in range(n):
        if secret[i] == guess[i]:
            used_secret[i] = used_guess[i] = True
            exact += 1
    misplaced = 0
    for i in range(n):
        if used_guess[i]:
            continue
        for j in range(n):
            if not used_secret[j] and secret[j] == guess[i]:
                used_secret[j] = True
                misplaced += 1
                break
    return exact, misplaced


@st.composite
def game_settings(draw, max_length=8, max_colors=10):
    """Any valid GameSettings within the given bounds."""
    n = draw(st.integers(2, max_length))
    duplicates = draw(st.booleans())
    low_colors = 2 if duplicates else max(2, n)
    colors = draw(st.integers(low_colors, max(low_colors, max_colors)))
    guesses = draw(st.integers(*LIMITS["max_guesses"]))
    return GameSettings(code_length=n, colors=colors, max_guesses=guesses, allow_duplicates=duplicates)


def codes_for(s: GameSettings):
    """Valid codes for settings s, as tuples."""
    if s.allow_duplicates:
        return st.tuples(*[st.integers(0, s.colors - 1)] * s.code_length)
    return st.permutations(range(s.colors)).map(lambda p: tuple(p[: s.code_length]))


@st.composite
def settings_and_pair(draw, **bounds):
    """Settings with a secret and a guess valid for them."""
    s = draw(game_settings(**bounds))
    return s, draw(codes_for(s)), draw(codes_for(s))


# --- exceptions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (GameError, 400, "game_error"),
        (InvalidMove, 400, "invalid"),
        (NotAllowed, 403, "not_allowed"),
        (RoomNotFound, 404, "not_found"),
        (WrongState, 409, "wrong_state"),
    ],
)
def test_exception_attributes(cls, status, code):
    exc = cls("Something went wrong.")
    assert isinstance(exc, GameError)
    assert str(exc) == exc.detail == "Something went wrong."
    assert (exc.status, exc.code, exc.field) == (status, code, None)
    custom = cls("Nope.", code="custom", field="guess")
    assert (custom.code, custom.field, custom.status) == ("custom", "guess", status)


# --- score ------------------------------------------------------------------


@PROPS
@given(settings_and_pair())
def test_score_matches_oracle(case):
    _, secret, guess = case
    assert score(secret, guess) == oracle(secret, guess)


@PROPS
@given(settings_and_pair())
def test_score_properties(case):
    s, a, b = case
    n = s.code_length
    fb = score(a, b)
    assert isinstance(fb, Feedback)
    assert score(a, a) == (n, 0)
    assert score(b, a) == fb
    assert fb.exact >= 0
    assert fb.misplaced >= 0
    assert fb.exact + fb.misplaced <= n
    assert fb != (n - 1, 1)


@PROPS
@given(st.data())
def test_score_invariant_under_relabelling_and_reordering(data):
    s, a, b = data.draw(settings_and_pair())
    fb = score(a, b)
    colour_map = data.draw(st.permutations(range(s.colors)))
    assert score([colour_map[c] for c in a], [colour_map[c] for c in b]) == fb
    order = data.draw(st.permutations(range(s.code_length)))
    assert score([a[i] for i in order], [b[i] for i in order]) == fb


def test_fourteen_feedback_classes_for_four_pegs_six_colours():
    secrets_ = list(all_codes(GameSettings()))
    guesses = [(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 1, 2, 3)]
    seen = {score(secret, guess) for guess in guesses for secret in secrets_}
    expected = {(e, m) for e in range(5) for m in range(5) if e + m <= 4} - {(3, 1)}
    assert len(expected) == 14
    assert seen == expected


@pytest.mark.parametrize(
    ("secret", "guess", "expected"),
    [
        ([0, 0, 1, 1], [1, 1, 0, 0], (0, 4)),
        ([0, 0, 0, 1], [0, 1, 1, 1], (2, 0)),
        ([1, 2, 3, 4], [4, 3, 2, 1], (0, 4)),
        ([0, 0, 1, 2], [0, 3, 0, 0], (1, 1)),
        ([0, 1, 2, 3], [0, 1, 2, 3], (4, 0)),
        ([0, 0, 0, 0], [1, 1, 1, 1], (0, 0)),
        ([0, 0, 1, 1], [0, 1, 0, 1], (2, 2)),
        ([1, 1, 2, 2], [1, 2, 3, 4], (1, 1)),
        ([0, 1, 2, 3], [0, 0, 0, 0], (1, 0)),
        ([0, 0, 0, 0], [0, 1, 2, 3], (1, 0)),
        ([5, 5, 5, 4], [4, 4, 5, 5], (1, 2)),
        ([0, 1, 1, 2], [1, 1, 1, 1], (2, 0)),
        ([2, 2, 3, 3], [3, 2, 2, 4], (1, 2)),
        ([0, 1, 2, 3], [4, 5, 4, 5], (0, 0)),
    ],
)
def test_score_known_examples(secret, guess, expected):
    assert score(secret, guess) == expected
    assert score(tuple(secret), tuple(guess)) == expected


def test_is_solved():
    s = GameSettings()
    assert is_solved(score((1, 2, 3, 4), (1, 2, 3, 4)), s)
    assert not is_solved(Feedback(3, 0), s)
    assert is_solved(Feedback(5, 0), GameSettings(code_length=5))


# --- validate_code ----------------------------------------------------------


@PROPS
@given(st.data())
def test_validate_code_accepts_valid_codes(data):
    s = data.draw(game_settings())
    code = data.draw(codes_for(s))
    assert validate_code(code, s) == code
    assert validate_code(list(code), s) == code
    assert isinstance(validate_code(list(code), s), tuple)


@pytest.mark.parametrize(
    "code",
    [
        [0, 1, 2],
        [0, 1, 2, 3, 4],
        [],
        [0, 1, 2, 6],
        [0, 1, 2, -1],
        [0, 1, 2, "3"],
        [0, 1, 2, True],
        [0, 1, 2, 3.0],
        [0, 1, 2, None],
        "0123",
        {"0": 0, "1": 1, "2": 2, "3": 3},
        None,
        1234,
        {0, 1, 2, 3},
    ],
)
def test_validate_code_rejects(code):
    with pytest.raises(InvalidMove) as info:
        validate_code(code, GameSettings())
    assert info.value.field == "guess"
    assert info.value.code == "invalid"
    assert info.value.status == 400


def test_validate_code_rejects_repeats_without_duplicates():
    s = GameSettings(allow_duplicates=False)
    assert validate_code([0, 1, 2, 3], s) == (0, 1, 2, 3)
    with pytest.raises(InvalidMove) as info:
        validate_code([0, 0, 1, 2], s, field="secret")
    assert info.value.field == "secret"
    assert validate_code([0, 0, 1, 2], GameSettings()) == (0, 0, 1, 2)


def test_validate_code_reports_custom_field():
    with pytest.raises(InvalidMove) as info:
        validate_code(None, GameSettings(), field="secret")
    assert info.value.field == "secret"


# --- validate_settings ------------------------------------------------------


@pytest.mark.parametrize(("mode", "players"), [("solo", 1), ("duel", 2), ("coop", 4), ("race", 4)])
def test_validate_settings_defaults(mode, players):
    assert validate_settings(mode=mode) == (GameSettings(), players)
    assert validate_settings(mode=mode, max_players=None) == (GameSettings(), players)


def test_defaults_match_limits():
    s = GameSettings()
    assert (s.code_length, s.colors, s.max_guesses, s.allow_duplicates) == (
        4,
        6,
        10,
        True,
    )
    assert set(MODES) == {"solo", "coop", "race", "duel"}


@pytest.mark.parametrize("name", ["code_length", "colors", "max_guesses"])
def test_validate_settings_range_boundaries(name):
    low, high = LIMITS[name]
    for value in (low, high):
        s, _ = validate_settings(mode="solo", **{name: value})
        assert getattr(s, name) == value
    for value in (low - 1, high + 1):
        with pytest.raises(InvalidMove) as info:
            validate_settings(mode="solo", **{name: value})
        assert info.value.field == name
        assert f"between {low} and {high}" in info.value.detail


@pytest.mark.parametrize("name", ["code_length", "colors", "max_guesses", "max_players"])
@pytest.mark.parametrize("value", [True, False, "4", 4.0, [4]])
def test_validate_settings_rejects_non_int(name, value):
    with pytest.raises(InvalidMove) as info:
        validate_settings(mode="coop", **{name: value})
    assert info.value.field == name


@pytest.mark.parametrize("value", ["yes", 1, 0, None])
def test_validate_settings_rejects_non_bool_duplicates(value):
    with pytest.raises(InvalidMove) as info:
        validate_settings(mode="solo", allow_duplicates=value)
    assert info.value.field == "allow_duplicates"


def test_validate_settings_colors_vs_length_without_duplicates():
    s, _ = validate_settings(mode="solo", code_length=5, colors=5, allow_duplicates=False)
    assert s == GameSettings(code_length=5, colors=5, allow_duplicates=False)
    with pytest.raises(InvalidMove) as info:
        validate_settings(mode="solo", code_length=5, colors=4, allow_duplicates=False)
    assert info.value.field == "colors"
    s, _ = validate_settings(mode="solo", code_length=8, colors=2, allow_duplicates=True)
    assert s.colors == 2


@pytest.mark.parametrize(
    ("mode", "allowed"),
    [
        ("solo", {1}),
        ("duel", {2}),
        ("coop", set(range(2, 9))),
        ("race", set(range(2, 9))),
    ],
)
def test_validate_settings_max_players_per_mode(mode, allowed):
    for players in range(10):
        if players in allowed:
            assert validate_settings(mode=mode, max_players=players)[1] == players
        else:
            with pytest.raises(InvalidMove) as info:
                validate_settings(mode=mode, max_players=players)
            assert info.value.field == "max_players"


@pytest.mark.parametrize("mode", ["battle", "", "SOLO", None, 1, ["solo"]])
def test_unknown_mode(mode):
    with pytest.raises(InvalidMove) as info:
        validate_settings(mode=mode)
    assert info.value.field == "mode"


# --- draws ------------------------------------------------------------------


@PROPS
@given(game_settings())
def test_draw_secret_is_valid(s):
    secret = draw_secret(s)
    assert validate_code(secret, s) == secret
    if not s.allow_duplicates:
        assert len(set(secret)) == s.code_length


def test_draw_secret_covers_small_space():
    s = GameSettings(code_length=2, colors=2)
    assert {draw_secret(s) for _ in range(400)} == set(all_codes(s))


def test_draw_room_code():
    assert len(set(ROOM_CODE_ALPHABET)) == len(ROOM_CODE_ALPHABET)
    assert not set("01IOL") & set(ROOM_CODE_ALPHABET)
    codes = {draw_room_code() for _ in range(200)}
    for code in codes:
        assert len(code) == ROOM_CODE_LENGTH == 6
        assert set(code) <= set(ROOM_CODE_ALPHABET)
        assert normalize_room_code(code) == code
    assert len(codes) > 190


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc234", "ABC234"),
        ("  xyz789\n", "XYZ789"),
        ("AbC234", "ABC234"),
        ("ABC234", "ABC234"),
        ("AB\x00C23", ""),  # no room holds a NUL; PostgreSQL refuses one in a query
    ],
)
def test_normalize_room_code(raw, expected):
    assert normalize_room_code(raw) == expected


# --- code space and consistency ---------------------------------------------


@pytest.mark.parametrize(
    ("length", "colors", "duplicates", "size"),
    [
        (4, 6, True, 1296),
        (4, 6, False, 360),
        (2, 2, True, 4),
        (3, 3, False, 6),
        (2, 10, True, 100),
        (5, 5, False, 120),
    ],
)
def test_all_codes(length, colors, duplicates, size):
    s = GameSettings(code_length=length, colors=colors, allow_duplicates=duplicates)
    codes = list(all_codes(s))
    assert len(codes) == code_space_size(s) == size
    assert codes == sorted(set(codes))
    assert all(validate_code(c, s) == c for c in codes)


@PROPS
@given(game_settings(max_length=4, max_colors=6))
def test_all_codes_matches_size(s):
    codes = list(all_codes(s))
    assert len(codes) == len(set(codes)) == code_space_size(s)
    assert all(validate_code(c, s) == c for c in codes)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_consistent_codes_against_brute_force(data):
    s = data.draw(game_settings(max_length=4, max_colors=5))
    secret = data.draw(codes_for(s))
    guesses = data.draw(st.lists(codes_for(s), max_size=4))
    history = [(g, score(secret, g)) for g in guesses]
    result = consistent_codes(all_codes(s), history)
    assert secret in result
    expected = [c for c in all_codes(s) if all(oracle(c, g) == fb for g, fb in history)]
    assert result == expected


def test_consistent_codes_edge_cases():
    s = GameSettings()
    assert consistent_codes(all_codes(s), []) == list(all_codes(s))
    history = (pair for pair in [((0, 0, 1, 1), Feedback(4, 0))])
    assert consistent_codes(all_codes(s), history) == [(0, 0, 1, 1)]
    plain = [((0, 1, 2, 3), (0, 0))]
    assert all(not set(c) & {0, 1, 2, 3} for c in consistent_codes(all_codes(s), plain))


# --- purity -----------------------------------------------------------------


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports (by its dotted name)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


@pytest.mark.parametrize("module", ["rules.py", "exceptions.py"])
def test_pure_python_modules(module):
    names = imported_modules(Path(rules.__file__).parent / module)
    assert not {n for n in names if n.split(".")[0] == "django"}
    assert "random" not in names
