"""Matchmaking (SPEC §8): a pool of tickets, paired two by two into started race rooms.

- One ticket per player: opening one replaces the last (`ticket_open`).
- Compatible tickets have the same mode, settings and `rated`; for rated
  play the two ratings must be within 200 + 50 for every 5 s the older
  ticket has waited, any rating after 60 s (a ticket carries the player's
  rating in the mode when opened: 1500 before their first rated game).
- A match makes a private, started 2-player race room; both tickets point
  at it and both players hear `match_found` on `/ws/me/` after the commit.
- A ticket is paired at most once, however many server processes pair at
  the same moment: pairing locks the new ticket, then takes the oldest
  compatible one with `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL), so
  two pairings never take the same partner and never wait on each other.
  SQLite serialises writers, which gives the same result.
- A ticket expires after 5 minutes unpaired: `sweep` (each server process's
  housekeeping loop, every second) marks it and sends `ticket_expired`, and
  pairs tickets whose rating windows have widened since they were opened.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from games import events, ratings, rules, selectors, services
from games.api.serializers import RoomSerializer
from games.exceptions import InvalidMove, NotAllowed
from games.models import MatchTicket, Room

TICKET_LIFETIME = timedelta(minutes=5)
CANDIDATES = 50  # compatible tickets looked at per pairing, oldest first
WINDOW_BASE, WINDOW_STEP, WINDOW_STEP_SECONDS, WINDOW_OPEN_AFTER = 200, 50, 5, 60
MODES = ("race",)


def rating_window(waited: timedelta) -> float:
    """How far apart two ratings may be once the older ticket has waited this long."""
    seconds = waited.total_seconds()
    if seconds >= WINDOW_OPEN_AFTER:
        return float("inf")
    return WINDOW_BASE + WINDOW_STEP * int(seconds // WINDOW_STEP_SECONDS)


def compatible(one: MatchTicket, other: MatchTicket, *, now) -> bool:
    if not one.rated:
        return True
    older = min(one.created_at, other.created_at)
    return abs(one.rating - other.rating) <= rating_window(now - older)


def ticket_open(*, user, mode="race", rated=False, code_length=4, colors=6) -> MatchTicket:
    """Open (or replace) the player's ticket, then pair it if a partner waits. Raises InvalidMove, NotAllowed."""
    if mode not in MODES:
        raise InvalidMove(f"Matchmaking is for {', '.join(MODES)} only.", field="mode")
    if not isinstance(rated, bool):
        raise InvalidMove("rated must be true or false.", field="rated")
    if rated and getattr(user, "is_guest", False):
        raise NotAllowed("Guests play unrated games: keep your account to play rated.")
    game_settings, _ = rules.validate_settings(
        mode=mode, code_length=code_length, colors=colors, max_players=2
    )
    with transaction.atomic():
        MatchTicket.objects.filter(user=user).delete()
        ticket = MatchTicket.objects.create(
            user=user,
            mode=mode,
            rated=rated,
            code_length=game_settings.code_length,
            colors=game_settings.colors,
            rating=ratings.current(user, mode),
        )
    pair(ticket.pk)
    ticket.refresh_from_db()
    return ticket


def ticket_get(*, user) -> MatchTicket | None:
    return MatchTicket.objects.filter(user=user).select_related("room").first()


def ticket_cancel(*, user) -> bool:
    deleted, _ = MatchTicket.objects.filter(user=user).delete()
    return bool(deleted)


def pair(ticket_pk: int) -> Room | None:
    """Pair this ticket with the oldest compatible one that nobody else is pairing; the room, or None."""
    now = timezone.now()
    with transaction.atomic():
        me = MatchTicket.objects.select_for_update().filter(pk=ticket_pk).first()
        if me is None or me.status != MatchTicket.Status.SEARCHING or me.created_at < now - TICKET_LIFETIME:
            return None
        pool = (
            MatchTicket.objects.select_for_update(skip_locked=True)
            .filter(
                status=MatchTicket.Status.SEARCHING,
                mode=me.mode,
                rated=me.rated,
                code_length=me.code_length,
                colors=me.colors,
                created_at__gte=now - TICKET_LIFETIME,
            )
            .exclude(pk=me.pk)
            .select_related("user")
            .order_by("created_at", "id")[:CANDIDATES]
        )
        other = next((t for t in pool if compatible(me, t, now=now)), None)
        if other is None:
            return None
        room = _room_for(older=other, newer=me)
        MatchTicket.objects.filter(pk__in=[me.pk, other.pk]).update(
            status=MatchTicket.Status.MATCHED, room=room
        )
        room = selectors.room_reload(room=room)
        for ticket in (me, other):
            data = RoomSerializer(room, context={"user": ticket.user}).data
            events.personal(ticket.user_id, {"type": "match_found", "room": data})
    return room


def _room_for(*, older: MatchTicket, newer: MatchTicket) -> Room:
    """A private race room for the two, started at once; the one who waited longer owns it."""
    room = services.room_create(
        user=older.user,
        mode=Room.Mode.RACE,
        name=f"{older.user.username} vs {newer.user.username}",
        private=True,
        rated=older.rated,
        code_length=older.code_length,
        colors=older.colors,
        max_players=2,
    )
    services.room_join(room_code=room.code, user=newer.user)
    return services.room_start(room_code=room.code, user=older.user)


def sweep() -> tuple[int, int]:
    """Expire tickets older than 5 minutes and pair the rest whose windows allow it now: (expired, matched)."""
    cutoff = timezone.now() - TICKET_LIFETIME
    with transaction.atomic():
        stale = list(
            MatchTicket.objects.select_for_update(skip_locked=True)
            .filter(status=MatchTicket.Status.SEARCHING, created_at__lt=cutoff)
            .values_list("pk", "user_id")
        )
        MatchTicket.objects.filter(pk__in=[pk for pk, _ in stale]).update(status=MatchTicket.Status.EXPIRED)
        for _, user_id in stale:
            events.personal(user_id, {"type": "ticket_expired"})
    matched = 0
    waiting = MatchTicket.objects.filter(status=MatchTicket.Status.SEARCHING).order_by("created_at")
    for pk in list(waiting.values_list("pk", flat=True)[:200]):
        if pair(pk) is not None:
            matched += 1
    return len(stale), matched
