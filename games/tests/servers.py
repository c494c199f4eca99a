"""Real daphne processes for the live-server tests (test_live_servers.py).

`live_server()` starts `daphne config.asgi:application` on a free port of
127.0.0.1, pointed at the *test* database this pytest process uses (its
PostgreSQL test database, or its SQLite test file), waits until GET /healthz
answers 200, and stops the process on exit. Everything the process prints goes
to a temporary log whose tail is put into every failure message.

The subprocess does not see pytest-django's test settings (the autouse
fixture in conftest.py), so what it needs is passed through the environment:
DEBUG=0, a SECRET_KEY, generous THROTTLE_* rates, the database, and a cache key
prefix of its own so its throttle counters never meet another test's.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3  # a free port can be taken by someone else before daphne binds it
HIGH_RATE = "100000/min"
THROTTLE_SCOPES = ("anon", "user", "register", "login", "guess", "chat")


class ServerFailed(RuntimeError):
    """daphne did not come up (or died); the message carries its output."""


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen
    log_path: Path
    env: dict = field(repr=False)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no daphne log)"
        return "\n".join(text.splitlines()[-lines:]) or "(daphne printed nothing)"

    def describe(self) -> str:
        """For assertion messages: which server, and what it last said."""
        return f"daphne on port {self.port} (pid {self.process.pid}); log tail:\n{self.log_tail()}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daphne_command() -> list[str]:
    """The venv's daphne script beside this interpreter, else `python -m daphne`."""
    script = Path(sys.executable).with_name("daphne")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("daphne")
    return [found] if found else [sys.executable, "-m", "daphne"]


def database_env(*, application_name: str | None = None, pool_max: int | None = None) -> dict[str, str]:
    """Environment that points a server process at this process's test database.

    Call it inside a test that has database access: only then does
    `connection.settings_dict["NAME"]` hold the test database's name
    (test_test, or test_test_gw0 under xdist; or the SQLite test file).
    """
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = urllib.parse.quote(db.get("USER") or "", safe="")
        password = db.get("PASSWORD") or ""
        credentials = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
        host = db.get("HOST") or ""
        query = {}
        if application_name:
            # Lets the leak test count exactly this server's connections in
            # pg_stat_activity (dj-database-url puts it in OPTIONS, psycopg
            # sends it with every pooled connection).
            query["application_name"] = application_name
        if host.startswith("/"):  # a Unix socket directory
            query["host"] = host
            host = ""
        netloc = f"{credentials}@{host}" if credentials else host
        if db.get("PORT"):
            netloc += f":{db['PORT']}"
        url = f"postgres://{netloc}/{urllib.parse.quote(db['NAME'], safe='')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        env = {"DATABASE_URL": url}
        if pool_max is not None:
            env["DB_POOL_MAX_SIZE"] = str(pool_max)
            env["DB_POOL_MIN_SIZE"] = "1"
        return env
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        # The test database must be a file both processes open; an in-memory
        # one would leave daphne with an empty database of its own.
        if name == ":memory:" or name.startswith("file:") or not Path(name).is_file():
            raise ServerFailed(f"The SQLite test database is not a file a second process can open: {name!r}")
        return {"SQLITE_PATH": name}
    raise ServerFailed(f"No live-server setup for the {connection.vendor} backend.")


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment, adjusted for a daphne on the test database."""
    env = dict(os.environ)
    # Drop what would point the server elsewhere; database_env() says where.
    for name in ("DATABASE_URL", "SQLITE_PATH", "DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "live-server-test-only",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": os.environ.get("LIVE_SERVER_LOG_LEVEL", "WARNING"),
            # Throttle counters and channel groups of their own: Redis is shared
            # by every xdist worker, and user ids (in group names such as
            # user.1) repeat across their test databases.
            "CACHE_KEY_PREFIX": f"live-{uuid.uuid4().hex}",
            "CHANNELS_PREFIX": f"live-{uuid.uuid4().hex[:12]}",
            **{f"THROTTLE_{scope.upper()}": HIGH_RATE for scope in THROTTLE_SCOPES},
        }
    )
    env.update(database_env())
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra or {})
    return env


# Straight to 127.0.0.1, whatever HTTP(S)_PROXY the environment sets.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(
    method: str, url: str, *, token: str | None = None, body=None, headers: dict | None = None, timeout=10.0
) -> tuple[int, object]:
    """(status, decoded JSON body or the raw text) for one request; HTTP errors are answers, not raises."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - our own http URL
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def _get(url: str, timeout: float = 2.0) -> int:
    return http_json("GET", url, timeout=timeout)[0]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


def _port_taken(log_path: Path) -> bool:
    with contextlib.suppress(OSError):
        text = log_path.read_text(errors="replace")
        return "Address already in use" in text or "Couldn't listen" in text
    return False


def spawn_daphne(
    port: int, log_path: Path, env: dict[str, str], *, verbosity: str | None = "0"
) -> LiveServer:
    """daphne on 127.0.0.1:`port` serving config.asgi, its output in `log_path`; not yet known to answer.

    verbosity None keeps daphne's default, as `make run` does.
    """
    flags = ["-v", verbosity] if verbosity is not None else []
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [*daphne_command(), *flags, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return LiveServer(port=port, process=process, log_path=log_path, env=env)


@contextlib.contextmanager
def live_server(
    extra_env: dict[str, str] | None = None, *, start_timeout: float = START_TIMEOUT
) -> Iterator[LiveServer]:
    """A running daphne on the test database; stopped (SIGTERM, then SIGKILL) on exit.

    `extra_env` overrides the environment built by server_env(), e.g. a
    CHANNELS_PREFIX shared by two servers, or a small DB_POOL_MAX_SIZE.
    """
    env = server_env(extra_env)
    with tempfile.TemporaryDirectory(prefix="mm-daphne-") as tmp:
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            log_path = Path(tmp) / f"daphne-{port}.log"
            server = spawn_daphne(port, log_path, env)
            process = server.process
            try:
                _wait_until_healthy(server, start_timeout)
            except ServerFailed:
                _stop(process)
                if attempt < START_ATTEMPTS and _port_taken(log_path):
                    continue
                raise
            except BaseException:
                _stop(process)
                raise
            break
        try:
            yield server
        finally:
            _stop(server.process)


def _wait_until_healthy(server: LiveServer, start_timeout: float) -> None:
    deadline = time.monotonic() + start_timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(
                f"daphne exited with {server.process.returncode} before answering.\n{server.describe()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1.0):
                pass
            status = _get(f"{server.http_url}/healthz")
            if status == 200:
                return
            last = f"GET /healthz answered {status}"
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    raise ServerFailed(
        f"daphne did not become healthy within {start_timeout:.0f} s ({last}).\n{server.describe()}"
    )


@contextlib.contextmanager
def live_servers(count: int, extra_env: dict[str, str] | None = None) -> Iterator[list[LiveServer]]:
    """`count` servers sharing one environment (so one channel-layer prefix and one cache prefix)."""
    shared = {
        "CHANNELS_PREFIX": f"live-{uuid.uuid4().hex[:12]}",
        "CACHE_KEY_PREFIX": f"live-{uuid.uuid4().hex}",
    }
    shared.update(extra_env or {})
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(live_server(shared)) for _ in range(count)]
