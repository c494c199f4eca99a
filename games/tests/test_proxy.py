"""The scale profile's proxy, for real (#9): config/nginx/mastermind.conf.template.

Debian's nginx (`make test` installs it: the Makefile's `nginx` target) runs
as a child process on a free port of 127.0.0.1. The template is rendered the
way the official image renders it in docker-compose.yml (only the MM_*
variables are substituted) and included in a minimal nginx.conf whose every
path is in a temporary folder.

- Headers, against a small echo upstream (any setup): the client's address
  is appended to X-Forwarded-For, X-Forwarded-Proto and Host are passed, a
  WebSocket handshake gets `Connection: upgrade` and anything else a kept-alive
  HTTP/1.1 upstream connection.
- Two daphne processes behind it (needs REDIS_URL, as in
  test_live_servers.py): /healthz answers 200 from both, register, quick play
  and a guess work over REST, and two sockets on /ws/rooms/{code}/, one on
  each process, get room.state and then the live game_update of a guess made
  over REST through the proxy.

nginx round-robins over one worker and a shared zone, so consecutive requests
alternate between the processes; its access log (the template's own format)
names the upstream that served each request.
"""

import asyncio
import contextlib
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from games.models import Guess
from games.tests.factories import wrong_guess
from games.tests.servers import free_port, http_json, live_servers
from games.tests.test_live_servers import (
    needs_redis,
    open_socket,
    recv_json,
    recv_until,
    run,
)

TEMPLATE = settings.BASE_DIR / "config" / "nginx" / "mastermind.conf.template"
START_TIMEOUT = 10.0
START_ATTEMPTS = 3  # a free port can be taken by someone else before nginx binds it
LOG_TIMEOUT = 10.0  # a socket's access-log line is written when it closes
PASSWORD = "correct horse battery staple"

# "METHOD PATH PROTOCOL" STATUS … upstream=ADDRESS upstream_status=…
ACCESS_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) .*? upstream=(?P<upstream>.*?) upstream_status='
)


def nginx_binary() -> str:
    """Debian's nginx; /usr/sbin is not on every user's PATH. Missing is a failure, never a skip."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        pytest.fail("nginx is not installed: `make nginx` (or `make test`) installs Debian's nginx")
    return found


def render_template(values: dict[str, str]) -> str:
    """The template with its MM_* variables substituted, nginx's own $variables left alone (as envsubst)."""
    text = TEMPLATE.read_text()
    used = set(re.findall(r"\$\{?(MM_[A-Z0-9_]+)", text))
    assert used == set(values), f"the template uses {sorted(used)}, the test sets {sorted(values)}"
    return string.Template(text).safe_substitute(values)


def main_conf(tmp: Path, site: Path) -> str:
    """A minimal nginx.conf around the rendered template, every path under tmp (no root paths)."""
    return f"""
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log notice;
events {{
    worker_connections 512;
}}
http {{
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""


@dataclass
class Proxy:
    port: int
    process: subprocess.Popen
    tmp: Path

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def read(self, name: str) -> str:
        """A file nginx wrote in its folder, or "" before it exists."""
        try:
            return (self.tmp / name).read_text(errors="replace")
        except OSError:
            return ""

    def access_log(self) -> list[dict[str, str]]:
        """One dict (method, path, status, upstream) per request nginx has logged so far."""
        lines = self.read("access.log").splitlines()
        return [match.groupdict() for line in lines if (match := ACCESS_LINE.search(line))]

    def upstream_of(self, method: str, path: str) -> list[str]:
        return [e["upstream"] for e in self.access_log() if (e["method"], e["path"]) == (method, path)]

    def describe(self) -> str:
        """For assertion messages: what nginx logged."""
        tail = "\n".join(self.read("access.log").splitlines()[-20:]) or "(none)"
        errors = "\n".join(self.read("error.log").splitlines()[-20:]) or "(none)"
        return (
            f"nginx on port {self.port} (pid {self.process.pid}); access log:\n{tail}\nerror log:\n{errors}"
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # fast shutdown; SIGQUIT would wait for open connections
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_until_listening(proxy: Proxy) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proxy.process.poll() is not None:
            raise AssertionError(f"nginx exited with {proxy.process.returncode}.\n{proxy.describe()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", proxy.port), timeout=1):
            return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen within {START_TIMEOUT:.0f} s.\n{proxy.describe()}")


@contextlib.contextmanager
def nginx_proxy(upstreams: list[str]) -> Iterator[Proxy]:
    """nginx with the template, in front of `upstreams` (host:port); stopped on exit."""
    binary = nginx_binary()
    with tempfile.TemporaryDirectory(prefix="mm-nginx-") as name:
        tmp = Path(name)
        # Run as root, nginx's workers drop to `nobody`, who must reach the temp paths.
        tmp.chmod(0o755)
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            site = tmp / "mastermind.conf"
            site.write_text(
                render_template(
                    {
                        "MM_LISTEN": f"127.0.0.1:{port}",
                        "MM_UPSTREAM_SERVERS": " ".join(f"server {address};" for address in upstreams),
                        # Unused here (the upstreams are addresses); compose points it at Docker's DNS.
                        "MM_RESOLVER": "127.0.0.1",
                    }
                )
            )
            conf = tmp / "nginx.conf"
            conf.write_text(main_conf(tmp, site))
            # The template logs to /dev/stdout (the container's log); here, a file.
            with (tmp / "access.log").open("wb") as stdout, (tmp / "error.log").open("ab") as stderr:
                process = subprocess.Popen(  # noqa: S603 - our own command line
                    [binary, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                )
            proxy = Proxy(port=port, process=process, tmp=tmp)
            try:
                _wait_until_listening(proxy)
            except AssertionError:
                _stop(process)
                if attempt < START_ATTEMPTS and "Address already in use" in proxy.read("error.log"):
                    continue
                raise
            except BaseException:
                _stop(process)
                raise
            break
        try:
            yield proxy
        finally:
            _stop(proxy.process)


# --- headers, against an echo upstream ------------------------------------------------


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the request line's version and the headers it received."""

    protocol_version = "HTTP/1.1"  # keeps nginx's upstream connection alive, as daphne does

    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps(
            {"version": self.request_version, "headers": {k.lower(): v for k, v in self.headers.items()}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def echo_upstream() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_proxy_passes_the_client_address_scheme_and_host():
    with echo_upstream() as upstream, nginx_proxy([upstream]) as proxy:
        status, seen = http_json(
            "GET", f"{proxy.http_url}/api/v1/rooms/", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert status == 200, proxy.describe()
        headers = seen["headers"]
        # The forged hop stays first; the peer nginx saw is appended last, which is
        # the one address NUM_PROXIES=1 tells the app to trust.
        assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
        assert headers["x-forwarded-proto"] == "http"
        assert headers["host"] == f"127.0.0.1:{proxy.port}"
        # HTTP/1.1 with no Connection header: the upstream connection is reused.
        assert seen["version"] == "HTTP/1.1"
        assert "connection" not in headers
        assert "upgrade" not in headers

        status, seen = http_json(
            "GET",
            f"{proxy.http_url}/ws/rooms/ABCDEF/",
            headers={"Upgrade": "websocket", "Connection": "Upgrade"},
        )
        assert status == 200, proxy.describe()
        assert seen["headers"]["upgrade"] == "websocket"
        assert seen["headers"]["connection"] == "upgrade"
        assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"


# --- two daphne processes behind the proxy --------------------------------------------


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_two_daphne_processes_behind_the_proxy_serve_rest_and_live_sockets():
    rng = random.Random(9)

    # NUM_PROXIES=1 as docker-compose.yml sets it for the replicas behind nginx.
    with live_servers(2, {"NUM_PROXIES": "1"}) as servers:
        upstreams = [f"127.0.0.1:{server.port}" for server in servers]
        with nginx_proxy(upstreams) as proxy:
            everyone = [*servers, proxy]

            for _ in range(4):
                status, body = http_json("GET", f"{proxy.http_url}/healthz")
                assert (status, body["status"]) == (200, "ok"), proxy.describe()
            assert set(proxy.upstream_of("GET", "/healthz")) == set(upstreams), proxy.describe()

            status, body = http_json(
                "POST",
                f"{proxy.http_url}/api/v1/auth/register/",
                body={"username": "alice", "password": PASSWORD},
            )
            assert status == 201, (body, proxy.describe())
            token = body["token"]
            status, room = http_json("POST", f"{proxy.http_url}/api/v1/quick-play/", token=token, body={})
            assert status == 201, (room, proxy.describe())
            assert room["status"] == "playing"
            code = room["code"]
            move = wrong_guess(code, rng=rng)

            async def scenario():
                # Opened one after the other, so one lands on each process.
                sockets = [await open_socket(proxy, code, token) for _ in range(2)]
                try:
                    for ws in sockets:
                        state = await recv_json(ws)
                        assert (state["type"], state["version"]) == ("room.state", room["version"]), state
                    status, result = await asyncio.to_thread(
                        http_json,
                        "POST",
                        f"{proxy.http_url}/api/v1/rooms/{code}/guesses/",
                        token=token,
                        body={"guess": move},
                    )
                    assert status == 201, result
                    assert result["version"] == room["version"] + 1
                    for ws in sockets:
                        event = await recv_until(ws, lambda m: m["type"] == "game_update")
                        assert (event["event"], event["version"], event["username"]) == (
                            "guess",
                            result["version"],
                            "alice",
                        )
                        assert event["guess"] == move
                finally:
                    for ws in sockets:
                        await ws.close()

            run(scenario(), everyone, timeout=60)

            # Both processes held a socket, so the guess (served by one of them)
            # reached the other through the shared Redis layer.
            socket_path = f"/ws/rooms/{code}/"
            deadline = time.monotonic() + LOG_TIMEOUT
            while len(proxy.upstream_of("GET", socket_path)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sorted(proxy.upstream_of("GET", socket_path)) == sorted(upstreams), proxy.describe()
            assert [e["status"] for e in proxy.access_log() if e["path"] == socket_path] == ["101", "101"]
            assert len(proxy.upstream_of("POST", f"/api/v1/rooms/{code}/guesses/")) == 1
    assert list(Guess.objects.filter(room__code=code).values_list("guess", flat=True)) == [move]
