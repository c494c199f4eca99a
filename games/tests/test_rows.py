"""config.rows and games.rows: the hot paths's precompiled statements read and write what the ORM would.

Each test puts the hand-built statement beside the ORM doing the same thing on
the same database (SQLite here, PostgreSQL in the PostgreSQL run) and
compares every column, so a new field or a changed column type that the
statements would mishandle fails here rather than in a game.
"""

import datetime

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from config.rows import insert, select, select_joined, update
from games import rows, services
from games.models import Guess, Player, Room, RoomEvent
from games.tests.factories import make_room, solve

pytestmark = pytest.mark.django_db


def every_column(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def race(owner, *others) -> Room:
    return make_room(owner, "race", "playing", join=others, name="Rows", max_guesses=8)


def test_the_locking_read_gives_the_room_players_and_users_the_orm_gives(alice, bob, carol):
    room = race(alice, bob, carol)
    # Values of every kind the row holds: JSON, aware datetimes, NULLs, booleans.
    Player.objects.filter(room=room, user=bob).update(
        status=Player.Status.SOLVED, solved_in=3, solved_at=timezone.now(), place=1, won=True
    )

    got_room, got_players = rows.lock_room_and_players(room.code)
    orm_players = list(Player.objects.filter(room__code=room.code).select_related("room", "user"))

    assert every_column(got_room) == every_column(orm_players[0].room)
    assert isinstance(got_room.secret, list) and len(got_room.secret) == 4
    assert isinstance(got_room.started_at, datetime.datetime) and timezone.is_aware(got_room.started_at)
    assert [every_column(p) for p in got_players] == [every_column(p) for p in orm_players]
    assert [every_column(p.user) for p in got_players] == [every_column(p.user) for p in orm_players]
    assert [p.user.username for p in got_players] == ["alice", "bob", "carol"]
    # One Room instance for all: a write through one player's room is seen by the others.
    assert all(p.room is got_room for p in got_players)
    assert not got_room._state.adding and got_room._state.db == "default"


def test_the_locking_read_of_an_unknown_room_or_one_without_players_is_empty(alice):
    assert rows.lock_room_and_players("ZZZZZZ") == (None, [])
    room = services.room_create(user=alice, mode="race")
    Player.objects.filter(room=room).delete()
    assert rows.lock_room_and_players(room.code) == (None, [])


def test_a_rooms_key_is_the_id_and_version_the_orm_reads(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], wrong_guesses=1)
    orm = Room.objects.only("id", "version").get(code=room.code)
    assert rows.room_key(room.code) == (orm.pk, room.code, orm.version)
    assert rows.room_key("ZZZZZZ") is None


def test_an_insert_writes_the_row_the_orm_writes(alice):
    room = services.quick_play(user=alice)
    player = room.players.get()
    fields = dict(
        room=room,
        player=player,
        number=1,
        shared_board=False,
        guess=[0, 1, 2, 3],
        exact=1,
        misplaced=2,
        request_id=None,
        version=room.version + 1,
    )
    fast = insert(Guess(**fields))
    orm = Guess.objects.create(**{**fields, "number": 2, "version": room.version + 2, "request_id": "k"})

    assert fast.pk is not None and fast.pk != orm.pk
    assert not fast._state.adding
    stored = Guess.objects.get(pk=fast.pk)
    assert every_column(stored) == every_column(fast)
    assert stored.created_at is not None  # auto_now_add ran
    # The same values as the ORM's row, but for what differs on purpose.
    differ = {"id", "number", "version", "request_id", "created_at"}
    orm_values = {k: v for k, v in model_to_dict(Guess.objects.get(pk=orm.pk)).items() if k not in differ}
    assert {k: v for k, v in model_to_dict(stored).items() if k not in differ} == orm_values


def test_an_insert_of_json_keeps_nested_payloads(alice):
    room = services.quick_play(user=alice)
    payload = {
        "username": "alice",
        "guess": [1, 2],
        "player": {"place": None, "solved_at": "2026-11-27T00:00:00"},
    }
    event = insert(RoomEvent(room=room, version=99, kind="guess", payload=payload))
    assert RoomEvent.objects.get(pk=event.pk).payload == payload


def test_an_update_writes_only_the_named_fields(alice):
    room = services.quick_play(user=alice)
    player = room.players.get()
    player.guesses_used = 3
    player.solved_at = timezone.now()
    player.status = Player.Status.OUT  # changed in memory, not named: not written
    update(player, ["guesses_used", "solved_at"])

    stored = Player.objects.get(pk=player.pk)
    assert stored.guesses_used == 3
    assert stored.solved_at == player.solved_at
    assert stored.status == Player.Status.PLAYING
    assert Room.objects.get(pk=room.pk).version == room.version  # other rows untouched


def test_a_joined_read_gives_the_tokens_and_users_the_orm_gives(alice, bob):
    from knox.models import AuthToken

    first, _ = AuthToken.objects.create(alice)
    AuthToken.objects.create(alice)
    AuthToken.objects.create(bob)

    got = select_joined(AuthToken, "user", "token_key", first.token_key)
    orm = list(AuthToken.objects.filter(token_key=first.token_key).select_related("user"))
    assert [every_column(t) for t in got] == [every_column(t) for t in orm]
    assert [every_column(t.user) for t in got] == [every_column(t.user) for t in orm]
    assert got[0].user.username == "alice"
    assert timezone.is_aware(got[0].expiry)
    assert select_joined(AuthToken, "user", "token_key", "nothing") == []


def test_a_plain_read_gives_the_rows_the_orm_gives(alice, bob):
    from games.models import Rating

    Rating.objects.create(user=alice, mode="race", mu=1612.5, sigma=310.25, games=4, wins=3)
    Rating.objects.create(user=alice, mode="duel", mu=1400.0, sigma=480.0, games=1, wins=0)
    Rating.objects.create(user=bob, mode="race", mu=1500.0, sigma=500.0)

    got = sorted(select(Rating, "user", alice.pk), key=lambda r: r.mode)
    orm = list(Rating.objects.filter(user=alice).order_by("mode"))
    assert [every_column(r) for r in got] == [every_column(r) for r in orm]
    assert [r.mode for r in got] == ["duel", "race"]
    assert not got[0]._state.adding
    assert select(Rating, "user", 999_999) == []


def test_the_stats_statement_groups_as_the_orm_query_it_stands_for(alice, bob):
    from django.db import connection

    from games import selectors
    from games.selectors import _player_stats_statement, player_stats_query

    make_room(alice, "quick", "finished")
    make_room(alice, "quick", "finished", max_guesses=1, wrong_guesses=1)
    race = make_room(alice, "race", "playing", join=[bob])
    solve(race, bob)
    solve(race, alice)
    make_room(alice, "quick")  # playing: not counted

    with connection.cursor() as cursor:
        cursor.execute(_player_stats_statement(connection.vendor), [alice.pk, Room.Status.FINISHED])
        raw = cursor.fetchall()

    def normal(rows):
        return sorted((m, bool(w), bool(h), st, n, sn, ss or 0) for m, w, h, st, n, sn, ss in rows)

    assert normal(raw) == normal(player_stats_query(user=alice))
    assert len(raw) == 3  # solo solved and won, solo out, race solved second
    stats = selectors.player_stats(user=alice)
    assert (stats["games"], stats["wins"], stats["solved"]) == (3, 1, 2)
    assert stats["by_mode"]["race"] == {"games": 1, "wins": 0}
