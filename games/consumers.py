"""WebSocket doors: the JSON protocol (SPEC §4), its HTML twin, and the lobby.

Delivery guarantee. channels-redis `group_send` is at most once: a message is
dropped when a socket's queue is full or expires. So every room event is also
in the room's log (RoomEvent, written in the change's own transaction), and
each socket keeps `self.version`, the last version it sent its client:

- it subscribes to the room's group *before* taking the `room.state`
  snapshot, so nothing falls between the two;
- an event at or below `self.version` is a duplicate and is dropped;
- an event above `self.version + 1` means some were lost in transit: the
  missing ones are read from the log and sent first, in order;
- a client that reconnects sends `resync` with the last version it applied
  and gets exactly the events after it (or a fresh `room.state`).

So a client that applies events in version order ends with exactly the
server's history: no gap, no duplicate. `make_move` is idempotent by
`request_id`, so a move retried after a dropped socket is applied once.
The HTML twin draws the room as it is after each event, not the change, so
it drops duplicates the same way but needs no replay after a gap.

Event handlers run no query of their own: a socket decides from the event
and what it tracks of the room, and the HTML sockets share one room read per
event (`shared_snapshot`). Only a gap in a JSON socket's versions reads the log.
"""

import asyncio
import dataclasses
import json
import logging
import secrets
from collections import OrderedDict
from typing import Any

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from rest_framework import serializers

from config import outages
from config.api.fields import StrictCharField, StrictIntegerField, StrictSerializer
from config.api.throttling import ChatThrottle, GuessThrottle, retry_after, socket_allows
from games import boards, events, metrics, rules, selectors, services, visibility, wire
from games.exceptions import GameError
from games.hub import Member, hub
from games.layer_watch import layer_watch
from games.models import Room
from games.threads import database_sync_to_async
from games.ws_auth import CLOSE_UNAUTHENTICATED, PROTOCOL, credential_of, credential_watch

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
MAX_FRAME_CHARS = 16 * 1024
# No frame needs more than 2 levels ({"guess": [...]}); a deeper one is refused
# before a serializer walks it.
MAX_FRAME_DEPTH = 8
RESYNC_MAX_EVENTS = 500


class ProtocolError(Exception):
    """A malformed client message: answered with an `error`, the socket stays open."""

    def __init__(self, detail: str, code: str = "invalid"):
        super().__init__(detail)
        self.detail = detail
        self.code = code


# --- reads and writes, in the database thread --------------------------------


def _events_after(room_code: str, since: int) -> list[dict] | None:
    room = Room.objects.filter(code=room_code).first()
    if room is None:
        return None
    return selectors.room_events_after(room=room, since=since, limit=RESYNC_MAX_EVENTS)


def _throttled(throttle_class, what: str, service, **kwargs):
    """Count the action against its throttle, then run the service: one trip to a database thread."""
    wait = socket_allows(throttle_class, kwargs["user"])
    if wait is not None:
        raise ProtocolError(f"{what}; try again in {retry_after(wait)} s.", "throttled")
    return service(**kwargs)


def _first_error(errors) -> str:
    """One readable line from DRF's nested field errors, e.g. "guess: A valid integer is required."."""
    if isinstance(errors, dict):
        name, inner = next(iter(errors.items()))
        prefix = f"{name}: " if not isinstance(name, int) else f"[{name}] "
        return prefix + _first_error(inner)
    if isinstance(errors, list):
        return _first_error(errors[0])
    return str(errors)


MAKE_MOVE_FIELDS = frozenset({"type", "guess", "request_id"})


def _make_move_fields(content: dict) -> tuple[list[int], str]:
    """A `make_move` frame's guess and request_id, as strictly as the REST body checks them.

    By hand, not with a DRF serializer: building one and validating cost
    ~0.3 ms, about 6 % of a move's CPU (issue #9). The guess's values and
    length are the rules' to check (`rules.validate_code`); here only its
    shape, so a frame that is not a move is not counted as one.
    """
    unknown = sorted(set(content) - MAKE_MOVE_FIELDS)
    if unknown:
        raise ProtocolError(f"{unknown[0]}: Unknown field.")
    request_id = content.get("request_id")
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 64:
        raise ProtocolError("request_id: a string of 1 to 64 characters is required.")
    guess = content.get("guess")
    if not isinstance(guess, list) or not 1 <= len(guess) <= 8:
        raise ProtocolError("guess: a list of 1 to 8 colours is required.")
    if not all(type(peg) is int for peg in guess):
        raise ProtocolError("guess: A valid integer is required.")
    return guess, request_id


class ResyncSerializer(StrictSerializer):
    type = serializers.CharField()
    since = StrictIntegerField(min_value=0)


class ChatSerializer(StrictSerializer):
    type = serializers.CharField()
    text = StrictCharField(max_length=services.CHAT_MAX_LENGTH, trim_whitespace=True)


class PingSerializer(StrictSerializer):
    type = serializers.CharField()


def _validated(serializer_class, content: dict) -> dict:
    serializer = serializer_class(data=content)
    if not serializer.is_valid():
        raise ProtocolError(_first_error(serializer.errors))
    return serializer.validated_data


class SafeReceiveMixin(Member, AsyncJsonWebsocketConsumer):
    """Parse frames defensively: every bad frame gets an `error`, never a traceback.

    A socket receives its groups' messages through the process's hub
    (games.hub), so it holds no channel of its own: `channel_layer_alias`
    names no configured layer, and Channels gives it none.
    """

    handlers: dict = {}
    metrics_endpoint = "room"
    channel_layer_alias = "(none: sockets join groups through games.hub)"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_member()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            if text_data is None:
                raise ProtocolError("Send JSON text frames.")
            if len(text_data) > MAX_FRAME_CHARS:
                raise ProtocolError(f"A message may not exceed {MAX_FRAME_CHARS} characters.", "too_large")
            content = _decoded(text_data)
            if not isinstance(content, dict) or not isinstance(content.get("type"), str):
                raise ProtocolError('A message is a JSON object with a "type".')
            handler = self.handlers.get(content["type"])
            if handler is None:
                raise ProtocolError(f"Unknown message type {content['type'][:40]!r}.", "unknown_type")
            await handler(self, content)
        except (ProtocolError, GameError) as exc:
            await self.send_error(exc.code, exc.detail, request_id=_request_id_of(text_data))

    async def send_error(self, code: str, detail: str, *, request_id=None) -> None:
        await self.send_json({"type": "error", "request_id": request_id, "code": code, "detail": detail})

    async def dispatch(self, message):
        """Channels' dispatch without its per-message `aclose_old_connections()`.

        That call hops to the main sync thread before every message (every
        event to every socket) to tidy that thread's connections; these
        sockets do their database work on games.threads' pool, whose calls
        close their own connections, so the hop only cost CPU (10 % of a
        socket guess's profile in issue #9).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            # One message at a time, the socket's own and its groups' (games.hub).
            async with self.turn:
                await handler(message)
        except outages.BACKEND_DOWN as exc:
            # PostgreSQL or Redis is down: close 4503, and the client
            # reconnects with backoff and resyncs (config/outages.py).
            outages.warn(outages.service_of(exc), "sockets are closed 4503", exc)
            if message["type"] == "websocket.disconnect":
                raise StopConsumer from None
            await self.close(code=outages.CLOSE_UNAVAILABLE)
        except (Disconnected, OSError):
            # A frame for a client that has just closed: daphne (autobahn)
            # raises Disconnected, other servers an OSError as the ASGI spec
            # asks (uvicorn's ClientDisconnected); its websocket.disconnect
            # comes next. Not an error: a traceback would only be noise.
            pass

    async def accept_signed_in(self) -> bool:
        """Accept (answering mastermind.v1 if offered); close 4401 unless signed in.

        A signed-in socket joins the process's credential watch, which closes
        it at once when its user signs out through the API, and within
        WS_AUTH_RECHECK_SECONDS of any other end of its credential.
        """
        self.user: Any = self.scope.get("user")  # a lazy user; signed in once this returns True
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        self.loop = asyncio.get_running_loop()
        metrics.SOCKETS_OPEN.labels(self.metrics_endpoint).inc()
        self.credential = credential_of(self.scope)
        await credential_watch.add(self)
        # Probes the channel layer; closes sockets 4503 when Redis comes back.
        layer_watch.ensure_running()
        return True

    async def join(self, group: str) -> None:
        """Join a group through the process's hub; returns once its messages reach this socket."""
        await hub.join(self, group)

    async def disconnect(self, code):
        # Only a signed-in socket was counted open (and has a credential).
        if hasattr(self, "credential"):
            metrics.SOCKETS_OPEN.labels(self.metrics_endpoint).dec()
        metrics.SOCKETS_CLOSED.labels(str(code)).inc()
        credential_watch.discard(self)
        self.stop_membership()

    async def auth_revoked(self, message):
        """Signed out through the API: close the sockets of the revoked tokens (None: every token)."""
        keys = message.get("token_keys")
        if self.scope.get("auth_method") == "token" and (
            keys is None or self.scope.get("auth_token_key") in keys
        ):
            await self.close(code=CLOSE_UNAUTHENTICATED)


# --- the JSON room socket -----------------------------------------------------


class RoomConsumer(SafeReceiveMixin, AsyncJsonWebsocketConsumer):
    """`/ws/rooms/{code}/`: room.state on connect, then versioned events, filtered per viewer."""

    async def connect(self):
        self.room_code = rules.normalize_room_code(self.scope["url_route"]["kwargs"]["code"])
        self.version = 0
        self.mode: str = ""
        self.over = False
        self.private = False
        # Set once the viewer may no longer see the room (left a private one).
        self.gone = False
        if not await self.accept_signed_in():
            return
        # Subscribe first, then take the snapshot: an event committed in
        # between arrives with a version at or below the snapshot's and is
        # dropped as a duplicate, never lost.
        await self.join(events.group_name(self.room_code))
        await self.send_fresh_state()

    async def send_fresh_state(self) -> None:
        """A `room.state` read after this call (after the subscription), or close 4404."""
        snapshot = await fresh_snapshot(self.room_code)
        state = boards.state_for(snapshot, self.user) if snapshot is not None else None
        if state is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.send_state(state)

    # --- client → server ------------------------------------------------------

    async def on_ping(self, content):
        _validated(PingSerializer, content)
        await self.send_json({"type": "pong", "version": self.version})

    async def on_make_move(self, content):
        guess, request_id = _make_move_fields(content)
        result = await database_sync_to_async(_throttled)(
            GuessThrottle,
            "Too many moves",
            services.guess_submit,
            room_code=self.room_code,
            user=self.user,
            guess=guess,
            request_id=request_id,
        )
        # GuessResult's fields are GuessResultSerializer's, all plain values.
        await self.send_json(
            {"type": "move.accepted", "request_id": request_id, **dataclasses.asdict(result)}
        )

    async def on_resync(self, content):
        data = _validated(ResyncSerializer, content)
        since = data["since"]
        missed = await database_sync_to_async(_events_after)(self.room_code, since)
        if missed is None or since > self.version:
            # Too far behind, or ahead of what we know: start again from a snapshot.
            await self.send_fresh_state()
            return
        for event in missed:
            await self.send_event(event, replay=True)

    async def on_chat(self, content):
        data = _validated(ChatSerializer, content)
        await database_sync_to_async(_throttled)(
            ChatThrottle,
            "Too many messages",
            services.chat_post,
            room_code=self.room_code,
            user=self.user,
            text=data["text"],
        )

    handlers = {
        "ping": on_ping,
        "make_move": on_make_move,
        "resync": on_resync,
        "chat": on_chat,
    }

    # --- server → client ------------------------------------------------------

    def takes_at_once(self, message: dict) -> bool:
        # The next event or a duplicate: filtered and sent without a query (a gap reads the log).
        return message.get("type") == "room.event" and message["event"]["version"] <= self.version + 1

    async def room_event(self, message):
        """A committed event from the group: drop duplicates, fill gaps from the log."""
        event = message["event"]
        version = event["version"]
        if self.gone or version <= self.version:
            return
        earlier = []
        if version > self.version + 1:
            missed = await database_sync_to_async(_events_after)(self.room_code, self.version) or []
            earlier = [e for e in missed if e["version"] < version]
        for item in [*earlier, event]:
            await self.send_event(item)
            if self.left_private_room(item):
                # A private room this viewer left no longer exists for them (SPEC §2).
                self.gone = True
                await self.close(code=CLOSE_NOT_FOUND)
                return

    def left_private_room(self, event: dict) -> bool:
        """Whether this event took the room from the viewer's sight: from the event, without a query."""
        return event["event"] == "player_left" and not visibility.can_see_room_of(
            private=self.private, players=event["players"], user=self.user
        )

    def track(self, state: dict) -> None:
        """Remember what this socket's filtering needs from a fresh room.state."""
        self.version = state["version"]
        self.mode = state["room"]["mode"]
        self.private = state["room"]["private"]
        self.over = state["room"]["status"] in (Room.Status.FINISHED, Room.Status.ABANDONED)

    async def send_state(self, state: dict) -> None:
        self.track(state)
        await self.send_json(state)

    async def send_event(self, event: dict, *, replay: bool = False) -> None:
        if event["event"] == "game_finished":
            self.over = True
        # A replayed event is sent even if at or below self.version: the
        # client asked for it. A live one moves self.version forward.
        self.version = max(self.version, event["version"])
        await self.send(
            text_data=encoded(
                visibility.filter_event(event, mode=self.mode, room_over=self.over, user=self.user)
            )
        )
        if event["event"] == "room_deleted" and not replay:
            await self.close(code=CLOSE_NOT_FOUND)


# Recently sent frames, by (room, version, event kind, filtered or not): with
# hundreds of sockets watching a room, each event is encoded once per kind of
# viewer (in a race, the guesser and everyone else), not once per socket.
# The event itself is kept and compared, so a code reused by a new room
# never gets an old room's frame.
_ENCODED: OrderedDict[tuple, tuple[dict, str]] = OrderedDict()
_ENCODED_MAX = 1024


def encoded(event: dict) -> str:
    """The event as JSON text, encoded once for every socket that sends the same frame."""
    key = (event.get("room"), event.get("version"), event.get("event"), event.get("guess") is None)
    hit = _ENCODED.get(key)
    if hit is not None and hit[0] == event:
        _ENCODED.move_to_end(key)
        return hit[1]
    text = json.dumps(event)
    _ENCODED[key] = (event, text)
    if len(_ENCODED) > _ENCODED_MAX:
        _ENCODED.popitem(last=False)
    return text


def _decoded(text_data: str):
    """The frame's JSON value; ProtocolError if it is not JSON or nested deeper than MAX_FRAME_DEPTH.

    Python's parser gives up on deep nesting with a RecursionError (1000
    levels fit in 2 KB), not a ValueError.
    """
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):
        raise ProtocolError("The message is not valid JSON, or is nested too deeply.") from None
    level = [content]
    for _ in range(MAX_FRAME_DEPTH):
        level = [
            child
            for value in level
            if isinstance(value, dict | list)
            for child in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return content
    raise ProtocolError(f"A message may not be nested more than {MAX_FRAME_DEPTH} levels deep.")


def _request_id_of(text_data) -> str | None:
    """The request_id of a message, if it has a usable one, to label its error."""
    try:
        content = _decoded(text_data) if text_data and len(text_data) <= MAX_FRAME_CHARS else None
    except ProtocolError:
        return None
    value = content.get("request_id") if isinstance(content, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else None


# --- the HTML room socket (htmx ws extension) -------------------------------------

# How long a room read for one event is shared with sockets that get the
# event a little later.
SNAPSHOT_SHARE_SECONDS = 1.0
_snapshots: dict[tuple[str, int], asyncio.Task] = {}


async def shared_snapshot(room_code: str, version: int) -> boards.RoomSnapshot | None:
    """The room as read once after event `version`, shared by every HTML socket of the process.

    Each HTML socket re-renders the board from a fresh state on every event;
    reading the room once per event, not once per socket, makes the cost of
    an event one read plus a render per viewer. The read starts after the
    event was committed, so it shows at least that version.
    """
    key = (room_code, version)
    loop = asyncio.get_running_loop()
    task = _snapshots.get(key)
    if task is None or task.get_loop() is not loop:
        task = loop.create_task(database_sync_to_async(boards.room_snapshot)(room_code))
        _snapshots[key] = task

        def forget(_, key=key, task=task):
            loop.call_later(
                SNAPSHOT_SHARE_SECONDS, lambda: _snapshots.get(key) is task and _snapshots.pop(key)
            )

        task.add_done_callback(forget)
    return await asyncio.shield(task)


class _FreshRead:
    """One room read, marked started (from its database thread) just before its first query."""

    def __init__(self) -> None:
        self.started = False
        self.task: asyncio.Task[boards.RoomSnapshot | None] | None = None

    def read(self, room_code: str) -> boards.RoomSnapshot | None:
        self.started = True
        return boards.room_snapshot_current(room_code)


_fresh_reads: dict[str, _FreshRead] = {}


async def fresh_snapshot(room_code: str) -> boards.RoomSnapshot | None:
    """The room as read by a query that starts after this call, shared with the sockets that ask before it starts.

    A socket subscribes to the room's group and then asks: any read that has
    not started yet sees every event the socket may have missed, so sockets
    opening onto the same room together (a crowd arriving, reconnects after
    a restart) share one read and one serialisation per kind of viewer,
    instead of one of each per socket (issue #9: a read and its serialisers
    were most of a handshake's CPU).
    """
    loop = asyncio.get_running_loop()
    pending = _fresh_reads.get(room_code)
    if pending is None or pending.started or pending.task is None or pending.task.get_loop() is not loop:
        pending = _FreshRead()
        pending.task = loop.create_task(database_sync_to_async(pending.read)(room_code))
        _fresh_reads[room_code] = pending

        def forget(_, pending=pending):
            if _fresh_reads.get(room_code) is pending:
                del _fresh_reads[room_code]

        pending.task.add_done_callback(forget)
    return await asyncio.shield(pending.task)


# Rendered regions, by (state, what is drawn): boards.state_for gives every
# viewer who sees the room alike (every spectator) the same state object, and
# they see the same regions but for their CSRF token, so with hundreds of
# spectators an event is rendered once per kind of viewer, not once per socket.
_REGIONS: OrderedDict[tuple, tuple[dict, str]] = OrderedDict()
_REGIONS_MAX = 256
# Stands for the socket's CSRF token in a shared render: hex (written into the
# page as is, as the escaped token would be), and random, so no chat line can
# contain it.
_CSRF_MARK = f"csrf{secrets.token_hex(16)}"


def regions_html(state: dict, user, *, controls: bool, chat_only: bool, csrf_token: str) -> str:
    """The board's regions for this viewer (games/live/regions.html), rendered once per shared state."""
    key = (id(state), controls, chat_only, bool(csrf_token))
    hit = _REGIONS.get(key)
    if hit is not None and hit[0] is state:
        _REGIONS.move_to_end(key)
        html = hit[1]
    else:
        context = {
            **boards.board_context(state, user),
            "oob": True,
            "controls": controls,
            "chat_only": chat_only,
            "csrf_token": _CSRF_MARK if csrf_token else "",
        }
        html = render_to_string("games/live/regions.html", context)
        # The state is kept with its render, so its id cannot be reused while cached.
        _REGIONS[key] = (state, html)
        if len(_REGIONS) > _REGIONS_MAX:
            _REGIONS.popitem(last=False)
    return html.replace(_CSRF_MARK, escape(csrf_token)) if csrf_token else html


class RoomHtmlConsumer(RoomConsumer):
    """`/ws/rooms/{code}/html/`: the same auth and events; frames are HTML for hx-swap-oob.

    Each event re-renders the page's own regions (templates/games/partials/)
    from the room as read once after that event for every HTML socket of
    the process (`shared_snapshot`), so a live board and a reloaded one come
    from the same templates and data, and an event costs one read however
    many browsers watch. A region shows the room as it is, not a change to
    it, so a lost event needs no replay from the log: the next one redraws
    everything it changed, and a resync is a fresh state. The move form is
    re-rendered only when what the viewer may do changes, so a rival's guess
    never wipes the pegs you are picking.
    """

    metrics_endpoint = "room_html"

    def takes_at_once(self, message: dict) -> bool:
        return False  # each event waits for the room's shared read (shared_snapshot)

    async def send_state(self, state: dict) -> None:
        self.track(state)
        await self.send_regions(state, controls=True)

    async def on_resync(self, content):
        _validated(ResyncSerializer, content)
        await self.send_fresh_state()

    async def room_event(self, message):
        """A committed event from the group: drop duplicates, redraw from the room as it is now."""
        event = message["event"]
        if self.gone or event["version"] <= self.version:
            return
        # Events were lost in between: what they changed may include the viewer's own moves.
        missed = event["version"] > self.version + 1
        await self.send_event(event, missed=missed)

    async def send_event(self, event: dict, *, replay: bool = False, missed: bool = False) -> None:
        self.version = max(self.version, event["version"])
        if event["event"] == "room_deleted":
            await self.send(text_data=render_to_string("games/live/deleted.html"))
            if not replay:
                await self.close(code=CLOSE_NOT_FOUND)
            return
        snapshot = await shared_snapshot(self.room_code, event["version"])
        state = boards.state_for(snapshot, self.user) if snapshot is not None else None
        if state is None:
            # The viewer may no longer see the room (they left a private one,
            # SPEC §2), or it is gone.
            self.gone = True
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.over = state["room"]["status"] in (Room.Status.FINISHED, Room.Status.ABANDONED)
        mine = event.get("username") == self.user.username
        changes_my_moves = missed or event["event"] not in ("chat", "guess") or mine
        await self.send_regions(
            state, controls=changes_my_moves, chat_only=event["event"] == "chat" and not missed
        )

    async def send_regions(self, state: dict, *, controls: bool, chat_only: bool = False) -> None:
        # Forms rendered here post like the page's own: the CSRF cookie's
        # secret is a valid form token (CsrfViewMiddleware accepts it).
        csrf_token = self.scope.get("cookies", {}).get(settings.CSRF_COOKIE_NAME, "")
        await self.send(
            text_data=regions_html(
                state, self.user, controls=controls, chat_only=chat_only, csrf_token=csrf_token
            )
        )

    async def send_error(self, code: str, detail: str, *, request_id=None) -> None:
        await self.send(text_data=render_to_string("games/live/error.html", {"code": code, "detail": detail}))

    async def send_json(self, content, close=False):
        # pong and move.accepted have no HTML form; the page learns of an
        # accepted move from its `guess` event like every other viewer.
        if content.get("type") in ("pong", "move.accepted"):
            return
        await super().send_json(content, close=close)


# --- the lobby ------------------------------------------------------------------------


def _lobby_state() -> dict:
    rooms = selectors.room_lobby_list()
    return {"type": "lobby.state", "rooms": [wire.lobby_room(r, player_count=r.player_count) for r in rooms]}


async def _plain_pong(consumer: SafeReceiveMixin, content: dict) -> None:
    """`ping` on the lobby and /ws/me/ sockets: a `pong` (they have no version to report)."""
    _validated(PingSerializer, content)
    await consumer.send_json({"type": "pong"})


class LobbyConsumer(SafeReceiveMixin, AsyncJsonWebsocketConsumer):
    """`/ws/lobby/`: the joinable public rooms, then room_created/updated/filled/started/finished/deleted."""

    metrics_endpoint = "lobby"

    async def connect(self):
        if not await self.accept_signed_in():
            return
        await self.join(events.LOBBY_GROUP)
        await self.send_out(await database_sync_to_async(_lobby_state)())

    handlers = {"ping": _plain_pong}

    def takes_at_once(self, message: dict) -> bool:
        return True  # the update as it came (or its HTML), no query

    async def lobby_event(self, message):
        await self.send_out(message["event"])

    async def send_out(self, content: dict) -> None:
        await self.send_json(content)


class LobbyHtmlConsumer(LobbyConsumer):
    """`/ws/lobby/html/`: the lobby's room list as HTML fragments."""

    metrics_endpoint = "lobby_html"

    async def send_out(self, content: dict) -> None:
        await self.send(text_data=render_to_string("games/live/lobby.html", {"message": content}))


class MeConsumer(SafeReceiveMixin, AsyncJsonWebsocketConsumer):
    """`/ws/me/`: the signed-in user's own socket (SPEC §4): `match_found` and `ticket_expired`.

    The frames are built before they are sent (games.matchmaking), so the
    handler runs no query.
    """

    metrics_endpoint = "me"

    async def connect(self):
        if not await self.accept_signed_in():
            return
        await self.join(events.user_group(self.user.id))

    handlers = {"ping": _plain_pong}

    def takes_at_once(self, message: dict) -> bool:
        return True  # the frame was built before it was sent

    async def me_event(self, message):
        await self.send_json(message["frame"])
