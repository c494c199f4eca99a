"""The browser pages and their forms, with JavaScript off and with HTMX.

Everything asserted is what a browser receives: status, headers and HTML.
Rooms are made through the real services; a secret is read from the
database only to steer a guess.
"""

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from games import boards, rules, services
from games.models import ChatMessage, Guess, Player, Room

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
XSS_NAME = "<img src=x onerror=alert(1)>"
ACTION_LABELS = {
    "Join",
    "Start game",
    "Rematch",
    "Leave",
    "Forfeit and leave",
    "Delete room",
    "Guess",
    "Set secret",
}
VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


# --- reading HTML ------------------------------------------------------------------


class Page(HTMLParser):
    """A parsed response: its forms, buttons, ids, body attributes and tag-nesting problems."""

    def __init__(self, content: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.buttons: list[str] = []
        self.ids: list[str] = []
        self.body: dict = {}
        self.problems: list[str] = []
        self._stack: list[str] = []
        self._form: dict | None = None
        self._select: list | None = None
        self._option: list | None = None
        self._button: list[str] | None = None
        self.feed(content)
        self.close()
        if self._stack:
            self.problems.append(f"unclosed: {self._stack}")

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "body":
            self.body = a
        if tag not in VOID_TAGS:
            self._stack.append(tag)
        if tag == "form":
            if self._form is not None:
                self.problems.append("nested form")
            self._form = {"attrs": a, "inputs": {}, "input_attrs": {}, "selects": {}, "buttons": []}
            self.forms.append(self._form)
        elif tag == "button":
            self._button = []
        elif self._form is not None and tag == "input" and "name" in a:
            self._form["inputs"][a["name"]] = a.get("value", "")
            self._form["input_attrs"][a["name"]] = a
        elif self._form is not None and tag == "textarea" and "name" in a:
            self._form["inputs"][a["name"]] = ""
        elif self._form is not None and tag == "select":
            self._select = self._form["selects"].setdefault(a["name"], [])
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), ""]
            self._select.append(self._option)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if not self._stack or self._stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self._stack[-1] if self._stack else 'nothing'}")
            if tag in self._stack:
                while self._stack.pop() != tag:
                    pass
        else:
            self._stack.pop()
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "button" and self._button is not None:
            label = " ".join("".join(self._button).split())
            self.buttons.append(label)
            if self._form is not None:
                self._form["buttons"].append(label)
            self._button = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        if self._button is not None:
            self._button.append(data)

    def form(self, action: str) -> dict:
        matches = [f for f in self.forms if f["attrs"].get("action") == action]
        assert len(matches) == 1, f"{len(matches)} forms post to {action}: {[f['attrs'] for f in self.forms]}"
        return matches[0]

    def has_form(self, action: str) -> bool:
        return any(f["attrs"].get("action") == action for f in self.forms)

    @property
    def actions(self) -> set[str]:
        return set(self.buttons) & ACTION_LABELS


def page(response) -> Page:
    parsed = Page(response.content.decode())
    assert parsed.problems == [], parsed.problems
    return parsed


def text(response) -> str:
    """The response as a reader sees it (entities decoded), for messages with quotes in them."""
    return html.unescape(response.content.decode())


def section(content: str, start: str, end: str) -> str:
    """The part of a page from the first `start` to the next `end`."""
    begin = content.index(start)
    return content[begin : content.index(end, begin)]


def hx_csrf(response) -> str:
    """The token the page gives HTMX requests through <body hx-headers>."""
    return json.loads(Page(response.content.decode()).body["hx-headers"])["X-CSRFToken"]


def is_partial(response) -> bool:
    content = response.content.decode()
    return "<html" not in content and content.lstrip().startswith('<div id="board"')


# --- clients and rooms ---------------------------------------------------------------


def browser(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_alice(alice):
    return browser(alice)


@pytest.fixture
def as_bob(bob):
    return browser(bob)


@pytest.fixture
def as_carol(carol):
    return browser(carol)


def board_url(room, suffix: str = "") -> str:
    return f"/rooms/{room.code}/{suffix}"


def fresh(room: Room) -> Room:
    return Room.objects.get(pk=room.pk)


def secret_of(room: Room) -> list[int]:
    return fresh(room).secret


def wrong_guess(room: Room) -> list[int]:
    secret = secret_of(room)
    room = fresh(room)
    return [(secret[0] + 1) % room.colors, *secret[1:]]


def pegs(code: list[int]) -> dict:
    return {f"peg_{i}": str(c) for i, c in enumerate(code)}


def snapshot(room: Room) -> tuple:
    """What a failed request must leave untouched."""
    room = fresh(room)
    return (
        Guess.objects.filter(room=room).count(),
        room.version,
        room.status,
        room.secret,
        Player.objects.filter(room=room).count(),
        ChatMessage.objects.filter(room=room).count(),
    )


def build(mode: str, status: str, owner, other, **settings) -> Room:
    """A room of `mode` in `status`: `owner` created it, `other` joined (not in solo)."""
    room = services.room_create(user=owner, mode=mode, name=f"{mode} room", **settings)
    if mode == "duel":
        services.room_set_secret(room_code=room.code, user=owner, secret=[0, 1, 2, 3])
    if mode != "solo":
        services.room_join(room_code=room.code, user=other)
    if status == "waiting":
        return fresh(room)
    if mode != "solo":
        services.room_start(room_code=room.code, user=owner)
    guessers = {"solo": [owner], "coop": [other], "race": [owner, other], "duel": [other]}[mode]
    for user in guessers:
        services.guess_submit(room_code=room.code, user=user, guess=wrong_guess(room))
    if status == "finished":
        for user in guessers:
            services.guess_submit(room_code=room.code, user=user, guess=secret_of(room))
    elif status == "abandoned":
        services.room_abandon(room_code=room.code)
    room = fresh(room)
    assert room.status == status
    return room


# --- lobby ------------------------------------------------------------------------


def test_lobby_for_anonymous_has_sign_in_links_and_no_forms(alice):
    services.room_create(user=alice, mode="race", name="Open race")
    for headers in ({}, HTMX):
        response = Client().get("/", headers=headers)
        assert response.status_code == 200
        parsed = page(response)
        assert parsed.forms == []
        content = response.content.decode()
        assert 'href="/accounts/login/?next=/"' in content
        assert 'href="/accounts/register/"' in content
        assert "Open race" in content


def test_lobby_signed_in_has_quick_play_and_every_create_setting(as_alice):
    response = as_alice.get("/")
    assert response.status_code == 200
    parsed = page(response)
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    quick = parsed.form("/play/quick/")
    assert quick["attrs"]["method"] == "post"
    assert quick["buttons"] == ["Quick play (solo, 4 pegs, 6 colours)"]
    create = parsed.form("/rooms/new/")
    assert create["attrs"]["method"] == "post"
    fields = set(create["inputs"]) | set(create["selects"])
    assert fields >= {
        "mode",
        "name",
        "code_length",
        "colors",
        "max_guesses",
        "allow_duplicates",
        "max_players",
        "private",
        "csrfmiddlewaretoken",
    }
    assert [value for value, _ in create["selects"]["mode"]] == ["solo", "coop", "race", "duel"]
    assert create["input_attrs"]["allow_duplicates"]["type"] == "checkbox"
    assert "checked" in create["input_attrs"]["allow_duplicates"]
    assert create["input_attrs"]["private"]["type"] == "checkbox"
    assert "checked" not in create["input_attrs"]["private"]
    assert create["inputs"]["code_length"] == "4"
    assert create["inputs"]["colors"] == "6"
    assert create["inputs"]["max_guesses"] == "10"


def test_lobby_lists_only_joinable_public_rooms(as_carol, alice, bob, dave):
    services.room_create(user=alice, mode="race", name="Open race")
    services.room_create(user=alice, mode="coop", name="Open coop")
    services.room_create(user=alice, mode="race", name="Private race", private=True)
    services.room_create(user=alice, mode="solo", name="Solo run")
    full = services.room_create(user=alice, mode="duel", name="Full duel")
    services.room_join(room_code=full.code, user=bob)
    started = services.room_create(user=alice, mode="coop", name="Started coop")
    services.room_join(room_code=started.code, user=dave)
    services.room_start(room_code=started.code, user=alice)

    for headers in ({}, HTMX):
        content = as_carol.get("/", headers=headers).content.decode()
        joinable = section(content, 'id="lobby-rooms"', "</ul>")
        assert "Open race" in joinable
        assert "Open coop" in joinable
        for hidden in ("Private race", "Solo run", "Full duel", "Started coop"):
            assert hidden not in joinable
        assert "Private race" not in content


def test_lobby_lists_your_waiting_and_playing_games_private_ones_included(as_alice, alice, bob):
    services.room_create(user=alice, mode="race", name="My waiting race")
    services.room_create(user=alice, mode="coop", name="My private coop", private=True)
    services.room_create(user=alice, mode="solo", name="My solo")
    done = services.room_create(user=alice, mode="solo", name="My finished solo")
    services.guess_submit(room_code=done.code, user=alice, guess=secret_of(done))
    joined = services.room_create(user=bob, mode="race", name="Bob's race I joined")
    services.room_join(room_code=joined.code, user=alice)
    services.room_create(user=bob, mode="race", name="Bob's other race")

    content = text(as_alice.get("/"))
    mine = section(content, 'aria-labelledby="mine-title"', "</section>")
    for name in ("My waiting race", "My private coop", "My solo", "Bob's race I joined"):
        assert name in mine
    assert "My finished solo" not in mine
    assert "Bob's other race" not in mine


# --- quick play -------------------------------------------------------------------


def test_quick_play_from_the_lobby_form_redirects_to_a_started_solo_board(alice):
    client = browser(alice, enforce_csrf_checks=True)
    form = page(client.get("/")).form("/play/quick/")

    response = client.post("/play/quick/", form["inputs"])

    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.mode, room.status, room.owner) == ("solo", "playing", alice)
    assert (room.code_length, room.colors, room.max_guesses, room.allow_duplicates) == (4, 6, 10, True)
    assert page(client.get(response["Location"])).form(f"/rooms/{room.code}/guess/")


def test_quick_play_with_htmx_answers_with_hx_redirect(alice):
    client = browser(alice, enforce_csrf_checks=True)
    lobby = client.get("/")
    form = page(lobby).form("/play/quick/")
    data = {k: v for k, v in form["inputs"].items() if k != "csrfmiddlewaretoken"}

    response = client.post("/play/quick/", data, headers={**HTMX, "X-CSRFToken": hx_csrf(lobby)})

    room = Room.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/rooms/{room.code}/"
    assert room.status == "playing"


def test_quick_play_without_a_csrf_token_is_refused(alice):
    client = browser(alice, enforce_csrf_checks=True)
    client.get("/")
    assert client.post("/play/quick/", {"code_length": 4, "colors": 6, "max_guesses": 10}).status_code == 403
    assert not Room.objects.exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_quick_play_with_eleven_colours_is_400_with_the_error(as_alice, headers):
    response = as_alice.post(
        "/play/quick/", {"code_length": 4, "colors": 11, "max_guesses": 10}, headers=headers
    )
    assert response.status_code == 400
    page(response)
    assert "Colors: Ensure this value is less than or equal to 10." in text(response)
    assert "HX-Redirect" not in response
    assert not Room.objects.exists()


def test_quick_play_settings_the_rules_reject_are_400_with_the_message(as_alice):
    response = as_alice.post("/play/quick/", {"code_length": 8, "colors": 6, "max_guesses": 10})
    assert response.status_code == 400
    assert "Without duplicates, colors must be at least code_length (8)." in text(response)
    assert not Room.objects.exists()


def test_quick_play_needs_a_sign_in(db):
    response = Client().post("/play/quick/", {"code_length": 4, "colors": 6, "max_guesses": 10})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/play/quick/"
    assert not Room.objects.exists()


# --- create room ------------------------------------------------------------------


def create_data(**overrides) -> dict:
    data = {
        "mode": "race",
        "name": "",
        "code_length": "4",
        "colors": "6",
        "max_guesses": "10",
        "allow_duplicates": "on",
        "max_players": "",
    }
    return {**data, **overrides}


def test_create_room_from_the_lobby_form_with_every_setting(alice):
    client = browser(alice, enforce_csrf_checks=True)
    form = page(client.get("/")).form("/rooms/new/")
    data = {
        "csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"],
        "mode": "race",
        "name": "Friday night",
        "code_length": "5",
        "colors": "8",
        "max_guesses": "12",
        "max_players": "3",
        "private": "on",
    }

    response = client.post("/rooms/new/", data)

    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.name, room.mode, room.status, room.private) == ("Friday night", "race", "waiting", True)
    assert (room.code_length, room.colors, room.max_guesses, room.allow_duplicates) == (5, 8, 12, False)
    assert room.max_players == 3
    board = text(client.get(response["Location"]))
    assert "5 pegs · 8 colours · 12 guesses · no repeats · up to 3 players" in board


@pytest.mark.parametrize(
    ("mode", "players", "status"),
    [("solo", 1, "playing"), ("coop", 4, "waiting"), ("race", 4, "waiting"), ("duel", 2, "waiting")],
)
def test_create_room_of_every_mode_with_default_seats(as_alice, alice, mode, players, status):
    response = as_alice.post("/rooms/new/", create_data(mode=mode))
    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert (room.mode, room.max_players, room.status, room.owner) == (mode, players, status, alice)
    role = "codemaker" if mode == "duel" else "player"
    assert Player.objects.get(room=room).role == role


def test_create_room_with_htmx_answers_with_hx_redirect(alice):
    client = browser(alice, enforce_csrf_checks=True)
    lobby = client.get("/")
    response = client.post(
        "/rooms/new/", create_data(mode="coop"), headers={**HTMX, "X-CSRFToken": hx_csrf(lobby)}
    )
    room = Room.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/rooms/{room.code}/"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_create_room_with_a_61_character_name_is_400_with_a_field_error(as_alice, headers):
    response = as_alice.post("/rooms/new/", create_data(name="n" * 61), headers=headers)
    assert response.status_code == 400
    create = page(response).form("/rooms/new/")
    assert create["inputs"]["name"] == "n" * 61
    assert "Ensure this value has at most 60 characters (it has 61)." in text(response)
    assert 'class="field-error"' in response.content.decode()
    assert not Room.objects.exists()


def test_create_room_with_seats_the_mode_forbids_is_400_with_the_message(as_alice):
    response = as_alice.post("/rooms/new/", create_data(mode="duel", max_players="3"))
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Room.objects.exists()


def test_create_room_with_an_unknown_mode_is_400(as_alice):
    response = as_alice.post("/rooms/new/", create_data(mode="chess"))
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert not Room.objects.exists()


# --- the board: reading -----------------------------------------------------------


def test_board_needs_a_sign_in(alice):
    room = services.room_create(user=alice, mode="race")
    response = Client().get(board_url(room))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/rooms/{room.code}/"


def test_sign_in_from_the_board_redirect_comes_back_to_the_board(alice):
    room = services.room_create(user=alice, mode="race")
    client = Client()
    login_url = client.get(board_url(room))["Location"]
    login_page = page(client.get(login_url))
    assert login_page.form("/accounts/login/")["inputs"]["next"] == f"/rooms/{room.code}/"

    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple", "next": f"/rooms/{room.code}/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert client.get(response["Location"]).status_code == 200


def test_board_shows_settings_players_and_the_guess_form(as_alice, alice, bob):
    room = services.room_create(
        user=alice, mode="race", name="Board test", code_length=5, colors=8, max_guesses=12, max_players=3
    )
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room))

    response = as_alice.get(board_url(room))

    assert response.status_code == 200
    content = text(response)
    assert "5 pegs · 8 colours · 12 guesses · up to 3 players" in content
    assert f"Room <strong>{room.code}</strong>" in content
    assert 'data-username="alice" data-status="playing"' in content
    assert 'data-username="bob" data-status="playing"' in content
    assert "0 guesses" in content
    assert "1 guess<" in content
    guess = page(response).form(f"/rooms/{room.code}/guess/")
    assert sorted(guess["selects"]) == [f"peg_{i}" for i in range(5)]
    for options in guess["selects"].values():
        assert options[0] == ["", "–"]
        assert len(options) == 1 + 8
        for index, (value, label) in enumerate(options[1:]):
            _, name, symbol = boards.PALETTE[index]
            assert value == str(index)
            assert label == f"{index + 1} {symbol} {name}"
    assert "Guesses left: <strong" in content


def test_board_shows_your_rows_with_exact_and_misplaced(as_alice, alice):
    room = services.room_create(user=alice, mode="solo")
    guess = [0, 0, 1, 1] if secret_of(room) != [0, 0, 1, 1] else [2, 2, 3, 3]
    feedback = rules.score(secret_of(room), guess)
    as_alice.post(board_url(room, "guess/"), pegs(guess))

    content = as_alice.get(board_url(room)).content.decode()

    row = section(content, 'class="row" data-number="1"', "</li>")
    assert f'aria-label="{feedback.exact} exact, {feedback.misplaced} misplaced"' in row
    assert f"{feedback.exact} ●" in row
    assert f"{feedback.misplaced} ○" in row
    for colour in guess:
        assert f"{boards.PALETTE[colour][2]}</span>{colour + 1}" in row
    assert 'Guesses left: <strong id="remaining">9</strong>' in content


def test_race_spectator_sees_progress_but_not_colours(as_carol, alice, bob):
    room = build("race", "playing", alice, bob)
    content = as_carol.get(board_url(room)).content.decode()
    assert content.count('class="row"') == 2
    assert content.count('class="hidden-pegs"') == 2
    assert 'class="secret"' not in content


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_lowercase_code_redirects_to_the_canonical_board(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="race")
    response = as_alice.get(f"/rooms/{room.code.lower()}/", headers=headers)
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"


def test_lowercase_code_works_for_actions(as_bob, alice, bob):
    room = services.room_create(user=alice, mode="race")
    response = as_bob.post(f"/rooms/{room.code.lower()}/join/")
    assert response.status_code == 302
    assert Player.objects.filter(room=room, user=bob).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_unknown_room_is_the_friendly_404_page(as_alice, headers):
    response = as_alice.get("/rooms/ZZZZZZ/", headers=headers)
    assert response.status_code == 404
    content = response.content.decode()
    assert "Back to the lobby" in content
    assert "There is no such page or room" in content
    page(response)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_private_room_of_others_is_404(as_bob, alice, headers):
    room = services.room_create(user=alice, mode="race", name="Hush", private=True)
    response = as_bob.get(board_url(room), headers=headers)
    assert response.status_code == 404
    assert "Hush" not in response.content.decode()
    before = snapshot(room)
    for action in ("leave/", "start/", "delete/", "rematch/", "chat/"):
        assert as_bob.post(board_url(room, action), {"text": "hi"}, headers=headers).status_code == 404
    assert as_bob.post(board_url(room, "guess/"), pegs([0, 0, 0, 0])).status_code == 404
    assert snapshot(room) == before


def test_private_room_code_is_the_invitation_to_join(as_bob, alice, bob):
    """README: anyone with the code may join a waiting private room; then they see its board."""
    room = services.room_create(user=alice, mode="race", name="Hush", private=True)
    response = as_bob.post(board_url(room, "join/"))
    assert response.status_code == 302
    assert Player.objects.filter(room=room, user=bob).exists()
    assert "Hush" in as_bob.get(board_url(room)).content.decode()


def test_htmx_get_of_the_board_returns_only_the_partial(as_alice, alice):
    room = services.room_create(user=alice, mode="race", name="Partial room")
    full = as_alice.get(board_url(room))
    partial = as_alice.get(board_url(room), headers=HTMX)
    assert full.status_code == partial.status_code == 200
    assert "<html" in full.content.decode()
    assert 'ws-connect="/ws/rooms/' in full.content.decode()
    assert is_partial(partial)
    assert "Partial room" in partial.content.decode()
    page(partial)


# --- the board: every mode, state and viewer --------------------------------------

CASES = [
    (mode, status, viewer)
    for mode in ("solo", "coop", "race", "duel")
    for status in ("waiting", "playing", "finished", "abandoned")
    for viewer in ("owner", "player", "spectator")
    if not (mode == "solo" and (status == "waiting" or viewer == "player"))
]


def expected_actions(mode: str, status: str, viewer: str) -> set[str]:
    if viewer == "spectator":
        # A duel seats two, and both seats are taken here.
        return {"Join"} if status == "waiting" and mode != "duel" else set()
    if status == "waiting":
        return {"Start game", "Leave", "Delete room"} if viewer == "owner" else {"Leave"}
    if status == "playing":
        if mode == "duel" and viewer == "owner":
            return {"Forfeit and leave"}
        return {"Guess", "Forfeit and leave"}
    if status == "finished":
        return {"Rematch"}
    return set()


@pytest.mark.parametrize(("mode", "status", "viewer"), CASES)
def test_board_renders_for_every_mode_state_and_viewer(alice, bob, carol, mode, status, viewer):
    room = build(mode, status, alice, bob)
    client = browser({"owner": alice, "player": bob, "spectator": carol}[viewer])

    response = client.get(board_url(room))
    partial = client.get(board_url(room), headers=HTMX)

    assert response.status_code == partial.status_code == 200
    assert is_partial(partial)
    page(partial)
    parsed = page(response)
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"
    assert parsed.actions == expected_actions(mode, status, viewer)
    content = response.content.decode()
    assert f'data-status="{status}"' in content
    assert f"{mode} room" in content
    assert "Chat" in content and parsed.has_form(f"/rooms/{room.code}/chat/")
    shows_secret = status in ("finished", "abandoned") or (mode == "duel" and viewer == "owner")
    assert ('class="secret"' in content) == shows_secret
    if shows_secret:
        secret = section(content, 'class="secret"', "</div>")
        for colour in fresh(room).secret:
            assert f"{boards.PALETTE[colour][2]}</span>{colour + 1}" in secret
    if status == "finished":
        assert 'class="result"' in content


def test_duel_codemaker_before_the_secret_sees_the_secret_form(as_alice, as_bob, alice, bob):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)

    owner = page(as_alice.get(board_url(room)))
    breaker = as_bob.get(board_url(room))

    # No Start before the secret: it would be a 409.
    assert owner.actions == {"Set secret", "Leave", "Delete room"}
    secret_form = owner.form(f"/rooms/{room.code}/secret/")
    assert sorted(secret_form["selects"]) == ["peg_0", "peg_1", "peg_2", "peg_3"]
    assert page(breaker).actions == {"Leave"}
    assert "Waiting for players and the codemaker's secret." in text(breaker)


def test_abandoned_waiting_room_renders_for_its_former_owner_and_a_spectator(alice, carol):
    room = services.room_create(user=alice, mode="race", name="Left behind")
    services.room_leave(room_code=room.code, user=alice)
    for user in (alice, carol):
        response = browser(user).get(board_url(room))
        assert response.status_code == 200
        assert page(response).actions == set()
        assert "This room was abandoned." in response.content.decode()


# --- guesses ----------------------------------------------------------------------


def test_guess_without_js_redirects_and_the_row_appears_on_reload(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="solo")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/guess/")
    guess = wrong_guess(room)

    response = client.post(
        board_url(room, "guess/"),
        {"csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"], **pegs(guess)},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert Guess.objects.get(room=room).guess == guess
    content = client.get(response["Location"]).content.decode()
    assert 'class="row" data-number="1" data-username="alice"' in content


def test_guess_with_htmx_returns_the_board_partial_with_the_new_row(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="solo")
    board = client.get(board_url(room))

    response = client.post(
        board_url(room, "guess/"), pegs(wrong_guess(room)), headers={**HTMX, "X-CSRFToken": hx_csrf(board)}
    )

    assert response.status_code == 200
    assert is_partial(response)
    page(response)
    assert 'class="row" data-number="1"' in response.content.decode()
    assert Guess.objects.filter(room=room).count() == 1


def test_a_winning_guess_shows_the_result_and_secret(as_alice, alice):
    room = services.room_create(user=alice, mode="solo")
    response = as_alice.post(board_url(room, "guess/"), pegs(secret_of(room)), headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Winner: <strong>alice</strong>" in content
    assert 'class="secret"' in content
    assert page(response).actions == {"Rematch"}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    "data",
    [{"peg_0": "0", "peg_1": "1", "peg_2": "2"}, {"peg_0": "9", "peg_1": "1", "peg_2": "2", "peg_3": "3"}],
    ids=["missing-peg", "colour-out-of-range"],
)
def test_bad_guess_is_400_with_the_message_and_nothing_stored(as_alice, alice, headers, data):
    room = services.room_create(user=alice, mode="solo")
    before = snapshot(room)

    response = as_alice.post(board_url(room, "guess/"), data, headers=headers)

    assert response.status_code == 400
    assert "Pick a colour for every peg." in response.content.decode()
    assert is_partial(response) == bool(headers)
    page(response)
    assert snapshot(room) == before


def guess_error_case(name, alice, bob, carol):
    """(room, client, message, status) for one way a guess can be refused."""
    if name == "spectator":
        room = build("race", "playing", alice, bob)
        return room, browser(carol), "You are not a player in this room.", 403
    if name == "finished":
        room = build("solo", "finished", alice, bob)
        return room, browser(alice), "The game is finished.", 409
    if name == "not-started":
        room = build("race", "waiting", alice, bob)
        return room, browser(bob), "The game has not started yet.", 409
    if name == "already-solved":
        room = build("race", "playing", alice, bob)
        services.guess_submit(room_code=room.code, user=alice, guess=secret_of(room))
        return room, browser(alice), "You have already solved this code.", 409
    if name == "codemaker":
        room = build("duel", "playing", alice, bob)
        return room, browser(alice), "The codemaker watches; only the codebreaker guesses.", 403
    if name == "forfeited":
        room = build("race", "playing", alice, bob)
        services.room_leave(room_code=room.code, user=alice)
        return room, browser(alice), "You have left this game.", 409
    raise AssertionError(name)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    "case", ["spectator", "finished", "not-started", "already-solved", "codemaker", "forfeited"]
)
def test_refused_guess_rerenders_the_board_with_its_status(alice, bob, carol, case, headers):
    room, client, message, status = guess_error_case(case, alice, bob, carol)
    before = snapshot(room)

    response = client.post(board_url(room, "guess/"), pegs([0, 1, 2, 3]), headers=headers)

    assert response.status_code == status
    assert message in text(response)
    assert 'id="board-error"' in response.content.decode()
    assert is_partial(response) == bool(headers)
    page(response)
    assert snapshot(room) == before


def test_anonymous_guess_redirects_to_sign_in(alice):
    room = services.room_create(user=alice, mode="solo")
    response = Client().post(board_url(room, "guess/"), pegs([0, 1, 2, 3]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Guess.objects.exists()


def test_guess_in_an_unknown_room_is_404(as_alice):
    assert as_alice.post("/rooms/ZZZZZZ/guess/", pegs([0, 1, 2, 3])).status_code == 404


# --- the duel secret --------------------------------------------------------------


def test_codemaker_sets_the_secret_from_the_board_form(alice, bob):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="duel")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/secret/")

    response = client.post(
        board_url(room, "secret/"),
        {"csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"], **pegs([3, 2, 1, 0])},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert fresh(room).secret == [3, 2, 1, 0]
    content = client.get(board_url(room)).content.decode()
    assert "(you set it)" in content
    assert not page(client.get(board_url(room))).has_form(f"/rooms/{room.code}/secret/")


def test_codemaker_sets_the_secret_with_htmx(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="duel")
    board = client.get(board_url(room))
    response = client.post(
        board_url(room, "secret/"), pegs([1, 1, 1, 1]), headers={**HTMX, "X-CSRFToken": hx_csrf(board)}
    )
    assert response.status_code == 200
    assert is_partial(response)
    assert fresh(room).secret == [1, 1, 1, 1]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_setting_the_secret_twice_is_409(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="duel")
    services.room_set_secret(room_code=room.code, user=alice, secret=[0, 1, 2, 3])
    before = snapshot(room)

    response = as_alice.post(board_url(room, "secret/"), pegs([3, 3, 3, 3]), headers=headers)

    assert response.status_code == 409
    assert "The secret is already set." in text(response)
    assert snapshot(room) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_codebreaker_setting_the_secret_is_403(as_bob, alice, bob, headers):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)
    before = snapshot(room)

    response = as_bob.post(board_url(room, "secret/"), pegs([3, 3, 3, 3]), headers=headers)

    assert response.status_code == 403
    assert "Only a duel's codemaker sets the secret." in text(response)
    assert snapshot(room) == before


def test_secret_with_a_missing_peg_is_400(as_alice, alice):
    room = services.room_create(user=alice, mode="duel")
    response = as_alice.post(board_url(room, "secret/"), {"peg_0": "1"})
    assert response.status_code == 400
    assert "Pick a colour for every peg." in response.content.decode()
    assert fresh(room).secret is None


def test_secret_that_repeats_a_colour_without_duplicates_is_400(as_alice, alice):
    room = services.room_create(user=alice, mode="duel", allow_duplicates=False)
    before = snapshot(room)
    response = as_alice.post(board_url(room, "secret/"), pegs([1, 1, 2, 3]))
    assert response.status_code == 400
    assert snapshot(room) == before


# --- join, leave, start, delete, rematch -----------------------------------------


def test_join_from_the_spectator_form_without_js(alice, bob):
    room = services.room_create(user=alice, mode="race")
    client = browser(bob, enforce_csrf_checks=True)
    parsed = page(client.get(board_url(room)))
    assert parsed.actions == {"Join"}
    form = parsed.form(f"/rooms/{room.code}/join/")

    response = client.post(board_url(room, "join/"), form["inputs"])

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert Player.objects.filter(room=room, user=bob).exists()
    assert page(client.get(board_url(room))).actions == {"Leave"}


def test_join_with_htmx_returns_the_board_partial(alice, bob):
    room = services.room_create(user=alice, mode="race")
    client = browser(bob, enforce_csrf_checks=True)
    board = client.get(board_url(room))

    response = client.post(board_url(room, "join/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})

    assert response.status_code == 200
    assert is_partial(response)
    assert page(response).actions == {"Leave"}
    assert 'data-username="bob" data-status="waiting"' in response.content.decode()


def test_action_without_a_csrf_token_is_refused(alice, bob):
    room = services.room_create(user=alice, mode="race")
    client = browser(bob, enforce_csrf_checks=True)
    client.get(board_url(room))
    assert client.post(board_url(room, "join/"), headers=HTMX).status_code == 403
    assert client.post(board_url(room, "join/")).status_code == 403
    assert not Player.objects.filter(room=room, user=bob).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_joining_a_full_room_is_409(as_carol, alice, bob, headers):
    room = build("duel", "waiting", alice, bob)
    before = snapshot(room)

    response = as_carol.post(board_url(room, "join/"), headers=headers)

    assert response.status_code == 409
    assert "The room is full." in text(response)
    assert is_partial(response) == bool(headers)
    assert snapshot(room) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_joining_twice_is_409(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="race")
    before = snapshot(room)
    response = as_alice.post(board_url(room, "join/"), headers=headers)
    assert response.status_code == 409
    assert "You have already joined this room." in text(response)
    assert snapshot(room) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_leave_while_waiting_removes_the_player(as_bob, alice, bob, headers):
    room = build("race", "waiting", alice, bob)
    response = as_bob.post(board_url(room, "leave/"), headers=headers)
    if headers:
        assert response.status_code == 200
        assert is_partial(response)
        assert page(response).actions == {"Join"}
    else:
        assert response.status_code == 302
        assert response["Location"] == f"/rooms/{room.code}/"
    assert not Player.objects.filter(room=room, user=bob).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_leave_while_playing_is_a_forfeit(as_bob, alice, bob, headers):
    room = build("race", "playing", alice, bob)
    response = as_bob.post(board_url(room, "leave/"), headers=headers)
    assert response.status_code == (200 if headers else 302)
    assert Player.objects.get(room=room, user=bob).status == "left"
    content = as_bob.get(board_url(room)).content.decode()
    assert 'data-username="bob" data-status="left"' in content
    assert page(as_bob.get(board_url(room))).actions == set()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_leave_by_a_spectator_is_403(as_carol, alice, bob, headers):
    room = build("race", "waiting", alice, bob)
    before = snapshot(room)
    response = as_carol.post(board_url(room, "leave/"), headers=headers)
    assert response.status_code == 403
    assert "You are not a player in this room." in text(response)
    assert snapshot(room) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_owner_starts_the_game(alice, bob, headers):
    room = build("race", "waiting", alice, bob)
    client = browser(alice, enforce_csrf_checks=True)
    board = client.get(board_url(room))
    form = page(board).form(f"/rooms/{room.code}/start/")
    if headers:
        response = client.post(board_url(room, "start/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})
        assert response.status_code == 200
        assert is_partial(response)
        assert page(response).actions == {"Guess", "Forfeit and leave"}
    else:
        response = client.post(board_url(room, "start/"), form["inputs"])
        assert response.status_code == 302
        assert response["Location"] == f"/rooms/{room.code}/"
    assert fresh(room).status == "playing"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_start_by_a_non_owner_is_403(as_bob, alice, bob, headers):
    room = build("race", "waiting", alice, bob)
    before = snapshot(room)
    response = as_bob.post(board_url(room, "start/"), headers=headers)
    assert response.status_code == 403
    assert "Only the room's owner can start the game." in text(response)
    assert snapshot(room) == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_start_alone_is_409(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="coop")
    before = snapshot(room)
    response = as_alice.post(board_url(room, "start/"), headers=headers)
    assert response.status_code == 409
    assert "A coop game needs at least 2 players." in text(response)
    assert snapshot(room) == before


def test_start_of_a_duel_without_a_secret_is_409(as_alice, alice, bob):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)
    before = snapshot(room)
    response = as_alice.post(board_url(room, "start/"))
    assert response.status_code == 409
    assert "The codemaker has not set the secret yet." in text(response)
    assert snapshot(room) == before


def test_start_twice_is_409(as_alice, alice, bob):
    room = build("race", "playing", alice, bob)
    before = snapshot(room)
    response = as_alice.post(board_url(room, "start/"))
    assert response.status_code == 409
    assert "The game has already started." in text(response)
    assert snapshot(room) == before


def test_delete_without_js_redirects_to_the_lobby(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="race")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/delete/")

    response = client.post(board_url(room, "delete/"), form["inputs"])

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Room.objects.filter(pk=room.pk).exists()
    assert client.get(board_url(room)).status_code == 404


def test_delete_with_htmx_answers_with_hx_redirect_to_the_lobby(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="race")
    board = client.get(board_url(room))
    form = page(board).form(f"/rooms/{room.code}/delete/")
    assert form["attrs"]["hx-target"] == "#board"

    response = client.post(board_url(room, "delete/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/"
    assert not Room.objects.filter(pk=room.pk).exists()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_delete_by_a_non_owner_is_403(as_bob, alice, bob, headers):
    room = build("race", "waiting", alice, bob)
    before = snapshot(room)
    response = as_bob.post(board_url(room, "delete/"), headers=headers)
    assert response.status_code == 403
    assert "Only the room's owner can delete it." in text(response)
    assert is_partial(response) == bool(headers)
    assert snapshot(room) == before


def test_delete_of_a_started_room_is_409(as_alice, alice, bob):
    room = build("race", "playing", alice, bob)
    before = snapshot(room)
    response = as_alice.post(board_url(room, "delete/"))
    assert response.status_code == 409
    assert snapshot(room) == before


def test_rematch_without_js_redirects_to_the_new_room(bob, alice):
    room = build("race", "finished", alice, bob)
    client = browser(bob, enforce_csrf_checks=True)
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/rematch/")

    response = client.post(board_url(room, "rematch/"), form["inputs"])

    new = Room.objects.get(rematch_of=room)
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{new.code}/"
    assert (new.owner, new.mode, new.status) == (bob, "race", "waiting")
    assert f'href="/rooms/{new.code}/"' in client.get(board_url(room)).content.decode()


def test_rematch_with_htmx_answers_with_hx_redirect(alice, bob):
    room = build("coop", "finished", alice, bob)
    client = browser(alice, enforce_csrf_checks=True)
    board = client.get(board_url(room))
    assert page(board).form(f"/rooms/{room.code}/rematch/")["attrs"]["hx-target"] == "#board"

    response = client.post(board_url(room, "rematch/"), headers={**HTMX, "X-CSRFToken": hx_csrf(board)})

    new = Room.objects.get(rematch_of=room)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/rooms/{new.code}/"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_second_rematch_is_409_naming_the_first(as_bob, alice, bob, headers):
    room = build("race", "finished", alice, bob)
    first = services.room_rematch(room_code=room.code, user=alice)
    before = snapshot(room)

    response = as_bob.post(board_url(room, "rematch/"), headers=headers)

    assert response.status_code == 409
    assert f"A rematch already exists: room {first.code}." in text(response)
    assert is_partial(response) == bool(headers)
    assert snapshot(room) == before
    assert Room.objects.filter(rematch_of=room).count() == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_rematch_by_a_spectator_is_403_and_before_the_end_409(as_alice, as_carol, alice, bob, headers):
    finished = build("race", "finished", alice, bob)
    assert as_carol.post(board_url(finished, "rematch/"), headers=headers).status_code == 403
    playing = build("race", "playing", alice, bob)
    assert as_alice.post(board_url(playing, "rematch/"), headers=headers).status_code == 409
    assert not Room.objects.filter(rematch_of__isnull=False).exists()


@pytest.mark.parametrize(
    "suffix", ["guess/", "secret/", "chat/", "rematch/", "delete/", "join/", "leave/", "start/", "dance/"]
)
def test_get_on_a_post_only_room_url_is_405(as_alice, alice, suffix):
    room = services.room_create(user=alice, mode="race")
    assert as_alice.get(board_url(room, suffix)).status_code == 405


@pytest.mark.parametrize("url", ["/play/quick/", "/rooms/new/", "/accounts/logout/"])
def test_get_on_a_post_only_url_is_405(as_alice, url):
    assert as_alice.get(url).status_code == 405


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_unknown_action_is_404(as_alice, alice, headers):
    room = services.room_create(user=alice, mode="race")
    before = snapshot(room)
    response = as_alice.post(board_url(room, "dance/"), headers=headers)
    assert response.status_code == 404
    assert "Back to the lobby" in response.content.decode()
    assert snapshot(room) == before


# --- chat -------------------------------------------------------------------------


def test_chat_from_the_board_form_is_stored_and_shown_escaped(alice):
    client = browser(alice, enforce_csrf_checks=True)
    room = services.room_create(user=alice, mode="race")
    form = page(client.get(board_url(room))).form(f"/rooms/{room.code}/chat/")

    response = client.post(
        board_url(room, "chat/"),
        {"csrfmiddlewaretoken": form["inputs"]["csrfmiddlewaretoken"], "text": "<script>alert(1)</script>"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert ChatMessage.objects.get(room=room).text == "<script>alert(1)</script>"
    content = client.get(board_url(room)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content


def test_chat_with_htmx_returns_the_partial_with_the_line(alice, bob):
    room = build("race", "playing", alice, bob)
    client = browser(bob, enforce_csrf_checks=True)
    board = client.get(board_url(room))

    response = client.post(
        board_url(room, "chat/"),
        {"text": "good luck <b>all</b>"},
        headers={**HTMX, "X-CSRFToken": hx_csrf(board)},
    )

    assert response.status_code == 200
    assert is_partial(response)
    content = response.content.decode()
    assert "<strong>bob</strong> good luck &lt;b&gt;all&lt;/b&gt;" in content


def test_spectator_of_a_public_room_may_chat(as_carol, alice, bob):
    room = build("race", "playing", alice, bob)
    assert as_carol.post(board_url(room, "chat/"), {"text": "go bob"}).status_code == 302
    assert ChatMessage.objects.get(room=room).user.username == "carol"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("message", ["", "   ", "x" * 501], ids=["empty", "blank", "501-chars"])
def test_bad_chat_is_400_and_nothing_stored(as_alice, alice, headers, message):
    room = services.room_create(user=alice, mode="race")
    before = snapshot(room)
    response = as_alice.post(board_url(room, "chat/"), {"text": message}, headers=headers)
    assert response.status_code == 400
    assert "A chat message has 1 to 500 characters." in response.content.decode()
    assert is_partial(response) == bool(headers)
    assert snapshot(room) == before


def test_chat_of_exactly_500_characters_is_stored(as_alice, alice):
    room = services.room_create(user=alice, mode="race")
    assert as_alice.post(board_url(room, "chat/"), {"text": "y" * 500}).status_code == 302
    assert len(ChatMessage.objects.get(room=room).text) == 500


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_third_chat_line_within_a_minute_is_429_at_two_per_minute(as_alice, alice, settings, headers):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "chat": "2/min"}
    settings.REST_FRAMEWORK = rest
    room = services.room_create(user=alice, mode="race")

    ok = [as_alice.post(board_url(room, "chat/"), {"text": f"line {i}"}, headers=headers) for i in range(2)]
    before = snapshot(room)
    response = as_alice.post(board_url(room, "chat/"), {"text": "one too many"}, headers=headers)

    assert [r.status_code for r in ok] == ([200, 200] if headers else [302, 302])
    assert response.status_code == 429
    assert re.search(r"Too many messages; try again in \d+ s\.", response.content.decode())
    assert is_partial(response) == bool(headers)
    assert snapshot(room) == before
    assert ChatMessage.objects.filter(room=room).count() == 2


# --- escaping ---------------------------------------------------------------------


def test_room_name_is_escaped_on_the_lobby_board_and_profile(as_alice, as_bob, alice):
    waiting = services.room_create(user=alice, mode="race", name=XSS_NAME)
    done = services.room_create(user=alice, mode="solo", name=XSS_NAME)
    services.guess_submit(room_code=done.code, user=alice, guess=secret_of(done))
    escaped = "&lt;img src=x onerror=alert(1)&gt;"

    pages = {
        "lobby (bob)": as_bob.get("/"),
        "lobby (alice)": as_alice.get("/"),
        "board": as_bob.get(board_url(waiting)),
        "board partial": as_bob.get(board_url(waiting), headers=HTMX),
        "finished board": as_bob.get(board_url(done)),
        "profile": as_bob.get("/users/alice/"),
    }
    for where, response in pages.items():
        content = response.content.decode()
        assert response.status_code == 200, where
        assert escaped in content, where
        assert "<img src=x" not in content, where
    lobby = pages["lobby (alice)"].content.decode()
    assert escaped in section(lobby, 'id="lobby-rooms"', "</ul>")
    assert escaped in section(lobby, 'aria-labelledby="mine-title"', "</section>")
    assert f"<title>{escaped} · Mastermind Online</title>" in pages["board"].content.decode()


def test_no_template_marks_text_safe():
    root = Path(django_settings.BASE_DIR) / "templates"
    templates = list(root.rglob("*.html"))
    assert len(templates) > 10
    for template in templates:
        source = template.read_text()
        assert "|safe" not in source.replace(" ", ""), template
        assert "autoescape off" not in source, template
        assert "safeseq" not in source, template


# --- leaderboard and profiles -----------------------------------------------------


def solo_win(user, *, private: bool = False, name: str = "A win") -> Room:
    room = services.room_create(user=user, mode="solo", private=private, name=name)
    services.guess_submit(room_code=room.code, user=user, guess=secret_of(room))
    return room


def solo_loss(user) -> Room:
    room = services.room_create(user=user, mode="solo", max_guesses=1, name="A loss")
    services.guess_submit(room_code=room.code, user=user, guess=wrong_guess(room))
    return room


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_leaderboard_lists_players_in_order_for_anyone(alice, bob, carol, dave, headers):
    solo_win(bob)
    solo_win(bob)
    solo_win(alice)
    solo_loss(carol)

    response = Client().get("/leaderboard/", headers=headers)

    assert response.status_code == 200
    page(response)
    body = section(response.content.decode(), "<tbody>", "</tbody>")
    assert re.findall(r'href="/users/(\w+)/"', body) == ["bob", "alice", "carol"]
    assert "<td>bob</td>" not in body
    # rank, player, wins, wins with hints, games
    assert re.search(r"<td>1</td><td><a [^>]+>bob</a></td><td>2</td><td>0</td><td>2</td>", body)


def test_leaderboard_when_nobody_has_played(db):
    response = Client().get("/leaderboard/")
    assert response.status_code == 200
    assert "No finished games yet." in response.content.decode()


def test_profile_shows_stats_and_recent_games_hiding_private_ones_from_others(alice, bob):
    solo_win(alice, name="Public win")
    solo_win(alice, private=True, name="Private win")
    solo_loss(alice)
    services.room_create(user=alice, mode="solo", name="Still playing")

    for viewer, sees_private in ((Client(), False), (browser(bob), False), (browser(alice), True)):
        for headers in ({}, HTMX):
            response = viewer.get("/users/alice/", headers=headers)
            assert response.status_code == 200
            page(response)
            content = response.content.decode()
            assert "<h1>alice</h1>" in content
            assert "<dt>Games</dt><dd>3</dd>" in content
            assert "<dt>Wins</dt><dd>2</dd>" in content
            recent = section(content, "<h2>Recent games</h2>", "</ul>")
            assert "Public win" in recent
            assert "A loss" in recent
            assert "Still playing" not in recent
            assert ("Private win" in recent) == sees_private


def test_unknown_user_is_the_friendly_404(db):
    response = Client().get("/users/nobody/")
    assert response.status_code == 404
    assert "Back to the lobby" in response.content.decode()


# --- error pages ------------------------------------------------------------------


def test_unknown_page_is_the_sites_404_template(as_alice):
    response = as_alice.get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Back to the lobby" in content
    assert 'class="brand"' in content
    page(response)


def test_a_crashing_view_renders_the_friendly_500_page(settings, caplog):
    settings.ROOT_URLCONF = "games.tests.urls_500"
    client = Client()
    client.raise_request_exception = False

    response = client.get("/test-500/")

    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "Back to the lobby" in content
    assert "boom" not in content
    assert "Traceback" not in content


# --- join by code, GET-only board, rematch link, sign-up throttle ------------------


def test_join_by_code_lets_an_invited_player_into_a_private_room(alice, bob):
    room = services.room_create(user=alice, mode="race", private=True)
    client = Client()
    client.force_login(bob)
    assert client.get(f"/rooms/{room.code}/").status_code == 404
    response = client.post("/join/", {"code": room.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"
    assert client.get(f"/rooms/{room.code}/").status_code == 200
    assert room.players.filter(user=bob).exists()


def test_join_by_code_of_an_unknown_room_is_404_on_the_lobby(bob):
    client = Client()
    client.force_login(bob)
    response = client.post("/join/", {"code": "ZZZZZZ"})
    assert response.status_code == 404
    assert "No such room." in response.content.decode()


def test_join_by_code_of_your_own_room_takes_you_to_it(alice):
    room = services.room_create(user=alice, mode="race")
    client = Client()
    client.force_login(alice)
    response = client.post("/join/", {"code": room.code})
    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.code}/"


def test_join_by_code_of_a_full_room_is_409(alice, bob, carol):
    room = services.room_create(user=alice, mode="duel")
    services.room_join(room_code=room.code, user=bob)
    client = Client()
    client.force_login(carol)
    assert client.post("/join/", {"code": room.code}).status_code == 409
    assert not room.players.filter(user=carol).exists()


def test_board_answers_only_get(alice):
    room = services.quick_play(user=alice)
    client = Client()
    client.force_login(alice)
    assert client.post(f"/rooms/{room.code}/").status_code == 405


def test_after_a_rematch_the_old_board_links_to_it_instead_of_offering_another(alice):
    room = services.quick_play(user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    new = services.room_rematch(room_code=room.code, user=alice)
    client = Client()
    client.force_login(alice)
    page = client.get(f"/rooms/{room.code}/").content.decode()
    assert f'href="/rooms/{new.code}/"' in page
    assert f'action="/rooms/{room.code}/rematch/"' not in page


def test_sign_up_page_is_rate_limited_per_address(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "1/min"},
    }
    data = {"username": "erin", "password1": "a long passphrase 42", "password2": "a long passphrase 42"}
    assert Client().post("/accounts/register/", data).status_code == 302
    response = Client().post("/accounts/register/", {**data, "username": "frank"})
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert not get_user_model().objects.filter(username="frank").exists()


def test_join_by_code_with_a_nul_byte_is_404_not_a_server_error(bob):
    client = Client()
    client.force_login(bob)
    response = client.post("/join/", {"code": "AB\x00CDE"})
    assert response.status_code == 404
