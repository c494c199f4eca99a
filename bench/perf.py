"""Real-server benchmarks (issue #9): `make bench`, or `make bench-quick` for a smoke run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        DEBUG=0 .venv/bin/python bench/perf.py [--quick] [--only stacks,fanout] [--out FILE]

Starts its own servers as subprocesses (daphne, uvicorn, granian; the app
with DJANGO_SETTINGS_MODULE=bench.settings, throttles raised through
THROTTLE_*), on a throwaway database it creates and drops: PostgreSQL and
Redis when DATABASE_URL / REDIS_URL are set (the database is always named
BENCH_DB, default mm_bench, whatever DATABASE_URL names; Redis keys get a
prefix of this run's own and are deleted at the end), else a SQLite file and
the in-memory layer. The load comes from this process (bench/loadgen.py, an
asyncio client on uvloop), never from a server's.

Prints a Markdown report for docs/performance.md: each workload's rate,
latency, server CPU per operation (/proc, utime + stime), PostgreSQL backend
CPU per operation, SQL statements per operation (a separate counting
server), and ratios to the same run's baselines (bare ASGI on daphne, the
DRF hello view), since the machine is shared and noisy: the ratios are what
to compare between runs.
"""

import argparse
import asyncio
import contextlib
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

TREE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TREE))

from bench import loadgen, servers, workloads  # noqa: E402
from bench.servers import Server  # noqa: E402
from bench.workloads import CpuProbe, Measurement  # noqa: E402

CLIENTS = 32
THROTTLE_SCOPES = ("anon", "user", "register", "login", "guess", "chat")
HIGH_RATE = "1000000/min"
FORBIDDEN_DB_NAMES = {"postgres", "template0", "template1", "test"}
APP = "config.asgi:application"
SECTIONS = ("ceiling", "stacks", "queries", "open", "fanout", "idle", "scale")
SECTION_METHODS = {"open": "open_loop"}


@dataclass
class Plan:
    """How long and how big each workload is."""

    warmup: float = 1.0
    rounds: int = 2
    round_seconds: float = 3.0
    open_seconds: float = 10.0
    open_rates: tuple = (20, 100)
    overload_factor: float = 3.0
    fanout_sockets: int = 1000
    fanout_moves: int = 20
    idle_levels: tuple = (1000, 3000, 5000)
    # One full recheck period of WS_AUTH_RECHECK_SECONDS (30 s): every socket
    # opened before the window rechecks exactly once in it.
    idle_window: float = 30.0
    # Opening stops after this long in all (at 48fcf81 a socket opens in ~35 ms of server time).
    idle_open_budget: float = 180.0
    list_rooms: int = 100

    @classmethod
    def quick(cls) -> "Plan":
        return cls(
            warmup=0.5,
            rounds=1,
            round_seconds=2.0,
            open_seconds=3.0,
            fanout_sockets=200,
            fanout_moves=6,
            idle_levels=(200, 500),
            idle_window=5.0,
            idle_open_budget=30.0,
        )


STACKS = {
    # label: (server kind, ASGI app, the bare app's label for its ceiling, extra environment).
    # As shipped, HTTP runs on Django's WSGI handler in a thread pool
    # (HTTP_HANDLER=wsgi, config/serving.py); the last stack is Django's ASGI
    # handler on the same daphne, the other way config.asgi can serve HTTP.
    "daphne": ("daphne", APP, "bare daphne", {}),
    "uvicorn": ("uvicorn", APP, "bare uvicorn", {}),
    "granian": ("granian", APP, "bare granian", {}),
    "daphne, Django's ASGI handler": ("daphne", APP, "bare daphne", {"HTTP_HANDLER": "asgi"}),
}
BARE = {
    "bare daphne": "daphne",
    "bare uvicorn": "uvicorn",
    "bare granian": "granian",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_async(coro):
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned for the bench
        return asyncio.run(coro)
    return uvloop.run(coro)


# --- environment, database, Redis ---------------------------------------------------------


@dataclass
class Env:
    run_id: str
    db_vendor: str
    db_url: str | None  # the bench database, for this process
    admin_url: str | None
    db_name: str | None
    sqlite_path: Path | None
    redis_url: str | None
    prefix: str
    log_dir: Path

    def server_env(self, name: str, extra: dict | None = None) -> dict:
        env = dict(os.environ)
        for var in ("DATABASE_URL", "SQLITE_PATH", "DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE"):
            env.pop(var, None)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "PYTHONPATH": str(TREE),
                "PYTHONUNBUFFERED": "1",
                "DEBUG": "0",
                "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only",
                "LOG_LEVEL": "WARNING",
                "CHANNELS_PREFIX": f"{self.prefix}-ch",
                "CACHE_KEY_PREFIX": f"{self.prefix}-cache",
                **{f"THROTTLE_{scope.upper()}": HIGH_RATE for scope in THROTTLE_SCOPES},
            }
        )
        if self.db_url:
            # Tag the server's connections, to find its backends in pg_stat_activity.
            query = urllib.parse.urlencode({"application_name": self.app_name(name)})
            env["DATABASE_URL"] = f"{self.db_url}?{query}"
        else:
            env["SQLITE_PATH"] = str(self.sqlite_path)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        else:
            env.pop("REDIS_URL", None)
        env.update(extra or {})
        return env

    def app_name(self, server_name: str) -> str:
        return f"{self.prefix}-{server_name.replace(' ', '_')}"[:63]


def prepare_env(tmp: Path, log_dir: Path) -> Env:
    run_id = uuid.uuid4().hex[:8]
    prefix = f"mmbench-{run_id}"
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "") or None
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["CHANNELS_PREFIX"] = f"{prefix}-ch"
    os.environ["CACHE_KEY_PREFIX"] = f"{prefix}-cache"
    if database_url:
        parts = urllib.parse.urlsplit(database_url)
        if not parts.scheme.startswith("postgres"):
            raise SystemExit(f"bench: only PostgreSQL URLs are supported, not {parts.scheme}")
        name = os.environ.get("BENCH_DB", "mm_bench")
        if name in FORBIDDEN_DB_NAMES or name.startswith("test_"):
            raise SystemExit(f"bench: refusing to use the database {name!r} (it is dropped and re-created)")
        db_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
        admin_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = db_url
        os.environ["DB_POOL_MIN_SIZE"] = "1"
        os.environ["DB_POOL_MAX_SIZE"] = "4"
        env = Env(run_id, "postgresql", db_url, admin_url, name, None, redis_url, prefix, log_dir)
    else:
        sqlite_path = tmp / "bench.sqlite3"
        os.environ["SQLITE_PATH"] = str(sqlite_path)
        env = Env(run_id, "sqlite", None, None, None, sqlite_path, redis_url, prefix, log_dir)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return env


def teardown_env(env: Env) -> None:
    from django.db import connections

    for conn in connections.all():
        with contextlib.suppress(Exception):
            conn.close()
        close_pool = getattr(conn, "close_pool", None)
        if close_pool:
            with contextlib.suppress(Exception):
                close_pool()
    if env.admin_url:
        import psycopg

        with psycopg.connect(env.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{env.db_name}" WITH (FORCE)')
    if env.redis_url:
        import redis

        client = redis.Redis.from_url(env.redis_url)
        keys = list(client.scan_iter(match=f"{env.prefix}-*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        client.close()


class DbCpu:
    """CPU of the PostgreSQL backends serving given servers, found by application_name."""

    def __init__(self, env: Env):
        self.env = env
        self.conn = None
        if env.db_url:
            import psycopg

            self.conn = psycopg.connect(env.db_url, autocommit=True)

    def reader(self, *server_names: str):
        if self.conn is None:
            return None
        names = [self.env.app_name(n) for n in server_names]

        def read() -> dict[int, float]:
            rows = self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)", (names,)
            ).fetchall()
            return {pid: servers.pid_cpu_seconds(pid) for (pid,) in rows}

        return read

    def version(self) -> str:
        if self.conn is None:
            return "SQLite " + __import__("sqlite3").sqlite_version
        return "PostgreSQL " + self.conn.execute("SHOW server_version").fetchone()[0].split()[0]


# --- seed data -----------------------------------------------------------------------------


@dataclass
class Seed:
    tokens: list[str]
    users: list = field(repr=False)
    list_rooms: list[str] = field(default_factory=list)
    fanout_room: str = ""
    fanout_movers: list[tuple[str, list[list[int]]]] = field(default_factory=list)
    made: int = 0


def wrong_guesses(
    rng: random.Random, secret, count: int, length: int = 4, colors: int = 6
) -> list[list[int]]:
    out = []
    while len(out) < count:
        code = [rng.randrange(colors) for _ in range(length)]
        if code != list(secret):
            out.append(code)
    return out


def seed(plan: Plan, rng: random.Random) -> Seed:
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from games import services
    from games.models import Room

    user_model = get_user_model()
    users = [user_model.objects.create_user(f"bench{i:03d}") for i in range(CLIENTS)]
    tokens = [AuthToken.objects.create(user=u)[1] for u in users]
    seed = Seed(tokens=tokens, users=users)

    # The fan-out race: two players, started; the rest watch.
    racers = [user_model.objects.create_user(f"benchracer{i}") for i in (1, 2)]
    room = services.room_create(user=racers[0], mode="race", max_guesses=20)
    services.room_join(room_code=room.code, user=racers[1])
    services.room_start(room_code=room.code, user=racers[0])
    secret = Room.objects.get(code=room.code).secret
    seed.fanout_room = room.code
    seed.fanout_movers = [
        (AuthToken.objects.create(user=r)[1], wrong_guesses(rng, secret, plan.fanout_moves)) for r in racers
    ]

    # Last, so they are the newest: the list's page of 20 shows them.
    for i in range(plan.list_rooms):
        room = services.room_create(user=users[i % CLIENTS], mode="race")
        for j in (1, 2, 3):
            services.room_join(room_code=room.code, user=users[(i + j) % CLIENTS])
        seed.list_rooms.append(room.code)
    return seed


def solo_rooms(seed: Seed, count: int, rng: random.Random) -> list[tuple[str, str, list]]:
    """(code, owner's token, secret) of `count` fresh solo rooms of 20 guesses."""
    from games import services
    from games.models import Room

    out = []
    for _ in range(count):
        i = seed.made % CLIENTS
        seed.made += 1
        room = services.quick_play(user=seed.users[i], max_guesses=20)
        out.append((room.code, seed.tokens[i], Room.objects.get(pk=room.pk).secret))
    return out


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Results:
    stacks: dict = field(default_factory=dict)  # (stack, workload) -> Measurement | str
    queries: dict = field(default_factory=dict)
    open_loop: list = field(default_factory=list)
    fanout: object = None
    idle: list = field(default_factory=list)
    idle_close_seconds: float | None = None
    idle_log: dict = field(default_factory=dict)
    open_loop_log: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)


class Bench:
    def __init__(self, args, plan: Plan, env: Env, seed: Seed, db_cpu: DbCpu):
        self.args = args
        self.plan = plan
        self.env = env
        self.seed = seed
        self.db_cpu = db_cpu
        self.results = Results()
        self.rng = random.Random(9)
        self.started: list[Server] = []

    # -- servers --

    def start(self, name: str, kind: str, app: str, extra: dict | None = None) -> Server:
        ready = "/" if app.startswith("bench.bare_asgi") else "/healthz"
        log(f"starting {name} ({kind} {app})")
        server = servers.start_server(
            name,
            kind,
            app,
            env=self.env.server_env(name, extra),
            cwd=TREE,
            log_dir=self.env.log_dir,
            ready_path=ready,
        )
        self.started.append(server)
        return server

    def stop(self, *stopped: Server):
        for server in stopped:
            server.stop()
            errors = server.log_count("Traceback")
            if errors:
                self.results.notes.append(
                    f"{server.name} logged {errors} tracebacks; last lines: "
                    + " / ".join(server.log_tail(3).splitlines())[:400]
                )

    def probe(self, *group: Server) -> CpuProbe:
        return CpuProbe(
            lambda: sum(s.cpu_seconds() for s in group),
            self.db_cpu.reader(*(s.name for s in group)),
        )

    def settle(self, *group: Server, quiet: float = 0.10, limit: float = 30.0):
        """Wait until the servers use less than `quiet` of a core (a backlog drained)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = sum(s.cpu_seconds() for s in group)
            time.sleep(0.5)
            if (sum(s.cpu_seconds() for s in group) - before) / 0.5 < quiet:
                return

    # -- closed loop, alternating rounds --

    def alternate(
        self, workload, targets: dict[str, tuple[list[int], list[Server]]]
    ) -> dict[str, Measurement]:
        """Run `workload` on each target in turn, round after round; sum the rounds per target."""
        plan = self.plan
        tokens = self.seed.tokens

        async def go():
            clients = {
                label: workloads.make_clients(CLIENTS, ports, tokens) for label, (ports, _) in targets.items()
            }
            totals = {label: Measurement() for label in targets}
            try:
                for label, (_, group) in targets.items():
                    await workloads.closed_loop(workload, clients[label], plan.warmup, self.probe(*group))
                for _ in range(plan.rounds):
                    for label, (_, group) in targets.items():
                        m = await workloads.closed_loop(
                            workload, clients[label], plan.round_seconds, self.probe(*group)
                        )
                        totals[label].add(m)
            finally:
                for group in clients.values():
                    await asyncio.gather(*(c.close() for c in group))
            return totals

        totals = run_async(go())
        for label, m in totals.items():
            log(f"  {workload.name} on {label}: {describe(m)}")
        return totals

    # -- sections --

    def start_or_skip(self, label: str, kind: str, app: str, extra: dict | None = None) -> Server | None:
        """Start a server, or note why it could not start (e.g. granian missing) and go on."""
        try:
            return self.start(label, kind, app, extra)
        except (RuntimeError, OSError) as exc:
            self.results.skipped[label] = str(exc).splitlines()[0]
            log(f"  {label} skipped: {exc}")
            return None

    def ceiling(self):
        bare = [
            self.start_or_skip(label, kind, "bench.bare_asgi:application") for label, kind in BARE.items()
        ]
        bare = [s for s in bare if s is not None]
        try:
            work = workloads.HttpGet("bare ASGI", "/", authenticated=False)
            totals = self.alternate(work, {s.name: ([s.port], [s]) for s in bare})
            for label, m in totals.items():
                self.results.stacks[(label, "bare")] = m
        finally:
            self.stop(*bare)

    def stacks(self):
        running = {}
        for label, (kind, app, _, extra) in STACKS.items():
            if self.args.stacks and label not in self.args.stacks.split(","):
                continue
            server = self.start_or_skip(label, kind, app, extra)
            if server is not None:
                running[label] = server
        try:
            targets = {label: ([s.port], [s]) for label, s in running.items()}
            for key, work, where in (
                ("hello", workloads.HttpGet("hello", "/bench/hello/", authenticated=False), targets),
                (
                    "hello-signed-in",
                    workloads.HttpGet("hello-signed-in", "/bench/hello-signed-in/", authenticated=True),
                    _only(targets, "daphne"),
                ),
                (
                    "page-signed-in",
                    workloads.HttpGet("page-signed-in", "/bench/hello-signed-in-page/", authenticated=True),
                    _only(targets, "daphne"),
                ),
                ("me", workloads.HttpGet("me", "/api/v1/auth/me/", authenticated=True), targets),
                # Before any quick-play room exists, so the page shows the seeded 4-player rooms.
                (
                    "rooms",
                    workloads.HttpGet("rooms", "/api/v1/rooms/", authenticated=True),
                    _only(targets, "daphne"),
                ),
                ("rest", workloads.RestGuess(), targets),
                ("socket", workloads.SocketGuess(), targets),
            ):
                for label, m in self.alternate(work, where).items():
                    self.results.stacks[(label, key)] = m
        finally:
            self.stop(*running.values())

    def queries(self):
        server = self.start(
            "daphne (counting SQL)", "daphne", APP, extra={"BENCH_COUNT_QUERIES": "1", "BOTS_IN_SERVER": "0"}
        )
        try:
            self.results.queries = run_async(count_queries(server.port, self.seed.tokens[0]))
            log(f"  statements per operation: {self.results.queries}")
        finally:
            self.stop(server)

    def capacity(self) -> float:
        m = self.results.stacks.get(("daphne", "rest"))
        if isinstance(m, Measurement) and m.rate:
            return m.rate
        server = self.start("daphne (capacity)", "daphne", APP)
        try:
            return self.alternate(workloads.RestGuess(), {"daphne": ([server.port], [server])})["daphne"].rate
        finally:
            self.stop(server)

    def open_loop(self):
        capacity = self.capacity()
        over = max(1, round(capacity * self.plan.overload_factor))
        rates = [(rate, False) for rate in self.plan.open_rates] + [(over, True)]
        server = self.start("daphne (open loop)", "daphne", APP)
        try:
            for rate, overload in rates:
                count = max(1, round(rate * self.plan.open_seconds))
                rooms = solo_rooms(self.seed, math.ceil(count / 20), self.rng)
                requests = []
                for i in range(count):
                    code, token, secret = rooms[i // 20]
                    guess = wrong_guesses(self.rng, secret, 1)[0]
                    body = {"guess": guess}
                    path = f"/api/v1/rooms/{code}/guesses/"
                    requests.append(
                        (
                            server.port,
                            loadgen.build_request("POST", path, port=server.port, token=token, body=body),
                        )
                    )
                self.settle(server)
                result = run_async(workloads.open_loop(requests, rate, self.probe(server)))
                label = f"{rate}/s" + (
                    f" ({self.plan.overload_factor:g}× capacity of {capacity:.0f}/s)" if overload else ""
                )
                self.results.open_loop.append((label, overload, result))
                log(f"  open loop {label}: {describe_open(result)}")
            self.results.open_loop_log = {
                "pool timeouts": server.log_count("couldn't get a connection"),
                "tracebacks": server.log_count("Traceback"),
            }
        finally:
            self.stop(server)

    def fanout(self):
        server = self.start("daphne (fan-out)", "daphne", APP)
        try:
            seed = self.seed
            movers = seed.fanout_movers
            watchers = [token for token, _ in movers] + [
                seed.tokens[i % CLIENTS] for i in range(self.plan.fanout_sockets - len(movers))
            ]
            result = run_async(
                workloads.fanout(
                    server.port,
                    seed.fanout_room,
                    watchers,
                    movers,
                    moves=self.plan.fanout_moves,
                    probe=self.probe(server),
                )
            )
            self.results.fanout = result
            log(f"  fan-out: {describe_fanout(result)}")
            # As the idle section: let the layer finish unsubscribing the closed sockets before the
            # stop, or the shutdown cancels those clean-ups and channels-redis logs each one.
            self.settle(server)
        finally:
            self.stop(server)

    def idle(self):
        server = self.start("daphne (idle)", "daphne", APP)
        try:
            rooms, tokens = self.seed.list_rooms, self.seed.tokens
            top = max(self.plan.idle_levels)
            targets = [(rooms[i % len(rooms)], tokens[i % len(tokens)]) for i in range(top)]
            levels, closing = run_async(
                workloads.idle_levels(
                    server.port,
                    targets,
                    list(self.plan.idle_levels),
                    window=self.plan.idle_window,
                    settle=2.0,
                    server_cpu=server.cpu_seconds,
                    server_rss=server.rss_bytes,
                    open_budget=self.plan.idle_open_budget,
                )
            )
            self.results.idle = levels
            self.results.idle_close_seconds = closing
            self.settle(server)  # let the server finish its disconnects before reading its log
            self.results.idle_log = {
                "MaxConnectionsError": server.log_count("MaxConnectionsError"),
                "tracebacks": server.log_count("Traceback"),
            }
            for level in levels:
                log(
                    f"  idle {level.level} ({level.sockets} open): {level.cpu_share * 100:.1f} % of a core, "
                    f"{level.rss / 2**20:.0f} MB, opened {level.open_rate:.0f}/s "
                    f"({level.open_server_ms:.1f} ms server CPU each, client {level.open_client_share * 100:.0f} %), "
                    f"closed {level.closed_during}"
                )
        finally:
            self.stop(server)

    def scale(self):
        if not (self.env.db_url and self.env.redis_url):
            self.results.skipped["2 processes"] = "needs DATABASE_URL (PostgreSQL) and REDIS_URL"
            return
        a = self.start("daphne A", "daphne", APP)
        b = self.start("daphne B", "daphne", APP)
        try:
            targets = {"1 process": ([a.port], [a]), "2 processes": ([a.port, b.port], [a, b])}
            for key, work in (("rest", workloads.RestGuess()), ("socket", workloads.SocketGuess())):
                self.results.scale[key] = self.alternate(work, targets)
        finally:
            self.stop(a, b)


def _only(targets: dict, label: str) -> dict:
    return {label: targets[label]} if label in targets else {}


async def count_queries(port: int, token: str) -> dict:
    """SQL statements per operation, from the counting server's running total."""
    conn = loadgen.HttpConnection(port)
    total_request = loadgen.build_request("GET", "/bench/queries/", port=port)

    async def total() -> int:
        return (await conn.json(total_request))[1]["count"]

    out = {}
    repeat = 10
    for key, path, auth in (
        ("hello", "/bench/hello/", False),
        ("hello-signed-in", "/bench/hello-signed-in/", True),
        ("me", "/api/v1/auth/me/", True),
        ("rooms", "/api/v1/rooms/", True),
    ):
        request = loadgen.build_request("GET", path, port=port, token=token if auth else None)
        await conn.request(request)
        before = await total()
        for _ in range(repeat):
            await conn.request(request)
        out[key] = (await total() - before) / repeat

    client = workloads.make_clients(1, [port], [token])[0]
    rec = loadgen.Recorder()
    before = await total()
    await workloads.quick_play(client)
    out["quick-play"] = await total() - before
    before = await total()
    for _ in range(repeat):
        await workloads.RestGuess().step(client, rec)
    out["rest"] = (await total() - before) / repeat

    work = workloads.SocketGuess()
    await workloads.quick_play(client)
    before = await total()
    client.ws = await loadgen.open_room_socket(port, client.room, token)
    out["socket open"] = await total() - before
    before = await total()
    for _ in range(repeat):
        await work.step(client, rec)
    out["socket"] = (await total() - before) / repeat
    await client.close()
    conn.close()
    if rec.outcomes.get("ok", 0) != rec.count:
        out["failures"] = dict(rec.outcomes)
    return out


# --- formatting ----------------------------------------------------------------------------


def ms(seconds: float | None, digits: int = 0) -> str:
    if seconds is None:
        return "–"
    value = seconds * 1000
    if value < 10 and digits == 0:
        return f"{value:.1f} ms"
    return f"{value:,.{digits}f} ms"


def num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def client_bound(m: Measurement) -> bool:
    return m.seconds > 0 and m.client_cpu / m.seconds > 0.85


def describe(m) -> str:
    if not isinstance(m, Measurement):
        return str(m)
    if not m.ops:
        return f"no successful operation ({dict(m.rec.outcomes)})"
    text = f"{num(m.rate)}/s, p50 {ms(m.rec.p(50))}, p99 {ms(m.rec.p(99))}, {ms(m.cpu_per_op, 1)} CPU/op"
    if m.db_cpu_per_op is not None:
        text += f" + {ms(m.db_cpu_per_op, 1)} PostgreSQL"
    failures = {k: v for k, v in m.rec.outcomes.items() if k != "ok"}
    if failures:
        text += f"; failures {failures}"
    if client_bound(m):
        text += f" (client at {m.client_cpu / m.seconds * 100:.0f} % of a core)"
    return text


def statuses(rec: loadgen.Recorder) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(rec.outcomes.items()))


def describe_open(r: workloads.OpenLoopResult) -> str:
    per_status = "; ".join(
        f"{k} p50 {ms(r.rec.p_of(k, 50))} p99 {ms(r.rec.p_of(k, 99))}" for k in sorted(r.rec.by_outcome)
    )
    return (
        f"sent {r.sent:,} in {r.seconds:.1f} s; every answer p50 {ms(r.rec.p_all(50))}, "
        f"p99 {ms(r.rec.p_all(99))}; {statuses(r.rec)}; by status: {per_status}; {r.max_connections} connections"
    )


def describe_fanout(r: workloads.FanoutResult) -> str:
    return (
        f"{r.sockets} sockets, {r.moves} moves: p50 {ms(loadgen.percentile(r.delays, 50))}, "
        f"p99 {ms(loadgen.percentile(r.delays, 99))}; missing {r.missing} of {r.sockets * r.moves}; "
        f"closed {r.closed}"
    )


def mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


class Report:
    def __init__(self, bench: Bench, db_version: str, command: str, elapsed: float):
        self.b = bench
        self.r = bench.results
        self.db_version = db_version
        self.command = command
        self.elapsed = elapsed

    def m(self, stack: str, key: str) -> Measurement | None:
        value = self.r.stacks.get((stack, key))
        return value if isinstance(value, Measurement) and value.ops else None

    def ratio(self, value: Measurement | None, base: Measurement | None) -> float | None:
        if value is None or base is None or not base.rate:
            return None
        return value.rate / base.rate

    def lines(self) -> list[str]:
        env = self.b.env
        layer = "Redis" if env.redis_url else "in-memory layer"
        commit = git_describe()
        out = [
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {commit}; {self.db_version} + {layer}; "
            f"Python {platform.python_version()}; {os.cpu_count()} cores; "
            f"{'quick' if self.b.args.quick else 'full'} plan; took {self.elapsed / 60:.1f} min.",
            "",
            f"Command: `{self.command}`",
            "",
        ]
        out += self.main_table()
        out += [""]
        out += self.stacks_table()
        out += [""]
        out += self.details()
        return out

    def main_table(self) -> list[str]:
        r = self.r
        q = r.queries
        bare = self.m("bare daphne", "bare")
        hello = self.m("daphne", "hello")
        rows = [
            "| workload | measured (one daphne process, `config.asgi:application`) | server CPU / op "
            "| PostgreSQL CPU / op | SQL / op | × bare daphne | × hello | issue #9 target |",
            "|---|---|---|---|---|---|---|---|",
        ]
        bares = [(label, self.m(label, "bare")) for label in BARE]
        bares = [(label, m) for label, m in bares if m]
        if bares:
            rows.append(
                "| bare ASGI app, "
                + " / ".join(label.removeprefix("bare ") for label, _ in bares)
                + " | "
                + " / ".join(f"{num(m.rate)}" for _, m in bares)
                + " req/s"
                + (" (client-bound)" if any(client_bound(m) for _, m in bares) else "")
                + " | "
                + " / ".join(ms(m.cpu_per_op, 2) for _, m in bares)
                + " | – | – | "
                + " / ".join(f"{self.ratio(m, bare):.2f}" for _, m in bares)
                + " | – | (the ceiling) |"
            )

        def row(title, key, target, check, q_key=None):
            m = self.m("daphne", key)
            if m is None:
                rows.append(
                    f"| {title} | {describe(r.stacks.get(('daphne', key), 'not run'))} | | | | | | {target} |"
                )
                return
            queries = q.get(q_key or key)
            ok = check(m, queries)
            rb, rh = self.ratio(m, bare), self.ratio(m, hello)
            failures = {k: v for k, v in m.rec.outcomes.items() if k != "ok"}
            refused = "; " + ", ".join(f"{k}: {v:,}" for k, v in sorted(failures.items())) if failures else ""
            rows.append(
                f"| {title} | {num(m.rate)}/s, p50 {ms(m.rec.p(50))}, p99 {ms(m.rec.p(99))}{refused} "
                f"| {ms(m.cpu_per_op, 1)} | {ms(m.db_cpu_per_op, 1)} "
                f"| {'–' if queries is None else f'{queries:g}'} "
                f"| {'–' if rb is None else f'{rb * 100:.1f} %'} | {'–' if rh is None else f'{rh:.2f}'} "
                f"| {target}{mark(ok)} |"
            )

        def vs(m, base, factor):
            b = self.ratio(m, base)
            return None if b is None else b >= factor

        row(
            "DRF hello view (no auth, no SQL)",
            "hello",
            "≥ 25 % of bare daphne",
            lambda m, _: vs(m, bare, 0.25),
        )
        row(
            "DRF hello, signed in (Knox + the user throttle, no other SQL)",
            "hello-signed-in",
            "– (the floor of every signed-in endpoint)",
            lambda m, _: None,
        )
        row(
            "`GET /api/v1/auth/me/`",
            "me",
            "≥ 0.5× hello; ≤ 3 SQL",
            lambda m, n: None if n is None else (vs(m, hello, 0.5) and n <= 3),
        )
        row(
            "DRF hello, signed in, answering a page of 20 rooms rendered once",
            "page-signed-in",
            "– (the floor of the room list)",
            lambda m, _: None,
        )
        row("`GET /api/v1/rooms/` (page of 20)", "rooms", "≥ 0.3× hello", lambda m, _: vs(m, hello, 0.3))
        row(
            "REST guess (32 clients, own 4×6 rooms)",
            "rest",
            "≥ 0.5× hello; ≤ 6 SQL",
            lambda m, n: None if n is None else (vs(m, hello, 0.5) and n <= 6),
        )
        row(
            "socket guess (`make_move` → `move.accepted` + `game_update`)",
            "socket",
            "≥ 230/s, p99 ≤ 50 ms",
            lambda m, _: m.rate >= 230 and (m.rec.p(99) or 1) <= 0.050,
        )
        for label, overload, o in r.open_loop:
            errors = sum(v for k, v in o.rec.outcomes.items() if k != "201")
            p99 = o.rec.p_all(99)
            if overload:
                target = "fast 503 + Retry-After (p99 ≤ 100 ms), never a 500"
                p99_503 = o.rec.p_of("503", 99)
                ok = (
                    o.rec.outcomes.get("500", 0) == 0
                    and not o.rec.outcomes.get("503 without Retry-After")
                    and (p99_503 is None or p99_503 <= 0.100)
                    and (p99_503 is not None or (p99 is not None and p99 <= 0.100))
                )
            elif o.rate >= 100:
                target = "p99 ≤ 50 ms, 0 errors"
                ok = errors == 0 and p99 is not None and p99 <= 0.050
            else:
                target, ok = "–", None
            fast = f" (503s: p99 {ms(o.rec.p_of('503', 99))})" if "503" in o.rec.by_outcome else ""
            rows.append(
                f"| open loop REST guesses, {label} for {o.seconds:.0f} s | every answer p50 {ms(o.rec.p_all(50))}, "
                f"p99 {ms(o.rec.p_all(99))}{fast}; {statuses(o.rec)} "
                f"| {ms(o.server_cpu / o.sent if o.sent else None, 1)} "
                f"| – | – | – | – | {target}{mark(ok)} |"
            )
        f = r.fanout
        if f is not None:
            frames = len(f.delays)
            p99 = loadgen.percentile(f.delays, 99)
            rows.append(
                f"| {f.sockets:,} sockets watching one race, {f.moves} moves | p50 {ms(loadgen.percentile(f.delays, 50))}, "
                f"p99 {ms(p99)} from the move; {f.missing:,} of {f.sockets * f.moves:,} frames missing"
                f"{f'; {f.closed} sockets closed' if f.closed else ''} "
                f"| {ms(f.server_cpu / frames if frames else None, 2)} per frame | – | – | – | – "
                f"| p99 ≤ 250 ms, 0 missing{mark(p99 is not None and p99 <= 0.25 and f.missing == 0)} |"
            )
        if r.idle:
            top = r.idle[-1]
            closed = sum(level.closed_during for level in r.idle)
            short = [level for level in r.idle if level.sockets < 0.99 * level.level]
            rows.append(
                "| idle sockets "
                + " / ".join(f"{level.level:,}" for level in r.idle)
                + " | "
                + (
                    "open: "
                    + " / ".join(f"{level.sockets:,}" for level in r.idle)
                    + " (the rest failed or hit "
                    f"the {self.b.plan.idle_open_budget:.0f} s cap on opening); "
                    if short
                    else ""
                )
                + " / ".join(f"{level.cpu_share * 100:.1f} %" for level in r.idle)
                + " of a core; "
                + " / ".join(f"{level.rss / 2**20:.0f}" for level in r.idle)
                + " MB; opened at "
                + " / ".join(f"{level.open_rate:.0f}" for level in r.idle)
                + " /s"
                + (f"; {closed} closed while idle" if closed else "")
                + " | – | – | – | – | – | 5000 ≤ 10 % of a core, ≤ 400 MB; opening ≥ 200/s"
                + mark(
                    top.sockets >= 0.99 * 5000
                    and top.cpu_share <= 0.10
                    and top.rss <= 400 * 2**20
                    and min(level.open_rate for level in r.idle) >= 200
                    if top.level >= 5000
                    else None
                )
                + " |"
            )
        if r.scale:
            parts, oks = [], []
            for key, title in (("rest", "REST"), ("socket", "socket")):
                pair = r.scale.get(key) or {}
                one, two = pair.get("1 process"), pair.get("2 processes")
                if one and two and one.rate:
                    ratio = two.rate / one.rate
                    oks.append(ratio >= 1.8)
                    parts.append(f"{title} {ratio:.2f}× ({num(one.rate)} → {num(two.rate)}/s)")
            rows.append(
                f"| 2 daphne processes vs 1 (Redis + PostgreSQL) | {'; '.join(parts)} | – | – | – | – | – "
                f"| ≥ 1.8× both{mark(all(oks) if oks else None)} |"
            )
        elif "2 processes" in r.skipped:
            rows.append(
                f"| 2 daphne processes vs 1 | skipped: {r.skipped['2 processes']} | | | | | | ≥ 1.8× both |"
            )
        return rows

    def stacks_table(self) -> list[str]:
        labels = [label for label in STACKS if any(k[0] == label for k in self.r.stacks)]
        if not labels:
            return []
        rows = [
            "Serving stacks side by side (same run, alternating rounds; each cell: rate, p99, "
            "server CPU per operation, and the rate as a multiple of the same stack's hello; "
            "rates and latencies are of successful operations, 503s counted apart):",
            "",
            "| workload | " + " | ".join(labels) + " |",
            "|---|" + "---|" * len(labels),
        ]
        bare_row = []
        for label in labels:
            m = self.m(STACKS[label][2], "bare")
            bare_row.append(f"{STACKS[label][2]}: {num(m.rate)}/s, {ms(m.cpu_per_op, 2)}" if m else "–")
        rows.append("| bare ASGI app (the ceiling) | " + " | ".join(bare_row) + " |")
        for key, title in (
            ("hello", "DRF hello"),
            ("hello-signed-in", "DRF hello, signed in"),
            ("page-signed-in", "DRF hello, signed in, a page of 20 rooms"),
            ("me", "`GET /api/v1/auth/me/`"),
            ("rooms", "`GET /api/v1/rooms/`"),
            ("rest", "REST guess"),
            ("socket", "socket guess"),
        ):
            cells = []
            for label in labels:
                value = self.r.stacks.get((label, key))
                if value is None:
                    cells.append("–")
                elif isinstance(value, Measurement) and value.ops:
                    hello = self.m(label, "hello")
                    vs_hello = f", {value.rate / hello.rate:.2f}× hello" if hello and key != "hello" else ""
                    refused = value.rec.outcomes.get("503", 0)
                    cells.append(
                        f"{num(value.rate)}/s, p99 {ms(value.rec.p(99))}, {ms(value.cpu_per_op, 1)}{vs_hello}"
                        + (f" ({refused:,} × 503)" if refused else "")
                    )
                else:
                    cells.append("failed: " + describe(value))
            rows.append(f"| {title} | " + " | ".join(cells) + " |")
        for label, why in self.r.skipped.items():
            if label in STACKS:
                rows.append(f"\n{label} was not run: {why}")
        return rows

    def details(self) -> list[str]:
        r = self.r
        out = ["Details:", ""]
        for (label, key), m in r.stacks.items():
            out.append(f"- {key} on {label}: {describe(m)}; client CPU {client_share(m)}")
            if isinstance(m, Measurement) and m.rec.extra:
                out[-1] += f"; {dict(m.rec.extra)}"
        if r.queries:
            out.append(
                "- SQL statements per operation (counting server, bots off): "
                + ", ".join(f"{k} {v if isinstance(v, dict) else f'{v:g}'}" for k, v in r.queries.items())
            )
        for label, _, o in r.open_loop:
            out.append(f"- open loop {label}: {describe_open(o)}; drained in {o.drained_in:.1f} s")
        if r.open_loop_log:
            out.append(f"- open-loop server log: {r.open_loop_log}")
        if r.fanout is not None:
            f = r.fanout
            out.append(
                f"- fan-out: {describe_fanout(f)}; opened {f.sockets} sockets in {f.open_seconds:.1f} s "
                f"({statuses(f.open_failures)}); move failures {f.move_failures}; "
                f"server CPU {f.server_cpu:.1f} s over {f.seconds:.1f} s"
            )
        for level in r.idle:
            out.append(
                f"- idle {level.level:,}: {level.sockets:,} open; opened {level.opened_now:,} at "
                f"{level.open_rate:.0f}/s ({statuses(level.open_failures)}"
                f"{''.join(f', {k}: {v}' for k, v in level.open_failures.extra.items())}; "
                f"server CPU {level.open_server_ms:.1f} ms per socket opened, "
                f"load generator {level.open_client_share * 100:.0f} % of a core meanwhile); "
                f"{level.cpu_share * 100:.1f} % of a core over "
                f"{level.window:.0f} s; RSS {level.rss / 2**20:.0f} MB; {level.closed_during} closed while idle"
            )
        if r.idle_close_seconds is not None:
            out.append(
                f"- closing every idle socket took {r.idle_close_seconds:.1f} s; server log: {r.idle_log}"
            )
        for key, pair in r.scale.items():
            for label, m in pair.items():
                out.append(f"- {key} guess, {label}: {describe(m)}; client CPU {client_share(m)}")
        for label, why in r.skipped.items():
            out.append(f"- skipped {label}: {why}")
        for note in r.notes:
            out.append(f"- {note}")
        return out


def client_share(m) -> str:
    if not isinstance(m, Measurement) or not m.seconds:
        return "–"
    return f"{m.client_cpu / m.seconds * 100:.0f} % of a core"


def git_describe() -> str:
    try:
        sha = subprocess.run(  # noqa: S603, S607 - git on our own tree
            ["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603, S607
            [
                "git",
                "-C",
                str(TREE),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "games",
                "accounts",
                "config",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"commit {sha}" + (" (app code modified)" if dirty else "")


def remember_original_env() -> None:
    """Keep DATABASE_URL / REDIS_URL as given, for the report's command line (the bench rewrites them)."""
    for var in ("DATABASE_URL", "REDIS_URL"):
        os.environ.setdefault(f"BENCH_ORIGINAL_{var}", os.environ.get(var, ""))


def the_command(script: str = "bench/perf.py") -> str:
    if os.environ.get("BENCH_COMMAND"):
        command = os.environ["BENCH_COMMAND"]
    else:
        command = " ".join(shlex.quote(a) for a in [".venv/bin/python", script, *sys.argv[1:]])
    env = []
    for var in ("DATABASE_URL", "REDIS_URL"):
        value = os.environ.get(f"BENCH_ORIGINAL_{var}", "")
        if value:
            parts = urllib.parse.urlsplit(value)
            if parts.password:
                value = value.replace(parts.password, "***")
            env.append(f"{var}={value}")
    env.append("DEBUG=0")
    return " ".join([*env, command])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    parser.add_argument("--only", default="", help=f"comma-separated sections of {','.join(SECTIONS)}")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument(
        "--stacks",
        default="",
        help=f"comma-separated serving stacks of the stacks section ({','.join(STACKS)})",
    )
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--logs", help="keep the servers' logs in this directory (default: a temporary one)")
    args = parser.parse_args()
    only = [s for s in args.only.split(",") if s] or list(SECTIONS)
    skip = {s for s in args.skip.split(",") if s}
    unknown = (set(only) | skip) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    plan = Plan.quick() if args.quick else Plan()
    remember_original_env()
    loadgen.raise_fd_limit()
    started_at = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mm-bench-") as tmp:
        log_dir = Path(args.logs) if args.logs else Path(tmp)
        log_dir.mkdir(parents=True, exist_ok=True)
        log(f"setting up the database and seed data (server logs in {log_dir})")
        env = prepare_env(Path(tmp), log_dir)
        bench = None
        db_cpu = DbCpu(env)
        try:
            seed_data = seed(plan, random.Random(9))
            bench = Bench(args, plan, env, seed_data, db_cpu)
            for section in SECTIONS:
                if section in only and section not in skip:
                    log(f"section {section}")
                    getattr(bench, SECTION_METHODS.get(section, section))()
            report = Report(bench, db_cpu.version(), the_command(), time.monotonic() - started_at)
            text = "\n".join(report.lines()) + "\n"
        finally:
            if bench is not None:
                for server in bench.started:
                    server.stop()
            if db_cpu.conn is not None:
                db_cpu.conn.close()
            teardown_env(env)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
