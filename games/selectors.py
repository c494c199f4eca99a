"""Reads: rooms, guesses and stats, shaped to avoid N+1 queries."""

from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet, Sum

from accounts.models import User
from config.rows import quoted
from games import ratings, rows, rules, visibility, wire
from games.exceptions import RoomNotFound
from games.models import Guess, Player, Room

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class PlayerCount(TypedDict):
    """`room_list_visible`'s annotation: how many players a room has."""

    player_count: int


_Rooms = TypeVar("_Rooms", bound=QuerySet)


def _with_relations(queryset: _Rooms) -> _Rooms:
    return queryset.select_related("owner", "winner").prefetch_related(
        Prefetch("players", queryset=Player.objects.select_related("user").order_by("joined_at", "id")),
        Prefetch("rematches", queryset=Room.objects.only("id", "code", "rematch_of_id")),
    )


def _visible(user: Any) -> QuerySet[Room]:
    visible = Q(private=False)
    if getattr(user, "is_authenticated", False):
        visible |= Q(id__in=Player.objects.filter(user=user).values("room_id"))
    return Room.objects.filter(visible)


def room_list_visible(*, user: Any) -> "QuerySet[WithAnnotations[Room, PlayerCount]]":
    """Rooms anyone may browse (not private), plus the viewer's own private ones."""
    return _with_relations(_visible(user)).annotate(player_count=Count("players"))


def room_keys_visible(*, user: Any) -> QuerySet[Room]:
    """room_list_visible's rooms with only what a page needs to find them: games.kept.key's and the orderings."""
    return _visible(user).only("id", "code", "version", "created_at", "name")


def rooms_by_id(ids: list[int]) -> dict[int, Room]:
    """These rooms with their owner, winner, players and rematches, by id (a deleted one is absent)."""
    return {room.pk: room for room in _with_relations(Room.objects.filter(pk__in=ids))}


def room_get(*, room_code: str) -> Room | None:
    """The room with its owner, winner, players and rematches, whoever asks; None if there is none."""
    return _with_relations(Room.objects.filter(code=rules.normalize_room_code(room_code))).first()


def room_key(*, room_code: str) -> rows.RoomKey | None:
    """The room's id, code and version (games.kept.key), or None: one statement, compiled once."""
    return rows.room_key(rules.normalize_room_code(room_code))


def room_get_for_viewer(*, room_code: str, user: Any) -> Room:
    """The room if this viewer may see it; private rooms 404 for outsiders. Raises RoomNotFound."""
    room = room_get(room_code=room_code)
    if room is None or not visibility.can_see_room(room, user):
        raise RoomNotFound("No such room.")
    return room


def room_reload(*, room: Room) -> Room:
    """The same room, fresh from the database with its relations."""
    return _with_relations(Room.objects.filter(pk=room.pk)).get()


def guess_list(*, room: Room) -> list[Guess]:
    """Every guess of the room, oldest first: the same for every viewer (serialisers hide rivals' colours)."""
    return list(room.guesses.select_related("player__user").order_by("created_at", "id"))


def board_history(guesses: QuerySet[Guess]) -> list[tuple[list[int], rules.Feedback]]:
    """One board's guesses with their feedback, in order: what the solver reads."""
    rows = guesses.order_by("number").values_list("guess", "exact", "misplaced")
    return [(guess, rules.Feedback(exact, misplaced)) for guess, exact, misplaced in rows]


def player_stats_query(*, user: Any) -> QuerySet:
    """The ORM query `_player_stats_statement` stands for (kept for the test that compares them)."""
    return (
        Player.objects.filter(user=user, room__status=Room.Status.FINISHED)
        .values_list("room__mode", "won", "room__hints_used", "status")
        .annotate(n=Count("id"), solved_n=Count("solved_in"), solved_sum=Sum("solved_in"))
        .order_by()
    )


@cache
def _player_stats_statement(vendor: str) -> str:
    player, room = Player._meta, Room._meta
    col = {f.name: quoted(f.column) for f in player.concrete_fields}
    room_col = {f.name: quoted(f.column) for f in room.concrete_fields}
    group = f"r.{room_col['mode']}, p.{col['won']}, r.{room_col['hints_used']}, p.{col['status']}"
    return " ".join(
        [
            f"SELECT {group}, COUNT(p.{col['id']}), COUNT(p.{col['solved_in']}), SUM(p.{col['solved_in']})",  # noqa: S608
            f"FROM {quoted(player.db_table)} p INNER JOIN {quoted(room.db_table)} r ON p.{col['room']} = r.{room_col['id']}",
            f"WHERE p.{col['user']} = %s AND r.{room_col['status']} = %s",
            f"GROUP BY {group}",
        ]
    )


def player_stats(*, user: Any) -> dict:
    """Games finished, wins, average guesses to solve.

    A win with the solver's hints is counted apart (`hinted_wins`): `wins`
    and the average guesses to solve are the player's own play.

    One query, grouped by what the figures depend on (mode, won, hinted,
    status): a handful of rows, summed here. `me` reads these on every call,
    and building a query of a dozen filtered aggregates cost more CPU than
    everything else in the request (issue #9's profile: 40 %); even the one
    grouped query took 29 % of `me` to compile, so its text is built once
    (`_player_stats_statement`, the ORM query it stands for beside it,
    checked against it in games/tests/test_rows.py).
    """
    with connection.cursor() as cursor:
        cursor.execute(_player_stats_statement(connection.vendor), [user.pk, Room.Status.FINISHED])
        rows = cursor.fetchall()
    games = wins = hinted_wins = solved = unhinted_solved = unhinted_guesses = 0
    by_mode = {mode: {"games": 0, "wins": 0} for mode in rules.MODES}
    for mode, won, hinted, status, n, solved_n, solved_sum in rows:
        games += n
        by_mode[mode]["games"] += n
        if won and not hinted:
            wins += n
            by_mode[mode]["wins"] += n
        elif won:
            hinted_wins += n
        if status == Player.Status.SOLVED:
            solved += n
            if not hinted:
                unhinted_solved += solved_n
                unhinted_guesses += solved_sum or 0
    return {
        "games": games,
        "wins": wins,
        "hinted_wins": hinted_wins,
        "solved": solved,
        "avg_guesses": round(unhinted_guesses / unhinted_solved, 3) if unhinted_solved else None,
        "by_mode": by_mode,
    }


def leaderboard(*, limit: int = 50, mode: str | None = None) -> list[dict]:
    """Top players by wins (without hints), then fewer guesses to solve, then games played."""
    condition = Q(players__room__status=Room.Status.FINISHED)
    if mode:
        condition &= Q(players__room__mode=mode)
    rows = (
        get_user_model()
        .objects.annotate(
            games=Count("players", filter=condition),
            wins=Count("players", filter=condition & Q(players__won=True, players__room__hints_used=False)),
            hinted_wins=Count(
                "players", filter=condition & Q(players__won=True, players__room__hints_used=True)
            ),
            avg_guesses=Avg(
                "players__solved_in",
                filter=condition & Q(players__status=Player.Status.SOLVED, players__room__hints_used=False),
            ),
        )
        # Computer players race people but do not rank among them; nor do guests (SPEC §7).
        .filter(games__gt=0, bot_difficulty="", is_guest=False)
        .order_by("-wins", F("avg_guesses").asc(nulls_last=True), "-games", "username")
        .values("username", "wins", "hinted_wins", "games", "avg_guesses")[:limit]
    )
    return [
        {**row, "avg_guesses": round(row["avg_guesses"], 3) if row["avg_guesses"] is not None else None}
        for row in rows
    ]


def _logged_events(room: Room, since: int, limit: int) -> list[dict]:
    """Up to `limit` of the room's logged events after version `since`, oldest first, as the socket sends them."""
    from games import events

    rows = room.events.filter(version__gt=since).order_by("version").values("version", "kind", "payload")
    return [
        events.build(room_code=room.code, version=row["version"], kind=row["kind"], payload=row["payload"])
        for row in rows[:limit]
    ]


def room_events_after(*, room: Room, since: int, limit: int) -> list[dict] | None:
    """The logged events after version `since`, oldest first; None if more than `limit`."""
    found = _logged_events(room, since, limit + 1)
    return None if len(found) > limit else found


REPLAY_PAGE = 500


def room_events_for_viewer(*, room_code: str, user: Any, since: int) -> list[dict]:
    """Up to REPLAY_PAGE logged events after `since`, as this viewer may see them. Raises RoomNotFound."""
    room = room_get_for_viewer(room_code=room_code, user=user)
    return [
        visibility.filter_event(event, mode=room.mode, room_over=room.is_over, user=user)
        for event in _logged_events(room, since, REPLAY_PAGE)
    ]


def chat_recent(*, room: Room, limit: int = 50) -> list[dict]:
    """The room's last chat lines, oldest first."""
    rows = room.chat_messages.select_related("user").order_by("-created_at", "-id")[:limit]
    return [wire.chat_line(m) for m in reversed(rows)]


def room_lobby_list(*, limit: int = 50) -> "list[WithAnnotations[Room, PlayerCount]]":
    """Public multiplayer rooms waiting for players, newest first."""
    rooms = room_list_visible(user=None).filter(status=Room.Status.WAITING).exclude(mode=Room.Mode.SOLO)
    return [r for r in rooms.order_by("-created_at")[:limit] if r.player_count < r.max_players]


def room_list_current(*, user: Any) -> list[Room]:
    """The viewer's rooms that are still waiting or playing, newest first."""
    return list(
        _with_relations(
            Room.objects.filter(players__user=user, status__in=[Room.Status.WAITING, Room.Status.PLAYING])
        ).order_by("-created_at")[:20]
    )


def user_get_public(*, username: str) -> User | None:
    """The user whose profile anyone may read, or None: no such user, or a deleted (inactive) account."""
    return get_user_model().objects.filter(username=username, is_active=True).first()


def profile(*, user: User) -> dict:
    """A player's public profile: SPEC §7's `{username, guest, joined, stats, ratings}`."""
    return {
        "username": user.username,
        "guest": user.is_guest,
        "joined": user.date_joined,
        "stats": player_stats(user=user),
        # Ratings come with competitive play (issue #13).
        "ratings": player_ratings(user=user),
    }


def room_list_finished(*, user: User, viewer: Any) -> QuerySet[Room]:
    """`user`'s finished rooms that `viewer` may see, newest first: a private room only to its players."""
    rooms = Room.objects.filter(
        id__in=Player.objects.filter(user=user).values("room_id"), status=Room.Status.FINISHED
    )
    if not getattr(viewer, "is_authenticated", False):
        rooms = rooms.filter(private=False)
    elif viewer.pk != user.pk:
        rooms = rooms.filter(
            Q(private=False) | Q(id__in=Player.objects.filter(user=viewer).values("room_id"))
        )
    return _with_relations(rooms).order_by("-finished_at", "-id")


def room_has_player(*, room_code: str, user: Any) -> bool:
    return Player.objects.filter(room__code=rules.normalize_room_code(room_code), user=user).exists()


def player_ratings(*, user: Any) -> dict[str, dict | None]:
    """`{race: R|null, duel: R|null}` (SPEC §7), R = {rating, deviation, provisional, games}."""
    return ratings.of_user(user)
