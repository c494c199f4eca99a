"""The guess path's statements, compiled once instead of on every move.

Issue #9's profiles of a guess showed most of its CPU in Django's query
compiler, not in the database: building the locking read of the room with
its players and their users, then the INSERT of the guess and its event and
the two UPDATEs, on every move, to the same SQL text each time. Here each
statement's text is built once per model (from the models' own metadata, so
a new column is picked up without touching this file) and run on Django's
cursor; values go through each field's own `pre_save` and
`get_db_prep_save`, and rows come back through `Model.from_db`, as the ORM
does. What is skipped is only the compiling and the `pre_save`/`post_save`
signals (no model here has receivers; `games/tests/test_rows.py` checks
that the rows match what the ORM writes and reads).

Used only where the profile put it: `services.guess_submit` and
`events.record`. Everything else keeps the ORM.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model

from games.models import Player, Room


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model: type[Model], alias: str) -> tuple[str, list[str]]:
    """`alias."col", ...` for every concrete field, and the matching attnames."""
    fields = model._meta.concrete_fields
    sql = ", ".join(f"{alias}.{_quoted(f.column)}" for f in fields)
    return sql, [f.attname for f in fields]


@cache
def _lock_statement(vendor: str) -> tuple[str, list[str], list[str], list[str]]:
    user_model = get_user_model()
    room_cols, room_names = _columns(Room, "r")
    player_cols, player_names = _columns(Player, "p")
    user_cols, user_names = _columns(user_model, "u")
    player_fk = {f.name: f.column for f in Player._meta.concrete_fields}
    # The players in their model's order (joined_at, id), as the ORM reads them.
    # Identifiers come from the models' metadata, quoted; the code is a parameter.
    sql = " ".join(
        [
            f"SELECT {room_cols}, {player_cols}, {user_cols}",  # noqa: S608
            f"FROM {_quoted(Player._meta.db_table)} p",
            f"INNER JOIN {_quoted(Room._meta.db_table)} r ON p.{_quoted(player_fk['room'])} = r.{_quoted('id')}",
            f"INNER JOIN {_quoted(user_model._meta.db_table)} u ON p.{_quoted(player_fk['user'])} = u.{_quoted('id')}",
            f"WHERE r.{_quoted('code')} = %s",
            f"ORDER BY p.{_quoted('joined_at')} ASC, p.{_quoted('id')} ASC",
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
        rows = cursor.fetchall()
    if not rows:
        return None, []
    db = connection.alias
    user_model = get_user_model()
    converters = _converters(connection.vendor)
    r, p = len(room_names), len(room_names) + len(player_names)
    room = None
    players = []
    for row in rows:
        row = _converted(row, converters)
        if room is None:
            room = Room.from_db(db, room_names, row[:r])
        player = Player.from_db(db, player_names, row[r:p])
        player.room = room
        player.user = user_model.from_db(db, user_names, row[p:])
        players.append(player)
    return room, players


@cache
def _lock_fields() -> list:
    return [
        *Room._meta.concrete_fields,
        *Player._meta.concrete_fields,
        *get_user_model()._meta.concrete_fields,
    ]


@cache
def _converters(vendor: str) -> list:
    """(column index, converters, expression) for the columns that have any (JSON, datetimes, ...)."""
    ops = connection.ops
    result = []
    for index, field in enumerate(_lock_fields()):
        expression = field.get_col(field.model._meta.db_table)
        found = ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if found:
            result.append((index, found, expression))
    return result


def _converted(row, converters) -> list:
    row = list(row)
    for index, found, expression in converters:
        value = row[index]
        for converter in found:
            value = converter(value, expression, connection)
        row[index] = value
    return row


@cache
def _insert_statement(model: type[Model], vendor: str, returning: bool) -> tuple[str, list]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(_quoted(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {_quoted(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    if returning:
        sql += f" RETURNING {_quoted(model._meta.pk.column)}"
    return sql, fields


def insert(obj: Model) -> Model:
    """INSERT one new row (an auto primary key), as `obj.save()` would; sets obj.pk."""
    returning = connection.features.can_return_columns_from_insert
    sql, fields = _insert_statement(type(obj), connection.vendor, returning)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


@cache
def _update_statement(model: type[Model], names: tuple[str, ...]) -> tuple[str, list]:
    fields = [model._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{_quoted(f.column)} = %s" for f in fields)
    table, pk = _quoted(model._meta.db_table), _quoted(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    return sql, fields


def update(obj: Model, fields: list[str]) -> None:
    """UPDATE these fields of a saved row, as `obj.save(update_fields=fields)` would."""
    sql, model_fields = _update_statement(type(obj), tuple(fields))
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in model_fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, obj.pk])
