"""Sockets outlive no credential, and one socket's database wait holds up no other (issue #9).

Each process rechecks every open socket's credential together, in a few
queries per period (games/ws_auth.CredentialWatch), instead of one query and
one thread hop per socket; the lobby sockets are watched too. Socket
database work runs on a pool of threads (games/threads.py), so a socket
waiting on a locked room does not queue another room's socket behind it.
"""

import asyncio
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client
from knox.models import AuthToken

from games.models import Room
from games.tests.test_consumers import (
    TIMEOUT,
    _api_for,
    _session_cookie,
    _token_for,
    assert_alive,
    assert_closed,
    assert_quiet,
    db,
    make_room,
    receive,
    rest,
    wrong_guess_of,
    ws,  # noqa: F401 - the fixture
)
from games.ws_auth import credential_of, signed_out

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_logout_closes_the_tokens_lobby_socket(ws, alice):  # noqa: F811
    token = await db(_token_for)(alice)
    comm, connected, _ = await ws.open("/ws/lobby/", token=token)
    assert connected
    assert (await receive(comm))["type"] == "lobby.state"
    api = await db(_api_for)(alice, token)
    assert (await rest(api, "post", "/api/v1/auth/logout/")).status_code == 204
    await assert_closed(comm, 4401)


@pytest.mark.asyncio
async def test_a_lobby_socket_is_closed_at_the_recheck_once_its_token_is_deleted(ws, alice, settings):  # noqa: F811
    settings.WS_AUTH_RECHECK_SECONDS = 0.2
    comm, _ = await ws.lobby(alice)
    await db(lambda: AuthToken.objects.filter(user=alice).delete())()
    await assert_closed(comm, 4401)


@pytest.mark.asyncio
async def test_the_recheck_closes_only_the_sockets_whose_credential_ended(ws, alice, bob, carol, settings):  # noqa: F811
    settings.WS_AUTH_RECHECK_SECONDS = 0.2
    code = await make_room(alice, join=[bob, carol])
    alice_socket, _ = await ws.room(alice, code)
    bob_socket, _ = await ws.room(bob, code)
    cookie = await db(_session_cookie)(carol)
    carol_socket, connected, _ = await ws.open(f"/ws/rooms/{code}/", cookie=cookie)
    assert connected
    assert (await receive(carol_socket))["type"] == "room.state"

    # bob is deactivated; carol's session is flushed (signed out in another tab).
    await db(lambda: get_user_model().objects.filter(pk=bob.pk).update(is_active=False))()
    await db(lambda: Session.objects.all().delete())()

    await assert_closed(bob_socket, 4401)
    await assert_closed(carol_socket, 4401)
    await assert_quiet(alice_socket)
    await assert_alive(alice_socket)


def test_one_recheck_costs_the_same_few_queries_for_any_number_of_sockets(
    make_user, django_assert_num_queries
):
    """Users, tokens and sessions: three queries for 40 sockets, as for one."""
    credentials = set()
    for index in range(20):
        user = make_user(f"player{index}")
        auth_token, _ = AuthToken.objects.create(user=user)
        credentials.add((user.pk, "token", auth_token.token_key))
        client = Client()
        client.force_login(user)
        credentials.add((user.pk, "session", client.session.session_key))
    expired_user = make_user("expired")
    expired, _ = AuthToken.objects.create(
        user=expired_user, expiry=django_settings.REST_KNOX["TOKEN_TTL"] * -1
    )
    credentials.add((expired_user.pk, "token", expired.token_key))
    credentials.add((expired_user.pk, "session", "no-such-session"))

    with django_assert_num_queries(3):
        gone = signed_out(credentials)

    assert gone == {
        (expired_user.pk, "token", expired.token_key),
        (expired_user.pk, "session", "no-such-session"),
    }


def test_a_socket_credential_names_its_token_or_session(alice):
    auth_token, _ = AuthToken.objects.create(user=alice)
    scope = {"user": alice, "auth_method": "token", "auth_token_key": auth_token.token_key}
    assert credential_of(scope) == (alice.pk, "token", auth_token.token_key)


# --- a socket's database wait holds up no other socket ---------------------------------------


@pytest.mark.asyncio
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite locks the whole database for a writer, so every room waits on it by design",
)
async def test_a_move_waiting_on_a_locked_room_does_not_hold_up_another_rooms_socket(ws, alice, bob):  # noqa: F811
    locked_code = await make_room(alice, "solo")
    free_code = await make_room(bob, "solo")
    waiting, _ = await ws.room(alice, locked_code)
    other, _ = await ws.room(bob, free_code)
    locked = threading.Event()
    release = threading.Event()

    def hold_the_room_lock():
        with transaction.atomic():
            Room.objects.select_for_update().get(code=locked_code)
            locked.set()
            release.wait(TIMEOUT * 2)
        connection.close()

    holder = threading.Thread(target=hold_the_room_lock)
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, TIMEOUT)
        await waiting.send_json_to(
            {"type": "make_move", "guess": await wrong_guess_of(locked_code), "request_id": "a"}
        )
        # While alice's move waits for the lock, bob's move in his own room is answered.
        await other.send_json_to(
            {"type": "make_move", "guess": await wrong_guess_of(free_code), "request_id": "b"}
        )
        answer = await receive(other)
        assert (answer["type"], answer["request_id"]) == ("move.accepted", "b")
        await assert_quiet(waiting)
    finally:
        release.set()
        await asyncio.to_thread(holder.join)
    frames = [await receive(waiting), await receive(waiting)]
    assert {frame["type"] for frame in frames} == {"move.accepted", "game_update"}


@pytest.mark.asyncio
async def test_moves_over_the_socket_still_apply_in_order(ws, alice):  # noqa: F811
    """The pool runs a socket's messages one after another: its moves keep their order."""
    code = await make_room(alice, "solo")
    guess = await wrong_guess_of(code)
    comm, state = await ws.room(alice, code)
    for number in range(1, 4):
        await comm.send_json_to({"type": "make_move", "guess": guess, "request_id": f"m{number}"})
    accepted = []
    while len(accepted) < 3:
        frame = await receive(comm)
        if frame["type"] == "move.accepted":
            accepted.append((frame["request_id"], frame["number"]))
    assert accepted == [("m1", 1), ("m2", 2), ("m3", 3)]
    assert await db(lambda: Room.objects.get(code=code).version)() == state["version"] + 3
