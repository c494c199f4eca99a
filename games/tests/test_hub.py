"""games.hub: a group's messages reach this process's sockets once each, in order, one message at a time per socket.

The first half runs the real consumers (the full ASGI stack, the configured
channel layer: in memory, or Redis when REDIS_URL is set); the second drives
the hub with bare members, to pin what a socket busy with its own message,
a socket that cannot take a message at once and a failing socket get.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from games import events, services
from games.hub import Member, hub
from games.tests.test_consumers import (
    make_room,
    receive,
    ws,  # noqa: F401 - the fixture that opens (and closes) the sockets
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SOCKETS = 30


async def chat_of(user, code: str, text: str) -> None:
    await database_sync_to_async(services.chat_post)(room_code=code, user=user, text=text)


async def test_every_socket_of_a_room_gets_each_event_once_in_order_through_one_member(ws, alice, bob):  # noqa: F811
    code = await make_room(alice, "race", "playing", join=[bob])
    opened = [await ws.room(alice if i % 2 else bob, code) for i in range(SOCKETS)]
    sockets, start = [comm for comm, _ in opened], opened[0][1]["version"]
    group = events.group_name(code)
    assert len(hub.members(group)) == SOCKETS
    assert hub.groups[group].channel is not None  # one channel in the layer's group for all of them

    for n in range(3):
        await chat_of(alice, code, f"line {n}")
    for comm in sockets:
        got = [await receive(comm) for _ in range(3)]
        assert [(e["event"], e["version"], e["text"]) for e in got] == [
            ("chat", start + 1 + n, f"line {n}") for n in range(3)
        ]
        assert await comm.receive_nothing(timeout=0.05)


async def test_the_last_socket_to_close_takes_the_group_off_the_layer(ws, alice):  # noqa: F811
    code = await make_room(alice, "race", "waiting")
    group = events.group_name(code)
    first, _ = await ws.room(alice, code)
    second, _ = await ws.room(alice, code)
    await first.disconnect()
    assert len(hub.members(group)) == 1
    await second.disconnect()
    assert hub.members(group) == []
    assert group not in hub.groups
    for _ in range(50):
        if not hub.closing:
            break
        await asyncio.sleep(0.01)
    assert not hub.closing
    # A new socket joins afresh and gets the room's events.
    third, _ = await ws.room(alice, code)
    await chat_of(alice, code, "back")
    assert (await receive(third))["text"] == "back"


# --- the hub with bare members -------------------------------------------------------


class Recorder(Member):
    """A member that records what it handled, in the order it handled it."""

    def __init__(self, *, at_once: bool = True, fails_on: str | None = None):
        self.setup_member()
        self.at_once = at_once
        self.fails_on = fails_on
        self.handled: list[str] = []
        self.closed_with: int | None = None

    def takes_at_once(self, message):
        return self.at_once

    async def dispatch(self, message):
        async with self.turn:
            if message["text"] == self.fails_on:
                raise RuntimeError("broken handler")
            self.handled.append(message["text"])

    async def close(self, code=None):
        self.closed_with = code


async def send(group: str, *texts: str) -> None:
    for text in texts:
        await get_channel_layer().group_send(group, {"type": "note", "text": text})


async def until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_member_busy_with_its_own_message_gets_the_groups_after_it_in_order():
    busy, idle = Recorder(), Recorder()
    await hub.join(busy, "g-busy")
    await hub.join(idle, "g-busy")
    await busy.turn.acquire()  # its own message, waiting on the database, say
    await send("g-busy", "a", "b")
    await until(lambda: idle.handled == ["a", "b"])
    assert busy.handled == []  # waited for its turn
    busy.handled.append("own")
    busy.turn.release()
    await until(lambda: len(busy.handled) == 3)
    assert busy.handled == ["own", "a", "b"]
    busy.stop_membership()
    idle.stop_membership()


async def test_a_member_that_cannot_take_a_message_at_once_gets_them_all_in_order():
    slow = Recorder(at_once=False)
    await hub.join(slow, "g-slow")
    await send("g-slow", *"abcde")
    await until(lambda: len(slow.handled) == 5)
    assert slow.handled == list("abcde")
    slow.stop_membership()


async def test_a_failing_member_is_closed_and_the_others_still_get_the_message():
    first, broken, last = Recorder(), Recorder(fails_on="b"), Recorder()
    for member in (first, broken, last):
        await hub.join(member, "g-fail")
    await send("g-fail", "a", "b", "c")
    await until(lambda: last.handled == ["a", "b", "c"])
    assert first.handled == ["a", "b", "c"]
    assert broken.handled == ["a"]
    assert broken.closed_with == 1011
    await send("g-fail", "d")
    await until(lambda: last.handled[-1:] == ["d"])
    assert broken.handled == ["a"]  # closed: handed nothing more
    for member in (first, broken, last):
        member.stop_membership()


async def test_a_member_that_left_gets_nothing_more():
    leaving, staying = Recorder(), Recorder()
    await hub.join(leaving, "g-leave")
    await hub.join(staying, "g-leave")
    await send("g-leave", "a")
    await until(lambda: leaving.handled == ["a"] and staying.handled == ["a"])
    leaving.stop_membership()
    await send("g-leave", "b")
    await until(lambda: staying.handled == ["a", "b"])
    assert leaving.handled == ["a"]
    assert hub.members("g-leave") == [staying]
    staying.stop_membership()


class ClientGone(OSError):
    """What an ASGI server raises for a frame sent to a client that has closed (uvicorn's ClientDisconnected)."""


async def test_a_frame_for_a_client_that_just_closed_is_no_error(ws, alice, bob, caplog):  # noqa: F811
    code = await make_room(alice, "race", "waiting", join=[bob])
    gone, _ = await ws.room(alice, code)
    staying, _ = await ws.room(bob, code)
    group = events.group_name(code)
    first = hub.members(group)[0]

    async def refused(message):
        raise ClientGone("the client has closed")

    first.base_send = refused
    with caplog.at_level("WARNING"):
        await chat_of(alice, code, "hello?")
        assert (await receive(staying))["text"] == "hello?"
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []
    assert first in hub.members(group)  # its disconnect, next, takes it out
    await gone.disconnect()
    assert first not in hub.members(group)


async def test_a_membership_older_than_the_layers_group_expiry_is_renewed(settings, monkeypatch):
    # The embedded layer ends a membership after group_expiry (a day by default; 1 s here).
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"group_expiry": 1}}
    }
    monkeypatch.setattr("games.hub.REFRESH_SECONDS", 0.3)
    lasting = Recorder()
    await hub.join(lasting, "g-lasting")
    await asyncio.sleep(2.5)  # past the expiry (whole seconds, as the layer counts them)
    await send("g-lasting", "still here")
    await until(lambda: lasting.handled == ["still here"])
    lasting.stop_membership()


async def test_a_group_whose_listener_stopped_is_joined_afresh():
    first = Recorder()
    await hub.join(first, "g-deaf")
    old = hub.groups["g-deaf"]
    old.listener.cancel()
    await until(old.listener.done)  # on Redis the layer unsubscribes its channel first
    second = Recorder()
    await hub.join(second, "g-deaf")
    assert hub.groups["g-deaf"] is not old
    await send("g-deaf", "heard")
    await until(lambda: second.handled == ["heard"])
    first.stop_membership()
    second.stop_membership()
