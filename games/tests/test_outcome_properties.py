"""Properties of rules.outcome over every mode: no Django, no database.

Games are played out with random moves by random players (guesses that
solve or miss, leaves), each checked against what the rules allowed.
"""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games import rules
from games.exceptions import GameError, NotAllowed, WrongState
from games.rules import (
    ABANDONED,
    CODEBREAKER,
    CODEMAKER,
    FINISHED,
    LEFT,
    OUT,
    PLAYER,
    PLAYING,
    SOLVED,
    WAITING,
    Game,
    GameSettings,
    Guessed,
    Left,
    PlayerState,
)

PROPS = settings(max_examples=300, deadline=None)
PLAYER_COUNTS = {"solo": (1, 1), "duel": (2, 2), "coop": (2, 5), "race": (2, 5)}


@st.composite
def waiting_games(draw, mode=None) -> Game:
    """A waiting room of any mode, full enough to start (a duel with its secret set)."""
    mode = mode or draw(st.sampled_from(rules.MODES))
    low, high = PLAYER_COUNTS[mode]
    count = draw(st.integers(low, high))
    game_settings = GameSettings(
        code_length=draw(st.integers(2, 4)),
        colors=draw(st.integers(2, 5)),
        max_guesses=draw(st.integers(1, 6)),
    )
    roles = [CODEMAKER, CODEBREAKER] if mode == "duel" else [PLAYER] * count
    players = tuple(PlayerState(id=10 + i, role=role) for i, role in enumerate(roles))
    return Game(
        mode=mode,
        settings=game_settings,
        status=WAITING,
        players=players,
        owner=players[0].id,
        max_players=high,
        secret_set=mode == "duel",
    )


def codes(game_settings: GameSettings):
    return st.lists(
        st.integers(0, game_settings.colors - 1),
        min_size=game_settings.code_length,
        max_size=game_settings.code_length,
    )


def check_invariants(game: Game, solve_order: list[int]) -> None:
    """What must hold after every move, in every mode."""
    places = [p.place for p in game.players if p.place is not None]
    # Placements are a permutation of 1..k.
    assert sorted(places) == list(range(1, len(places) + 1))
    assert all(p.won == (p.place == 1) for p in game.players if p.place is not None)
    if game.mode == "race":
        # Solvers, and only they, are placed, in the order they solved.
        assert [p.id for p in sorted(game.players, key=lambda p: p.place or 0) if p.place] == solve_order
        assert all((p.place is not None) == (p.status == SOLVED) for p in game.players)
        assert all(p.guesses_used <= game.settings.max_guesses for p in game.players)
    else:
        # One shared budget: every guess on the board counts against it.
        assert sum(p.guesses_used for p in game.players) == game.guesses_made <= game.settings.max_guesses
    if game.mode == "duel":
        codemaker = next(p for p in game.players if p.role == CODEMAKER)
        assert codemaker.status != SOLVED and codemaker.guesses_used == 0
    if game.status == PLAYING:
        # A running game always has someone who may move it on.
        assert any("guess" in rules.allowed_actions(game, p.id) for p in game.players)
    if game.status == FINISHED and game.winner is not None:
        winner = game.player(game.winner)
        assert winner is not None and winner.won


def draw_move(data, game: Game, secret: tuple[int, ...], mover: int) -> rules.Move:
    if data.draw(st.integers(0, 9)) == 0:
        return Left(mover)
    guess = secret if data.draw(st.integers(0, 5)) == 0 else tuple(data.draw(codes(game.settings)))
    return Guessed(mover, rules.score(secret, guess))


def action_of(move: rules.Move) -> str:
    return "guess" if isinstance(move, Guessed) else "leave"


def play_out(data, game: Game) -> tuple[Game, int]:
    """Random moves by random players until the game ends; the guesses it took.

    Each turn a move by anyone is tried (a refused one must raise its
    refusal and change nothing), then one the rules allow is made.
    """
    secret = tuple(data.draw(codes(game.settings)))
    guesses = 0
    solve_order: list[int] = []
    # Every accepted move spends a guess or a player: this many always ends a game.
    for _ in range(len(game.players) * (game.settings.max_guesses + 1)):
        if game.is_over:
            break
        tried = draw_move(data, game, secret, data.draw(st.sampled_from(game.players)).id)
        refused = rules.refusal(game, action_of(tried), tried.player)
        if refused is not None:
            with pytest.raises(type(refused)) as info:
                rules.outcome(game, tried)
            assert info.value.detail == refused.detail
        movers = [p.id for p in game.players if "guess" in rules.allowed_actions(game, p.id)]
        move = draw_move(data, game, secret, data.draw(st.sampled_from(movers)))
        result = rules.outcome(game, move)
        assert {p.id for p in result.moved} == {p.id for p in result.game.players}
        assert result.finished == (result.game.status == FINISHED)
        if isinstance(move, Guessed):
            guesses += 1
            assert 1 <= result.number <= game.settings.max_guesses
            assert result.remaining == game.settings.max_guesses - result.number
            if result.solved:
                solve_order.append(move.player)
                assert result.game.player(move.player).status == SOLVED
        game = result.game
        check_invariants(game, solve_order if game.mode == "race" else [])
    return game, guesses


@PROPS
@given(st.data())
def test_every_game_ends_within_players_times_max_guesses_moves(data):
    start = data.draw(waiting_games())
    game = rules.started(start)
    assert game.status == PLAYING and all(p.status == PLAYING for p in game.players)
    game, guesses = play_out(data, game)
    assert game.status == FINISHED
    assert guesses <= len(game.players) * game.settings.max_guesses


@PROPS
@given(st.data())
def test_leaving_never_unfinishes_a_game(data):
    game, _ = play_out(data, rules.started(data.draw(waiting_games())))
    for player in game.players:
        with pytest.raises(WrongState):
            rules.outcome(game, Left(player.id))
        with pytest.raises(GameError):
            rules.outcome(game, Guessed(player.id, rules.Feedback(game.settings.code_length, 0)))
        assert "leave" not in rules.allowed_actions(game, player.id)
        assert "guess" not in rules.allowed_actions(game, player.id)


@PROPS
@given(st.data())
def test_coop_shares_one_budget(data):
    game = rules.started(data.draw(waiting_games("coop")))
    missed = rules.Feedback(0, 0)
    for turn in range(game.settings.max_guesses):
        mover = data.draw(st.sampled_from([p for p in game.players if p.status == PLAYING]))
        result = rules.outcome(game, Guessed(mover.id, missed))
        assert result.number == turn + 1
        game = result.game
    # The team's budget is spent, whoever spent it: everyone still in is out, and nobody won.
    assert game.status == FINISHED and game.winner is None
    assert {p.status for p in game.players} <= {OUT, LEFT}
    assert not any(p.won for p in game.players)


@PROPS
@given(st.data())
def test_a_coop_solve_is_the_whole_teams_win(data):
    game = rules.started(data.draw(waiting_games("coop")))
    solver = data.draw(st.sampled_from(game.players))
    cracked = rules.Feedback(game.settings.code_length, 0)
    result = rules.outcome(game, Guessed(solver.id, cracked))
    assert result.game.winner == solver.id
    assert all(p.status == SOLVED and p.won and p.solved_in == 1 for p in result.game.players)


@PROPS
@given(st.data())
def test_a_duels_codemaker_never_solves(data):
    game = rules.started(data.draw(waiting_games("duel")))
    codemaker, breaker = game.players
    with pytest.raises(NotAllowed):
        rules.outcome(game, Guessed(codemaker.id, rules.Feedback(game.settings.code_length, 0)))
    game, _ = play_out(data, game)
    maker = game.player(codemaker.id)
    assert maker.status != SOLVED
    # Someone won: the breaker by cracking it, the maker when the budget ran out or the other side left.
    assert game.winner in (codemaker.id, breaker.id)
    assert {p.place for p in game.players} == {1, 2}


@PROPS
@given(st.data())
def test_the_race_places_follow_the_order_of_solving(data):
    game = rules.started(data.draw(waiting_games("race")))
    order = data.draw(st.permutations([p.id for p in game.players]))
    cracked = rules.Feedback(game.settings.code_length, 0)
    for place, player_id in enumerate(order, start=1):
        result = rules.outcome(game, Guessed(player_id, cracked))
        game = result.game
        assert game.player(player_id).place == place
        assert game.winner == order[0]
        assert result.finished == (place == len(order))


@PROPS
@given(st.data())
def test_leaving_a_waiting_room_passes_it_on_or_abandons_it(data):
    game = data.draw(waiting_games())
    while game.players:
        leaver = data.draw(st.sampled_from(game.players))
        result = rules.outcome(game, Left(leaver.id))
        after = result.game
        assert result.removed == leaver.id and not result.finished
        assert [p.id for p in after.players] == [p.id for p in game.players if p.id != leaver.id]
        if after.players:
            expected_owner = after.players[0].id if leaver.id == game.owner else game.owner
            assert after.owner == expected_owner and after.status == WAITING
            if game.mode == "duel":
                assert after.player(after.owner).role == CODEMAKER
                assert after.secret_set == (leaver.id != game.owner and game.secret_set)
        else:
            assert after.status == ABANDONED
        game = after
    # Nobody may join or start an abandoned room; talking in it is all that is left
    # (in a room of several players: a solo game has no chat).
    assert rules.allowed_actions(game, None) == ([] if game.mode == "solo" else ["chat"])


@PROPS
@given(st.data())
def test_start_needs_the_minimum_of_players_and_a_duels_secret(data):
    game = data.draw(waiting_games())
    assert rules.refusal(game, "start", game.owner) is None
    alone = replace(game, players=game.players[:1])
    if rules.MIN_PLAYERS_TO_START[game.mode] > 1:
        assert "start" not in rules.allowed_actions(alone, game.owner)
        with pytest.raises(WrongState, match="needs at least"):
            rules.started(alone)
    if game.mode == "duel":
        with pytest.raises(WrongState, match="secret"):
            rules.started(replace(game, secret_set=False))
    others = [p.id for p in game.players if p.id != game.owner]
    for other in others:
        with pytest.raises(NotAllowed):
            rules.check(game, "start", other)
