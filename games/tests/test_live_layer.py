"""The channel layer under a real daphne (issue #9): idle sockets, mass disconnects.

Two defects found by the load tests, each pinned here against a real server:

- On the Redis layer, idle room sockets were closed with 1011 every few
  seconds: redis-py's default 5 s read timeout equalled channels-redis's 5 s
  blocking pop. Sockets left idle for a minute must stay open.
- Hundreds of sockets closing at once failed their group removals with
  redis-py's `MaxConnectionsError`, leaving stale members in Redis. After 500
  simultaneous disconnects no member of the room's group may be left there.
"""

import asyncio
import os

import pytest
import redis
from django.conf import settings

from games import events, services
from games.tests.servers import LiveServer, live_server
from games.tests.test_live_servers import open_socket, recv_json, recv_until, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)

IDLE_SOCKETS = 20
IDLE_SECONDS = 60
DISCONNECTS = 500


async def ping(ws) -> dict:
    await ws.send('{"type": "ping"}')
    return await recv_until(ws, lambda m: m["type"] == "pong")


def test_idle_room_sockets_stay_open_for_a_minute(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    token = token_for(alice)

    async def scenario(server: LiveServer) -> None:
        sockets = await asyncio.gather(*(open_socket(server, room.code, token) for _ in range(IDLE_SOCKETS)))
        for ws in sockets:
            assert (await recv_json(ws))["type"] == "room.state"
        await asyncio.sleep(IDLE_SECONDS)
        closed = [ws.close_code for ws in sockets if ws.close_code is not None]
        assert closed == [], f"{len(closed)} of {IDLE_SOCKETS} idle sockets were closed: codes {closed}"
        # Still live in both directions: a ping is answered, and an event reaches every socket.
        for ws in sockets:
            assert (await ping(ws))["version"] == 1
        await sockets[0].send('{"type": "chat", "text": "still here?"}')
        for ws in sockets:
            event = await recv_until(ws, lambda m: m["type"] == "game_update")
            assert (event["event"], event["version"]) == ("chat", 2)
        await asyncio.gather(*(ws.close() for ws in sockets))

    with live_server() as server:
        run(scenario(server), [server], timeout=IDLE_SECONDS + 60)


def group_members_in_redis(prefix: str, group: str) -> int:
    """Members of a channel group that Redis still holds, whichever channels-redis layer is in use.

    The list-based layer keeps a sorted set `<prefix>:group:<group>`; the
    pub/sub layer a subscription to `<prefix>__group__<group>`.
    """
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        in_sorted_set = client.zcard(f"{prefix}:group:{group}")
        ((_, subscribers),) = client.pubsub_numsub(f"{prefix}__group__{group}")
        return in_sorted_set + subscribers
    finally:
        client.close()


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="group members are kept in Redis only by the Redis channel layer"
)
def test_five_hundred_simultaneous_disconnects_leave_no_member_in_redis(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    token = token_for(alice)
    prefix = f"mass-{os.urandom(6).hex()}"
    group = events.group_name(room.code)

    async def open_all(server: LiveServer) -> list:
        sockets = []
        # Opened in batches (a handshake each), closed all at once below.
        for _ in range(DISCONNECTS // 50):
            batch = await asyncio.gather(*(open_socket(server, room.code, token) for _ in range(50)))
            for ws in batch:
                assert (await recv_json(ws))["type"] == "room.state"
            sockets.extend(batch)
        return sockets

    async def scenario(server: LiveServer) -> tuple[int, int]:
        sockets = await open_all(server)
        during = await asyncio.to_thread(group_members_in_redis, prefix, group)
        await asyncio.gather(*(ws.close() for ws in sockets))
        # The server handles the closes after the clients' handshakes end: wait until it has.
        left = during
        for _ in range(100):
            left = await asyncio.to_thread(group_members_in_redis, prefix, group)
            if left == 0:
                break
            await asyncio.sleep(0.1)
        # And the room still works for the next viewer.
        ws = await open_socket(server, room.code, token)
        assert (await recv_json(ws))["type"] == "room.state"
        await ws.send('{"type": "chat", "text": "anyone?"}')
        event = await recv_until(ws, lambda m: m["type"] == "game_update")
        assert event["event"] == "chat"
        await ws.close()
        return during, left

    with live_server({"CHANNELS_PREFIX": prefix}) as server:
        during, left = run(scenario(server), [server], timeout=180)
        log_tail = server.log_tail()
    assert during >= 1, "the room's group was not found in Redis: the count proves nothing"
    assert left == 0, f"{left} members of {group} left in Redis after {DISCONNECTS} disconnects\n{log_tail}"
    assert "MaxConnectionsError" not in log_tail, log_tail
