"""Players making moves through a backing-service outage, and what became of each move.

Used by games/tests/test_outages.py (small, asserting nothing is lost or
doubled) and bench/outages.py (larger, printing the figures for
docs/deploy.md "Outages"). Everything goes through a real daphne over HTTP
and WebSockets, the way an app would:

- each player has a token and a started solo room (20 guesses), and a
  socket on it opened before the outage;
- a move is a REST guess with an `Idempotency-Key`; a move that is not
  answered 201 (503, or no answer at all) is retried later with the same key;
- in the end the room's guesses (over REST) are compared with the moves
  acknowledged: `lost` = acknowledged but not stored, `doubled` = stored
  more often than moves acknowledged;
- each socket either kept receiving live events after the outage or was
  closed with a code, reconnected and resynced: in both cases it must end
  with every version of its room exactly once.
"""

import json
import random
import threading
import time
import urllib.error
import uuid
from collections import Counter
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from games.tests.servers import LiveServer, http_json

PROTOCOL = "mastermind.v1"
REQUEST_TIMEOUT = 30.0  # a hang guard, not a measure
SETTINGS = {"code_length": 8, "colors": 10, "max_guesses": 20}


@dataclass
class Figures:
    moves: int = 0  # distinct moves (idempotency keys) the players made
    attempts: int = 0  # requests sent, retries included
    accepted: int = 0  # moves acknowledged with 201
    refused: int = 0  # attempts answered 503 (with Retry-After)
    other: Counter = field(default_factory=Counter)  # any other answer: status or error name
    lost: int = 0
    doubled: int = 0
    slowest_refusal: float = 0.0  # seconds, the slowest 503
    slowest_answer_during_outage: float = 0.0
    sockets_live_after: int = 0  # sockets that got a live event after the outage, still open
    socket_closes: Counter = field(default_factory=Counter)  # close codes seen
    sockets_exact: int = 0  # sockets that ended with every version exactly once
    sockets: int = 0
    outage_seconds: float = 0.0  # from stop() done to start() done
    back_after: float | None = None  # seconds from start() done to the first 201
    restarted_at: float | None = None

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["other"] = dict(self.other)
        data["socket_closes"] = dict(self.socket_closes)
        return data


class Watcher:
    """A socket on one room, read on its own thread, applying events as a client should.

    Events are applied in version order: a duplicate is dropped, a gap is
    asked for with `resync {since}`; a fresh `room.state` replaces
    everything. `applied` is the version the client's board shows.
    """

    def __init__(self, server: LiveServer, code: str, token: str):
        self.server, self.code, self.token = server, code, token
        self.applied = 0
        self.frames = 0  # game_update frames received
        self.close_code: int | None = None
        self.resyncing = False
        self.lock = threading.Lock()
        self.open()

    def open(self) -> None:
        self.ws = connect(
            self.server.ws_url(f"/ws/rooms/{self.code}/"),
            subprotocols=[PROTOCOL, f"token.{self.token}"],
            open_timeout=REQUEST_TIMEOUT,
            close_timeout=2,
            proxy=None,
        ).__enter__()  # held across threads, closed in close()
        self.close_code = None
        first = json.loads(self.ws.recv(timeout=REQUEST_TIMEOUT))
        assert first["type"] == "room.state", first
        self.applied = first["version"]
        self.resyncing = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                frame = json.loads(raw)
                with self.lock:
                    if frame.get("type") == "room.state":
                        self.applied, self.resyncing = frame["version"], False
                    elif frame.get("type") == "game_update":
                        self.frames += 1
                        version = frame["version"]
                        if version == self.applied + 1:
                            self.applied, self.resyncing = version, False
                        elif version > self.applied + 1 and not self.resyncing:
                            self.resyncing = True
                            self.ws.send(json.dumps({"type": "resync", "since": self.applied}))
        except ConnectionClosed as exc:
            self.close_code = exc.rcvd.code if exc.rcvd else 1006

    def closed(self) -> bool:
        return not self.thread.is_alive()

    def reconnect(self) -> None:
        """What a client does after a close: reconnect (with backoff); the room.state it gets is current."""
        deadline = time.monotonic() + 60
        while True:
            try:
                self.open()
                return
            except (OSError, ConnectionClosed, AssertionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def close(self) -> None:
        self.ws.close()
        self.thread.join(timeout=10)


class Player:
    def __init__(self, server: LiveServer, name: str, rng: random.Random):
        self.server, self.rng = server, rng
        status, body = http_json(
            "POST",
            f"{server.http_url}/api/v1/auth/register/",
            body={"username": name, "password": "a long passphrase 42"},
            timeout=REQUEST_TIMEOUT,
        )
        assert status == 201, (status, body)
        self.token = body["token"]
        status, room = http_json(
            "POST",
            f"{server.http_url}/api/v1/quick-play/",
            token=self.token,
            body=SETTINGS,
            timeout=REQUEST_TIMEOUT,
        )
        assert status == 201, (status, room)
        self.code = room["code"]
        self.pending: tuple[str, list[int]] | None = None
        self.acknowledged: set[str] = set()
        self.watcher: Watcher | None = None

    def move(self, figures: Figures, *, during_outage: bool = False) -> int | str:
        """One attempt: the pending move again, or a new one. Returns the status (or the error's name)."""
        if self.pending is None:
            self.pending = (uuid.uuid4().hex, [self.rng.randrange(10) for _ in range(8)])
            figures.moves += 1
        key, guess = self.pending
        figures.attempts += 1
        started = time.monotonic()
        try:
            status, body = http_json(
                "POST",
                f"{self.server.http_url}/api/v1/rooms/{self.code}/guesses/",
                token=self.token,
                body={"guess": guess},
                headers={"Idempotency-Key": key},
                timeout=REQUEST_TIMEOUT,
            )
        except (OSError, urllib.error.URLError) as exc:
            status, body = type(exc).__name__, None
        took = time.monotonic() - started
        if during_outage:
            figures.slowest_answer_during_outage = max(figures.slowest_answer_during_outage, took)
        if status == 201:
            if figures.restarted_at is not None and figures.back_after is None:
                figures.back_after = time.monotonic() - figures.restarted_at
            if key not in self.acknowledged:
                self.acknowledged.add(key)
                figures.accepted += 1
            self.pending = None
        elif status == 503 and isinstance(body, dict) and body.get("code") == "unavailable":
            figures.refused += 1
            figures.slowest_refusal = max(figures.slowest_refusal, took)
        else:
            figures.other[str(status)] += 1
        return status

    def settle(self, figures: Figures, deadline: float) -> None:
        """Retry the pending move (same key) until it is acknowledged."""
        while self.pending is not None and time.monotonic() < deadline:
            if self.move(figures) != 201:
                time.sleep(0.2)

    def stored_guesses(self) -> tuple[int, int]:
        """(guesses stored in the room, the room's version), over REST."""
        status, guesses = http_json(
            "GET",
            f"{self.server.http_url}/api/v1/rooms/{self.code}/guesses/",
            token=self.token,
            timeout=REQUEST_TIMEOUT,
        )
        assert status == 200, (status, guesses)
        status, room = http_json(
            "GET",
            f"{self.server.http_url}/api/v1/rooms/{self.code}/",
            token=self.token,
            timeout=REQUEST_TIMEOUT,
        )
        assert status == 200, (status, room)
        return len(guesses), room["version"]


def run_outage(
    server: LiveServer,
    *,
    players: int,
    moves_per_phase: int,
    stop,
    start,
    during=None,
    outage_moves: int | None = None,
    pace: float = 0.0,
    seed: int = 10,
) -> Figures:
    """Moves before, during and after an outage that `stop()` begins and `start()` ends.

    `during(figures, team)` runs while the service is down (e.g. to check /healthz).
    Phases are counted in moves, not timed; `outage_moves` attempts each
    (`pace` seconds apart) while it is down.
    """
    rng = random.Random(seed)
    figures = Figures()
    run = uuid.uuid4().hex[:6]
    team = [Player(server, f"out{run}{n}", random.Random(rng.random())) for n in range(players)]
    for player in team:
        player.watcher = Watcher(server, player.code, player.token)
    figures.sockets = len(team)

    def phase(during_outage: bool) -> None:
        def play(player: Player) -> None:
            for _ in range(outage_moves or moves_per_phase if during_outage else moves_per_phase):
                player.move(figures, during_outage=during_outage)
                if during_outage and pace:
                    time.sleep(pace)

        threads = [threading.Thread(target=play, args=(p,)) for p in team]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)

    phase(False)
    stop()
    down_since = time.monotonic()
    try:
        phase(True)
        if during is not None:
            during(figures, team)
    finally:
        start()
        figures.restarted_at = time.monotonic()
        figures.outage_seconds = figures.restarted_at - down_since
    deadline = time.monotonic() + 120
    for player in team:
        player.settle(figures, deadline)
    marks = {id(p): p.watcher.frames for p in team}
    phase(False)
    for player in team:
        player.settle(figures, deadline)

    for player in team:
        watcher = player.watcher
        stored, version = player.stored_guesses()
        figures.lost += max(0, len(player.acknowledged) - stored)
        figures.doubled += max(0, stored - len(player.acknowledged))
        settle_by = min(deadline, time.monotonic() + 30)
        while time.monotonic() < settle_by and not watcher.closed() and watcher.applied < version:
            time.sleep(0.05)
        if not watcher.closed() and watcher.frames > marks[id(player)]:
            figures.sockets_live_after += 1
        if watcher.closed():
            figures.socket_closes[str(watcher.close_code)] += 1
            watcher.reconnect()
        if watcher.applied == version:
            figures.sockets_exact += 1
        watcher.close()
    return figures
