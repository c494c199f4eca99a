"""The guess's locking read and a room's version, compiled once (config.rows explains why and how).

Used by `services._lock_room_and_players` and `selectors.room_key`; the
guess's writes use `config.rows.insert`/`update`.
"""

from functools import cache
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection

from config.rows import column, columns, converted, pk_column, quoted
from games.models import Player, Room


@cache
def _lock_statement(vendor: str) -> tuple[str, list[str], list[str], list[str]]:
    user_model = get_user_model()
    room_cols, room_names = columns(Room, "r")
    player_cols, player_names = columns(Player, "p")
    user_cols, user_names = columns(user_model, "u")
    fk = {f.name: quoted(f.column) for f in Player._meta.concrete_fields}
    # The players in their model's order (joined_at, id), as the ORM reads them.
    # Identifiers come from the models' metadata, quoted; the code is a parameter.
    sql = " ".join(
        [
            f"SELECT {room_cols}, {player_cols}, {user_cols}",  # noqa: S608
            f"FROM {quoted(Player._meta.db_table)} p",
            f"INNER JOIN {quoted(Room._meta.db_table)} r ON p.{fk['room']} = r.{quoted('id')}",
            f"INNER JOIN {quoted(user_model._meta.db_table)} u ON p.{fk['user']} = u.{quoted('id')}",
            f"WHERE r.{quoted('code')} = %s",
            f"ORDER BY p.{quoted('joined_at')} ASC, p.{quoted('id')} ASC",
        ]
    )
    if vendor == "postgresql":
        # Room first, as every other writer locks it; see services._lock_room_and_players.
        sql += " FOR UPDATE OF r, p"
    return sql, room_names, player_names, user_names


def lock_room_and_players(code: str) -> tuple[Room | None, list[Player]]:
    """The room with its players and their users, their rows locked: (None, []) if no player.

    One statement, as `Player.objects.filter(room__code=code)
    .select_related("room", "user").select_for_update(of=("room", "self"))`,
    with the players sharing one Room instance.
    """
    sql, room_names, player_names, user_names = _lock_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        found = cursor.fetchall()
    db, user_model = connection.alias, get_user_model()
    models = (Room, Player, user_model)
    r, p = len(room_names), len(room_names) + len(player_names)
    room = None
    players = []
    for row in found:
        row = converted(row, models)
        if room is None:
            room = Room.from_db(db, room_names, row[:r])
        player = Player.from_db(db, player_names, row[r:p])
        player.room = room
        player.user = user_model.from_db(db, user_names, row[p:])
        players.append(player)
    return room, players


class RoomKey(NamedTuple):
    """What games.kept.key needs of a room."""

    pk: int
    code: str
    version: int


@cache
def _key_statement(vendor: str) -> str:
    # Identifiers from the model's metadata, quoted; the code is a parameter.
    return (
        f"SELECT {pk_column(Room)}, {column(Room, 'version')} "  # noqa: S608
        f"FROM {quoted(Room._meta.db_table)} WHERE {column(Room, 'code')} = %s"
    )


def room_key(code: str) -> RoomKey | None:
    """The room's id and version by its (normalised) code, as `Room.objects.filter(code=code)
    .only("id", "version").first()` would read them; None if there is no such room."""
    with connection.cursor() as cursor:
        cursor.execute(_key_statement(connection.vendor), [code])
        found = cursor.fetchone()
    return None if found is None else RoomKey(found[0], code, found[1])
