"""The secret and a race rival's colours never leak before the finish.

Each test plays a game through the REST API while recording every response
body seen by every viewer (players, a spectator, an anonymous client), error
responses included, then checks the whole record. Secrets and guesses are
chosen so the secret's JSON list cannot show up by accident: no guess made
before the final one equals it.
"""

import itertools
import json
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from games.models import RoomEvent
from games.tests.factories import secret_of

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"
DUEL_SECRET = [5, 4, 3, 2]


# --- recording -------------------------------------------------------------------


@dataclass
class Seen:
    viewer: str
    method: str
    path: str
    status: int
    text: str
    finished: bool  # whether the room had finished when the body was seen
    position: int  # order in which the bodies were seen

    @property
    def data(self):
        return json.loads(self.text) if self.text else None


@dataclass
class Recorder:
    seen: list[Seen] = field(default_factory=list)
    finished: bool = False

    def viewer(self, name: str, api: APIClient) -> "Viewer":
        return Viewer(self, name, api)

    def before_finish(self) -> list[Seen]:
        return [s for s in self.seen if not s.finished]


@dataclass
class Viewer:
    recorder: Recorder
    name: str
    api: APIClient

    def call(self, method: str, path: str, data=None, status: int | None = None):
        response = getattr(self.api, method)(path, data, format="json")
        self.recorder.seen.append(
            Seen(
                viewer=self.name,
                method=method.upper(),
                path=path,
                status=response.status_code,
                text=response.content.decode(),
                finished=self.recorder.finished,
                position=len(self.recorder.seen),
            )
        )
        if status is not None:
            assert response.status_code == status, (self.name, method, path, response.content)
        return response

    def look(self, code: str) -> None:
        """Everything a viewer can read about a room: list, search, detail, guesses."""
        self.call("get", ROOMS)
        self.call("get", f"{ROOMS}?search={code}")
        self.call("get", f"{ROOMS}{code}/")
        self.call("get", f"{ROOMS}{code}/guesses/")

    def guess(self, code: str, code_guess: list[int], status: int = 201):
        return self.call("post", f"{ROOMS}{code}/guesses/", {"guess": code_guess}, status=status)


def secret_texts(secret: list[int]) -> tuple[str, str]:
    """The secret as a JSON list, spaced (json.dumps) and compact (DRF's renderer)."""
    return json.dumps(secret), json.dumps(secret, separators=(",", ":"))


def contains_secret(text: str, secret: list[int]) -> bool:
    return any(form in text for form in secret_texts(secret))


def room_bodies(data) -> list[dict]:
    """Every serialised room in a response: a room, or the rooms of a list page."""
    if isinstance(data, dict):
        if "secret" in data and "players" in data:
            return [data]
        return [room for value in data.values() for room in room_bodies(value)]
    if isinstance(data, list):
        return [room for item in data for room in room_bodies(item)]
    return []


def wrong_guesses(secret: list[int], colors: int, count: int) -> list[list[int]]:
    """`count` distinct valid guesses, none equal to the secret."""
    codes = (list(code) for code in itertools.product(range(colors), repeat=len(secret)))
    return list(itertools.islice((code for code in codes if code != secret), count))


def assert_no_leak(record: Recorder, secret: list[int], *, allowed=lambda seen: False) -> None:
    before = record.before_finish()
    assert before, "nothing was recorded"
    leaks = [
        (s.viewer, s.method, s.path, s.status)
        for s in before
        if not allowed(s) and contains_secret(s.text, secret)
    ]
    assert leaks == []


def assert_secret_key_null_before_finish(record: Recorder, *, allowed=lambda seen: False) -> int:
    checked = 0
    for seen in record.before_finish():
        if allowed(seen):
            continue
        for room in room_bodies(seen.data):
            assert room["secret"] is None, (seen.viewer, seen.method, seen.path)
            checked += 1
    return checked


def assert_events_keep_the_secret(code: str, secret: list[int]) -> None:
    """Only game_finished carries the secret (and a solving guess, whose colours are it)."""
    events = list(RoomEvent.objects.filter(room__code=code).order_by("version"))
    assert events
    for event in events:
        if event.kind == "game_finished":
            assert event.payload["secret"] == secret
            continue
        if event.kind == "guess" and event.payload["solved"]:
            continue
        text = json.dumps(event.payload)
        assert not contains_secret(text, secret), (event.version, event.kind)
        assert "secret" not in event.payload, (event.version, event.kind)


def assert_everyone_sees_the_secret_after(viewers, code: str, secret: list[int]) -> None:
    for viewer in viewers:
        if viewer.name == "anon":
            assert viewer.call("get", f"{ROOMS}{code}/").status_code == 401
            continue
        room = viewer.call("get", f"{ROOMS}{code}/", status=200).json()
        assert room["status"] == "finished"
        assert room["secret"] == secret
        listed = viewer.call("get", f"{ROOMS}?search={code}", status=200).json()["results"]
        assert [r["secret"] for r in listed] == [secret]
        items = viewer.call("get", f"{ROOMS}{code}/guesses/", status=200).json()
        assert all(item["guess"] is not None for item in items)


# --- the games -----------------------------------------------------------------------


@pytest.fixture
def viewers(alice_api, bob_api, carol_api, client_for, dave, anon_api):
    record = Recorder()
    return record, {
        "alice": record.viewer("alice", alice_api),
        "bob": record.viewer("bob", bob_api),
        "carol": record.viewer("carol", carol_api),
        "dave": record.viewer("dave", client_for(dave)),
        "anon": record.viewer("anon", anon_api),
    }


def everyone_looks(people: dict, code: str) -> None:
    for viewer in people.values():
        viewer.look(code)


def test_race_leaks_neither_the_secret_nor_rival_colours(viewers):
    record, people = viewers
    alice, bob, carol, dave, anon = (people[n] for n in ("alice", "bob", "carol", "dave", "anon"))

    code = alice.call("post", ROOMS, {"mode": "race", "max_guesses": 4}, status=201).json()["code"]
    everyone_looks(people, code)
    bob.call("post", f"{ROOMS}{code}/join/", status=200)
    carol.call("post", f"{ROOMS}{code}/join/", status=200)
    bob.call("post", f"{ROOMS}{code}/start/", status=403)
    anon.call("post", f"{ROOMS}{code}/join/", status=401)
    alice.call("post", f"{ROOMS}{code}/start/", status=200)

    secret = secret_of(code)
    wrong = wrong_guesses(secret, 6, 8)
    everyone_looks(people, code)

    alice.guess(code, wrong[0])
    bob.guess(code, wrong[1])
    carol.guess(code, wrong[2])
    everyone_looks(people, code)

    # Error responses are bodies too.
    dave.guess(code, wrong[3], status=403)
    dave.call("post", f"{ROOMS}{code}/join/", status=409)
    dave.call("post", f"{ROOMS}{code}/rematch/", status=403)
    anon.guess(code, wrong[3], status=401)
    bob.guess(code, [9, 9, 9, 9], status=400)
    bob.guess(code, [0, 0, 0], status=400)
    carol.call("post", f"{ROOMS}{code}/start/", status=403)
    alice.call("post", f"{ROOMS}{code}/start/", status=409)
    alice.call("post", f"{ROOMS}{code}/rematch/", status=409)

    # Alice solves first; the race goes on, so the secret stays hidden from the rest.
    alice_solved_from = len(record.seen)
    alice.guess(code, secret)
    everyone_looks(people, code)
    alice.guess(code, wrong[4], status=409)
    bob.guess(code, wrong[4])
    bob.guess(code, wrong[5])
    bob.guess(code, wrong[6])  # bob is out
    bob.guess(code, wrong[7], status=409)
    carol.guess(code, wrong[3])
    everyone_looks(people, code)

    # Carol's solving guess is the final one.
    record.finished = True
    carol.guess(code, secret)

    def alice_after_solving(seen: Seen) -> bool:
        # A player sees their own guesses in full, so the solver has seen the code.
        return seen.viewer == "alice" and seen.position >= alice_solved_from

    assert_no_leak(record, secret, allowed=alice_after_solving)
    # Even the solver's room bodies keep `secret` null until the race is over.
    assert assert_secret_key_null_before_finish(record) > 0

    rival_items = 0
    for seen in record.before_finish():
        if seen.method == "GET" and seen.path.endswith("/guesses/") and seen.status == 200:
            for item in seen.data:
                if item["username"] != seen.viewer:
                    assert item["guess"] is None, (seen.viewer, item)
                    rival_items += 1
                else:
                    assert item["guess"] is not None
    assert rival_items > 0

    assert_everyone_sees_the_secret_after(people.values(), code, secret)
    assert_events_keep_the_secret(code, secret)


def test_duel_secret_is_seen_only_by_its_codemaker(viewers):
    record, people = viewers
    alice, bob, carol, dave, anon = (people[n] for n in ("alice", "bob", "carol", "dave", "anon"))

    code = alice.call("post", ROOMS, {"mode": "duel", "max_guesses": 6}, status=201).json()["code"]
    bob.call("post", f"{ROOMS}{code}/join/", status=200)
    bob.call("post", f"{ROOMS}{code}/secret/", {"secret": [0, 1, 2, 3]}, status=403)
    alice.call("post", f"{ROOMS}{code}/start/", status=409)  # no secret yet
    made = alice.call("post", f"{ROOMS}{code}/secret/", {"secret": DUEL_SECRET}, status=200).json()
    assert made["secret"] == DUEL_SECRET
    alice.call("post", f"{ROOMS}{code}/secret/", {"secret": [1, 1, 1, 1]}, status=409)
    everyone_looks(people, code)
    carol.call("post", f"{ROOMS}{code}/join/", status=409)  # full
    bob.call("post", f"{ROOMS}{code}/start/", status=403)
    alice.call("post", f"{ROOMS}{code}/start/", status=200)
    everyone_looks(people, code)

    wrong = wrong_guesses(DUEL_SECRET, 6, 4)
    bob.guess(code, wrong[0])
    alice.guess(code, DUEL_SECRET, status=403)  # the codemaker cannot guess
    dave.guess(code, wrong[1], status=403)
    anon.guess(code, wrong[1], status=401)
    bob.guess(code, [6, 0, 0, 0], status=400)
    bob.call("post", f"{ROOMS}{code}/join/", status=409)
    bob.guess(code, wrong[1])
    bob.guess(code, wrong[2])
    everyone_looks(people, code)

    # The codemaker watches every guess in full.
    watched = alice.call("get", f"{ROOMS}{code}/guesses/", status=200).json()
    assert [item["guess"] for item in watched] == wrong[:3]
    assert alice.call("get", f"{ROOMS}{code}/", status=200).json()["secret"] == DUEL_SECRET

    record.finished = True
    bob.guess(code, DUEL_SECRET)

    def is_codemaker(seen: Seen) -> bool:
        return seen.viewer == "alice"

    assert_no_leak(record, DUEL_SECRET, allowed=is_codemaker)
    assert assert_secret_key_null_before_finish(record, allowed=is_codemaker) > 0
    assert any(contains_secret(s.text, DUEL_SECRET) for s in record.before_finish() if is_codemaker(s))

    assert_everyone_sees_the_secret_after(people.values(), code, DUEL_SECRET)
    assert_events_keep_the_secret(code, DUEL_SECRET)
    assert RoomEvent.objects.get(room__code=code, kind="secret_set").payload == {}


def test_coop_secret_is_hidden_until_the_team_cracks_it(viewers):
    record, people = viewers
    alice, bob, carol, dave, anon = (people[n] for n in ("alice", "bob", "carol", "dave", "anon"))

    code = alice.call("post", ROOMS, {"mode": "coop", "max_guesses": 8}, status=201).json()["code"]
    bob.call("post", f"{ROOMS}{code}/join/", status=200)
    carol.call("post", f"{ROOMS}{code}/join/", status=200)
    alice.call("post", f"{ROOMS}{code}/start/", status=200)
    secret = secret_of(code)
    wrong = wrong_guesses(secret, 6, 5)
    everyone_looks(people, code)

    alice.guess(code, wrong[0])
    bob.guess(code, wrong[1])
    dave.guess(code, wrong[2], status=403)
    anon.guess(code, wrong[2], status=401)
    carol.guess(code, [1, 2], status=400)
    carol.guess(code, wrong[2])
    alice.guess(code, wrong[3])
    everyone_looks(people, code)

    # In coop every player and the spectator see every guess in full.
    for name in ("alice", "bob", "carol", "dave"):
        items = people[name].call("get", f"{ROOMS}{code}/guesses/", status=200).json()
        assert [item["guess"] for item in items] == wrong[:4]

    record.finished = True
    carol.guess(code, secret)

    assert_no_leak(record, secret)
    assert assert_secret_key_null_before_finish(record) > 0
    assert_everyone_sees_the_secret_after(people.values(), code, secret)
    assert_events_keep_the_secret(code, secret)
