"""docs/asyncapi.yaml is the socket protocol the consumers speak (issue #10, item 13).

- Every message type a consumer handles is documented, and no other.
- Each documented client message, as its example shows it, is accepted; the
  same message without one of its required fields, or with a field more,
  is refused with an `error` frame.
- A scripted session that makes every kind of event (a race, a duel, chat,
  leaving, a rematch, a deleted room, the lobby) validates every frame it
  receives against the documented schema of its type, with no undocumented
  field, and meets every documented server message and event.
"""

import json

import pytest
import yaml
from django.conf import settings
from jsonschema import Draft7Validator

from games import consumers, services
from games.tests.test_consumers import (  # noqa: F401 - the module's fixtures and helpers
    _token_for,
    db,
    make_room,
    secret_of,
    wrong_guess_of,
    ws,
)

pytestmark = pytest.mark.django_db(transaction=True)

DOC = yaml.safe_load((settings.BASE_DIR / "docs" / "asyncapi.yaml").read_text())
ROOMS, LOBBY = "/ws/rooms/{code}/", "/ws/lobby/"
TIMEOUT = 5


def _refs(channel: str, direction: str) -> list[str]:
    return [m["$ref"] for m in DOC["channels"][channel][direction]["message"]["oneOf"]]


def _message(ref: str) -> dict:
    return DOC["components"]["messages"][ref.rsplit("/", 1)[1]]


def _validator(pointer: str) -> Draft7Validator:
    return Draft7Validator({"$ref": pointer, "components": DOC["components"]})


def client_types(channel: str) -> dict[str, dict]:
    """type -> message, for what the client may send on the channel."""
    return {
        _message(ref)["payload"]["properties"]["type"]["const"]: _message(ref)
        for ref in _refs(channel, "publish")
    }


def server_refs(channel: str) -> dict[str, str]:
    """type -> message $ref, for what the server sends on the channel."""
    found = {}
    for ref in _refs(channel, "subscribe"):
        payload = _message(ref)["payload"]
        kind = payload["properties"]["type"]["const"] if "properties" in payload else "game_update"
        found[kind] = ref
    return found


def event_schemas() -> dict[str, dict]:
    """event kind -> its (allOf) schema, for game_update."""
    found = {}
    for option in DOC["components"]["messages"]["game_update"]["payload"]["oneOf"]:
        schema = DOC["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
        specific = schema["allOf"][1]
        found[specific["properties"]["event"]["const"]] = schema
    return found


def documented_keys(schema: dict) -> set[str]:
    keys = set()
    for part in schema["allOf"]:
        if "$ref" in part:
            part = DOC["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]]
        keys |= set(part.get("properties", {}))
    return keys


class Recorder:
    """Validates every frame received against the doc, and remembers which kinds it met."""

    def __init__(self):
        self.seen: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def check(self, channel: str, frame: dict) -> dict:
        kind = frame.get("type")
        refs = server_refs(channel)
        if kind not in refs:
            self.problems.append(f"{channel}: undocumented message type {kind!r}: {frame}")
            return frame
        pointer = refs[kind] + "/payload"
        for error in _validator(pointer).iter_errors(frame):
            self.problems.append(f"{channel} {kind}: {error.message} at {list(error.path)} in {frame}")
        if kind == "game_update":
            schema = event_schemas().get(frame.get("event"))
            if schema is None:
                self.problems.append(f"undocumented event {frame.get('event')!r}")
            else:
                extra = set(frame) - documented_keys(schema)
                if extra:
                    self.problems.append(f"{frame['event']}: undocumented fields {sorted(extra)}")
            self.seen.add((channel, f"game_update:{frame.get('event')}"))
        elif kind == "lobby_update":
            self.seen.add((channel, f"lobby_update:{frame['event']}"))
        self.seen.add((channel, kind))
        return frame

    async def until(self, comm, channel: str, wanted) -> dict:
        """Check every frame up to and including the first one for which wanted(frame) is true."""
        while True:
            output = await comm.receive_output(timeout=TIMEOUT)
            assert output["type"] == "websocket.send", f"closed while waiting: {output}"
            frame = self.check(channel, json.loads(output["text"]))
            if wanted(frame):
                return frame


def event(kind: str, **fields):
    return lambda f: f.get("event") == kind and all(f.get(k) == v for k, v in fields.items())


def of_type(kind: str, **fields):
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


# --- the doc and the consumers' handlers ---------------------------------------------


def test_the_doc_is_valid_json_schema_throughout():
    assert DOC["asyncapi"].startswith("2.")
    for name, message in DOC["components"]["messages"].items():
        Draft7Validator.check_schema(message["payload"])
        # Every $ref in it resolves.
        list(_validator(f"#/components/messages/{name}/payload").iter_errors({}))


def test_every_handled_message_type_is_documented_and_no_other():
    assert set(client_types(ROOMS)) == set(consumers.RoomConsumer.handlers)
    assert set(client_types(LOBBY)) == set(consumers.LobbyConsumer.handlers)
    assert set(client_types("/ws/me/")) == set(consumers.MeConsumer.handlers)


@pytest.mark.asyncio
async def test_documented_client_messages_are_accepted_and_variants_refused(ws, alice, bob):  # noqa: F811
    # A running race: moves and chat both have somewhere to go (a solo game has no chat).
    code = await make_room(alice, "race", "playing", join=[bob])
    for kind, message in client_types(ROOMS).items():
        comm, _ = await ws.room(alice, code)
        example = message["examples"][0]["payload"]
        await comm.send_json_to(example)
        if kind != "resync":  # since 0 on a fresh room: nothing to send
            answer = await comm.receive_json_from(timeout=TIMEOUT)
            assert answer["type"] != "error", (kind, answer)
        variants = [{**example, "unknown_field": 1}]
        variants += [
            {k: v for k, v in example.items() if k != name}
            for name in message["payload"]["required"]
            if name != "type"
        ]
        for variant in variants:
            await comm.send_json_to(variant)
            while (answer := await comm.receive_json_from(timeout=TIMEOUT))["type"] != "error":
                pass
            assert answer["code"] == "invalid", (kind, variant, answer)


# --- a scripted session, every frame checked ---------------------------------------------


@pytest.mark.asyncio
async def test_every_frame_of_a_session_matches_the_doc(ws, alice, bob):  # noqa: F811
    """Each step waits for the frame it must produce (no quiet periods), checking every frame on the way."""
    rec = Recorder()
    lobby, state = await ws.lobby(alice)
    rec.check(LOBBY, state)

    # A race: joined, started, moves, chat, a bad frame, ping, resync, leaving, the end.
    code = await make_room(alice, "race", max_players=2)
    comm, state = await ws.room(alice, code)
    rec.check(ROOMS, state)
    await db(services.room_join)(room_code=code, user=bob)
    await db(services.room_start)(room_code=code, user=alice)
    await rec.until(comm, ROOMS, event("game_started"))
    bob_comm, state = await ws.room(bob, code)
    rec.check(ROOMS, state)
    secret, guess = await secret_of(code), await wrong_guess_of(code)
    await comm.send_json_to({"type": "make_move", "guess": guess, "request_id": "a1"})
    await rec.until(comm, ROOMS, of_type("move.accepted", request_id="a1"))
    await bob_comm.send_json_to({"type": "make_move", "guess": guess, "request_id": "b1"})
    await rec.until(bob_comm, ROOMS, of_type("move.accepted", request_id="b1"))
    await rec.until(comm, ROOMS, event("guess", username="bob"))
    await comm.send_json_to({"type": "chat", "text": "hello"})
    await rec.until(comm, ROOMS, event("chat"))
    await comm.send_json_to({"type": "dance"})
    await rec.until(comm, ROOMS, of_type("error"))
    await comm.send_json_to({"type": "resync", "since": 0})
    await comm.send_json_to({"type": "ping"})
    await rec.until(comm, ROOMS, of_type("pong"))
    await db(services.room_leave)(room_code=code, user=bob)
    await rec.until(comm, ROOMS, event("player_left", username="bob"))
    await comm.send_json_to({"type": "make_move", "guess": secret, "request_id": "a2"})
    await rec.until(comm, ROOMS, event("game_finished"))
    await db(services.room_rematch)(room_code=code, user=alice)
    await rec.until(comm, ROOMS, event("rematch"))

    # A duel: the codemaker sets the secret.
    duel = await make_room(alice, "duel", join=[bob])
    duel_comm, state = await ws.room(bob, duel)
    rec.check(ROOMS, state)
    await db(services.room_set_secret)(room_code=duel, user=alice, secret=[0, 1, 2, 3])
    await rec.until(duel_comm, ROOMS, event("secret_set"))

    # A waiting room joined, then deleted by its owner.
    doomed = await make_room(alice, "race")
    doomed_comm, state = await ws.room(alice, doomed)
    rec.check(ROOMS, state)
    await db(services.room_join)(room_code=doomed, user=bob)
    await rec.until(doomed_comm, ROOMS, event("player_joined"))
    await db(services.room_delete)(room_code=doomed, user=alice)
    await rec.until(doomed_comm, ROOMS, event("room_deleted"))

    # The lobby heard all of it, in order; the deletion came last.
    await rec.until(lobby, LOBBY, event("room_deleted"))
    await lobby.send_json_to({"type": "ping", "x": 1})
    await rec.until(lobby, LOBBY, of_type("error"))
    await lobby.send_json_to({"type": "ping"})
    await rec.until(lobby, LOBBY, of_type("pong"))

    assert not rec.problems, "\n".join(rec.problems)
    documented = {(ROOMS, kind) for kind in server_refs(ROOMS)} | {
        (LOBBY, kind) for kind in server_refs(LOBBY)
    }
    documented |= {(ROOMS, f"game_update:{event}") for event in event_schemas()}
    lobby_events = _message("#/components/messages/lobby_update")["payload"]["properties"]["event"]["enum"]
    documented |= {(LOBBY, f"lobby_update:{event}") for event in lobby_events}
    missing = documented - rec.seen
    assert not missing, f"documented but never sent: {sorted(missing)}"
