"""Statements compiled once instead of on every call, for the hottest paths only.

Issue #9's profiles showed Django's query compiler, not the database, as the
largest cost of a move and of an authenticated request: the same SQL text
built again on every call. Here a statement's text is built once per model
(from the models' own metadata, so a new column is picked up without
touching this file) and run on Django's cursor; values go through each
field's own `pre_save` and `get_db_prep_save`, and rows come back through
the fields' converters and `Model.from_db`, as the ORM does. What is skipped
is the compiling and the `pre_save`/`post_save` signals (no model saved here
has receivers). `games/tests/test_rows.py` checks the rows against the ORM's.

Used where a profile put them: the guess (`games.rows`, `games.services`,
`games.events`) and the token check (`accounts.auth`). Everything else keeps
the ORM.
"""

from functools import cache
from typing import TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def quoted(name: str | None) -> str:
    """A column or table name quoted for this database (a field without a column is a bug here)."""
    if name is None:
        raise ValueError("a field without a database column has no place in a statement")
    return connection.ops.quote_name(name)


def column(model: type[Model], name: str) -> str:
    """The quoted column of one of the model's concrete fields."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is a reverse relation, not a column")
    return quoted(field.column)


def related_model(model: type[Model], relation: str) -> type[Model]:
    """The model a foreign key of `model` points at."""
    related = model._meta.get_field(relation).related_model
    if not isinstance(related, type):
        raise TypeError(f"{model.__name__}.{relation} is not a relation to a model")
    return related


def pk_column(model: type[Model]) -> str:
    pk = model._meta.pk
    if pk is None:
        raise TypeError(f"{model.__name__} has no primary key")
    return quoted(pk.column)


def columns(model: type[Model], alias: str) -> tuple[str, list[str]]:
    """`alias."col", ...` for every concrete field, and the matching attnames."""
    fields = model._meta.concrete_fields
    return ", ".join(f"{alias}.{quoted(f.column)}" for f in fields), [f.attname for f in fields]


@cache
def converters(models: tuple[type[Model], ...], vendor: str) -> list:
    """For a row of these models' concrete fields: (index, converters, expression) where any apply."""
    ops = connection.ops
    result = []
    fields = [field for model in models for field in model._meta.concrete_fields]
    for index, field in enumerate(fields):
        expression = field.get_col(field.model._meta.db_table)
        found = ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if found:
            result.append((index, found, expression))
    return result


def converted(row, models: tuple[type[Model], ...]) -> list:
    """A raw row of these models' columns as the ORM would load it (JSON, datetimes, ...)."""
    row = list(row)
    for index, found, expression in converters(models, connection.vendor):
        value = row[index]
        for converter in found:
            value = converter(value, expression, connection)
        row[index] = value
    return row


@cache
def _joined_statement(model: type[Model], relation: str, where: str, vendor: str) -> tuple[str, list, list]:
    related = related_model(model, relation)
    model_cols, model_names = columns(model, "m")
    related_cols, related_names = columns(related, "r")
    fk = column(model, relation)
    sql = " ".join(
        [
            f"SELECT {model_cols}, {related_cols}",  # noqa: S608 - identifiers from metadata, quoted
            f"FROM {quoted(model._meta.db_table)} m",
            f"INNER JOIN {quoted(related._meta.db_table)} r ON m.{fk} = r.{pk_column(related)}",
            f"WHERE m.{column(model, where)} = %s",
        ]
    )
    return sql, model_names, related_names


def select_joined(model: type[M], relation: str, where: str, value) -> list[M]:
    """`model.objects.filter(**{where: value}).select_related(relation)`, unordered."""
    sql, model_names, related_names = _joined_statement(model, relation, where, connection.vendor)
    related = related_model(model, relation)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        found = cursor.fetchall()
    db, split, models = connection.alias, len(model_names), (model, related)
    result = []
    for row in found:
        row = converted(row, models)
        obj = model.from_db(db, model_names, row[:split])
        setattr(obj, relation, related.from_db(db, related_names, row[split:]))
        result.append(obj)
    return result


@cache
def _select_statement(model: type[Model], where: str, vendor: str) -> tuple[str, list]:
    cols, names = columns(model, "m")
    table = quoted(model._meta.db_table)
    return f"SELECT {cols} FROM {table} m WHERE m.{column(model, where)} = %s", names  # noqa: S608


def select(model: type[M], where: str, value) -> list[M]:
    """`model.objects.filter(**{where: value})`, unordered."""
    sql, names = _select_statement(model, where, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        found = cursor.fetchall()
    db, models = connection.alias, (model,)
    return [model.from_db(db, names, converted(row, models)) for row in found]


@cache
def _insert_statement(model: type[Model], vendor: str, returning: bool) -> tuple[str, list]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = ", ".join(quoted(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quoted(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    if returning:
        sql += f" RETURNING {pk_column(model)}"
    return sql, fields


def insert(obj: M) -> M:
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
    assignments = ", ".join(f"{column(model, name)} = %s" for name in names)
    table, pk = quoted(model._meta.db_table), pk_column(model)
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s", fields  # noqa: S608


def update(obj: Model, fields: list[str]) -> None:
    """UPDATE these fields of a saved row, as `obj.save(update_fields=fields)` would."""
    sql, model_fields = _update_statement(type(obj), tuple(fields))
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in model_fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, obj.pk])
