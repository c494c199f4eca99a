"""Rated play (SPEC §8): openskill's Plackett–Luce ratings per mode, updated when a rated room finishes.

- `PlackettLuce(mu=1500, sigma=500, beta=250, tau=5)`; a player's first
  rated game starts from (1500, 500).
- One `rate()` call over the whole room: a race ranks by `place`, everyone
  who did not solve tied last; a duel ranks the codebreaker first if they
  cracked the code, else the codemaker.
- Shown: `rating = round(mu)`, `deviation = round(sigma)`, `provisional`
  while sigma > 400. `Player.rating_change` is the change of the shown
  rating; every change is stored (RatingChange) for the profile's history.
- `rate_room` runs inside the transaction that finishes the room, with the
  players' rating rows locked, so each player is rated exactly once.
"""

from dataclasses import asdict, dataclass
from typing import Any

from openskill.models import PlackettLuce

from config import rows as compiled
from games.exceptions import InvalidMove, NotAllowed
from games.models import Player, Rating, RatingChange, Room

MU, SIGMA, BETA, TAU = 1500.0, 500.0, 250.0, 5.0
PROVISIONAL_SIGMA = 400.0
RATED_MODES = (Room.Mode.RACE, Room.Mode.DUEL)
MODEL = PlackettLuce(mu=MU, sigma=SIGMA, beta=BETA, tau=TAU)


@dataclass(frozen=True)
class Shown:
    """A rating as players see it."""

    rating: int
    deviation: int
    provisional: bool
    games: int


def shown(rating: Rating | None) -> Shown | None:
    if rating is None:
        return None
    return Shown(round(rating.mu), round(rating.sigma), rating.sigma > PROVISIONAL_SIGMA, rating.games)


def check_rated(rated: object, *, mode: str, guest: bool) -> None:
    """`rated` on room create: race and duel only (400), never for guests (403)."""
    if not isinstance(rated, bool):
        raise InvalidMove("rated must be true or false.", field="rated")
    if rated and mode not in RATED_MODES:
        raise InvalidMove("Only race and duel rooms can be rated.", field="rated")
    if rated and guest:
        raise NotAllowed("Guests play unrated games: keep your account to play rated.")


def current(user: Any, mode: str) -> int:
    """The user's shown rating in `mode` (1500 before their first rated game)."""
    found = Rating.objects.filter(user=user, mode=mode).values_list("mu", flat=True).first()
    return round(found if found is not None else MU)


def of_user(user: Any) -> dict[str, dict | None]:
    """`{race: R|null, duel: R|null}` with R = {rating, deviation, provisional, games} (SPEC §7)."""
    # Every `me` reads this: a statement compiled once (config.rows), as the token check's.
    rows = {r.mode: r for r in compiled.select(Rating, "user", user.pk)}
    result: dict[str, dict | None] = {}
    for mode in RATED_MODES:
        found = shown(rows.get(mode))
        result[mode] = None if found is None else asdict(found)
    return result


def leaderboard(*, mode: str, limit: int = 50) -> list[dict]:
    """SPEC §8: `[{username, rating, deviation, games, wins}]`, highest first, non-provisional players only."""
    rows = (
        Rating.objects.filter(mode=mode, sigma__lte=PROVISIONAL_SIGMA, user__is_guest=False)
        .select_related("user")
        .order_by("-mu", "user__username")[:limit]
    )
    return [
        {
            "username": r.user.username,
            "rating": round(r.mu),
            "deviation": round(r.sigma),
            "games": r.games,
            "wins": r.wins,
        }
        for r in rows
    ]


def histories(user: Any) -> dict[str, list[dict]]:
    """The user's rating after each rated game, by mode, oldest first (the profile's charts): one query."""
    found: dict[str, list[dict]] = {mode: [] for mode in RATED_MODES}
    changes = RatingChange.objects.filter(user=user).select_related("room").order_by("created_at", "id")
    for c in changes:
        found.setdefault(c.mode, []).append(
            {
                "room": c.room.code,
                "when": c.created_at,
                "before": round(c.mu_before),
                "after": round(c.mu_after),
            }
        )
    return found


def ranks(room: Room, players: list[Player]) -> list[int]:
    """Each player's rank (1 is best; equal ranks tie), in the order of `players`."""
    if room.mode == Room.Mode.DUEL:
        breaker = next(p for p in players if p.role == Player.Role.CODEBREAKER)
        cracked = breaker.status == Player.Status.SOLVED
        return [1 if (p is breaker) == cracked else 2 for p in players]
    last = 1 + max((p.place or 0 for p in players), default=0)
    return [p.place if p.status == Player.Status.SOLVED and p.place else last for p in players]


def rate_room(room: Room, players: list[Player]) -> None:
    """Rate every player of a finished rated room once; sets and saves each Player.rating_change."""
    if not room.rated:
        return
    rows = {
        r.user_id: r
        for r in Rating.objects.select_for_update().filter(
            user_id__in=[p.user_id for p in players], mode=room.mode
        )
    }
    for p in players:
        if p.user_id not in rows:
            rows[p.user_id] = Rating.objects.create(user_id=p.user_id, mode=room.mode, mu=MU, sigma=SIGMA)
    before = [rows[p.user_id] for p in players]
    teams = [[MODEL.create_rating([r.mu, r.sigma])] for r in before]
    order = ranks(room, players)
    after = MODEL.rate(teams, ranks=[float(rank) for rank in order])
    for player, rating, (new,), rank in zip(players, before, after, order, strict=True):
        RatingChange.objects.create(
            user_id=player.user_id,
            mode=room.mode,
            room=room,
            mu_before=rating.mu,
            sigma_before=rating.sigma,
            mu_after=new.mu,
            sigma_after=new.sigma,
        )
        player.rating_change = round(new.mu) - round(rating.mu)
        player.save(update_fields=["rating_change"])
        rating.mu, rating.sigma = new.mu, new.sigma
        rating.games += 1
        rating.wins += rank == 1 and order.count(1) == 1
        rating.save(update_fields=["mu", "sigma", "games", "wins"])


CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 160, 12


def chart(points: list[dict]) -> dict | None:
    """A rating history as an SVG polyline (server-rendered, no script): None with no rated game yet.

    The first point is the rating before the first game; x is the game's
    number, y the rating, scaled into the chart with the extremes labelled.
    """
    if not points:
        return None
    values = [points[0]["before"], *(p["after"] for p in points)]
    low, high = min(values), max(values)
    span = max(high - low, 1)
    step = (CHART_WIDTH - 2 * CHART_PAD) / max(len(values) - 1, 1)
    coords = [
        (CHART_PAD + i * step, CHART_PAD + (high - v) * (CHART_HEIGHT - 2 * CHART_PAD) / span)
        for i, v in enumerate(values)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        "last": coords[-1],
        "low": low,
        "high": high,
        "now": values[-1],
    }
