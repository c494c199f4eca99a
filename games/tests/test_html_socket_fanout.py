"""An event costs the HTML sockets of a room a fixed number of queries, however many watch (issue #11, item 6).

Each HTML socket renders the board's regions from the room as it is after
the event; the room is read once per event for every HTML socket of the
process (consumers.shared_snapshot), not once per socket.

Queries are counted on the sockets' database threads only (games/threads.py's
pool): the move's own service runs on another thread and is not part of the
fan-out. For figures with more sockets (docs/performance.md):

    HTML_FANOUT_SIZES=50,100,200 HTML_FANOUT_MOVES=10 pytest -s games/tests/test_html_socket_fanout.py
"""

import asyncio
import os
import threading
import time
from dataclasses import dataclass

import pytest
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection

from games import events, services, threads
from games.tests.test_consumers import (
    TIMEOUT,
    _logged_event,
    _session_cookie,
    assert_closed,
    assert_quiet,
    db,
    make_room,
    receive,
    secret_of,
    version_of,
    ws,  # noqa: F401 - the fixture that opens (and closes) the sockets
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SIZES = [int(n) for n in os.environ.get("HTML_FANOUT_SIZES", "3,24").split(",")]
MOVES = int(os.environ.get("HTML_FANOUT_MOVES", "4"))


@pytest.fixture(autouse=True)
def _no_credential_recheck(settings):
    """The credential watch's periodic recheck (games.ws_auth) is not part of an event: not in this test's time."""
    settings.WS_AUTH_RECHECK_SECONDS = 3600


class SocketQueries:
    """Counts the statements run on the socket database threads (games/threads.py's pool)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def _counting(self, execute, sql, params, many, context):
        with self._lock:
            self.count += 1
        return execute(sql, params, many, context)

    def _on_every_pool_thread(self, change) -> None:
        # As many tasks as threads, each held at a barrier until all run: the
        # pool starts every thread it may have, and each takes one task.
        workers = django_settings.WS_DB_THREADS
        barrier = threading.Barrier(workers)

        def run():
            barrier.wait(timeout=10)
            change(connection.execute_wrappers)

        for future in [threads.executor.submit(run) for _ in range(workers)]:
            future.result()

    def __enter__(self):
        self._on_every_pool_thread(lambda wrappers: wrappers.append(self._counting))
        return self

    def __exit__(self, *exc):
        self._on_every_pool_thread(lambda wrappers: wrappers.remove(self._counting))


@dataclass
class Fanout:
    sockets: int
    queries_per_move: float
    seconds_per_move: float


def _spectators(make_user, prefix: str, n: int) -> list:
    return [make_user(f"{prefix}{i}") for i in range(n)]


async def fanout(ws, make_user, alice, bob, sockets: int, moves: int) -> Fanout:  # noqa: F811
    """Open `sockets` HTML sockets on a started race (its two players and spectators), make moves, count."""
    code = await make_room(alice, "race", "playing", join=[bob])
    viewers = [alice, bob, *await db(_spectators)(make_user, f"watch-{code}-", sockets - 2)]
    comms = [(await ws.html_room(viewer, code))[0] for viewer in viewers]
    secret = await secret_of(code)
    with SocketQueries() as counter:
        started = time.perf_counter()
        for i in range(moves):
            await db(services.guess_submit)(
                room_code=code,
                user=alice if i % 2 == 0 else bob,
                guess=[(c + 1) % 6 for c in secret],  # every peg wrong
            )
            frames = await asyncio.gather(*(comm.receive_from(timeout=TIMEOUT) for comm in comms))
            assert all("hx-swap-oob" in frame for frame in frames)
        elapsed = time.perf_counter() - started
    return Fanout(sockets, counter.count / moves, elapsed / moves)


async def test_an_html_socket_event_costs_the_same_queries_for_any_number_of_sockets(
    ws,  # noqa: F811
    make_user,
    alice,
    bob,
):
    results = []
    for size in SIZES:
        results.append(await fanout(ws, make_user, alice, bob, size, MOVES))
    for result in results:
        print(
            f"\n{result.sockets} HTML sockets: {result.queries_per_move:g} queries "
            f"and {result.seconds_per_move * 1000:.0f} ms per move"
        )
    counts = {result.queries_per_move for result in results}
    assert len(counts) == 1, results
    # One room read (boards.room_snapshot: five queries) per event, whatever the sockets.
    assert counts == {5}


async def test_an_html_socket_that_left_a_private_room_is_closed_4404_and_told_nothing_more(
    ws,  # noqa: F811
    alice,
    bob,
):
    code = await make_room(alice, "race", join=[bob], private=True)
    comm, _ = await ws.html_room(bob, code)
    await db(services.room_leave)(room_code=code, user=bob)
    await assert_closed(comm, 4404)
    await db(services.chat_post)(room_code=code, user=alice, text="just us now")
    await assert_quiet(comm)


async def test_a_json_socket_learns_it_left_a_private_room_from_the_event_without_a_query(
    ws,  # noqa: F811
    alice,
    bob,
):
    code = await make_room(alice, "race", join=[bob], private=True)
    comm, _ = await ws.room(bob, code)
    with SocketQueries() as counter:
        await db(services.room_leave)(room_code=code, user=bob)
        assert (await receive(comm))["event"] == "player_left"
        await assert_closed(comm, 4404)
    assert counter.count == 0


async def test_an_html_socket_redraws_the_moves_after_a_lost_event(ws, alice, bob, monkeypatch):  # noqa: F811
    """A lost game_started, then a chat line: the board and the move form are redrawn, not just the chat."""
    code = await make_room(alice, "race", join=[bob])
    comm, html = await ws.html_room(bob, code)
    assert 'id="guess-form"' not in html
    with monkeypatch.context() as patch:
        # The channel layer is at most once: let it lose the start.
        patch.setattr(events, "broadcast", lambda room_code, event: None)
        await db(services.room_start)(room_code=code, user=alice)
    await assert_quiet(comm)
    await db(services.chat_post)(room_code=code, user=alice, text="go")
    html = await comm.receive_from(timeout=TIMEOUT)
    assert 'id="guess-form"' in html
    assert 'id="players"' in html
    await assert_quiet(comm)


async def test_an_html_socket_drops_an_event_it_has_already_drawn(ws, alice, bob):  # noqa: F811
    code = await make_room(alice, "race", "playing", join=[bob])
    comm, _ = await ws.html_room(bob, code)
    await db(services.chat_post)(room_code=code, user=alice, text="hi")
    await comm.receive_from(timeout=TIMEOUT)
    old = await db(_logged_event)(code, await version_of(code))
    await get_channel_layer().group_send(events.group_name(code), {"type": "room.event", "event": old})
    await assert_quiet(comm)


async def test_spectators_share_a_render_but_each_form_carries_its_own_csrf_token(
    ws,  # noqa: F811
    alice,
    bob,
    carol,
    dave,
):
    code = await make_room(alice, "race", join=[bob])
    tokens = {"carol": "a" * 32, "dave": "b" * 32}
    comms = {}
    for viewer in (carol, dave):
        cookie = await db(_session_cookie)(viewer)
        cookie += f"; {django_settings.CSRF_COOKIE_NAME}={tokens[viewer.username]}".encode()
        comm, connected, _ = await ws.open(f"/ws/rooms/{code}/html/", cookie=cookie)
        assert connected
        await comm.receive_from(timeout=TIMEOUT)
        comms[viewer.username] = comm
    await db(services.chat_post)(room_code=code, user=alice, text="welcome")
    await db(services.room_leave)(room_code=code, user=bob)
    for event in ("chat", "player_left"):
        frames = {name: await comm.receive_from(timeout=TIMEOUT) for name, comm in comms.items()}
        for name, frame in frames.items():
            # The chat line alone, then the whole board with its forms (Join).
            has_forms = event == "player_left"
            assert (f'name="csrfmiddlewaretoken" value="{tokens[name]}"' in frame) is has_forms
            other = "dave" if name == "carol" else "carol"
            assert tokens[other] not in frame
        assert frames["carol"].replace(tokens["carol"], "T") == frames["dave"].replace(tokens["dave"], "T")
