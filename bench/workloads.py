"""The workloads, as asyncio clients against running servers (no Django here).

Closed loop: `clients` workers, each with its own keep-alive connection (and
its own solo room, for guesses), each sending its next request as soon as
the last one is answered; `closed_loop()` runs them for a fixed time and
reads the servers' CPU around the window. Open loop: requests at fixed
arrival times whatever the answers (`open_loop()`), latency counted from the
time each request was due, so a stalled server cannot hide its queue.
"""

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.loadgen import (
    HttpConnection,
    Recorder,
    build_request,
    client_cpu_seconds,
    open_room_socket,
)

GUESS_ROOM = {"max_guesses": 20}  # 4 pegs × 6 colours, the defaults
OP_TIMEOUT = 30.0
# A refused client (503) waits as long as Retry-After asks, within these bounds.
RETRY_AFTER_DEFAULT = 1.0
RETRY_AFTER_MAX = 2.0
PREPARE_ATTEMPTS = 30


class Refused(Exception):
    """A 503: the server asked the client to come back later."""

    def __init__(self, what: str, retry_after: str | None):
        super().__init__(what)
        self.what = what
        self.wait = retry_wait(retry_after)


def retry_wait(retry_after: str | None) -> float:
    try:
        return min(RETRY_AFTER_MAX, max(0.0, float(retry_after)))
    except (TypeError, ValueError):
        return RETRY_AFTER_DEFAULT


def random_guess(rng: random.Random, length: int = 4, colors: int = 6) -> list[int]:
    return [rng.randrange(colors) for _ in range(length)]


@dataclass
class Client:
    index: int
    port: int
    token: str | None
    rng: random.Random
    conn: HttpConnection
    room: str | None = None
    ws: object | None = None
    moves: itertools.count = field(default_factory=itertools.count)

    async def close(self):
        self.conn.close()
        if self.ws is not None:
            ws, self.ws = self.ws, None
            with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                await asyncio.wait_for(ws.close(), 5)


def make_clients(count: int, ports: list[int], tokens: list[str] | None, seed: int = 9) -> list[Client]:
    return [
        Client(
            index=i,
            port=ports[i % len(ports)],
            token=tokens[i % len(tokens)] if tokens else None,
            rng=random.Random(seed * 1000 + i),
            conn=HttpConnection(ports[i % len(ports)]),
        )
        for i in range(count)
    ]


class Workload:
    name = "workload"

    async def prepare(self, client: Client) -> None:
        """Set up outside the timed window (a room, a socket)."""

    async def release(self, client: Client) -> None:
        """Tidy up after the timed window, before the client waits for its next round."""

    async def step(self, client: Client, rec: Recorder) -> None:
        raise NotImplementedError


class HttpGet(Workload):
    def __init__(self, name: str, path: str, *, authenticated: bool):
        self.name = name
        self.path = path
        self.authenticated = authenticated
        self.requests: dict[tuple[int, str | None], bytes] = {}

    def request_for(self, client: Client) -> bytes:
        key = (client.port, client.token)
        if key not in self.requests:
            token = client.token if self.authenticated else None
            self.requests[key] = build_request("GET", self.path, port=client.port, token=token)
        return self.requests[key]

    async def step(self, client, rec):
        start = time.perf_counter()
        status, _ = await client.conn.request(self.request_for(client), OP_TIMEOUT)
        elapsed = time.perf_counter() - start
        if status == 200:
            rec.ok(elapsed)
        else:
            rec.fail(str(status), elapsed)
            if status == 503:
                raise Refused(self.name, client.conn.retry_after)


async def quick_play(client: Client, rec: Recorder | None = None, *, attempts: int = 1) -> str:
    """A started solo room of 20 guesses for this client (POST /api/v1/quick-play/).

    A 503 is retried after its Retry-After, up to `attempts` tries in all.
    """
    request = build_request(
        "POST", "/api/v1/quick-play/", port=client.port, token=client.token, body=GUESS_ROOM
    )
    for attempt in range(attempts):
        status, body = await client.conn.json(request, OP_TIMEOUT)
        if rec is not None:
            rec.extra[f"quick-play {status}"] += 1
        if status == 201:
            client.room = body["code"]
            return client.room
        if status != 503:
            raise RuntimeError(f"quick-play answered {status}: {str(body)[:200]}")
        if attempt + 1 < attempts:
            await asyncio.sleep(retry_wait(client.conn.retry_after))
    raise Refused("quick-play", client.conn.retry_after)


class RestGuess(Workload):
    """POST /api/v1/rooms/{code}/guesses/ into the client's own solo room; a new room when it ends."""

    name = "REST guess"

    async def prepare(self, client):
        if client.room is None:
            await quick_play(client, attempts=PREPARE_ATTEMPTS)

    async def step(self, client, rec):
        if client.room is None:
            await quick_play(client, rec)
        request = build_request(
            "POST",
            f"/api/v1/rooms/{client.room}/guesses/",
            port=client.port,
            token=client.token,
            body={"guess": random_guess(client.rng)},
        )
        start = time.perf_counter()
        status, body = await client.conn.json(request, OP_TIMEOUT)
        elapsed = time.perf_counter() - start
        if status == 201:
            rec.ok(elapsed)
            if body["solved"] or body["remaining"] == 0:
                client.room = None
        else:
            rec.fail(str(status), elapsed)
            if status in (403, 404, 409):
                client.room = None
            elif status == 503:
                raise Refused(self.name, client.conn.retry_after)


class SocketGuess(Workload):
    """`make_move` on /ws/rooms/{code}/, answered when both `move.accepted` and its `game_update` arrived."""

    name = "socket guess"

    async def prepare(self, client):
        if client.ws is None:
            await self._open(client, attempts=PREPARE_ATTEMPTS)

    async def release(self, client):
        # Between rounds the socket would sit idle while other servers are
        # measured; it reopens on the same room in the next prepare().
        if client.ws is not None:
            ws, client.ws = client.ws, None
            with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                await asyncio.wait_for(ws.close(), 5)

    async def _open(self, client, rec=None, attempts: int = 1):
        if client.room is None:
            await quick_play(client, rec, attempts=attempts)
        client.ws = await open_room_socket(client.port, client.room, client.token, timeout=OP_TIMEOUT)

    async def step(self, client, rec):
        if client.ws is None:
            try:
                await self._open(client, rec)
            except (InvalidHandshake, ConnectionClosed, OSError, TimeoutError) as exc:
                rec.fail(f"open {type(exc).__name__}")
                await asyncio.sleep(0.1)
                return
        ws = client.ws
        request_id = f"b{client.index}-{next(client.moves)}"
        frame = json.dumps({"type": "make_move", "guess": random_guess(client.rng), "request_id": request_id})
        start = time.perf_counter()
        accepted = None
        updates: set[int] = set()
        try:
            await ws.send(frame)
            async with asyncio.timeout(OP_TIMEOUT):
                while accepted is None or accepted["version"] not in updates:
                    message = json.loads(await ws.recv())
                    kind = message.get("type")
                    if kind == "game_update" and message.get("event") == "guess":
                        updates.add(message["version"])
                    elif kind == "move.accepted" and message.get("request_id") == request_id:
                        accepted = message
                    elif kind == "error" and message.get("request_id") == request_id:
                        rec.fail(f"error {message.get('code')}", time.perf_counter() - start)
                        await client.close()
                        client.room = None
                        return
        except (ConnectionClosed, TimeoutError, OSError) as exc:
            rec.fail(type(exc).__name__, time.perf_counter() - start)
            client.ws = None
            client.conn.close()
            return
        rec.ok(time.perf_counter() - start)
        if accepted["solved"] or accepted["remaining"] == 0:
            ws, client.ws, client.room = client.ws, None, None
            await ws.close()


# --- runners ---------------------------------------------------------------------------


@dataclass
class Measurement:
    """One or more timed windows of one workload on one server (or set of servers)."""

    ops: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    db_cpu: float | None = None
    client_cpu: float = 0.0
    rec: Recorder = field(default_factory=Recorder)

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_op(self) -> float | None:
        return self.server_cpu / self.ops if self.ops else None

    @property
    def db_cpu_per_op(self) -> float | None:
        return self.db_cpu / self.ops if self.ops and self.db_cpu is not None else None

    def add(self, other: "Measurement"):
        self.ops += other.ops
        self.seconds += other.seconds
        self.server_cpu += other.server_cpu
        if other.db_cpu is not None:
            self.db_cpu = (self.db_cpu or 0.0) + other.db_cpu
        self.client_cpu += other.client_cpu
        self.rec.merge(other.rec)


class CpuProbe:
    """Reads server and database CPU before and after a window (callables return seconds)."""

    def __init__(self, server_cpu: Callable[[], float], db_cpu: Callable[[], dict[int, float]] | None):
        self.server_cpu = server_cpu
        self.db_cpu = db_cpu

    def start(self):
        self.t0 = time.perf_counter()
        self.s0 = self.server_cpu()
        self.c0 = client_cpu_seconds()
        self.d0 = self.db_cpu() if self.db_cpu else None

    def stop(self, m: Measurement):
        m.seconds = time.perf_counter() - self.t0
        m.server_cpu = self.server_cpu() - self.s0
        m.client_cpu = client_cpu_seconds() - self.c0
        if self.db_cpu:
            d1 = self.db_cpu()
            # Backends that appeared during the window count from zero.
            m.db_cpu = sum(cpu - self.d0.get(pid, 0.0) for pid, cpu in d1.items())


async def closed_loop(
    workload: Workload, clients: list[Client], seconds: float, probe: CpuProbe
) -> Measurement:
    await asyncio.gather(*(workload.prepare(c) for c in clients))
    m = Measurement()
    deadline = time.perf_counter() + seconds

    async def run(client: Client):
        while time.perf_counter() < deadline:
            try:
                await workload.step(client, m.rec)
            except Refused as exc:
                # A polite client comes back after Retry-After. A refused operation is
                # already counted as a 503; a refused quick play is counted here.
                if exc.what == "quick-play":
                    m.rec.fail("quick-play 503")
                await asyncio.sleep(min(exc.wait, max(0.0, deadline - time.perf_counter())))
            except (OSError, TimeoutError, RuntimeError, ConnectionClosed, KeyError, ValueError) as exc:
                m.rec.fail(type(exc).__name__)
                client.conn.close()
                await asyncio.sleep(0.05)

    probe.start()
    await asyncio.gather(*(run(c) for c in clients))
    probe.stop(m)
    await asyncio.gather(*(workload.release(c) for c in clients))
    m.ops = m.rec.outcomes["ok"]
    return m


@dataclass
class OpenLoopResult:
    rate: float
    seconds: float
    sent: int
    rec: Recorder
    server_cpu: float
    max_connections: int
    drained_in: float


async def open_loop(
    requests: list[tuple[int, bytes]],
    rate: float,
    probe: CpuProbe,
    *,
    expected_status: int = 201,
    timeout: float = 15.0,
    max_connections: int = 2000,
) -> OpenLoopResult:
    """Send `requests` ((port, raw bytes)) at `rate` per second, each on an idle connection or a new one."""
    rec = Recorder()
    idle: dict[int, list[HttpConnection]] = {}
    opened = 0
    in_flight: set[asyncio.Task] = set()
    limit = asyncio.Semaphore(max_connections)

    async def one(port: int, data: bytes, due: float):
        nonlocal opened
        async with limit:
            pool = idle.setdefault(port, [])
            if pool:
                conn = pool.pop()
            else:
                conn = HttpConnection(port)
                opened += 1
            try:
                status, _ = await conn.request(data, timeout)
            except (TimeoutError, OSError) as exc:
                rec.fail(type(exc).__name__, time.perf_counter() - due)
                conn.close()
                return
            elapsed = time.perf_counter() - due
            if status == expected_status:
                rec.ok(elapsed, str(status))
            elif status == 503 and conn.retry_after is None:
                rec.fail("503 without Retry-After", elapsed)
            else:
                rec.fail(str(status), elapsed)
            if conn.protocol is not None:
                pool.append(conn)

    probe.start()
    start = time.perf_counter()
    for i, (port, data) in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(port, data, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    sent_at = time.perf_counter()
    if in_flight:
        await asyncio.wait(set(in_flight), timeout=timeout + 5)
    for task in list(in_flight):
        task.cancel()
    unanswered = len(requests) - rec.count
    if unanswered:
        rec.outcomes["no answer"] += unanswered
    m = Measurement()
    probe.stop(m)
    for pool in idle.values():
        for conn in pool:
            conn.close()
    return OpenLoopResult(
        rate=rate,
        seconds=sent_at - start,
        sent=len(requests),
        rec=rec,
        server_cpu=m.server_cpu,
        max_connections=opened,
        drained_in=time.perf_counter() - sent_at,
    )


# --- many sockets ------------------------------------------------------------------------


async def open_many(
    port: int, targets: list[tuple[str, str]], *, concurrency: int = 50, until: float | None = None
) -> tuple[list, Recorder, float]:
    """Open one room socket per (room code, token), `concurrency` handshakes at a time.

    No new handshake starts after `until` (a perf_counter time). Returns the
    open sockets (each past its room.state), what failed, and the seconds it took.
    """
    limit = asyncio.Semaphore(concurrency)
    opened: list = []
    rec = Recorder()

    async def one(room: str, token: str):
        async with limit:
            if until is not None and time.perf_counter() >= until:
                rec.extra["not tried (time cap)"] += 1
                return
            start = time.perf_counter()
            try:
                opened.append(await open_room_socket(port, room, token, timeout=OP_TIMEOUT))
            except (InvalidHandshake, ConnectionClosed, OSError, TimeoutError, RuntimeError) as exc:
                rec.fail(type(exc).__name__)
                return
            rec.ok(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(one(room, token) for room, token in targets))
    return opened, rec, time.perf_counter() - start


async def close_all(sockets: list) -> float:
    start = time.perf_counter()

    async def close(ws):
        with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
            await asyncio.wait_for(ws.close(), 10)

    await asyncio.gather(*(close(ws) for ws in sockets))
    return time.perf_counter() - start


@dataclass
class FanoutResult:
    sockets: int
    open_failures: Recorder
    open_seconds: float
    moves: int
    move_failures: int
    delays: list[float]
    missing: int
    closed: int
    server_cpu: float
    seconds: float


async def fanout(
    port: int,
    room: str,
    watcher_tokens: list[str],
    movers: list[tuple[str, list[list[int]]]],
    *,
    moves: int,
    probe: CpuProbe,
    wait_per_move: float = 5.0,
) -> FanoutResult:
    """`len(watcher_tokens)` sockets watch `room`; the movers take turns; each frame's delay from its move."""
    sockets, open_rec, open_seconds = await open_many(port, [(room, t) for t in watcher_tokens])
    seen: list[dict[int, float]] = [{} for _ in sockets]
    arrived: dict[int, int] = {}
    closed = 0

    async def read(i: int, ws):
        nonlocal closed
        try:
            async for raw in ws:
                now = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") == "game_update" and message.get("event") == "guess":
                    version = message["version"]
                    if version not in seen[i]:
                        seen[i][version] = now
                        arrived[version] = arrived.get(version, 0) + 1
        except ConnectionClosed:
            pass
        closed += 1

    readers = [asyncio.ensure_future(read(i, ws)) for i, ws in enumerate(sockets)]
    conns = [HttpConnection(port) for _ in movers]
    move_times: dict[int, float] = {}
    failures = 0
    probe.start()
    for k in range(moves):
        who = k % len(movers)
        token, guesses = movers[who]
        request = build_request(
            "POST", f"/api/v1/rooms/{room}/guesses/", port=port, token=token, body={"guess": guesses[k // 2]}
        )
        start = time.perf_counter()
        status, body = await conns[who].json(request, OP_TIMEOUT)
        if status != 201:
            failures += 1
            continue
        version = body["version"]
        move_times[version] = start
        until = time.perf_counter() + wait_per_move
        while arrived.get(version, 0) < len(sockets) - closed and time.perf_counter() < until:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)
    # A last moment for stragglers (a gap is filled when the next event comes, or never).
    until = time.perf_counter() + 2.0
    while time.perf_counter() < until and any(arrived.get(v, 0) < len(sockets) - closed for v in move_times):
        await asyncio.sleep(0.05)
    m = Measurement()
    probe.stop(m)
    closed_early = closed
    delays = [t - move_times[v] for per in seen for v, t in per.items() if v in move_times]
    for conn in conns:
        conn.close()
    await close_all(sockets)
    for reader in readers:
        reader.cancel()
    return FanoutResult(
        sockets=len(sockets),
        open_failures=open_rec,
        open_seconds=open_seconds,
        moves=len(move_times),
        move_failures=failures,
        delays=delays,
        missing=len(sockets) * len(move_times) - len(delays),
        closed=closed_early,
        server_cpu=m.server_cpu,
        seconds=m.seconds,
    )


@dataclass
class IdleLevel:
    level: int
    sockets: int
    opened_now: int
    open_failures: Recorder
    open_rate: float
    # While this level's sockets opened: the server's CPU per socket opened,
    # and the load generator's own CPU share (near 1.0: the client, not the
    # server, set the rate).
    open_server_ms: float
    open_client_share: float
    cpu_share: float
    rss: int
    closed_during: int
    window: float


async def idle_levels(
    port: int,
    targets: list[tuple[str, str]],
    levels: list[int],
    *,
    window: float,
    settle: float,
    server_cpu: Callable[[], float],
    server_rss: Callable[[], int],
    open_budget: float,
) -> tuple[list[IdleLevel], float]:
    """Open sockets up to each level, then read the server's CPU share over an idle window, and its RSS.

    Opening stops for good once `open_budget` seconds of opening have passed
    (a slow server would otherwise take the whole run); the levels after that
    are measured with what is open.
    """
    sockets: list = []
    results = []
    tried = 0
    budget_left = open_budget
    for level in levels:
        start = time.perf_counter()
        server0, client0 = server_cpu(), time.process_time()
        new, open_rec, seconds = await open_many(
            port, targets[tried:level], until=start + max(0.0, budget_left)
        )
        server_open, client_open = server_cpu() - server0, time.process_time() - client0
        budget_left -= time.perf_counter() - start
        tried = level
        sockets += new
        await asyncio.sleep(settle)
        before_closed = sum(1 for ws in sockets if ws.close_code is not None)
        cpu0, t0 = server_cpu(), time.perf_counter()
        await asyncio.sleep(window)
        cpu = server_cpu() - cpu0
        elapsed = time.perf_counter() - t0
        closed = sum(1 for ws in sockets if ws.close_code is not None) - before_closed
        results.append(
            IdleLevel(
                level=level,
                sockets=sum(1 for ws in sockets if ws.close_code is None),
                opened_now=len(new),
                open_failures=open_rec,
                open_rate=len(new) / seconds if seconds else 0.0,
                open_server_ms=server_open * 1e3 / len(new) if new else 0.0,
                open_client_share=client_open / seconds if seconds else 0.0,
                cpu_share=cpu / elapsed,
                rss=server_rss(),
                closed_during=closed,
                window=elapsed,
            )
        )
    return results, await close_all(sockets)
