"""The WebSocket doors (SPEC §4), end to end through config.asgi.application.

Every socket goes through the real stack: the origin policy, session and Knox
token auth, routing, the consumers and the configured channel layer
(in-memory, or Redis when REDIS_URL is set). Data is made with the real
services in the database thread and committed (transaction=True): the
consumers read it from another thread.

No sleeps: frames are awaited with a timeout that only a failing test waits
out, and "nothing arrives" is `receive_nothing`.
"""

import asyncio
import contextlib
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from config.asgi import application
from games import events, rules, services
from games.models import ChatMessage, Guess, Room, RoomEvent
from games.tests import factories

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

LOCAL = b"http://localhost"
PROTOCOL = "mastermind.v1"
# Only a failing test waits this long.
TIMEOUT = 5
# Long enough for a frame the server would send at once to have arrived.
QUIET = 0.3

db = database_sync_to_async


# --- fixtures and helpers ------------------------------------------------------


def _token_for(user) -> str:
    return AuthToken.objects.create(user)[1]


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def _api_for(user, token: str | None = None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token or _token_for(user)}")
    return client


def _version(code: str) -> int:
    return Room.objects.get(code=code).version


def _guess_count(code: str) -> int:
    return Guess.objects.filter(room__code=code).count()


def _logged_event(code: str, version: int) -> dict:
    row = RoomEvent.objects.get(room__code=code, version=version)
    return events.build(room_code=code, version=row.version, kind=row.kind, payload=row.payload)


def _chatter(code: str, user, n: int) -> None:
    # One transaction, so 501 events take a moment, not seconds.
    with transaction.atomic():
        for i in range(n):
            services.chat_post(room_code=code, user=user, text=f"line {i}")


async def make_room(owner, mode="race", status=None, **options) -> str:
    """factories.make_room in the database thread: the new room's code."""
    return (await db(factories.make_room)(owner, mode, status, **options)).code


secret_of = db(factories.secret_of)
wrong_guess_of = db(factories.wrong_guess)
version_of = db(_version)
guess_count = db(_guess_count)
submit = db(services.guess_submit)


async def rest(client: APIClient, method: str, path: str, data=None):
    if data is None:
        return await db(getattr(client, method))(path)
    return await db(getattr(client, method))(path, data, format="json")


class Sockets:
    """Opens sockets on the full ASGI stack and disconnects every one of them at teardown."""

    def __init__(self):
        self.opened: list[WebsocketCommunicator] = []

    async def open(self, path, *, token=None, cookie=None, origin=LOCAL):
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if cookie is not None:
            headers.append((b"cookie", cookie))
        subprotocols = [PROTOCOL, f"token.{token}"] if token is not None else None
        comm = WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)
        self.opened.append(comm)
        connected, detail = await comm.connect(timeout=TIMEOUT)
        return comm, connected, detail

    async def room(self, user, code, *, token=None):
        """A token socket on the room, past its room.state."""
        token = token or await db(_token_for)(user)
        comm, connected, _ = await self.open(f"/ws/rooms/{code}/", token=token)
        assert connected
        state = await comm.receive_json_from(timeout=TIMEOUT)
        assert state["type"] == "room.state", state
        return comm, state

    async def html_room(self, user, code):
        """A browser's HTML socket (session cookie and Origin), past its state fragment."""
        cookie = await db(_session_cookie)(user)
        comm, connected, _ = await self.open(f"/ws/rooms/{code}/html/", cookie=cookie)
        assert connected
        return comm, await comm.receive_from(timeout=TIMEOUT)

    async def lobby(self, user, *, html=False):
        token = await db(_token_for)(user)
        comm, connected, _ = await self.open("/ws/lobby/html/" if html else "/ws/lobby/", token=token)
        assert connected
        if html:
            return comm, await comm.receive_from(timeout=TIMEOUT)
        return comm, await comm.receive_json_from(timeout=TIMEOUT)


@pytest_asyncio.fixture
async def ws():
    sockets = Sockets()
    yield sockets
    await asyncio.gather(*(_disconnect(comm) for comm in sockets.opened))


async def _disconnect(comm) -> None:
    # A receive that timed out (a failing test) has cancelled the app already;
    # a CancelledError (a BaseException) here would skip the database flush.
    # The short timeout: on Redis, a consumer blocked in the layer's BZPOPMIN
    # ignores the disconnect until the timeout cancels it.
    with contextlib.suppress(asyncio.CancelledError):
        await comm.disconnect(timeout=0.3)


async def receive(comm) -> dict:
    return await comm.receive_json_from(timeout=TIMEOUT)


async def assert_closed(comm, code: int) -> None:
    message = await comm.receive_output(timeout=TIMEOUT)
    assert message["type"] == "websocket.close", message
    assert message["code"] == code


async def assert_alive(comm) -> None:
    """The socket still answers a ping (after an error, say)."""
    await comm.send_json_to({"type": "ping"})
    assert (await receive(comm))["type"] == "pong"


async def assert_quiet(comm) -> None:
    assert await comm.receive_nothing(timeout=QUIET)


async def assert_refused_frame(comm, frame: dict, code: str) -> None:
    """`frame` is answered with an error frame of `code`, and the socket stays open."""
    await comm.send_json_to(frame)
    error = await receive(comm)
    assert (error["type"], error["code"]) == ("error", code)
    await assert_alive(comm)


async def move(comm, guess, request_id="r1") -> None:
    await comm.send_json_to({"type": "make_move", "guess": guess, "request_id": request_id})


# --- auth and the handshake ------------------------------------------------------


async def test_token_subprotocol_connects_with_mastermind_v1_and_never_echoes_the_token(ws, alice):
    code = await make_room(alice)
    token = await db(_token_for)(alice)
    comm, connected, subprotocol = await ws.open(f"/ws/rooms/{code}/", token=token)
    assert connected
    assert subprotocol == PROTOCOL
    state = await comm.receive_from(timeout=TIMEOUT)
    await comm.send_json_to({"type": "ping"})
    pong = await comm.receive_from(timeout=TIMEOUT)
    assert json.loads(state)["type"] == "room.state"
    assert json.loads(pong)["type"] == "pong"
    for sent in (state, pong, subprotocol, repr(comm.response_headers)):
        assert token not in sent


async def test_session_cookie_with_origin_connects(ws, alice):
    code = await make_room(alice)
    cookie = await db(_session_cookie)(alice)
    comm, connected, _ = await ws.open(f"/ws/rooms/{code}/", cookie=cookie)
    assert connected
    state = await receive(comm)
    assert state["type"] == "room.state"
    assert state["room"]["code"] == code


async def test_no_credentials_is_closed_4401(ws, alice):
    code = await make_room(alice)
    comm, connected, _ = await ws.open(f"/ws/rooms/{code}/")
    assert connected
    await assert_closed(comm, 4401)


async def test_bad_token_is_closed_4401(ws, alice):
    code = await make_room(alice)
    comm, connected, _ = await ws.open(f"/ws/rooms/{code}/", token="0" * 64)
    assert connected
    await assert_closed(comm, 4401)


async def test_expired_token_is_closed_4401(ws, alice):
    code = await make_room(alice)

    def expired_token():
        instance, token = AuthToken.objects.create(alice)
        instance.expiry = timezone.now() - timedelta(minutes=1)
        instance.save(update_fields=["expiry"])
        return token

    comm, connected, _ = await ws.open(f"/ws/rooms/{code}/", token=await db(expired_token)())
    assert connected
    await assert_closed(comm, 4401)


async def test_no_origin_without_token_is_refused_even_with_a_session(ws, alice):
    code = await make_room(alice)
    cookie = await db(_session_cookie)(alice)
    _, connected, _ = await ws.open(f"/ws/rooms/{code}/", cookie=cookie, origin=None)
    assert not connected


async def test_foreign_origin_is_refused_even_with_a_valid_token(ws, alice):
    code = await make_room(alice)
    token = await db(_token_for)(alice)
    _, connected, _ = await ws.open(f"/ws/rooms/{code}/", token=token, origin=b"http://evil.example")
    assert not connected


async def test_no_origin_with_valid_token_is_accepted_as_a_native_client(ws, alice):
    code = await make_room(alice)
    token = await db(_token_for)(alice)
    comm, connected, subprotocol = await ws.open(f"/ws/rooms/{code}/", token=token, origin=None)
    assert connected
    assert subprotocol == PROTOCOL
    assert (await receive(comm))["type"] == "room.state"


# --- 4404 ----------------------------------------------------------------------------


async def assert_path_closes_4404(ws, user, path: str) -> None:
    """`user`'s socket on `path` is accepted, then closed 4404: no such room for them."""
    token = await db(_token_for)(user)
    comm, connected, _ = await ws.open(path, token=token)
    assert connected
    await assert_closed(comm, 4404)


async def test_unknown_room_is_closed_4404(ws, alice):
    await assert_path_closes_4404(ws, alice, "/ws/rooms/ZZZZZZ/")


async def test_private_room_of_others_is_closed_4404(ws, alice, bob):
    code = await make_room(alice, private=True)
    await assert_path_closes_4404(ws, bob, f"/ws/rooms/{code}/")


# Room codes that are not well-formed (SPEC §4): each closes 4404 like an
# unknown room, never 1011 (Channels refuses such group names with a traceback).
MALFORMED_CODES = ["AB'CD", "%20", "%C3%A9", "A" * 95, "ABC.DE", "ABCDE%00", "ABCDEFG", "ab cd1"]


@pytest.mark.parametrize("suffix", ["", "html/"], ids=["json", "html"])
@pytest.mark.parametrize("code", MALFORMED_CODES, ids=range(len(MALFORMED_CODES)))
async def test_malformed_room_code_in_the_path_is_closed_4404(ws, alice, code, suffix):
    await assert_path_closes_4404(ws, alice, f"/ws/rooms/{code}/{suffix}")


async def test_lower_case_room_code_in_the_path_finds_the_room(ws, alice):
    code = await make_room(alice)
    comm, state = await ws.room(alice, code.lower())
    assert state["room"]["code"] == code


async def test_any_other_ws_path_is_closed_4404(ws, alice):
    await assert_path_closes_4404(ws, alice, "/ws/nowhere/")


# --- room.state -----------------------------------------------------------------------


async def test_room_state_is_the_rest_room_and_guesses_for_this_viewer(ws, alice, bob):
    code = await make_room(alice, "race", "playing", join=[bob])
    await submit(room_code=code, user=alice, guess=await wrong_guess_of(code))
    _, state = await ws.room(bob, code)
    bob_api = await db(_api_for)(bob)
    room = await rest(bob_api, "get", f"/api/v1/rooms/{code}/")
    guesses = await rest(bob_api, "get", f"/api/v1/rooms/{code}/guesses/")
    assert state["room"] == room.json()
    assert state["guesses"] == guesses.json()
    assert state["guesses"][0]["guess"] is None  # alice's colours, in a running race
    assert state["version"] == room.json()["version"] == await version_of(code)


async def test_room_state_hides_the_secret_from_players_while_running(ws, alice, bob):
    code = await make_room(alice, "race", "playing", join=[bob])
    for user in (alice, bob):
        _, state = await ws.room(user, code)
        assert state["room"]["status"] == "playing"
        assert state["room"]["secret"] is None


async def test_duel_codemaker_sees_the_secret_in_room_state(ws, alice, bob):
    code = await make_room(alice, "duel", "playing", join=[bob], secret=[0, 1, 2, 3])
    _, maker_state = await ws.room(alice, code)
    _, breaker_state = await ws.room(bob, code)
    assert maker_state["room"]["secret"] == [0, 1, 2, 3]
    assert breaker_state["room"]["secret"] is None


# --- make_move -------------------------------------------------------------------------


async def test_make_move_is_accepted_with_request_id_and_the_rest_201_fields(ws, alice, bob):
    code = await make_room(alice, "race", "playing", join=[bob])
    secret = await secret_of(code)
    guess = await wrong_guess_of(code)
    bob_api = await db(_api_for)(bob)
    created = await rest(bob_api, "post", f"/api/v1/rooms/{code}/guesses/", {"guess": guess})
    assert created.status_code == 201
    comm, state = await ws.room(alice, code)
    await move(comm, guess, "move-1")
    accepted = await receive(comm)
    feedback = rules.score(secret, guess)
    assert accepted == {
        "type": "move.accepted",
        "request_id": "move-1",
        "number": 1,
        "guess": guess,
        "exact": feedback.exact,
        "misplaced": feedback.misplaced,
        "solved": False,
        "remaining": 9,
        "version": state["version"] + 1,
    }
    assert set(accepted) - {"type", "request_id"} == set(created.json())


async def test_make_move_sends_the_guess_to_mover_and_other_player_with_the_next_version(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    mover, state = await ws.room(alice, code)
    other, _ = await ws.room(bob, code)
    await move(mover, guess)
    assert (await receive(mover))["type"] == "move.accepted"
    for comm in (mover, other):
        update = await receive(comm)
        assert update["type"] == "game_update"
        assert update["event"] == "guess"
        assert update["version"] == state["version"] + 1
        assert update["username"] == "alice"
        assert update["guess"] == guess


async def test_retried_make_move_is_applied_once(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    comm, state = await ws.room(alice, code)
    await move(comm, guess, "same")
    first = await receive(comm)
    assert (await receive(comm))["event"] == "guess"
    await move(comm, guess, "same")
    assert await receive(comm) == first
    await assert_quiet(comm)
    assert await guess_count(code) == 1
    assert await version_of(code) == state["version"] + 1


@pytest.mark.parametrize(
    "guess",
    [[0, 1, 2], [0, 1, 2, "3"], [0, 1, 2, True], "3"],
    ids=["wrong-length", "string-colour", "bool-colour", "not-a-list"],
)
async def test_invalid_guess_is_error_invalid(ws, alice, bob, guess):
    code = await make_room(alice, "coop", "playing", join=[bob])
    comm, _ = await ws.room(alice, code)
    await move(comm, guess, "bad-1")
    error = await receive(comm)
    assert error["type"] == "error"
    assert error["request_id"] == "bad-1"
    assert error["code"] == "invalid"
    await assert_alive(comm)
    assert await guess_count(code) == 0


@pytest.mark.parametrize(
    "frame",
    [
        {"guess": [0, 1, 2, 3], "request_id": 5},
        {"guess": [0, 1, 2, 3], "request_id": ""},
        {"guess": [0, 1, 2, 3], "request_id": "x" * 65},
        {"guess": [0, 1, 2, 3]},
        {"guess": [0, 1, 2, 3], "request_id": "r", "colour": 1},
        {"guess": [0, 1, 2, 3.0], "request_id": "r"},
        {"guess": [], "request_id": "r"},
        {"guess": {"0": 1}, "request_id": "r"},
    ],
    ids=[
        "numeric-id",
        "empty-id",
        "long-id",
        "no-id",
        "extra-field",
        "float-colour",
        "empty-guess",
        "object",
    ],
)
async def test_a_malformed_make_move_is_invalid_and_not_counted_as_a_move(ws, alice, bob, settings, frame):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "guess": "1/min"},
    }
    code = await make_room(alice, "coop", "playing", join=[bob])
    comm, _ = await ws.room(alice, code)
    await comm.send_json_to({"type": "make_move", **frame})
    error = await receive(comm)
    assert (error["type"], error["code"]) == ("error", "invalid")
    assert await guess_count(code) == 0
    # The rate's one move is still there: the malformed frame did not use it.
    await move(comm, await wrong_guess_of(code), "good")
    assert (await receive(comm))["type"] == "move.accepted"


async def test_spectator_make_move_is_not_allowed(ws, alice, bob, carol):
    code = await make_room(alice, "race", "playing", join=[bob])
    comm, _ = await ws.room(carol, code)
    await move(comm, await wrong_guess_of(code), "spy")
    error = await receive(comm)
    assert (error["type"], error["request_id"], error["code"]) == ("error", "spy", "not_allowed")
    await assert_alive(comm)


async def test_make_move_before_start_is_wrong_state(ws, alice, bob):
    code = await make_room(alice, join=[bob])
    comm, _ = await ws.room(alice, code)
    await move(comm, [0, 1, 2, 3], "early")
    error = await receive(comm)
    assert (error["type"], error["request_id"], error["code"]) == ("error", "early", "wrong_state")
    await assert_alive(comm)


async def test_duel_codemaker_make_move_is_not_allowed(ws, alice, bob):
    code = await make_room(alice, "duel", "playing", join=[bob], secret=[0, 1, 2, 3])
    comm, _ = await ws.room(alice, code)
    await move(comm, [1, 1, 1, 1], "maker")
    error = await receive(comm)
    assert (error["type"], error["request_id"], error["code"]) == ("error", "maker", "not_allowed")
    await assert_alive(comm)
    assert await guess_count(code) == 0


async def test_make_move_over_the_rate_is_throttled(ws, alice, bob, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "guess": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    code = await make_room(alice, "coop", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    comm, _ = await ws.room(alice, code)
    await move(comm, guess, "first")
    assert (await receive(comm))["type"] == "move.accepted"
    assert (await receive(comm))["event"] == "guess"
    await move(comm, guess, "second")
    error = await receive(comm)
    assert (error["type"], error["request_id"], error["code"]) == ("error", "second", "throttled")
    await assert_alive(comm)
    assert await guess_count(code) == 1


async def test_rest_guess_reaches_the_socket_like_a_socket_guess(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    mover, _ = await ws.room(alice, code)
    watcher, _ = await ws.room(bob, code)
    await move(mover, guess)
    await receive(mover)  # move.accepted
    over_socket = await receive(watcher)
    alice_api = await db(_api_for)(alice)
    created = await rest(alice_api, "post", f"/api/v1/rooms/{code}/guesses/", {"guess": guess})
    assert created.status_code == 201
    over_rest = await receive(watcher)
    assert over_rest.keys() == over_socket.keys()
    assert over_rest["version"] == over_socket["version"] + 1 == created.json()["version"]
    strip = ("version", "number", "remaining", "player")
    assert {k: v for k, v in over_rest.items() if k not in strip} == {
        k: v for k, v in over_socket.items() if k not in strip
    }
    assert over_rest["number"] == 2


# --- per-viewer filtering ------------------------------------------------------------------


async def test_race_rival_and_spectator_get_a_guess_without_colours(ws, alice, bob, carol):
    code = await make_room(alice, "race", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    mover, _ = await ws.room(alice, code)
    rival, _ = await ws.room(bob, code)
    spectator, _ = await ws.room(carol, code)
    await move(mover, guess)
    assert (await receive(mover))["type"] == "move.accepted"
    assert (await receive(mover))["guess"] == guess
    for comm in (rival, spectator):
        update = await receive(comm)
        assert update["event"] == "guess"
        assert update["guess"] is None
        assert update["username"] == "alice"
        assert update["exact"] + update["misplaced"] >= 0


async def _finish_race(code, alice, bob) -> list[int]:
    """alice solves first, then bob: the race is over, alice won."""
    secret = await secret_of(code)
    await submit(room_code=code, user=alice, guess=secret)
    await submit(room_code=code, user=bob, guess=secret)
    return secret


async def test_game_finished_carries_the_secret_and_winner_to_everyone(ws, alice, bob, carol):
    code = await make_room(alice, "race", "playing", join=[bob])
    sockets = [(await ws.room(user, code))[0] for user in (alice, bob, carol)]
    secret = await _finish_race(code, alice, bob)
    for comm in sockets:
        frames = [await receive(comm) for _ in range(3)]
        assert [f["event"] for f in frames] == ["guess", "guess", "game_finished"]
        finished = frames[2]
        assert finished["secret"] == secret
        assert finished["winner"] == "alice"


async def test_resync_after_the_finish_replays_guesses_with_colours(ws, alice, bob):
    code = await make_room(alice, "race", "playing", join=[bob])
    rival, state = await ws.room(bob, code)
    secret = await _finish_race(code, alice, bob)
    live = [await receive(rival) for _ in range(3)]
    assert live[0]["guess"] is None  # alice's guess, live, while the race ran
    await rival.send_json_to({"type": "resync", "since": state["version"]})
    replayed = [await receive(rival) for _ in range(3)]
    assert [(f["event"], f["username"] if f["event"] == "guess" else None) for f in replayed] == [
        ("guess", "alice"),
        ("guess", "bob"),
        ("game_finished", None),
    ]
    assert replayed[0]["guess"] == secret
    await assert_quiet(rival)


# --- resync --------------------------------------------------------------------------------------


async def test_resync_sends_exactly_the_events_after_since_in_order(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    comm, state = await ws.room(alice, code)
    for n in (1, 2):
        await move(comm, guess, f"m{n}")
        await receive(comm)  # move.accepted
        await receive(comm)  # the guess event
    since = state["version"] - 1
    await comm.send_json_to({"type": "resync", "since": since})
    replayed = [await receive(comm) for _ in range(3)]
    assert [f["version"] for f in replayed] == [since + 1, since + 2, since + 3]
    assert [f["event"] for f in replayed] == ["game_started", "guess", "guess"]
    await assert_quiet(comm)


async def test_resync_ahead_of_the_socket_gets_a_fresh_room_state(ws, alice, bob):
    code = await make_room(alice, "race", "playing", join=[bob])
    comm, state = await ws.room(alice, code)
    await comm.send_json_to({"type": "resync", "since": state["version"] + 5})
    fresh = await receive(comm)
    assert fresh["type"] == "room.state"
    assert fresh["version"] == state["version"]
    assert fresh["room"] == state["room"]


async def test_resync_more_than_500_events_behind_gets_a_fresh_room_state(ws, alice):
    code = await make_room(alice)
    await db(_chatter)(code, alice, 501)
    comm, state = await ws.room(alice, code)
    assert state["version"] == 501
    await comm.send_json_to({"type": "resync", "since": 0})
    fresh = await receive(comm)
    assert fresh["type"] == "room.state"
    assert fresh["version"] == 501
    await assert_quiet(comm)


@pytest.mark.parametrize("since", [-1, "3"])
async def test_resync_with_a_bad_since_is_invalid(ws, alice, since):
    code = await make_room(alice)
    comm, _ = await ws.room(alice, code)
    await assert_refused_frame(comm, {"type": "resync", "since": since}, "invalid")


# --- gaps and duplicates ----------------------------------------------------------------------------


async def test_lost_events_are_filled_from_the_log_in_order(ws, alice, bob, monkeypatch):
    code = await make_room(alice, "coop", "playing", join=[bob])
    guess = await wrong_guess_of(code)
    comm, state = await ws.room(bob, code)
    v = state["version"]
    # The channel layer is at most once: let it lose both broadcasts.
    with monkeypatch.context() as patch:
        patch.setattr(events, "broadcast", lambda room_code, event: None)
        await submit(room_code=code, user=alice, guess=guess)
        await submit(room_code=code, user=alice, guess=guess)
    await assert_quiet(comm)
    # Only the later one turns up: the socket fetches the one before from the log.
    later = await db(_logged_event)(code, v + 2)
    await get_channel_layer().group_send(events.group_name(code), {"type": "room.event", "event": later})
    first, second = await receive(comm), await receive(comm)
    assert (first["version"], first["event"], first["number"]) == (v + 1, "guess", 1)
    assert (second["version"], second["event"], second["number"]) == (v + 2, "guess", 2)
    await assert_quiet(comm)


async def test_an_event_already_sent_is_dropped(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    comm, state = await ws.room(bob, code)
    await submit(room_code=code, user=alice, guess=await wrong_guess_of(code))
    update = await receive(comm)
    assert update["version"] == state["version"] + 1
    for old_version in (state["version"], update["version"]):
        old = await db(_logged_event)(code, old_version)
        await get_channel_layer().group_send(events.group_name(code), {"type": "room.event", "event": old})
    await assert_quiet(comm)
    await comm.send_json_to({"type": "ping"})
    assert await receive(comm) == {"type": "pong", "version": update["version"]}


# --- chat ----------------------------------------------------------------------------------------------


async def test_chat_reaches_every_socket_as_typed_and_is_stored(ws, alice, bob, carol):
    code = await make_room(alice, "race", "playing", join=[bob])
    sockets = [(await ws.room(user, code))[0] for user in (alice, bob, carol)]
    text = 'Tom & "Jerry" <b>hi</b>'
    await sockets[1].send_json_to({"type": "chat", "text": text})
    for comm in sockets:
        update = await receive(comm)
        assert (update["type"], update["event"]) == ("game_update", "chat")
        assert update["text"] == text
        assert update["username"] == "bob"
    stored = await db(
        lambda: list(ChatMessage.objects.filter(room__code=code).values_list("text", flat=True))
    )()
    assert stored == [text]


@pytest.mark.parametrize("text", ["", "x" * 501], ids=["empty", "501-chars"])
async def test_chat_of_bad_length_is_invalid(ws, alice, text):
    code = await make_room(alice)
    comm, _ = await ws.room(alice, code)
    await assert_refused_frame(comm, {"type": "chat", "text": text}, "invalid")
    assert await db(lambda: ChatMessage.objects.filter(room__code=code).count())() == 0


async def test_chat_over_the_rate_is_throttled(ws, alice, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    code = await make_room(alice)
    comm, _ = await ws.room(alice, code)
    for n in (1, 2):
        await comm.send_json_to({"type": "chat", "text": f"hello {n}"})
        assert (await receive(comm))["event"] == "chat"
    await assert_refused_frame(comm, {"type": "chat", "text": "hello 3"}, "throttled")


# --- malformed frames ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "error_code"),
    [
        ({"text_data": "{not json"}, "invalid"),
        ({"text_data": "[1, 2]"}, "invalid"),
        ({"text_data": '{"since": 1}'}, "invalid"),
        ({"text_data": '{"type": "dance"}'}, "unknown_type"),
        ({"text_data": '{"type": "resync", "since": "x"}'}, "invalid"),
        ({"text_data": '{"type": "ping", "extra": 1}'}, "invalid"),
        ({"text_data": "x" * 20000}, "too_large"),
        # Valid JSON, a ping even, but over 16 KiB: refused for its size alone.
        ({"text_data": '{"type": "ping"}' + " " * 20000}, "too_large"),
        ({"bytes_data": b'{"type": "ping"}'}, "invalid"),
        # 1000 levels in 2 KB: Python's parser gives up with a RecursionError.
        ({"text_data": "[" * 1000 + "]" * 1000}, "invalid"),
        ({"text_data": '{"type": "chat", "text": 5}'}, "invalid"),
        ({"text_data": '{"type": "chat", "text": ["hi"]}'}, "invalid"),
        ({"text_data": '{"type": "make_move", "guess": [0, 1, 2, 3], "request_id": 5}'}, "invalid"),
    ],
    ids=[
        "invalid-json",
        "list",
        "no-type",
        "unknown-type",
        "wrong-field-type",
        "extra-field",
        "too-large",
        "too-large-valid-json",
        "binary",
        "nested-1000",
        "chat-text-number",
        "chat-text-list",
        "request-id-number",
    ],
)
async def test_malformed_frame_is_an_error_and_the_socket_lives_on(ws, alice, frame, error_code):
    code = await make_room(alice)
    comm, _ = await ws.room(alice, code)
    await comm.send_to(**frame)
    error = await receive(comm)
    assert error["type"] == "error"
    assert error["code"] == error_code
    await assert_alive(comm)


# --- the HTML socket ---------------------------------------------------------------------------------------


class _OobIds(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "hx-swap-oob" in attrs and attrs.get("id"):
            self.ids.add(attrs["id"])


def oob_ids(html: str) -> set[str]:
    """The ids of the elements a fragment swaps in out of band."""
    parser = _OobIds()
    parser.feed(html)
    return parser.ids


def guess_row(html: str, *, username: str, number: int) -> str:
    """One guess row (its <li>) in a fragment, or "" if it has none."""
    for match in re.finditer(r"<li\b[^>]*>", html):
        tag = match.group()
        if f'data-username="{username}"' in tag and f'data-number="{number}"' in tag:
            return html[match.start() : html.index("</li>", match.end()) + len("</li>")]
    return ""


async def test_html_socket_sends_the_state_as_oob_fragments(ws, alice):
    code = await make_room(alice)
    _, html = await ws.html_room(alice, code)
    assert 'id="players"' in html
    assert "players" in oob_ids(html)
    assert 'data-username="alice"' in html


async def test_html_state_shows_the_guesses_and_chat_so_far(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    await submit(room_code=code, user=alice, guess=await wrong_guess_of(code))
    await db(services.chat_post)(room_code=code, user=alice, text="<b>gl</b>")
    _, html = await ws.html_room(bob, code)
    row = guess_row(html, username="alice", number=1)
    assert 'class="peg' in row
    assert "&lt;b&gt;gl&lt;/b&gt;" in html
    assert "<b>gl" not in html


async def test_html_socket_sends_a_guess_row(ws, alice, bob):
    code = await make_room(alice, "coop", "playing", join=[bob])
    comm, _ = await ws.html_room(bob, code)
    await submit(room_code=code, user=alice, guess=await wrong_guess_of(code))
    html = await comm.receive_from(timeout=TIMEOUT)
    assert "hx-swap-oob" in html
    row = guess_row(html, username="alice", number=1)
    assert 'class="peg' in row  # coop: everyone sees the colours
    assert "hidden-pegs" not in row


async def test_html_race_rival_fragment_hides_the_colours(ws, alice, bob):
    code = await make_room(alice, "race", "playing", join=[bob])
    mover, _ = await ws.html_room(alice, code)
    rival, _ = await ws.html_room(bob, code)
    await submit(room_code=code, user=alice, guess=await wrong_guess_of(code))
    mine = guess_row(await mover.receive_from(timeout=TIMEOUT), username="alice", number=1)
    theirs = guess_row(await rival.receive_from(timeout=TIMEOUT), username="alice", number=1)
    assert 'class="peg' in mine
    assert "hidden-pegs" not in mine
    assert "hidden-pegs" in theirs
    assert 'class="peg' not in theirs


async def test_html_chat_arrives_escaped(ws, alice, bob):
    code = await make_room(alice, join=[bob])
    comm, _ = await ws.html_room(bob, code)
    await db(services.chat_post)(room_code=code, user=alice, text="<script>alert(1)</script>")
    html = await comm.receive_from(timeout=TIMEOUT)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html


async def test_html_error_is_an_alert_fragment(ws, alice):
    code = await make_room(alice)
    comm, _ = await ws.html_room(alice, code)
    await comm.send_to(text_data="{not json")
    html = await comm.receive_from(timeout=TIMEOUT)
    assert 'role="alert"' in html
    assert 'data-code="invalid"' in html


# --- the lobby ---------------------------------------------------------------------------------------------------


async def test_lobby_state_lists_only_joinable_public_rooms(ws, alice, bob, carol):
    open_code = await make_room(alice)
    private_code = await make_room(alice, private=True)
    solo_code = await db(lambda: services.quick_play(user=bob).code)()
    full_code = await make_room(bob, max_players=2, join=[carol])
    started_code = await make_room(carol, "race", "playing", join=[alice])
    _, state = await ws.lobby(alice)
    assert state["type"] == "lobby.state"
    codes = {room["code"] for room in state["rooms"]}
    assert open_code in codes
    assert not codes & {private_code, solo_code, full_code, started_code}


async def test_lobby_hears_a_public_room_created(ws, alice):
    comm, _ = await ws.lobby(alice)
    code = await make_room(alice)
    update = await receive(comm)
    assert (update["type"], update["event"], update["room"]["code"]) == ("lobby_update", "room_created", code)
    assert update["room"]["joinable"] is True


async def test_lobby_hears_a_room_filled(ws, alice, bob):
    code = await make_room(alice, max_players=2)
    comm, _ = await ws.lobby(alice)
    await db(services.room_join)(room_code=code, user=bob)
    update = await receive(comm)
    assert (update["event"], update["room"]["code"]) == ("room_filled", code)
    assert update["room"]["joinable"] is False


async def test_lobby_hears_a_room_started(ws, alice, bob):
    code = await make_room(alice, join=[bob])
    comm, _ = await ws.lobby(alice)
    await db(services.room_start)(room_code=code, user=alice)
    update = await receive(comm)
    assert (update["event"], update["room"]["code"]) == ("room_started", code)


async def test_lobby_hears_a_room_deleted(ws, alice):
    code = await make_room(alice)
    comm, _ = await ws.lobby(alice)
    await db(services.room_delete)(room_code=code, user=alice)
    update = await receive(comm)
    assert (update["event"], update["room"]["code"]) == ("room_deleted", code)


async def test_lobby_never_shows_private_rooms(ws, alice, bob):
    comm, _ = await ws.lobby(alice)
    code = await make_room(alice, private=True, max_players=2)
    await db(services.room_join)(room_code=code, user=bob)
    await db(services.room_start)(room_code=code, user=alice)
    await assert_quiet(comm)
    _, state = await ws.lobby(bob)
    assert code not in {room["code"] for room in state["rooms"]}


async def test_lobby_without_credentials_is_closed_4401(ws):
    comm, connected, _ = await ws.open("/ws/lobby/")
    assert connected
    await assert_closed(comm, 4401)


async def test_html_lobby_sends_the_lobby_rooms_fragment(ws, alice):
    code = await make_room(alice)
    _, html = await ws.lobby(alice, html=True)
    assert 'id="lobby-rooms"' in html
    assert f'id="lobby-room-{code}"' in html


# --- revocation ------------------------------------------------------------------------------------------------------


async def test_deleted_token_closes_the_socket_4401_at_the_recheck(ws, alice, settings):
    settings.WS_AUTH_RECHECK_SECONDS = 0.2
    code = await make_room(alice)
    token = await db(_token_for)(alice)
    comm, _ = await ws.room(alice, code, token=token)
    await db(lambda: AuthToken.objects.filter(user=alice).delete())()
    await assert_closed(comm, 4401)


async def test_logout_closes_that_tokens_socket_at_once_and_no_other(ws, alice):
    assert django_settings.WS_AUTH_RECHECK_SECONDS >= 30  # so only the logout can close it in time
    code = await make_room(alice)
    token, other_token = await db(_token_for)(alice), await db(_token_for)(alice)
    comm, _ = await ws.room(alice, code, token=token)
    other, _ = await ws.room(alice, code, token=other_token)
    api = await db(_api_for)(alice, token)
    assert (await rest(api, "post", "/api/v1/auth/logout/")).status_code == 204
    await assert_closed(comm, 4401)
    await assert_quiet(other)
    await assert_alive(other)


async def test_logoutall_closes_every_token_socket(ws, alice):
    code = await make_room(alice)
    token, other_token = await db(_token_for)(alice), await db(_token_for)(alice)
    sockets = [(await ws.room(alice, code, token=t))[0] for t in (token, other_token)]
    api = await db(_api_for)(alice, token)
    assert (await rest(api, "post", "/api/v1/auth/logoutall/")).status_code == 204
    for comm in sockets:
        await assert_closed(comm, 4401)


# --- room_deleted ------------------------------------------------------------------------------------------------------


async def test_deleting_a_waiting_room_sends_room_deleted_then_closes_4404(ws, alice, bob):
    code = await make_room(alice, join=[bob])
    sockets = [(await ws.room(user, code))[0] for user in (alice, bob)]
    alice_api = await db(_api_for)(alice)
    assert (await rest(alice_api, "delete", f"/api/v1/rooms/{code}/")).status_code == 204
    for comm in sockets:
        update = await receive(comm)
        assert (update["type"], update["event"]) == ("game_update", "room_deleted")
        await assert_closed(comm, 4404)


async def test_leaving_a_private_room_closes_the_socket_4404(ws, alice, bob):
    code = await make_room(alice, private=True, join=[bob])
    comm, _ = await ws.room(bob, code)
    await db(services.room_leave)(room_code=code, user=bob)
    update = await receive(comm)
    assert (update["event"], update["username"]) == ("player_left", "bob")
    # bob may no longer see this room (SPEC §2): its chat must not reach him.
    await db(services.chat_post)(room_code=code, user=alice, text="just us now")
    await assert_closed(comm, 4404)
    await assert_quiet(comm)


async def test_leaving_a_public_room_keeps_the_socket_as_a_spectator(ws, alice, bob):
    code = await make_room(alice, join=[bob])
    comm, _ = await ws.room(bob, code)
    await db(services.room_leave)(room_code=code, user=bob)
    assert (await receive(comm))["event"] == "player_left"
    await db(services.chat_post)(room_code=code, user=alice, text="still here?")
    assert (await receive(comm))["text"] == "still here?"


async def test_an_event_for_a_client_that_has_just_closed_is_dropped_without_an_error(alice):
    """daphne raises autobahn's Disconnected for a frame sent after the client closed.

    The room's event can be on its way to a socket when its client closes;
    the consumer learns of the close from the next message in its queue. The
    frame is dropped quietly instead of ending the consumer with a traceback
    in the server log (seen in issue #9's bench at the end of each round).
    """
    from autobahn.exception import Disconnected

    from games.consumers import RoomConsumer

    sent = []

    async def closed_socket(message):
        sent.append(message)
        raise Disconnected("Attempt to send on a closed protocol")

    consumer = RoomConsumer()
    consumer.base_send = closed_socket
    consumer.user, consumer.version, consumer.gone, consumer.mode, consumer.over = (
        alice,
        3,
        False,
        "race",
        False,
    )
    consumer.room_code = "ABCDEF"
    event = events.build(
        room_code="ABCDEF", version=4, kind="chat", payload={"username": "bob", "text": "hi"}
    )
    await consumer.dispatch({"type": "room.event", "event": event})
    assert [m["type"] for m in sent] == ["websocket.send"]
    assert consumer.version == 4
