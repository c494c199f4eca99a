"""The daily challenge (SPEC §9): one stored secret per UTC day, everyone's own private board.

Reads and writes for the feature in one module (the doors call these, as they
call games.services and games.selectors):

- `daily_start` gives a player today's room, made on the first call (a solo,
  private room with the day's secret, 5×8, 10 guesses, repeats allowed) and
  the same room after; one per player per day (a unique constraint, so two
  requests at once still make one room).
- `challenge_for` draws the day's secret with `secrets` the first time it is
  needed and stores it; the unique date makes two processes agree on one.
  The secret is never derived from the date.
- `daily_summary` and `daily_leaderboard` read a day. The secret of today
  reaches nobody through them: a player sees it in their own finished room
  (private, so nobody else can), everyone in the summary of a past day.
"""

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from games import rules, services
from games.exceptions import InvalidMove, RoomNotFound
from games.models import DailyChallenge, DailyPlay, Player, Room

SETTINGS = rules.GameSettings(code_length=5, colors=8, max_guesses=10, allow_duplicates=True)
# Challenge #1 is this day's; the number is the count of days since.
FIRST_DAY = date(2026, 11, 1)


def today() -> date:
    return datetime.now(UTC).date()


def number_of(day: date) -> int:
    return (day - FIRST_DAY).days + 1


def settings_data() -> dict:
    return asdict(SETTINGS)


def parse_day(raw: str | None) -> date:
    """`?date=YYYY-MM-DD` (today when absent). Raises InvalidMove (400) or RoomNotFound (404: not yet)."""
    if raw is None:
        return today()
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidMove("date must be a day as YYYY-MM-DD.", field="date")
    if day > today():
        raise RoomNotFound("That day's challenge is not out yet.")
    if day < FIRST_DAY:
        raise RoomNotFound(f"The daily challenge began on {FIRST_DAY.isoformat()}.")
    return day


def challenge_for(day: date) -> DailyChallenge:
    """The day's challenge, its secret drawn and stored on first need (one per day, whoever asks first)."""
    found = DailyChallenge.objects.filter(date=day).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return DailyChallenge.objects.create(date=day, secret=list(rules.draw_secret(SETTINGS)))
    except IntegrityError:
        return DailyChallenge.objects.get(date=day)  # another request drew it first: theirs stands


def daily_start(*, user) -> tuple[Room, bool]:
    """Today's room for this player, made on first call: (room, created)."""
    day = today()
    challenge = challenge_for(day)
    existing = DailyPlay.objects.filter(challenge=challenge, user=user).select_related("room").first()
    if existing is not None:
        return existing.room, False
    try:
        with transaction.atomic():
            room = services.room_create(
                user=user,
                mode=Room.Mode.SOLO,
                name=f"Daily #{number_of(day)}",
                private=True,
                daily_secret=challenge.secret,
                **settings_data(),
            )
            DailyPlay.objects.create(challenge=challenge, user=user, room=room)
    except IntegrityError:
        # The same player's other request made today's room a moment ago.
        return DailyPlay.objects.select_related("room").get(challenge=challenge, user=user).room, False
    return room, True


def daily_summary(*, day: date, user) -> dict:
    """SPEC §9's GET /daily/: the day, its number and settings, your room, how many played and solved."""
    challenge = DailyChallenge.objects.filter(date=day).first()
    if challenge is None and day < today():
        raise RoomNotFound("Nobody played the daily challenge that day.")
    plays = DailyPlay.objects.filter(challenge=challenge) if challenge else DailyPlay.objects.none()
    counts = plays.aggregate(
        players=Count("id"),
        solvers=Count("id", filter=Q(room__players__status=Player.Status.SOLVED)),
    )
    mine = (
        plays.filter(user=user).values_list("room__code", flat=True).first()
        if user.is_authenticated
        else None
    )
    data = {
        "date": day.isoformat(),
        "number": number_of(day),
        "settings": {**settings_data(), "max_players": 1},
        "room": mine,
        "players": counts["players"],
        "solvers": counts["solvers"],
    }
    if challenge is not None and day < today():
        data["secret"] = challenge.secret
    return data


def daily_leaderboard(*, day: date, limit: int = 50) -> list[dict]:
    """The day's solvers: fewest guesses, then fastest; no guests (SPEC §9)."""
    rows = (
        Player.objects.filter(
            room__daily_play__challenge__date=day,
            status=Player.Status.SOLVED,
            user__is_guest=False,
        )
        .annotate(seconds=F("room__finished_at") - F("room__started_at"))
        .order_by("solved_in", "seconds", "user__username")
        .values("user__username", "solved_in", "seconds")[:limit]
    )
    return [
        {"username": r["user__username"], "guesses": r["solved_in"], "seconds": _seconds(r["seconds"])}
        for r in rows
    ]


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def share_text_for(*, room_code: str) -> str | None:
    """A finished daily room's share text; None for any other room (or one still being played)."""
    play = (
        DailyPlay.objects.select_related("challenge", "room")
        .filter(room__code=room_code, room__status=Room.Status.FINISHED)
        .first()
    )
    return share_text(play) if play is not None else None


def share_text(play: DailyPlay) -> str:
    """`Mastermind Online #N 6/10` and one line of ●/○ per guess: no colours (SPEC §9)."""
    room = play.room
    guesses = list(room.guesses.order_by("number"))
    solved = any(g.exact == room.code_length for g in guesses)
    score = f"{len(guesses)}/{room.max_guesses}" if solved else f"X/{room.max_guesses}"
    lines = ["●" * g.exact + "○" * g.misplaced or "–" for g in guesses]
    return "\n".join([f"Mastermind Online #{number_of(play.challenge.date)} {score}", *lines])
