"""Sockets opening onto one room share its read, and never a read that began before they subscribed.

`consumers.fresh_snapshot` hands every socket that asks before a room read
starts the same read; a socket that asks once it has started gets a new
one, so what it is sent on connect includes every event committed before it
asked (it subscribed first). `boards.state_for` then serialises the read once
per kind of viewer, and each viewer still sees only what SPEC §2 lets them.
"""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from games import boards, consumers, services, threads
from games.tests.factories import make_room, wrong_guess

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
# Only a failing test waits this long.
TIMEOUT = 10


async def test_sockets_that_ask_before_the_read_starts_share_it(alice, bob):
    room = await db(make_room)(alice, "race", "playing", join=[bob])
    loop = asyncio.get_running_loop()
    # Every socket database thread busy: the read waits in the pool's queue.
    gate = threading.Event()
    held = [loop.run_in_executor(threads.executor, gate.wait, TIMEOUT) for _ in range(settings.WS_DB_THREADS)]
    asks = [asyncio.ensure_future(consumers.fresh_snapshot(room.code)) for _ in range(6)]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(*held)
    snapshots = await asyncio.wait_for(asyncio.gather(*asks), TIMEOUT)
    assert all(s is snapshots[0] for s in snapshots)
    assert snapshots[0].room.code == room.code
    # Once it has been read, the next socket's read is its own: the room's version, and the kept
    # snapshot while that is unchanged (games/kept.py), a new read once a move has committed.
    assert await consumers.fresh_snapshot(room.code) is snapshots[0]
    await db(services.guess_submit)(room_code=room.code, user=bob, guess=wrong_guess(room))
    newer = await consumers.fresh_snapshot(room.code)
    assert newer.room.version == snapshots[0].room.version + 1
    assert [g.player.user.username for g in newer.guesses] == ["bob"]


async def test_a_read_that_has_started_is_not_shared_with_a_later_socket(alice, bob, monkeypatch):
    room = await db(make_room)(alice, "race", "playing", join=[bob])
    read = boards.room_snapshot_current
    first_read_done = threading.Event()
    release_first = threading.Event()

    def slow_first_read(code):
        snapshot = read(code)
        if not first_read_done.is_set():
            first_read_done.set()
            release_first.wait(TIMEOUT)
        return snapshot

    monkeypatch.setattr(boards, "room_snapshot_current", slow_first_read)
    first = asyncio.ensure_future(consumers.fresh_snapshot(room.code))
    assert await asyncio.to_thread(first_read_done.wait, TIMEOUT)
    # A move commits after the first read, then a second socket subscribes and asks.
    await db(services.guess_submit)(room_code=room.code, user=bob, guess=wrong_guess(room))
    second = await asyncio.wait_for(consumers.fresh_snapshot(room.code), TIMEOUT)
    release_first.set()
    first = await asyncio.wait_for(first, TIMEOUT)

    assert second.room.version == first.room.version + 1
    assert [g.player.user.username for g in second.guesses] == ["bob"]
    assert first.guesses == []


async def test_one_read_serves_each_viewer_what_they_may_see(alice, bob, carol):
    room = await db(make_room)(alice, "race", "playing", join=[bob])
    await db(services.guess_submit)(room_code=room.code, user=bob, guess=wrong_guess(room))
    snapshot = await consumers.fresh_snapshot(room.code)

    def colours_seen(user):
        return [g["guess"] for g in boards.state_for(snapshot, user)["guesses"]]

    # Mid-race only bob sees his colours; alice (a rival, and the owner) and carol (outside) do not.
    assert colours_seen(bob) == [wrong_guess(room)]
    assert colours_seen(alice) == [None]
    assert colours_seen(carol) == [None]
    # Asked again, each viewer gets the same answer as before: the shared serialisation.
    assert colours_seen(bob) == [wrong_guess(room)]
    assert colours_seen(alice) == [None]
    assert boards.state_for(snapshot, bob) is boards.state_for(snapshot, bob)
    assert boards.state_for(snapshot, carol) is not boards.state_for(snapshot, bob)
    # Nobody mid-race sees the secret.
    assert {boards.state_for(snapshot, u)["room"]["secret"] for u in (alice, bob, carol)} == {None}


async def test_a_duel_codemaker_and_a_spectator_do_not_share_a_view(alice, bob, carol):
    room = await db(make_room)(alice, "duel", "playing", join=[bob], secret=[0, 1, 2, 3])
    code = room.code
    snapshot = await consumers.fresh_snapshot(code)
    assert boards.state_for(snapshot, carol)["room"]["secret"] is None
    assert boards.state_for(snapshot, alice)["room"]["secret"] == [0, 1, 2, 3]
    assert boards.state_for(snapshot, bob)["room"]["secret"] is None
    assert boards.state_for(snapshot, carol)["room"]["secret"] is None
