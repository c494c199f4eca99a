"""The solver's verdict on a finished game (SPEC §9): a read, cached per room.

For each player and each of their guesses: how many codes were consistent
with the board's feedback before and after it, and the smallest worst case
(Knuth's minimax) any guess could have guaranteed from the same position
(`games.solver.analyse`). A race board is each racer's own; solo, duel and
co-op have one shared board, judged in the board's order.

A finished room never changes, so its analysis is computed once and kept in
the default cache (Redis when configured, shared by every process); with the
cache down it is computed for each request instead (config/outages.py).
"""

from django.core.cache import cache

from config import outages
from games import selectors, solver
from games.exceptions import WrongState
from games.models import Guess, Room

CACHE_SECONDS = 7 * 24 * 3600
_VERSION = 1  # bump when the shape or the solver's answers change


def room_analysis(*, room_code: str, user) -> dict:
    """The analysis of a finished room this viewer may see. Raises RoomNotFound, WrongState."""
    room = selectors.room_get_for_viewer(room_code=room_code, user=user)
    if room.status != Room.Status.FINISHED:
        raise WrongState("The analysis is ready once the game is finished.")
    key = f"analysis:{_VERSION}:{room.pk}"
    try:
        found = cache.get(key)
    except outages.REDIS_DOWN as exc:
        outages.warn("redis", "analyses are computed without the cache", exc)
        return _analyse(room)
    if found is None:
        found = _analyse(room)
        try:
            cache.set(key, found, CACHE_SECONDS)
        except outages.REDIS_DOWN as exc:
            outages.warn("redis", "analyses are computed without the cache", exc)
    return found


def _analyse(room: Room) -> dict:
    guesses = list(Guess.objects.filter(room=room).order_by("number", "id"))
    # The room's one shared board (solo, duel, co-op), or each racer's own.
    boards: dict[int | None, list[Guess]] = {}
    for guess in guesses:
        boards.setdefault(None if guess.shared_board else guess.player_id, []).append(guess)
    judged: dict[int, dict] = {}
    for board in boards.values():
        history = [(g.guess, (g.exact, g.misplaced)) for g in board]
        for guess, verdict in zip(board, solver.analyse(room.game_settings, history), strict=True):
            judged[guess.pk] = {
                "number": guess.number,
                "guess": guess.guess,
                "exact": guess.exact,
                "misplaced": guess.misplaced,
                "possible_before": verdict.possible_before,
                "possible_after": verdict.possible_after,
                "best_worst_case": verdict.best_worst_case,
                "exact_counts": verdict.exact_counts,
            }
    players = []
    for player in room.players.all():
        mine = [judged[g.pk] for g in guesses if g.player_id == player.pk]
        players.append({"username": player.user.username, "role": player.role, "guesses": mine})
    return {"code": room.code, "mode": room.mode, "players": players}
