"""What `make run`'s daphne prints (issue #10, README gaps): each 4xx once, no start-up noise.

Django's default logging gives its "django" logger a console handler of its
own when DEBUG is on, and config/settings.py's LOGGING sends everything to
the root's console too: each "Not Found: /path" came out twice. The
start-up line about HTTP/2 (which needs TLS extras this server does not
use) is noise. (daphne's access log, the `127.0.0.1:port - - [...]` lines, is
the server's own record and is not counted here.)
"""

import contextlib
import signal
import subprocess

import pytest

from games.tests.servers import (
    START_TIMEOUT,
    _wait_until_healthy,
    free_port,
    http_json,
    server_env,
    spawn_daphne,
)

pytestmark = pytest.mark.django_db(transaction=True)

DJANGO_LINES = [
    ("Not Found", "/no-such-page-x7/"),
    ("Unauthorized", "/api/v1/rooms/"),
    ("Bad Request", "/api/v1/auth/login/"),
]


@contextlib.contextmanager
def make_run_daphne(tmp_path):
    """daphne as `make run` starts it: DEBUG=1, default verbosity, logging at INFO."""
    port = free_port()
    log_path = tmp_path / "daphne.log"
    env = server_env({"LOG_LEVEL": "INFO", "DEBUG": "1"})
    server = spawn_daphne(port, log_path, env, verbosity=None)
    process = server.process
    try:
        _wait_until_healthy(server, START_TIMEOUT)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_each_4xx_is_logged_once_and_start_up_has_no_http2_notice(tmp_path):
    with make_run_daphne(tmp_path) as server:
        base = server.http_url
        assert http_json("GET", f"{base}/no-such-page-x7/")[0] == 404
        assert http_json("GET", f"{base}/api/v1/rooms/")[0] == 401
        assert http_json("POST", f"{base}/api/v1/auth/login/", body={})[0] == 400
        assert http_json("GET", f"{base}/healthz")[0] == 200
    log = server.log_path.read_text(errors="replace")
    for reason, path in DJANGO_LINES:
        lines = [line for line in log.splitlines() if line == f"{reason}: {path}"]
        assert len(lines) == 1, f"{path} logged {len(lines)} times:\n{log}"
    assert "HTTP/2 support" not in log, log
    assert "Listening on TCP address" in log, log
