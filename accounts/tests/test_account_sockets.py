"""A password change or an account deletion closes the sockets of the tokens it revokes, at once."""

import pytest

from games import services
from games.tests.test_consumers import (
    TIMEOUT,
    _api_for,
    _token_for,
    assert_alive,
    assert_closed,
    db,
    receive,
    rest,
    ws,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"  # conftest's make_user default


async def lobby_socket(ws, token):  # noqa: F811
    comm, connected, _ = await ws.open("/ws/lobby/", token=token)
    assert connected
    assert (await receive(comm))["type"] == "lobby.state"
    return comm


@pytest.mark.asyncio
async def test_password_change_closes_the_other_tokens_sockets_and_keeps_the_callers(ws, alice):  # noqa: F811
    mine, other = await db(_token_for)(alice), await db(_token_for)(alice)
    my_socket, other_socket = await lobby_socket(ws, mine), await lobby_socket(ws, other)
    api = await db(_api_for)(alice, mine)
    data = {"old_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert (await rest(api, "post", "/api/v1/auth/password/", data)).status_code == 204
    await assert_closed(other_socket, 4401)
    await assert_alive(my_socket)


@pytest.mark.asyncio
async def test_account_deletion_closes_every_token_socket(ws, alice):  # noqa: F811
    mine, other = await db(_token_for)(alice), await db(_token_for)(alice)
    my_socket, other_socket = await lobby_socket(ws, mine), await lobby_socket(ws, other)
    api = await db(_api_for)(alice, mine)
    assert (await rest(api, "delete", "/api/v1/auth/me/", {"password": PASSWORD})).status_code == 204
    await assert_closed(my_socket, 4401)
    await assert_closed(other_socket, 4401)


@pytest.mark.asyncio
async def test_account_deletion_closes_a_session_socket_at_the_recheck(ws, alice, settings):  # noqa: F811
    """A browser's socket: the forfeit's frames arrive, then the close (the account is inactive)."""
    settings.WS_AUTH_RECHECK_SECONDS = 0.2
    room = await db(services.quick_play)(user=alice)
    comm, _ = await ws.html_room(alice, room.code)
    api = await db(_api_for)(alice, await db(_token_for)(alice))
    assert (await rest(api, "delete", "/api/v1/auth/me/", {"password": PASSWORD})).status_code == 204
    for _ in range(10):
        message = await comm.receive_output(timeout=TIMEOUT)
        if message["type"] == "websocket.close":
            break
    assert message == {"type": "websocket.close", "code": 4401}
