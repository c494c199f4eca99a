"""Computer players: bots that play races through the same services as people.

A bot is a User with `bot_difficulty` set ("easy": a random code consistent
with its feedback so far; "hard": Knuth's minimax). It joins with
services.bot_add and moves with services.guess_submit, so its guesses get the
same checks, versions and events as anyone's. `tick()` runs once a second
inside each server process (`run_in_server`, BOTS_IN_SERVER) or in
`manage.py run_bots`; one move per bot per BOT_PACE_SECONDS, a human pace.
"""

import asyncio
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from config import outages
from games import matchmaking, selectors, services, solver
from games.exceptions import GameError
from games.models import Guess, Player, Room

logger = logging.getLogger(__name__)

STRATEGIES = {"easy": solver.Strategy.RANDOM, "hard": solver.Strategy.KNUTH}


def bot_move(*, room_code: str, bot) -> services.GuessResult | None:
    """Make the bot's next guess; None when it has nothing to play. Raises GameError as guess_submit."""
    player = (
        Player.objects.select_related("room")
        .filter(room__code=room_code, user=bot, status=Player.Status.PLAYING)
        .first()
    )
    if player is None or player.room.status != Room.Status.PLAYING:
        return None
    history = selectors.board_history(Guess.objects.filter(player=player))
    # The solver thinks outside any transaction: no room lock is held meanwhile.
    guess = solver.Solver(player.room.game_settings).suggest(history, STRATEGIES[bot.bot_difficulty])
    # A request_id per board position: two runners that pick the same bot at
    # once apply one move, not two (the other gets the first result or a 400).
    return services.guess_submit(
        room_code=room_code, user=bot, guess=list(guess), request_id=f"bot-move-{len(history) + 1}"
    )


def bots_due(now: datetime) -> list[tuple[str, User]]:
    """(room code, bot) for each bot still playing a race whose last move is older than its pace."""
    since = now - timedelta(seconds=settings.BOT_PACE_SECONDS)
    players = (
        Player.objects.filter(
            user__bot_difficulty__in=STRATEGIES,
            status=Player.Status.PLAYING,
            room__status=Room.Status.PLAYING,
            room__mode=Room.Mode.RACE,
        )
        .annotate(last_move=Coalesce(Max("guesses__created_at"), F("room__started_at")))
        .filter(last_move__lte=since)
        .select_related("room", "user")
        .order_by("last_move", "id")
    )
    return [(player.room.code, player.user) for player in players]


def tick(now: datetime | None = None) -> int:
    """One move for every bot that is due; returns how many moved."""
    moved = 0
    for room_code, bot in bots_due(now or timezone.now()):
        try:
            result = bot_move(room_code=room_code, bot=bot)
        except GameError as exc:
            # The room changed under the bot (finished, abandoned): skip it, keep the others going.
            logger.info("bot %s in %s did not move: %s", bot.username, room_code, exc.detail)
            continue
        if result is not None:
            moved += 1
    return moved


async def run_in_server(interval: float = 1.0) -> None:
    """The bot loop inside a daphne process, on its event loop.

    Running here (not only in `manage.py run_bots`) matters for the embedded
    in-memory channel layer: a bot's move is broadcast after commit from this
    process, so it reaches this process's sockets. With Redis, several
    server processes may tick at once; a bot's move carries a request_id per
    board position, so it is applied once.
    """
    from games.threads import database_sync_to_async

    while True:
        await asyncio.sleep(interval)
        try:
            await database_sync_to_async(tick)()
            # The same loop keeps the matchmaking pool: expiries and widened rating windows.
            await database_sync_to_async(matchmaking.sweep)()
        except outages.BACKEND_DOWN as exc:
            outages.warn(outages.service_of(exc), "bots pause", exc)
        except Exception:  # noqa: BLE001 - the loop must outlive one bad tick; it is logged
            logger.exception("bot tick failed")


class BotRunnerMiddleware:
    """ASGI wrapper that starts `run_in_server` on the server's loop at the first connection."""

    def __init__(self, app):
        self.app = app
        self.task = None

    async def __call__(self, scope, receive, send):
        if self.task is None and settings.BOTS_IN_SERVER and scope["type"] in ("http", "websocket"):
            self.task = asyncio.get_running_loop().create_task(run_in_server())
        return await self.app(scope, receive, send)
