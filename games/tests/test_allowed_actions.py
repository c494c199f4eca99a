"""What a viewer may do: the REST room's `actions`, the board's buttons and the services agree.

For every mode and state, each viewer's `actions` (GET /api/v1/rooms/{code}/)
must be exactly the buttons their board page offers, and each action of
rules.ACTIONS, tried against the services, must succeed if and only if it
was listed. The one exception is a leave that would change nothing (a
running game you have solved, run out of or left): accepted, not listed.
"""

import re
from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client

from games import rules, services, visibility
from games.exceptions import GameError
from games.models import Room

pytestmark = pytest.mark.django_db

# The board's form for each action, by the last segment of its URL.
FORM_ACTIONS = {
    "join": "join",
    "bots": "add_bot",
    "secret": "set_secret",
    "start": "start",
    "guess": "guess",
    "hint": "hint",
    "chat": "chat",
    "rematch": "rematch",
    "leave": "leave",
    "delete": "delete",
}
DUEL_SECRET = [0, 1, 2, 3]


def fresh(room: Room) -> Room:
    return Room.objects.get(pk=room.pk)


def wrong_guess(room: Room) -> list[int]:
    secret = fresh(room).secret
    return [(secret[0] + 1) % room.colors, *secret[1:]]


def started(mode: str, owner, other, **settings) -> Room:
    room = services.room_create(user=owner, mode=mode, **settings)
    if mode == "solo":
        return room
    if mode == "duel":
        services.room_set_secret(room_code=room.code, user=owner, secret=DUEL_SECRET)
    services.room_join(room_code=room.code, user=other)
    services.room_start(room_code=room.code, user=owner)
    return room


def guesser(mode: str, owner, other):
    return other if mode in ("duel", "coop") else owner


def waiting_alone(mode, owner, other):
    return services.room_create(user=owner, mode=mode)


def waiting_full(mode, owner, other):
    room = services.room_create(user=owner, mode=mode, max_players=2)
    services.room_join(room_code=room.code, user=other)
    return room


def duel_waiting_with_secret(mode, owner, other):
    room = waiting_full(mode, owner, other)
    services.room_set_secret(room_code=room.code, user=owner, secret=DUEL_SECRET)
    return room


def playing(mode, owner, other):
    room = started(mode, owner, other)
    services.guess_submit(room_code=room.code, user=guesser(mode, owner, other), guess=wrong_guess(room))
    return room


def race_one_solved(mode, owner, other):
    room = started(mode, owner, other)
    services.guess_submit(room_code=room.code, user=owner, guess=fresh(room).secret)
    return room


def race_one_out(mode, owner, other):
    room = started(mode, owner, other, max_guesses=1)
    services.guess_submit(room_code=room.code, user=owner, guess=wrong_guess(room))
    return room


def race_one_left(mode, owner, other):
    room = started(mode, owner, other)
    services.room_leave(room_code=room.code, user=owner)
    return room


def finished(mode, owner, other):
    room = started(mode, owner, other)
    services.guess_submit(room_code=room.code, user=guesser(mode, owner, other), guess=fresh(room).secret)
    if mode == "race":
        services.room_leave(room_code=room.code, user=other)
    return room


def finished_out_of_guesses(mode, owner, other):
    room = started(mode, owner, other, max_guesses=1)
    services.guess_submit(room_code=room.code, user=guesser(mode, owner, other), guess=wrong_guess(room))
    if mode == "race":
        services.guess_submit(room_code=room.code, user=other, guess=wrong_guess(room))
    return room


def rematched(mode, owner, other):
    room = finished(mode, owner, other)
    services.room_rematch(room_code=room.code, user=owner)
    return room


def abandoned(mode, owner, other):
    room = playing(mode, owner, other)
    services.room_abandon(room_code=room.code)
    return room


def abandoned_while_waiting(mode, owner, other):
    room = services.room_create(user=owner, mode=mode)
    services.room_leave(room_code=room.code, user=owner)
    return room


MULTI = ("coop", "race", "duel")
SCENARIOS: list[tuple[str, Callable]] = [
    *[(mode, build) for mode in MULTI for build in (waiting_alone, waiting_full, abandoned_while_waiting)],
    ("duel", duel_waiting_with_secret),
    *[(mode, build) for mode in ("solo", *MULTI) for build in (playing, finished, rematched, abandoned)],
    *[(mode, finished_out_of_guesses) for mode in ("solo", *MULTI)],
    ("race", race_one_solved),
    ("race", race_one_out),
    ("race", race_one_left),
]


class Rollback(Exception):
    """Undo an attempted action, whatever it did."""


def attempt(action: str, code: str, user) -> tuple[bool, bool]:
    """Try one action against the services, then undo it: (accepted, changed the room)."""
    calls = {
        "join": lambda: services.room_join(room_code=code, user=user),
        "add_bot": lambda: services.bot_add(room_code=code, user=user, difficulty="easy"),
        "set_secret": lambda: services.room_set_secret(room_code=code, user=user, secret=DUEL_SECRET),
        "start": lambda: services.room_start(room_code=code, user=user),
        "guess": lambda: services.guess_submit(room_code=code, user=user, guess=[0, 0, 0, 0]),
        "hint": lambda: services.hint_request(room_code=code, user=user),
        "chat": lambda: services.chat_post(room_code=code, user=user, text="hello"),
        "rematch": lambda: services.room_rematch(room_code=code, user=user),
        "leave": lambda: services.room_leave(room_code=code, user=user),
        "delete": lambda: services.room_delete(room_code=code, user=user),
    }
    before = Room.objects.get(code=code)
    changed = False
    try:
        with transaction.atomic():
            calls[action]()
            after = Room.objects.filter(code=code).first()
            changed = (
                after is None
                or after.version != before.version
                or after.hints_used != before.hints_used
                or after.rematches.exists()
            )
            raise Rollback
    except Rollback:
        return True, changed
    except GameError:
        return False, False


def offered(client: Client, code: str) -> set[str]:
    """The actions whose forms the board page offers this viewer."""
    response = client.get(f"/rooms/{code}/")
    assert response.status_code == 200
    urls = re.findall(rf'<form[^>]*action="/rooms/{code}/([a-z]+)/"', response.content.decode())
    return {FORM_ACTIONS[url] for url in urls}


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("mode", "build"), SCENARIOS, ids=[f"{m}-{b.__name__}" for m, b in SCENARIOS])
def test_listed_actions_are_the_offered_buttons_and_exactly_what_the_services_accept(
    alice, bob, carol, client_for, mode, build
):
    room = build(mode, alice, bob)
    for user in (alice, bob, carol):
        listed = client_for(user).get(f"/api/v1/rooms/{room.code}/").json()["actions"]
        assert listed == [a for a in rules.ACTIONS if a in listed], "in rules.ACTIONS order"
        assert offered(browser(user), room.code) == set(listed), (user.username, listed)
        for action in rules.ACTIONS:
            accepted, changed = attempt(action, room.code, user)
            if action == "leave" and accepted and not changed:
                # Nothing left to give up: accepted, and rightly not offered.
                assert action not in listed, user.username
                continue
            assert accepted == (action in listed), (user.username, action, listed)


def test_an_anonymous_viewer_may_do_nothing_until_they_sign_in(alice):
    """The board needs a sign-in (it redirects) and REST a token: the rules list nothing either."""
    room = services.room_create(user=alice, mode="race")
    assert Client().get(f"/rooms/{room.code}/").status_code == 302

    game = visibility.game_of(room, list(room.players.all()))
    assert rules.allowed_actions(game, None, signed_in=False) == []
    assert rules.allowed_actions(game, None) == ["join", "chat"]


def test_start_is_offered_only_with_enough_players(alice, bob, alice_api):
    """The drift issue #11 names: the page offered Start to a lone owner and answered 409."""
    room = services.room_create(user=alice, mode="race")
    assert "start" not in alice_api.get(f"/api/v1/rooms/{room.code}/").json()["actions"]
    assert "start" not in offered(browser(alice), room.code)
    services.room_join(room_code=room.code, user=bob)
    assert "start" in alice_api.get(f"/api/v1/rooms/{room.code}/").json()["actions"]
    assert "start" in offered(browser(alice), room.code)


def test_after_a_service_call_the_reply_lists_the_next_actions(alice_api, bob_api):
    room = alice_api.post("/api/v1/rooms/", {"mode": "coop"}, format="json").json()
    assert room["actions"] == ["chat", "leave", "delete"]
    joined = bob_api.post(f"/api/v1/rooms/{room['code']}/join/", format="json").json()
    assert joined["actions"] == ["chat", "leave"]
    owner_view = alice_api.get(f"/api/v1/rooms/{room['code']}/").json()
    assert owner_view["actions"] == ["start", "chat", "leave", "delete"]
