"""One shape per thing on the wire: a player, a chat line and a lobby room look alike at every door.

A client that reads a player from REST, from the room's socket state and from
a live event must get the same keys and the same values (timestamps
included), so a mobile client can keep one model of each. These tests pin
that each door sends what the others send (issue #11, item 4).
"""

import pytest

from games import services
from games.tests.test_consumers import (  # noqa: F401 (ws is a fixture)
    _api_for,
    db,
    make_room,
    move,
    receive,
    rest,
    secret_of,
    ws,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def next_event(comm) -> dict:
    """The next game_update frame, past the mover's own move.accepted."""
    while (frame := await receive(comm))["type"] != "game_update":
        pass
    return frame


async def test_a_solved_player_is_the_same_over_rest_the_room_state_and_live_events(ws, alice, bob):  # noqa: F811
    code = await make_room(alice, "race", "playing", join=[bob])
    comm, _ = await ws.room(alice, code)
    await move(comm, await secret_of(code))
    live = await next_event(comm)
    assert (live["event"], live["solved"]) == ("guess", True)

    response = await rest(await db(_api_for)(alice), "get", f"/api/v1/rooms/{code}/")
    _, state = await ws.room(bob, code)

    def alice_in(players):
        return next(p for p in players if p["username"] == "alice")

    over_rest = alice_in(response.json()["players"])
    in_state = alice_in(state["room"]["players"])
    assert over_rest["solved_at"] is not None
    # The live snapshot is the guess's, before a race awards the place.
    assert {**live["player"], "place": over_rest["place"]} == over_rest
    assert in_state == over_rest


async def test_a_finished_games_players_are_the_same_over_rest_and_in_game_finished(ws, alice):  # noqa: F811
    code = await db(lambda: services.quick_play(user=alice).code)()
    comm, _ = await ws.room(alice, code)
    await move(comm, await secret_of(code))
    frames = [await next_event(comm) for _ in range(2)]
    assert [f["event"] for f in frames] == ["guess", "game_finished"]
    response = await rest(await db(_api_for)(alice), "get", f"/api/v1/rooms/{code}/")
    assert frames[1]["players"] == response.json()["players"]


async def test_a_chat_line_is_the_same_live_and_in_the_room_state(ws, alice, bob):  # noqa: F811
    code = await make_room(alice, join=[bob])
    comm, _ = await ws.room(alice, code)
    await comm.send_json_to({"type": "chat", "text": "good luck"})
    live = await next_event(comm)
    assert live["event"] == "chat"
    _, state = await ws.room(bob, code)
    line = {key: live[key] for key in ("id", "username", "text", "created_at")}
    assert state["chat"] == [line]


async def test_a_lobby_room_is_the_same_in_the_list_and_in_its_updates(ws, alice, bob):  # noqa: F811
    lobby, _ = await ws.lobby(alice)
    code = await make_room(bob)
    created = await receive(lobby)
    assert (created["event"], created["room"]["code"]) == ("room_created", code)
    _, state = await ws.lobby(alice)
    listed = next(r for r in state["rooms"] if r["code"] == code)
    assert listed == created["room"]
    assert set(listed) == {
        "code",
        "name",
        "mode",
        "status",
        "owner",
        "player_count",
        "max_players",
        "joinable",
        "code_length",
        "colors",
        "max_guesses",
        "rated",
    }
