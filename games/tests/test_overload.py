"""Past its capacity the server sheds load with a fast 503, never a 500 (issue #9, SPEC §3, §6).

Before admission control, a burst larger than the database pool made each
extra request wait for a connection until the pool's timeout and then answer
500 ("couldn't get a connection"). Now a bounded number of requests run, a
bounded number wait, and the rest are told to come back (`Retry-After`).
"""

import asyncio
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.testing import ApplicationCommunicator

from config.overload import BUSY_DETAIL, AdmissionControl
from games import services
from games.tests.servers import http_json, live_server
from games.tests.test_live_servers import token_for

# --- the middleware on its own, with a downstream app we can hold --------------


class HeldApp:
    """An ASGI app whose requests wait until released: lets the test fill the slots exactly."""

    def __init__(self):
        self.entered = 0
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def http_scope(path: str = "/api/v1/rooms/") -> dict:
    return {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}


async def start(app, path: str = "/api/v1/rooms/") -> ApplicationCommunicator:
    communicator = ApplicationCommunicator(app, http_scope(path))
    await communicator.send_input({"type": "http.request", "body": b""})
    return communicator


async def response(communicator: ApplicationCommunicator) -> tuple[int, dict, bytes]:
    start_message = await communicator.receive_output(timeout=2)
    body = await communicator.receive_output(timeout=2)
    headers = {name.decode(): value.decode() for name, value in start_message["headers"]}
    return start_message["status"], headers, body["body"]


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_past_the_running_and_queued_limits_a_request_gets_503_at_once():
    held = HeldApp()
    app = AdmissionControl(held, concurrency=2, queue=1, queue_timeout=10)
    running = [await start(app), await start(app)]
    queued = await start(app)
    await settle()
    assert held.entered == 2

    status, headers, body = await response(await start(app))

    assert status == 503
    assert headers["retry-after"] == "1"
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": BUSY_DETAIL, "code": "unavailable"}
    # The admitted ones all finish, the queued one included.
    held.release.set()
    for communicator in [*running, queued]:
        assert (await response(communicator))[0] == 200
    assert held.entered == 3


@pytest.mark.asyncio
async def test_a_queued_request_that_waits_too_long_gets_503():
    held = HeldApp()
    app = AdmissionControl(held, concurrency=1, queue=5, queue_timeout=0.05)
    running = await start(app)
    status, headers, _ = await response(await start(app, "/rooms/ABCDEF/"))
    assert status == 503
    assert headers["retry-after"] == "1"
    # A page, not the API: plain text rather than the API's JSON error.
    assert headers["content-type"].startswith("text/plain")
    held.release.set()
    assert (await response(running))[0] == 200


@pytest.mark.asyncio
async def test_healthz_and_sockets_are_not_counted():
    held = HeldApp()
    app = AdmissionControl(held, concurrency=1, queue=0, queue_timeout=1)
    running = await start(app)
    await settle()
    health = await start(app, "/healthz")
    await settle()
    socket = ApplicationCommunicator(app, {"type": "websocket", "path": "/ws/lobby/", "headers": []})
    await settle()
    # Both reached the app although the only slot is taken.
    assert held.entered == 2
    await socket.send_input({"type": "websocket.connect"})
    await settle()
    assert held.entered == 3
    held.release.set()
    assert (await response(running))[0] == 200
    assert (await response(health))[0] == 200
    await socket.wait(timeout=2)


# --- a real server, a burst bigger than its database pool --------------------------

BURST = 60
# Straight to 127.0.0.1, whatever HTTP(S)_PROXY the environment sets.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.mark.django_db(transaction=True)
def test_a_burst_past_capacity_gets_201_or_a_fast_503_never_a_500(alice):
    """One request at a time, none queued, a pool of two: the burst is shed, not failed."""
    rooms = [services.quick_play(user=alice, max_guesses=20) for _ in range(BURST)]
    token = token_for(alice)
    env = {
        "HTTP_MAX_CONCURRENCY": "1",
        "HTTP_MAX_QUEUE": "0",
        "DB_POOL_MAX_SIZE": "2",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_TIMEOUT": "1",
    }
    with live_server(env) as server:
        barrier = threading.Barrier(BURST)

        def guess(room):
            barrier.wait()
            request = urllib.request.Request(  # noqa: S310 - our own http URL
                f"{server.http_url}/api/v1/rooms/{room.code}/guesses/",
                data=json.dumps(
                    {"guess": [0, 0, 1, 1] if room.secret != [0, 0, 1, 1] else [1, 1, 0, 0]}
                ).encode(),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with opener.open(request, timeout=30) as answer:
                    return answer.status, answer.headers, json.loads(answer.read())
            except urllib.error.HTTPError as exc:
                raw = exc.read()
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                return exc.code, exc.headers, body

        with ThreadPoolExecutor(BURST) as pool:
            answers = list(pool.map(guess, rooms))
        # Once the burst is over the server serves everyone again.
        after, _ = http_json("GET", f"{server.http_url}/api/v1/auth/me/", token=token)
        log_tail = server.log_tail(200)

    statuses = sorted({status for status, _, _ in answers})
    assert set(statuses) <= {201, 503}, f"statuses {statuses}\n{log_tail}"
    assert 201 in statuses, "nothing was admitted"
    assert 503 in statuses, "nothing was shed: the burst did not reach the limit, the test proves nothing"
    for status, headers, body in answers:
        if status == 503:
            assert headers["Retry-After"] == "1"
            assert body == {"detail": BUSY_DETAIL, "code": "unavailable"}
    assert after == 200
    assert "Traceback" not in log_tail, log_tail


@pytest.mark.asyncio
async def test_a_request_that_would_wait_past_the_timeout_is_refused_on_arrival():
    held = HeldApp()
    app = AdmissionControl(held, concurrency=1, queue=10, queue_timeout=10)
    running = await start(app)
    await settle()
    # Requests have lately held their slot for a minute each: a newcomer would
    # wait longer than the 10 s timeout, so it is told at once (the answer is
    # read within 2 s), while the slot is still held.
    app.service_time = 60.0
    status, headers, _ = await response(await start(app))
    assert status == 503
    assert headers["retry-after"] == "1"
    assert held.entered == 1
    held.release.set()
    assert (await response(running))[0] == 200
