"""One member per group per server process: a group's messages received once and handed to its sockets here.

Issue #9's fan-out profile (py-spy on daphne, 1,000 sockets watching one
room) put a third of the CPU per delivered frame in the channel layer and
Channels, not in the game: with each socket its own member of the room's
group, every event went into each socket's queue, woke each socket's task,
and went through Channels' `await_many_dispatch` (a new task and an
`asyncio.wait` per message) before the socket's handler ran. And every
socket had a channel of its own, which the Redis layer subscribes to (a
round trip under the layer's lock as the socket opens, another as it
closes), though nothing is ever sent to one socket's channel.

Here the process's member of a group is one channel, received by one task
(`_Group.listen`), which hands each message to the sockets of this process
that joined the group, in the order they joined:

- a socket that can take the message at once (`Member.takes_at_once`: a
  JSON room socket's next event, a lobby update) and is not busy with a
  message of its own has its handler run right there, without a task;
- otherwise (an HTML socket's shared room read, a gap to fill from the
  log, a socket in the middle of its connect or move) the message waits in
  the socket's own queue, and a task of the socket's drains it in order
  after what the socket is doing (`Member.dispatch` holds the socket's
  lock for each message, its own or the group's).

So a socket still handles one message at a time, in the order the group
sent them, and what the consumers' delivery guarantee rests on (join the
group before taking the snapshot, drop a version already sent, fill a gap
from the log) is unchanged: `join` returns once the group's channel is
subscribed. Sockets hold no channel of their own (`channel_layer_alias`
names no layer), so opening and closing one costs the layer nothing unless
it is the first or last of its group in the process.

The credential watch (games.ws_auth) works the same way for revocations.

A layer may end a group membership that is never renewed: the in-memory
layer (the embedded default) after `group_expiry`, a day. One socket's
membership rarely lived that long; the process's membership of the lobby
does, on a server that always has someone in the lobby. So the hub renews
every membership it holds (its groups' and the credential watch's) every
REFRESH_SECONDS.
"""

import asyncio
import logging
import weakref
from collections import deque
from typing import Any

from channels.exceptions import StopConsumer
from channels.layers import BaseChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

CLOSE_INTERNAL_ERROR = 1011
# Well inside channels' default group_expiry (86,400 s).
REFRESH_SECONDS = 3600.0


class Member:
    """What a consumer needs to be a member of hub groups: a lock, a queue, a drain task.

    Mixed into SafeReceiveMixin; `dispatch` there takes `self.turn` for every
    message, the socket's own (from Channels) and the group's (from here).
    """

    def setup_member(self) -> None:
        self.turn = asyncio.Lock()
        self.waiting: deque[dict] = deque()
        self.drainer: asyncio.Task | None = None
        self.hub_groups: list[str] = []
        self.left = False

    def takes_at_once(self, message: dict) -> bool:
        """Whether this message's handler runs without waiting on anything (no query, no lock)."""
        return False

    def deliver(self, message: dict):
        """Called by the group's listener: a coroutine to await now, or None once queued."""
        if self.left:
            return None
        if not self.waiting and not self.turn.locked() and self.takes_at_once(message):
            return self.handle_from_group(message)
        self.waiting.append(message)
        if self.drainer is None:
            self.drainer = asyncio.get_running_loop().create_task(self.drain())
        return None

    async def drain(self) -> None:
        try:
            while self.waiting and not self.left:
                await self.handle_from_group(self.waiting.popleft())
        finally:
            self.drainer = None

    async def handle_from_group(self, message: dict) -> None:
        """The socket's dispatch for a group message; an error closes this socket, not the group's listener."""
        try:
            await self.dispatch(message)  # type: ignore[attr-defined]
        except StopConsumer:
            pass
        except Exception:  # noqa: BLE001 - as Channels would: log it, close the one socket (1011)
            logger.exception("a socket failed to handle a %s message; closing it", message.get("type"))
            self.left = True
            await self.close(code=CLOSE_INTERNAL_ERROR)  # type: ignore[attr-defined]

    def stop_membership(self) -> None:
        """The socket is closing: nothing more is handed to it, and its queue is dropped."""
        self.left = True
        self.waiting.clear()
        if self.drainer is not None and self.drainer is not asyncio.current_task():
            self.drainer.cancel()
        hub.leave_all(self)


class _Group:
    def __init__(self, name: str, loop: asyncio.AbstractEventLoop):
        self.name = name
        self.loop = loop
        # Ordered like a set (dict keys); weak, so a socket that vanished
        # without its disconnect (its task killed) does not stay a member.
        self.members: weakref.WeakKeyDictionary[Member, None] = weakref.WeakKeyDictionary()
        self.channel: str | None = None
        self.ready: asyncio.Task = loop.create_task(self.subscribe())
        self.listener: asyncio.Task | None = None

    async def subscribe(self) -> None:
        layer = _layer()
        self.channel = await layer.new_channel()
        await layer.group_add(self.name, self.channel)
        hub.renew(self.name, self.channel)
        self.listener = self.loop.create_task(self.listen(layer, self.channel))

    async def listen(self, layer, channel: str) -> None:
        while True:
            message = await layer.receive(channel)
            for member in list(self.members.keys()):
                step = member.deliver(message)
                if step is not None:
                    await step
            if not self.members:
                # Its sockets ended without a disconnect (their tasks failed) and were collected.
                hub.drop(self)

    def deaf(self) -> bool:
        """Its listener has stopped (it never should): the group must be joined afresh."""
        return self.listener is not None and self.listener.done()

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()  # channels-redis unsubscribes a channel whose receive is cancelled
        if not self.ready.done():
            self.ready.cancel()
            return
        if self.ready.cancelled() or self.ready.exception() is not None or self.channel is None:
            return
        hub.stop_renewing(self.name, self.channel)
        await _layer().group_discard(self.name, self.channel)


class Hub:
    """The process's groups, per event loop (a server has one; each test its own)."""

    def __init__(self) -> None:
        self.groups: dict[str, _Group] = {}
        self.closing: set[asyncio.Task] = set()
        # (group, channel) memberships to renew, with the loop they belong to.
        self.renewed: dict[tuple[str, str], asyncio.AbstractEventLoop] = {}
        self.renewer: asyncio.Task | None = None

    def renew(self, group: str, channel: str) -> None:
        """Keep this membership alive: add it again every REFRESH_SECONDS (see the module's docstring)."""
        loop = asyncio.get_running_loop()
        self.renewed[(group, channel)] = loop
        if self.renewer is None or self.renewer.done() or self.renewer.get_loop() is not loop:
            self.renewer = loop.create_task(self.renew_all())

    def stop_renewing(self, group: str, channel: str) -> None:
        self.renewed.pop((group, channel), None)

    async def renew_all(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            for (group, channel), owner in list(self.renewed.items()):
                if owner is not loop:
                    continue
                try:
                    await _layer().group_add(group, channel)
                except Exception as exc:  # noqa: BLE001 - Redis down: the next round tries again
                    logger.warning("renewing %s's membership failed: %r", group, exc)

    async def join(self, member: Member, name: str) -> None:
        """Add the socket to the group; returns once the group's messages from now on reach it."""
        loop = asyncio.get_running_loop()
        group = self.groups.get(name)
        if group is None or group.loop is not loop or _failed(group.ready) or group.deaf():
            group = self.groups[name] = _Group(name, loop)
        group.members[member] = None
        member.hub_groups.append(name)
        try:
            await asyncio.shield(group.ready)
        except BaseException:
            self.leave(member, name)
            raise

    def leave(self, member: Member, name: str) -> None:
        group = self.groups.get(name)
        if name in member.hub_groups:
            member.hub_groups.remove(name)
        if group is None:
            return
        group.members.pop(member, None)
        if not group.members:
            self.drop(group)

    def drop(self, group: _Group) -> None:
        """The last socket of the group in this process has gone: stop receiving it."""
        if self.groups.get(group.name) is group:
            del self.groups[group.name]
        task = group.loop.create_task(group.close())
        self.closing.add(task)
        task.add_done_callback(self._closed)

    def leave_all(self, member: Member) -> None:
        for name in list(member.hub_groups):
            self.leave(member, name)

    def members(self, name: str) -> list[Any]:
        """This process's sockets in the group (for the tests)."""
        group = self.groups.get(name)
        return [] if group is None else list(group.members.keys())

    def _closed(self, task: asyncio.Task) -> None:
        self.closing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("leaving a group failed: %r", task.exception())


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - CHANNEL_LAYERS is always configured
        raise RuntimeError("no channel layer is configured")
    return layer


def _failed(task: asyncio.Task) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


hub = Hub()
