"""WebSocket fuzz against a real daphne (issue #10): 0 tracebacks in the server log.

A native client (token subprotocol, no Origin) throws at a room socket, a
lobby socket and the socket paths what an attacker or a broken client
would: random text, random JSON of every shape, known message types with
every wrong field type, binary frames, 1 MiB frames, deep nesting, and
floods sent without waiting for answers. Every frame must be answered (an
`error` frame, or the normal answer when the fuzz happened to be valid), the
socket must stay open, a malformed room code in the path must close 4404,
and the daphne log must hold no traceback.

The fuzz is seeded, so a failure repeats; its size is bounded so the test
takes seconds, and every wait has a generous timeout that only a hang meets.
"""

import asyncio
import json
import random
import string

import pytest
from knox.models import AuthToken
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from games import services
from games.tests.servers import LiveServer, live_server

pytestmark = pytest.mark.django_db(transaction=True)

PROTOCOL = "mastermind.v1"
WAIT = 20.0  # a hang guard, never a timing assert
SEED = 10
RANDOM_FRAMES = 300
FLOOD = 500
HTML_FRAMES = 100
MIB = 1024 * 1024
TYPES = ["ping", "make_move", "resync", "chat", "", "PING", "make_move ", None, 5]
# Values of every JSON kind, for every field.
ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    5,
    2**64,
    1e308,
    -0.0,
    "",
    "5",
    "x" * 600,
    "\u0000",
    "\ud7ff\ue000",
    "<script>alert(1)</script>",
    [],
    [0, 1, 2, 3],
    [0, 1, 2, 3, 4, 5, 6, 7, 8],
    ["0", "1", "2", "3"],
    [True, False, True, False],
    [1.5, 2, 3, 4],
    [-1, 99, 2, 3],
    {},
    {"a": 1},
    [[0], [1], [2], [3]],
]
FIELDS = ["type", "guess", "request_id", "since", "text", "extra", ""]
MALFORMED_PATHS = [
    "/ws/rooms/AB'CD/",
    "/ws/rooms/%20/",
    "/ws/rooms/%C3%A9/",
    "/ws/rooms/" + "A" * 95 + "/",
    "/ws/rooms/ABC.DE/html/",
    "/ws/rooms/%00/",
    "/ws/rooms//",
    "/ws/rooms/ABCDEF/extra/",
    "/ws/lobby/x/",
    "/ws/",
]


def random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 4 else 5)
    if kind == 0:
        return rng.choice(ODD_VALUES)
    if kind == 1:
        return rng.randint(-(2**70), 2**70)
    if kind == 2:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(20)))
    if kind == 3:
        return rng.random() * 10 ** rng.randrange(-5, 300)
    if kind == 4:
        return rng.choice([True, False, None])
    if kind == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {rng.choice(FIELDS): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def random_frame(rng: random.Random) -> str | bytes:
    """One fuzzed frame: mostly messages that look almost right, some plain garbage."""
    pick = rng.randrange(10)
    if pick == 0:
        return "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(1, 200)))
    if pick == 1:
        return rng.randbytes(rng.randrange(1, 300))
    if pick == 2:
        return json.dumps(random_json(rng))
    if pick == 3:
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        depth = rng.choice([9, 50, 999, 1000, 3000])
        return opener * depth + "1" + closer * depth
    if pick == 4:
        # Truncated JSON.
        text = json.dumps({"type": "make_move", "guess": [0, 1, 2, 3], "request_id": "r"})
        return text[: rng.randrange(len(text))]
    message = {"type": rng.choice(TYPES)}
    for name in rng.sample(FIELDS[1:], rng.randrange(4)):
        message[name] = rng.choice(ODD_VALUES) if rng.random() < 0.7 else random_json(rng)
    return json.dumps(message)


def parsed(frame: str | bytes):
    try:
        return json.loads(frame) if isinstance(frame, str) else None
    except (ValueError, RecursionError):
        return None


def valid_resync(message) -> bool:
    return (
        isinstance(message, dict)
        and set(message) == {"type", "since"}
        and message["type"] == "resync"
        and type(message["since"]) is int
        and message["since"] >= 0
    )


async def open_socket(server: LiveServer, path: str, token: str) -> ClientConnection:
    return await connect(
        server.ws_url(path),
        subprotocols=[PROTOCOL, f"token.{token}"],
        proxy=None,
        open_timeout=WAIT,
        close_timeout=2,
        ping_interval=None,
        max_size=4 * MIB,
    )


async def recv_json(ws: ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def answers(ws: ClientConnection, count: int) -> list[dict]:
    """The next `count` frames the client is sent, as JSON (each must be an object with a type)."""
    got = []
    for _ in range(count):
        message = await recv_json(ws)
        assert isinstance(message, dict) and isinstance(message.get("type"), str), message
        got.append(message)
    return got


async def assert_alive(ws: ClientConnection) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    while True:
        message = await recv_json(ws)
        if message["type"] == "pong":
            return


def assert_error_shape(message: dict) -> None:
    if message["type"] == "error":
        assert set(message) == {"type", "request_id", "code", "detail"}, message
        assert isinstance(message["code"], str) and isinstance(message["detail"], str), message
        assert message["request_id"] is None or isinstance(message["request_id"], str), message


async def answers_to(ws: ClientConnection, frame: str | bytes) -> list[dict]:
    """Send `frame` then a ping: every answer up to the ping's pong (a ping frame's own pong aside).

    Each answer has the error shape where it is an error."""
    await ws.send(frame)
    await ws.send(json.dumps({"type": "ping"}))
    seen = []
    pongs = 2 if parsed(frame) == {"type": "ping"} else 1
    while pongs:
        message = await recv_json(ws)
        assert_error_shape(message)
        if message["type"] == "pong":
            pongs -= 1
        else:
            seen.append(message)
    return seen


async def fuzz(server: LiveServer, room_code: str, token: str) -> dict:
    rng = random.Random(SEED)
    figures = {"frames": 0, "errors": 0, "other answers": 0}

    room = await open_socket(server, f"/ws/rooms/{room_code}/", token)
    assert (await recv_json(room))["type"] == "room.state"

    # Random and malformed frames, one at a time: each gets an answer. A
    # frame that happens to be a valid chat gets its event (and nothing
    # else), a valid move its move.accepted and its event; so after every
    # frame, a ping: everything up to its pong answered that frame.
    for _ in range(RANDOM_FRAMES):
        frame = random_frame(rng)
        seen = await answers_to(room, frame)
        figures["frames"] += 1
        # A valid resync with nothing missed is the only frame with no answer.
        assert seen or parsed(frame) == {"type": "ping"} or valid_resync(parsed(frame)), frame
        figures["errors"] += sum(m["type"] == "error" for m in seen)
        figures["other answers"] += sum(m["type"] != "error" for m in seen)

    # 1 MiB frames (daphne's largest), text and binary: refused for their
    # size with an error frame, and the socket lives on.
    chat = json.dumps({"type": "chat", "text": ""})
    sized = [
        ("x" * MIB, "too_large"),
        (chat[:-2] + "y" * (MIB - len(chat)) + '"}', "too_large"),
        (b"\x00" * MIB, "invalid"),  # binary of any size
    ]
    for frame, code in sized:
        assert len(frame) == MIB
        await room.send(frame)
        figures["frames"] += 1
        (error,) = await answers(room, 1)
        assert (error["type"], error["code"]) == ("error", code), error
        figures["errors"] += 1
    await assert_alive(room)

    # Floods, sent without waiting: every frame is answered, in order.
    flood = [json.dumps({"type": "ping"}), "{", b"\xff", '{"type": "chat", "text": 5}', "[" * 1000]
    for i in range(FLOOD):
        await room.send(flood[i % len(flood)])
    figures["frames"] += FLOOD
    got = await answers(room, FLOOD)
    expected = ["pong" if i % len(flood) == 0 else "error" for i in range(FLOOD)]
    assert [m["type"] for m in got] == expected
    figures["errors"] += expected.count("error")
    figures["other answers"] += expected.count("pong")
    await assert_alive(room)
    await room.close()

    # The HTML twin answers a bad frame with an alert fragment, not JSON.
    html = await open_socket(server, f"/ws/rooms/{room_code}/html/", token)
    assert "hx-swap-oob" in await asyncio.wait_for(html.recv(), WAIT)
    certainly_bad = ["{", b"\x00\xff", "[" * 1000, '{"type": "chat", "text": 5}', "x" * (16 * 1024 + 1)]
    for i in range(HTML_FRAMES):
        await html.send(certainly_bad[i % len(certainly_bad)])
    for _ in range(HTML_FRAMES):
        fragment = await asyncio.wait_for(html.recv(), WAIT)
        assert 'role="alert"' in fragment, fragment[:300]
    figures["frames"] += HTML_FRAMES
    figures["errors"] += HTML_FRAMES
    await html.close()

    # The lobby socket parses frames the same way.
    lobby = await open_socket(server, "/ws/lobby/", token)
    assert (await recv_json(lobby))["type"] == "lobby.state"
    for _ in range(50):
        for message in await answers_to(lobby, random_frame(rng)):
            assert message["type"] == "error", message
        figures["frames"] += 1
    await lobby.close()

    # Over 1 MiB, daphne's transport drops the connection before the
    # application sees the frame; the server carries on.
    big = await open_socket(server, f"/ws/rooms/{room_code}/", token)
    assert (await recv_json(big))["type"] == "room.state"
    await big.send("z" * (MIB + 1))
    figures["frames"] += 1
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(big.recv(), WAIT)

    # Malformed room codes and unknown paths: 4404, never 1011.
    for path in MALFORMED_PATHS:
        ws = await open_socket(server, path, token)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404, path
    return figures


def test_fuzzed_frames_get_error_frames_and_no_traceback(alice):
    room = services.room_create(user=alice, mode="solo")
    _, token = AuthToken.objects.create(user=alice)
    with live_server() as server:
        try:
            figures = asyncio.run(asyncio.wait_for(fuzz(server, room.code, token), 10 * WAIT))
        except (AssertionError, TimeoutError, OSError, ConnectionClosed) as exc:
            raise AssertionError(f"{type(exc).__name__}: {exc}\n\n{server.describe()}") from exc
        log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
    assert "Exception inside application" not in log, log[-5000:]
    print(f"\n[ws fuzz] {figures}, daphne log: {len(log.splitlines())} lines, 0 tracebacks")
    assert figures["frames"] == RANDOM_FRAMES + 3 + FLOOD + HTML_FRAMES + 50 + 1
    assert figures["errors"] > RANDOM_FRAMES // 2
