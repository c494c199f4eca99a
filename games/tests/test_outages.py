"""Redis and PostgreSQL going away (issue #10, defects 3 and 4; SPEC §6).

In-process: with the throttle cache's Redis unreachable, login, sign-up
and guesses keep working through every door, the throttles log one warning,
and /healthz answers 503 naming Redis.

Against real processes (a daphne on a throwaway redis-server or a private
PostgreSQL cluster that the test stops and starts, games/tests/backing.py):
players keep moving through a Redis outage and their sockets end exact;
through a PostgreSQL restart every move is refused with a JSON 503 and
Retry-After while it is down, a socket move is closed 4503, and afterwards
every move retried with its key is applied exactly once.
"""

import json
import logging
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from config import outages
from games import services
from games.models import Guess
from games.tests import backing
from games.tests.outage_play import run_outage
from games.tests.servers import free_port, http_json, live_server, server_env

PASSWORD = "correct horse battery staple"
needs_servers = pytest.mark.skipif(bool(backing.missing_servers()), reason=backing.missing_servers() or "")


@pytest.fixture(autouse=True)
def _fresh_outage_log():
    outages._last_logged.clear()
    yield
    outages._last_logged.clear()


@pytest.fixture
def redis_gone(settings):
    """The throttle cache points at a port where no Redis listens."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"gone-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.REDIS_URL = url
    return url


# --- Redis down, in-process ------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_up_sign_in_and_guess_over_rest_work_with_redis_down(redis_gone, alice):
    register = APIClient().post(
        "/api/v1/auth/register/", {"username": "erin", "password": "a long passphrase 42"}, format="json"
    )
    login = APIClient().post(
        "/api/v1/auth/login/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert (register.status_code, login.status_code) == (201, 200)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    room = api.post("/api/v1/quick-play/", {}, format="json")
    guess = api.post(f"/api/v1/rooms/{room.json()['code']}/guesses/", {"guess": [0, 1, 2, 3]}, format="json")

    assert (room.status_code, guess.status_code) == (201, 201)


@pytest.mark.django_db
def test_html_forms_work_with_redis_down(redis_gone, alice):
    browser = Client()
    assert browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    room = services.quick_play(user=alice)

    response = browser.post(f"/rooms/{room.code}/guess/", {f"peg_{i}": 0 for i in range(4)})

    assert response.status_code == 302
    assert Guess.objects.filter(room=room).count() == 1


@pytest.mark.django_db
def test_throttles_failing_open_log_one_warning_not_one_per_request(redis_gone, alice, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        response = APIClient().post(
            "/api/v1/auth/login/", {"username": "alice", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 200

    warnings = [r for r in caplog.records if r.name == "config.outages"]
    assert len(warnings) == 1
    assert "redis unavailable" in warnings[0].getMessage()
    assert "throttles let requests through" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


@pytest.mark.django_db
def test_healthz_is_503_naming_redis_when_it_is_down(redis_gone):
    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}


# --- real processes ------------------------------------------------------------------------------


@needs_servers
@pytest.mark.django_db(transaction=True)
def test_moves_through_a_redis_outage_are_served_and_sockets_end_exact():
    with backing.redis_process() as redis:
        extra = {"REDIS_URL": redis.url, "HTTP_QUEUE_TIMEOUT": "30"}
        with live_server(extra) as server:
            health = {}

            def during(figures, team):
                health["status"], health["body"] = http_json("GET", f"{server.http_url}/healthz", timeout=30)

            figures = run_outage(
                server, players=3, moves_per_phase=3, stop=redis.stop, start=redis.start, during=during
            )
            log = server.log_tail(2000)

    assert health["status"] == 503 and health["body"]["checks"]["redis"] == "unavailable", health
    summary = f"{figures.as_dict()}\nlog:\n{log}"
    assert figures.refused == 0 and not figures.other, summary
    assert figures.accepted == figures.moves == 3 * 3 * 3, summary
    assert (figures.lost, figures.doubled) == (0, 0), summary
    assert figures.sockets_exact == figures.sockets, summary
    # Each socket either heard live events again or was closed 4503 to reconnect.
    closed = sum(figures.socket_closes.values())
    assert figures.sockets_live_after + closed == figures.sockets, summary
    assert set(figures.socket_closes) <= {str(outages.CLOSE_UNAVAILABLE)}, summary
    assert "Traceback" not in log, summary


def new_socket_close_code(server, player) -> int | None:
    """The close code a socket opened now gets (its token cannot be looked up while the database is down)."""
    with connect(
        server.ws_url(f"/ws/rooms/{player.code}/"),
        subprotocols=["mastermind.v1", f"token.{player.token}"],
        open_timeout=30,
        proxy=None,
    ) as ws:
        try:
            ws.recv(timeout=30)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
    return None


def migrate(env: dict) -> None:
    subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
        timeout=600,
    )


@needs_servers
@pytest.mark.django_db(transaction=True)
def test_moves_through_a_postgresql_restart_are_refused_fast_then_applied_once():
    with backing.postgres_cluster() as pg:
        extra = {"DATABASE_URL": pg.url, "HTTP_QUEUE_TIMEOUT": "30", "DB_POOL_MIN_SIZE": "1"}
        migrate(server_env(extra))
        with live_server(extra) as server:
            seen = {}

            def during(figures, team):
                seen["health"] = http_json("GET", f"{server.http_url}/healthz", timeout=30)
                seen["page"] = http_json("GET", f"{server.http_url}/", timeout=30)
                seen["new_socket"] = new_socket_close_code(server, team[1])
                watcher = team[0].watcher
                watcher.ws.send(json.dumps({"type": "make_move", "guess": [0] * 8, "request_id": "down"}))
                watcher.thread.join(timeout=30)
                seen["socket_close"] = watcher.close_code

            figures = run_outage(
                server, players=3, moves_per_phase=3, stop=pg.stop, start=pg.start, during=during
            )
            log = server.log_tail(2000)

    summary = f"{figures.as_dict()}\n{seen}\nlog:\n{log}"
    assert seen["health"][0] == 503 and seen["health"][1]["checks"]["database"] == "unavailable", summary
    assert seen["page"][0] == 503 and "Back in a moment" in seen["page"][1], summary
    assert seen["socket_close"] == outages.CLOSE_UNAVAILABLE, summary
    assert seen["new_socket"] == outages.CLOSE_UNAVAILABLE, summary
    assert not figures.other, summary
    assert figures.refused >= 3 * 3, summary
    assert figures.accepted == figures.moves, summary
    assert (figures.lost, figures.doubled) == (0, 0), summary
    assert figures.sockets_exact == figures.sockets, summary
    assert "Traceback" not in log, summary
