"""Real servers, real clients (issue #4): daphne subprocesses, `websockets` sockets.

Each test starts daphne (games/tests/servers.py) on this test's database and
talks to it the way a native app does: a Knox token offered as the
subprotocol `token.<TOKEN>` beside `mastermind.v1`, and no Origin header.

- Two processes behind one Redis share events (needs REDIS_URL; the embedded
  in-memory layer is per process by design).
- A reconnect storm: every client ends with exactly the room's event log and
  the stored guesses are exactly the acknowledged moves (both setups).
- Opening and closing 200 sockets leaves the server's PostgreSQL connections
  bounded by its pool (PostgreSQL only).

The data is committed (transaction=True) so the server processes see it. Rooms
are set up through the services *before* any socket opens: the test process's
own channel layer is not the servers' (they get a prefix of their own), so a
change made here is not broadcast to them; everything after that goes through
the servers.
"""

import asyncio
import contextlib
import fcntl
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.db import connection
from knox.models import AuthToken
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from games import services
from games.models import Guess, RoomEvent
from games.tests.factories import wrong_guess
from games.tests.servers import LiveServer, database_env, http_json, live_server, live_servers

pytestmark = pytest.mark.django_db(transaction=True)

PROTOCOL = "mastermind.v1"
WAIT = 10.0  # the longest any single answer may take
FIGURES_PATH = settings.BASE_DIR / "var" / "storm-figures.json"

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="two processes share events only through Redis; the embedded in-memory layer is per process",
)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_stat_activity is PostgreSQL's"
)


# --- helpers ------------------------------------------------------------------


def setup_name() -> str:
    layer = "redis" if settings.REDIS_URL else "in-memory layer"
    return f"{connection.vendor} + {layer}"


def token_for(user) -> str:
    _, token = AuthToken.objects.create(user=user)
    return token


async def open_socket(server: LiveServer, room_code: str, token: str) -> ClientConnection:
    """A native client's socket: token subprotocol, no Origin header, no proxy."""
    ws = await connect(
        server.ws_url(f"/ws/rooms/{room_code}/"),
        subprotocols=[PROTOCOL, f"token.{token}"],
        proxy=None,
        open_timeout=WAIT,
        close_timeout=2,
        ping_interval=None,
    )
    assert ws.subprotocol == PROTOCOL
    return ws


async def recv_json(ws: ClientConnection, timeout: float = WAIT) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(ws: ClientConnection, wanted, timeout: float = WAIT) -> dict:
    """The first message for which wanted(message) is true; the others are skipped."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if wanted(message):
                return message


def run(coro, servers: list[LiveServer], timeout: float):
    """Run the client side; a failure carries what the servers printed."""
    try:
        return asyncio.run(asyncio.wait_for(coro, timeout))
    except (AssertionError, TimeoutError, OSError, ConnectionClosed, InvalidHandshake) as exc:
        logs = "\n\n".join(server.describe() for server in servers)
        raise AssertionError(f"{type(exc).__name__}: {exc}\n\n{logs}") from exc


def record_figures(section: str, figures: dict) -> None:
    """Merge into var/storm-figures.json, keyed by setup (xdist workers may write at once)."""
    FIGURES_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES_PATH.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = json.loads(FIGURES_PATH.read_text())
        except (OSError, ValueError):
            current = {}
        current.setdefault(section, {})[setup_name()] = figures
        tmp = FIGURES_PATH.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        tmp.replace(FIGURES_PATH)


# --- (a) two processes, one Redis -----------------------------------------------


@needs_redis
def test_a_move_on_one_process_reaches_a_socket_on_the_other(alice, bob):
    rng = random.Random(4)
    room = services.room_create(user=alice, mode="race", max_guesses=20)
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    alice_token, bob_token = token_for(alice), token_for(bob)
    socket_move, rest_move = wrong_guess(room, rng=rng), wrong_guess(room, rng=rng)

    async def scenario(a: LiveServer, b: LiveServer):
        alice_on_a = await open_socket(a, room.code, alice_token)
        bob_on_b = await open_socket(b, room.code, bob_token)
        alice_on_b = await open_socket(b, room.code, alice_token)
        sockets = (alice_on_a, bob_on_b, alice_on_b)
        try:
            for ws in sockets:
                state = await recv_json(ws)
                assert (state["type"], state["version"]) == ("room.state", room.version), state
                assert state["room"]["status"] == "playing"

            # A move over the socket on A.
            await alice_on_a.send(
                json.dumps({"type": "make_move", "guess": socket_move, "request_id": "two-servers-1"})
            )
            seen_on_a = []  # the versions of the events alice's socket on A gets

            def answer_or_event(message):
                if message["type"] == "game_update":
                    seen_on_a.append(message["version"])
                return message["type"] in ("move.accepted", "error")

            accepted = await recv_until(alice_on_a, answer_or_event)
            assert accepted["type"] == "move.accepted", accepted
            assert accepted["request_id"] == "two-servers-1"
            version = accepted["version"]
            assert version == room.version + 1
            on_b = await recv_until(bob_on_b, lambda m: m["type"] == "game_update")
            assert (on_b["event"], on_b["version"], on_b["username"]) == ("guess", version, "alice")
            assert on_b["guess"] is None, "a race rival never sees alice's colours while the game runs"
            assert (on_b["exact"], on_b["misplaced"]) == (accepted["exact"], accepted["misplaced"])
            mine_on_b = await recv_until(alice_on_b, lambda m: m["type"] == "game_update")
            assert (mine_on_b["version"], mine_on_b["guess"]) == (version, socket_move)

            # A move over REST on A reaches the sockets on B.
            status, body = await asyncio.to_thread(
                http_json,
                "POST",
                f"{a.http_url}/api/v1/rooms/{room.code}/guesses/",
                token=bob_token,
                body={"guess": rest_move},
            )
            assert status == 201, body
            assert body["version"] == version + 1
            for ws, colours in ((bob_on_b, rest_move), (alice_on_b, None)):
                event = await recv_until(ws, lambda m: m["type"] == "game_update")
                assert (event["event"], event["version"], event["username"]) == ("guess", version + 1, "bob")
                assert event["guess"] == colours
            # ...and the socket on A hears of both moves, once each.
            while version + 1 not in seen_on_a:
                event = await recv_until(alice_on_a, lambda m: m["type"] == "game_update")
                seen_on_a.append(event["version"])
            assert seen_on_a == [version, version + 1]
        finally:
            for ws in sockets:
                await ws.close()

    with live_servers(2) as servers:
        run(scenario(*servers), servers, timeout=60)
    assert Guess.objects.filter(room=room).count() == 2


# --- (b) the reconnect storm ------------------------------------------------------


@needs_redis
def test_signing_out_on_one_process_closes_that_tokens_sockets_on_the_other(alice):
    room = services.room_create(user=alice, mode="race")
    leaving, staying = token_for(alice), token_for(alice)

    async def scenario(a: LiveServer, b: LiveServer):
        on_b = await open_socket(b, room.code, leaving)
        other_on_b = await open_socket(b, room.code, staying)
        on_a = await open_socket(a, room.code, leaving)
        try:
            for ws in (on_b, other_on_b, on_a):
                assert (await recv_json(ws))["type"] == "room.state"
            status, _ = await asyncio.to_thread(
                http_json, "POST", f"{a.http_url}/api/v1/auth/logout/", token=leaving
            )
            assert status == 204
            for ws in (on_b, on_a):
                with pytest.raises(ConnectionClosed) as closed:
                    await recv_json(ws)
                assert closed.value.rcvd.code == 4401
            # The other token's socket lives on.
            await other_on_b.send(json.dumps({"type": "ping"}))
            assert (await recv_json(other_on_b))["type"] == "pong"
        finally:
            for ws in (on_b, other_on_b, on_a):
                await ws.close()

    with live_servers(2) as servers:
        run(scenario(*servers), servers, timeout=60)


@dataclass
class Link:
    """One socket of a client; `closed` is set once its reader has stopped."""

    ws: ClientConnection
    server: LiveServer
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    # Has this socket been told the game is over? From then on a race's
    # colours are everyone's to see (SPEC §2), replayed old guesses included.
    told_over: bool = False
    snapshot_version: int = 0  # the version of the room.state this socket opened with


class StormClient:
    """A client that applies events strictly in version order, across reconnects.

    - the first socket's `room.state` is its starting point (it covers 1..N);
    - an event at version last+1 is applied; at or below `last` it is a
      duplicate and ignored; above last+1 it is a gap: `resync` since `last`
      (once per `last`) and wait for the events to come in order;
    - after a reconnect the client does not take the new socket's snapshot:
      it sends `resync` since the last version it applied and gets exactly the
      events after it. A `room.state` answering a resync would be adopted
      (covering the versions up to its own), and is counted: none is expected.
    """

    def __init__(self, name: str, username: str, token: str, room_code: str, servers, rng: random.Random):
        self.name = name
        self.username = username
        self.token = token
        self.room_code = room_code
        self.servers = servers
        self.rng = rng
        self.link: Link | None = None  # the socket in use, once it is ready
        self.opened: ClientConnection | None = None  # the latest socket opened
        self.connected = asyncio.Event()
        self.stopping = False
        self.last = 0
        self.sequence: list[int] = []  # every version, in the order it was applied or covered
        self.applied: dict[int, dict] = {}  # version → the event as this client saw it
        self.covered_by_state = 0
        self.states_after_start = 0
        self.resync_since: int | None = None
        self.resyncs = 0
        self.duplicates_ignored = 0
        self.gaps = 0
        self.reconnects = 0
        self.connect_failures = 0
        self.pending: dict[str, asyncio.Future] = {}
        self.errors: list[dict] = []

    async def run(self) -> None:
        while not self.stopping:
            server = self.rng.choice(self.servers)
            try:
                ws = await open_socket(server, self.room_code, self.token)
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                self.connect_failures += 1
                assert self.connect_failures <= 20, f"{self.name} cannot reconnect: {exc!r}"
                await asyncio.sleep(0.05)
                continue
            if self.stopping:  # stop() came while this socket was opening
                await ws.close()
                break
            self.opened = ws
            link = Link(ws=ws, server=server)
            try:
                await self.read(link)
            except ConnectionClosed:
                pass
            finally:
                if self.link is link:
                    self.link = None
                    self.connected.clear()
                link.closed.set()
                ws.transport.abort()
            if not self.stopping:
                self.reconnects += 1
                await asyncio.sleep(self.rng.uniform(0, 0.03))

    async def read(self, link: Link) -> None:
        state = await recv_json(link.ws)
        assert state["type"] == "room.state", state
        link.told_over = state["room"]["status"] == "finished"
        link.snapshot_version = state["version"]
        if not self.sequence:
            self.adopt(state)
        else:
            await self.resync(link)
        self.link = link
        self.connected.set()
        while True:
            # Idle only after the game ended, while the others catch up.
            message = await recv_json(link.ws, timeout=45)
            await self.handle(message, link)

    async def resync(self, link: Link) -> None:
        self.resync_since = self.last
        self.resyncs += 1
        await link.ws.send(json.dumps({"type": "resync", "since": self.last}))

    def adopt(self, state: dict) -> None:
        version = state["version"]
        if version > self.last:
            self.sequence.extend(range(self.last + 1, version + 1))
            self.covered_by_state += version - self.last
            self.last = version

    async def handle(self, message: dict, link: Link) -> None:
        kind = message["type"]
        if kind == "game_update":
            version = message["version"]
            message["told_over"] = link.told_over
            link.told_over = link.told_over or message["event"] == "game_finished"
            if version <= self.last:
                self.duplicates_ignored += 1
            elif version == self.last + 1:
                self.sequence.append(version)
                self.applied[version] = message
                self.last = version
            else:
                self.gaps += 1
                if self.resync_since != self.last:
                    await self.resync(link)
        elif kind == "move.accepted":
            future = self.pending.pop(message["request_id"], None)
            if future is not None and not future.done():
                future.set_result(message)
        elif kind == "room.state":  # a resync answered with a snapshot
            self.states_after_start += 1
            self.adopt(message)
        else:  # an error (or anything unexpected) fails the move it answers, and the test
            self.errors.append(message)
            future = self.pending.pop(message.get("request_id") or "", None)
            if future is not None and not future.done():
                future.set_exception(AssertionError(f"{self.name}: {message}"))

    def describe(self) -> str:
        where = f"port {self.link.server.port}" if self.link else "disconnected"
        return f"{self.name} at v{self.last} ({where}, resync since {self.resync_since}, gaps {self.gaps})"

    async def stop(self) -> None:
        """Close the socket (even one still starting up); run() then returns."""
        self.stopping = True
        if self.opened is not None:
            await self.opened.close()


@dataclass
class StormCounts:
    moves_sent: int = 0
    retries: int = 0
    retries_found_stored: int = 0
    drops_by_chaos: int = 0
    drops_right_after_a_move: int = 0


async def play(
    mover: StormClient, moves: list[tuple[str, list[int]]], acks: dict, counts: StormCounts, rng
) -> None:
    """Send the moves one by one; a move whose answer died with its socket is retried, same request_id."""
    for request_id, guess in moves:
        for attempt in range(1, 31):
            await asyncio.wait_for(mover.connected.wait(), WAIT)
            link = mover.link
            if link is None:
                continue
            answer = asyncio.get_running_loop().create_future()
            mover.pending[request_id] = answer
            counts.moves_sent += 1
            if attempt > 1:
                counts.retries += 1
            message = {"type": "make_move", "guess": guess, "request_id": request_id}
            with contextlib.suppress(ConnectionClosed):
                await link.ws.send(json.dumps(message))
                if attempt == 1 and rng.random() < 0.12:
                    # Drop the socket before the answer can arrive: the move
                    # may or may not be stored; only a retry can tell.
                    counts.drops_right_after_a_move += 1
                    link.ws.transport.abort()
            closed = asyncio.ensure_future(link.closed.wait())
            done, _ = await asyncio.wait({answer, closed}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if answer.done():
                acks[request_id] = ack = answer.result()
                if attempt > 1 and ack["version"] <= link.snapshot_version:
                    # Stored before this socket even opened: the first
                    # attempt's answer was lost, the retry was answered from it.
                    counts.retries_found_stored += 1
                break
            mover.pending.pop(request_id, None)
            assert done, f"{mover.name}: no answer to move {request_id} within {WAIT} s"
        else:
            raise AssertionError(f"{mover.name}: move {request_id} was never acknowledged")
        await asyncio.sleep(rng.uniform(0, 0.02))


CHAOS_DROPS_PER_MOVE = 0.6


async def chaos(
    clients: list[StormClient], acks: dict, counts: StormCounts, rng, stop: asyncio.Event
) -> None:
    """Drop a random client's socket at random moments, without a closing handshake.

    Paced by the game's progress, not the clock (about CHAOS_DROPS_PER_MOVE
    drops per acknowledged move), so a slow machine gets the same storm, not
    a longer one.
    """
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.01, 0.06))
        if counts.drops_by_chaos >= CHAOS_DROPS_PER_MOVE * (len(acks) + 1):
            continue
        link = rng.choice(clients).link
        if link is not None:
            counts.drops_by_chaos += 1
            link.ws.transport.abort()


STORM_PLAYERS = 8  # SPEC §2 caps a room at 8 players...
STORM_SOCKETS = (3, 3, 3, 3, 2, 2, 2, 2)  # ...so 20 clients are 8 players' 20 sockets (devices)
STORM_GUESSES = 20


def test_a_bots_move_inside_the_server_reaches_a_socket(alice):
    """daphne moves the bots itself, so their moves reach its sockets even on the in-memory layer."""
    room = services.room_create(user=alice, mode="race", max_guesses=20)
    services.bot_add(room_code=room.code, user=alice, difficulty="hard")
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    token = token_for(alice)

    async def scenario(server: LiveServer):
        ws = await open_socket(server, room.code, token)
        try:
            state = await recv_json(ws)
            assert state["type"] == "room.state"
            bot = next(p for p in state["room"]["players"] if p["username"].startswith("bot-hard-"))
            # The server's bot loop started with its first connection (the
            # health check), so on a slow machine the bot may have moved before
            # this snapshot: its next guess after the snapshot arrives as a live
            # event, colours hidden from its rival.
            event = await recv_until(ws, lambda m: m["type"] == "game_update" and m["event"] == "guess")
            assert (event["username"], event["number"], event["version"]) == (
                bot["username"],
                bot["guesses_used"] + 1,
                state["version"] + 1,
            )
            assert event["guess"] is None
        finally:
            await ws.close()

    with live_server({"BOT_PACE_SECONDS": "0.2"}) as server:
        run(scenario(server), [server], timeout=30)
    assert Guess.objects.filter(room=room, player__user__bot_difficulty="hard").exists()


def test_reconnect_storm_loses_and_doubles_nothing(make_user):
    """20 clients in one race room move while their sockets drop and reopen at random.

    The room holds at most 8 players (SPEC §2), so the 20 clients are the
    sockets of 8 players with 2 or 3 devices each; each player moves from
    their first. Every player makes 20 moves (the even ones solve on the
    last, the odd ones run out), so the game finishes. When REDIS_URL is set
    the clients (re)connect to either of two server processes at random.

    At the end, every client applied versions 1..room.version exactly once, in
    order (its first snapshot covering the versions before it), each equal to
    the room's log; and the stored guesses are exactly the acknowledged moves.
    """
    seed = int(os.environ.get("STORM_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    users = [make_user(f"storm{i}") for i in range(STORM_PLAYERS)]
    room = services.room_create(
        user=users[0],
        mode="race",
        max_players=STORM_PLAYERS,
        max_guesses=STORM_GUESSES,
        code_length=4,
        colors=6,
    )
    for user in users[1:]:
        services.room_join(room_code=room.code, user=user)
    services.room_start(room_code=room.code, user=users[0])
    room.refresh_from_db()
    tokens = [token_for(user) for user in users]
    plans = {}
    for index, user in enumerate(users):
        moves = [
            (f"{user.username}-{n}-{uuid.uuid4().hex[:8]}", wrong_guess(room, rng=rng)) for n in range(1, 21)
        ]
        if index % 2 == 0:
            moves[-1] = (moves[-1][0], list(room.secret))
        plans[user.username] = moves
    planned = sum(len(m) for m in plans.values())
    server_count = 2 if settings.REDIS_URL else 1
    acks: dict[str, dict] = {}
    counts = StormCounts()
    clients: list[StormClient] = []

    async def storm(servers: list[LiveServer]) -> float:
        started = time.monotonic()
        for index, user in enumerate(users):
            for device in range(STORM_SOCKETS[index]):
                name = f"{user.username}/{device}"
                clients.append(StormClient(name, user.username, tokens[index], room.code, servers, rng))
        readers = [asyncio.ensure_future(client.run()) for client in clients]
        try:
            await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), WAIT * 2)
            stop_chaos = asyncio.Event()
            dropper = asyncio.ensure_future(chaos(clients, acks, counts, rng, stop_chaos))
            movers = [next(c for c in clients if c.username == u.username) for u in users]
            await asyncio.wait_for(
                asyncio.gather(*(play(m, plans[m.username], acks, counts, rng) for m in movers)), 60
            )
            stop_chaos.set()
            await asyncio.wait_for(dropper, WAIT)

            status, body = await asyncio.to_thread(
                http_json, "GET", f"{servers[0].http_url}/api/v1/rooms/{room.code}/", token=tokens[0]
            )
            assert status == 200, body
            assert body["status"] == "finished", body
            final = body["version"]
            deadline = time.monotonic() + 20
            while any(c.last < final for c in clients):
                for reader in readers:
                    if reader.done():
                        reader.result()  # a reader that failed fails the test
                behind = [c.describe() for c in clients if c.last < final]
                assert time.monotonic() < deadline, f"not caught up with v{final} after 20 s: {behind}"
                await asyncio.sleep(0.05)
            for client in clients:
                await client.stop()
            await asyncio.wait_for(asyncio.gather(*readers), WAIT)
            return round(time.monotonic() - started, 1)
        finally:
            for task in readers:
                task.cancel()

    with live_servers(server_count) as servers:
        seconds = run(storm(servers), servers, timeout=100)

    # --- what the server stored ---
    room.refresh_from_db()
    final = room.version
    log = {
        version: (kind, payload)
        for version, kind, payload in RoomEvent.objects.filter(room=room).values_list(
            "version", "kind", "payload"
        )
    }
    expected = list(range(1, final + 1))
    problems = []
    if sorted(log) != expected:
        problems.append(f"the room's log is not 1..{final}")

    # --- every client's history ---
    lost = duplicated = checked = 0
    for client in clients:
        seen = client.sequence
        missing = set(expected) - set(seen)
        doubled = len(seen) - len(set(seen))
        lost += len(missing)
        duplicated += doubled
        if seen != expected:
            problems.append(
                f"{client.name}: missing {sorted(missing)[:10]}, doubled {doubled}, order {seen[:5]}…"
            )
        for version, event in client.applied.items():
            checked += 1
            kind, payload = log.get(version, (None, {}))
            if event["event"] != kind or any(
                event.get(key) != payload.get(key) for key in ("username", "number", "exact", "misplaced")
            ):
                problems.append(f"{client.name}: v{version} is {event['event']}, the log says {kind}")
            rival = event.get("username") != client.username
            if kind == "guess" and rival and event["guess"] is not None and not event["told_over"]:
                problems.append(f"{client.name}: saw {event['username']}'s colours in a running race")
        if client.errors:
            problems.append(f"{client.name}: errors {client.errors[:3]}")

    # --- the stored guesses are the acknowledged moves ---
    rows = list(
        Guess.objects.filter(room=room).values_list(
            "player__user__username", "request_id", "number", "version"
        )
    )
    stored = {(username, request_id) for username, request_id, _, _ in rows}
    owner_of = {request_id: username for username, moves in plans.items() for request_id, _ in moves}
    acked = {(owner_of[request_id], request_id) for request_id in acks}
    moves_lost = len(acked - stored)
    moves_extra = len(stored - acked) + (len(rows) - len(stored))
    if len(acks) != planned:
        problems.append(f"{len(acks)} of {planned} moves acknowledged")
    for _username, request_id, number, version in rows:
        ack = acks.get(request_id)
        if ack is not None and (ack["number"], ack["version"]) != (number, version):
            problems.append(
                f"{request_id}: acknowledged as #{ack['number']} v{ack['version']}, stored #{number} v{version}"
            )

    figures = {
        "seed": seed,
        "servers": server_count,
        "clients": len(clients),
        "players": STORM_PLAYERS,
        "moves": planned,
        "moves_acknowledged": len(acks),
        "moves_sent_including_retries": counts.moves_sent,
        "moves_retried_with_same_request_id": counts.retries,
        "retries_answered_from_the_stored_move": counts.retries_found_stored,
        "sockets_dropped_right_after_a_move": counts.drops_right_after_a_move,
        "sockets_dropped_at_random": counts.drops_by_chaos,
        "reconnects": sum(c.reconnects for c in clients),
        "resyncs_sent": sum(c.resyncs for c in clients),
        "gaps_seen": sum(c.gaps for c in clients),
        "duplicates_ignored": sum(c.duplicates_ignored for c in clients),
        "room_state_after_resync": sum(c.states_after_start for c in clients),
        "room_version": final,
        "events_checked": checked,
        "versions_covered_by_first_snapshot": sum(c.covered_by_state for c in clients),
        "lost": lost + moves_lost,
        "duplicated": duplicated + moves_extra,
        "stored_guesses": len(rows),
        "seconds": seconds,
    }
    summary = ", ".join(f"{key}={value}" for key, value in figures.items())
    print(f"\nreconnect storm ({setup_name()}): {summary}")
    record_figures("storm", figures)
    assert not problems and figures["lost"] == 0 and figures["duplicated"] == 0, (
        f"storm failed (STORM_SEED={seed}): {summary}\n" + "\n".join(problems[:30])
    )
    assert figures["reconnects"] > 0 and counts.retries_found_stored > 0, (
        f"the storm was too calm to prove anything: {summary}"
    )


# --- (c) no connection leaks --------------------------------------------------------

POOL_MAX = 4
LEAK_SOCKETS = 200
LEAK_BATCH = 20


def server_connections(application_name: str) -> int:
    """The server's connections to the test database (ours carry another application_name)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [connection.settings_dict["NAME"], application_name],
        )
        return cursor.fetchone()[0]


def server_connections_from_a_thread(application_name: str) -> int:
    try:
        return server_connections(application_name)
    finally:
        # Hand this thread's connection back to the pool, or it would stay
        # checked out and keep the test database from being dropped.
        connection.close()


@postgresql_only
def test_opening_and_closing_sockets_leaves_connections_bounded_by_the_pool(alice):
    """200 sockets, 20 at a time (half closed cleanly, half dropped), against a pool of 4.

    Only the server's own connections are counted: it runs with its own
    application_name. A connection opened outside the pool would push the
    count past the pool's size; one taken from the pool and never given back
    would drain it, and the last batch and /healthz would then time out.
    """
    room = services.room_create(user=alice, mode="race")
    token = token_for(alice)
    application_name = f"mm-daphne-{uuid.uuid4().hex[:8]}"
    pool_env = database_env(application_name=application_name, pool_max=POOL_MAX)

    async def batch(server: LiveServer, number: int) -> int:
        """Open LEAK_BATCH sockets at once, count while they are open, close them (half abruptly)."""
        sockets = await asyncio.gather(*(open_socket(server, room.code, token) for _ in range(LEAK_BATCH)))
        try:
            for ws in sockets:
                state = await recv_json(ws)
                assert state["type"] == "room.state", state
            return await asyncio.to_thread(server_connections_from_a_thread, application_name)
        finally:
            for index, ws in enumerate(sockets):
                if (index + number) % 2:
                    ws.transport.abort()
                else:
                    await ws.close()

    counts_open, counts_idle = [], []
    with live_server(pool_env) as server:
        for number in range(LEAK_SOCKETS // LEAK_BATCH):
            counts_open.append(run(batch(server, number), [server], timeout=60))
            time.sleep(0.2)  # let the server see the closes
            counts_idle.append(server_connections(application_name))
        # The pool was not drained by leaked connections: the server still answers at once.
        after = run(batch(server, 0), [server], timeout=30)
        status, body = http_json("GET", f"{server.http_url}/healthz")
        log_tail = server.log_tail()

    figures = {
        "sockets": LEAK_SOCKETS,
        "pool_max_size": POOL_MAX,
        "max_connections_with_sockets_open": max(counts_open),
        "max_connections_idle": max(counts_idle),
        "connections_at_end": counts_idle[-1],
    }
    summary = ", ".join(f"{key}={value}" for key, value in figures.items())
    print(f"\nconnection leak check ({setup_name()}): {summary}")
    record_figures("leak", figures)
    assert status == 200, body
    assert after <= POOL_MAX
    assert max(counts_open) >= 1, (
        f"no connection named {application_name}: the count proves nothing ({summary})"
    )
    assert max(counts_open + counts_idle) <= POOL_MAX, (
        f"{summary}\nopen: {counts_open}\nidle: {counts_idle}\n{log_tail}"
    )
