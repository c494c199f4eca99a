"""Reading the pages as a browser does, for the page tests (test_pages_*.py).

Everything those tests assert is what a browser receives: status, headers
and HTML. Rooms are made with games.tests.factories.

`page(response)` parses a response into its forms, buttons, ids and body
attributes and fails on badly nested tags; `browser(user)` is a signed-in
Django test client; `snapshot(room)` is what a refused request must leave
untouched.
"""

import html
import json
import re
from html.parser import HTMLParser

from django.test import Client

from games.models import ChatMessage, Guess, Player, Room
from games.tests.factories import fresh

HTMX = {"HX-Request": "true"}

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


def selected_pegs(response, form_id: str) -> list[str | None]:
    """The colour each select of a code form (guess-form, secret-form) shows; None: the empty option."""
    form = section(response.content.decode(), f'id="{form_id}"', "</form>")
    chosen = []
    for select in form.split("<select ")[1:]:
        found = re.search(r'<option value="(\d+)"[^>]* selected>', select.split("</select>")[0])
        chosen.append(found.group(1) if found else None)
    return chosen


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


def board_url(room, suffix: str = "") -> str:
    return f"/rooms/{room.code}/{suffix}"


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


def refused(client: Client, room: Room, action: str, data=None, *, headers=None, status: int, message=None):
    """Post `action` on the room's board and see it refused with `status` and `message`.

    The answer is the whole page, or with HTMX the board partial (both show the
    message), and the room is as it was: no guess, player, chat line or version.
    """
    before = snapshot(room)
    response = client.post(board_url(room, action), data or {}, headers=headers or {})
    assert response.status_code == status
    if message is not None:
        assert message in text(response)
    assert is_partial(response) == bool(headers)
    page(response)
    assert snapshot(room) == before
    return response
