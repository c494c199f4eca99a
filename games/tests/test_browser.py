"""A real browser on a real server (issue #5): Playwright driving Debian's Chromium.

The module starts one daphne (games/tests/servers.py) on this test run's
database and one headless Chromium (/usr/bin/chromium, never Playwright's own
download). Users are made in the test database; they sign in, or sign up,
through the real pages.

- A race between two browser contexts: each sees the other's progress appear
  without a reload (the /ws/rooms/{code}/html/ socket), the rival's colours
  hidden until the end, then every colour and the secret.
- A solo game played with the mouse alone (palette colours fill holes, a
  filled hole clears by a click, a colour dragged onto a hole sets it), and
  one with the keyboard alone (digits, Backspace, Enter); each new row and
  the finish is read out by the page's polite live region.
- A solo game with JavaScript disabled: every step a plain form post and a
  full page load.

Any console error, uncaught page error, socket error or 5xx answer fails the
test. The race also takes the README's screenshots (desktop 1280×800, phone
375×740, one in dark mode) into var/screenshots/, so a test run leaves the
committed ones alone; `make screenshots` runs it with SCREENSHOTS_DIR set to
docs/screenshots/ to refresh them.

The secret is read from the database only to steer the guesses; the page
never shows it before the end, and that is asserted.
"""

import contextlib
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import global_settings, settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from games import rules, services
from games.boards import PALETTE, colours
from games.tests.factories import fresh, secret_of, wrong_guess
from games.tests.servers import LiveServer, live_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
# The network is closed: these keep Chromium from waiting on services it cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000  # the longest any one expectation may wait
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
DOCS_SCREENSHOTS = settings.BASE_DIR / "docs" / "screenshots"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or settings.BASE_DIR / "var" / "screenshots").resolve()
PASSWORD = "correct horse battery staple"  # conftest's make_user default
LOBBY_URL = re.compile(r"^http://127\.0\.0\.1:\d+/$")

expect.set_options(timeout=WAIT_MS)

# Test-side instrumentation (not the app's): counts the swaps of htmx request
# answers (not the socket's out-of-band swaps), and remembers the newest board
# version the socket sent. (htmx:afterRequest would not do: when the socket's
# frame re-renders the move form first, the posting form is detached and its
# afterRequest never reaches the document.)
INSTRUMENT = """
(() => {
  const mm = (window.__mm = { swaps: 0, wsVersion: 0, wsOpen: 0, wsMessages: 0 });
  document.addEventListener("htmx:wsOpen", () => { mm.wsOpen += 1; });
  document.addEventListener("htmx:wsAfterMessage", (event) => {
    mm.wsMessages += 1;
    const found = /data-version="(\\d+)"/.exec(event.detail.message || "");
    if (found) mm.wsVersion = Math.max(mm.wsVersion, Number(found[1]));
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.requestConfig) mm.swaps += 1;
  });
})();
"""


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sync_orm_beside_playwright():
    """Let the ORM run in this thread while Playwright's sync API is alive.

    Playwright's sync API keeps its asyncio loop running in this thread (in
    another greenlet), so Django's async-safety check would refuse every query
    the test makes (and pytest-django's flush after each test). Nothing here
    runs concurrently with that loop, which is what Django's docs allow the
    variable for. It is set for this module only and removed after it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(django_db_setup, sync_orm_beside_playwright):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"\n[browser tests] Chromium {chromium.version} ({CHROMIUM})")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """One daphne for the module, on the test database (committed data only: transaction=True)."""
    with contextlib.ExitStack() as stack:
        with django_db_blocker.unblock():
            running = stack.enter_context(live_server())
        yield running


@pytest.fixture
def make_server_user(make_user, settings):
    """conftest's make_user, hashed with Django's default hasher.

    The test settings hash with MD5 for speed, but the server process keeps
    the default PASSWORD_HASHERS and could not check an MD5 hash: users that
    sign in through the page need a hash the server knows.
    """
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    return make_user


@dataclass
class Tab:
    """A page in a context of its own (one user), and every error it reported."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_tab(browser: Browser, server: LiveServer):
    """open_tab(js=True, viewport=DESKTOP) -> Tab; closed (and checked for errors) after the test."""
    tabs: list[Tab] = []

    def open_(*, js: bool = True, viewport: dict = DESKTOP) -> Tab:
        context = browser.new_context(
            base_url=server.http_url, viewport=viewport, java_script_enabled=js, locale="en-US"
        )
        if js:
            context.add_init_script(INSTRUMENT)
        page = context.new_page()
        tab = Tab(context, page)
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and tab.errors.append(f"console: {message.text} at {message.location}")
            ),
        )
        page.on("pageerror", lambda error: tab.errors.append(f"pageerror: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 500
                and tab.errors.append(f"HTTP {response.status} for {response.request.method} {response.url}")
            ),
        )
        page.on(
            "websocket",
            lambda ws: ws.on("socketerror", lambda error: tab.errors.append(f"socket {ws.url}: {error}")),
        )
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        tab.context.close()
    errors = [error for tab in tabs for error in tab.errors]
    assert not errors, "browser errors:\n" + "\n".join(errors) + f"\n\n{server.describe()}"


def assert_no_errors(*tabs: Tab) -> None:
    errors = [error for tab in tabs for error in tab.errors]
    assert not errors, "browser errors:\n" + "\n".join(errors)


# --- helpers ------------------------------------------------------------------


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    submit_and_land_signed_in(page, username)


def sign_up(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/register/")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    submit_and_land_signed_in(page, username)


def submit_and_land_signed_in(page: Page, username: str) -> None:
    """Submit the page's form: the lobby follows, its header naming `username`."""
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page).to_have_url(LOBBY_URL)
    expect(page.locator("header.site nav")).to_contain_text(username)


def room_code(page: Page) -> str:
    expect(page).to_have_url(re.compile(r"/rooms/[^/]+/$"))
    return page.locator("#live").get_attribute("data-room")


def play_now(page: Page) -> str:
    """A visitor's one click on the home page: a guest and a started board; its room code."""
    page.goto("/")
    with page.expect_navigation():
        page.click("form[action='/play/now/'] button[type=submit]")
    return room_code(page)


def peg_texts(code: list[int], colors: int = 6) -> list[str]:
    """How pegs.html reads: symbol, number, then the colour's name for screen readers."""
    palette = colours(colors)
    return [f"{palette[c]['symbol']}{palette[c]['number']} {palette[c]['name']}" for c in code]


def feedback_text(secret: list[int], guess: list[int]) -> str:
    exact, misplaced = rules.score(secret, guess)
    return f"{exact} ● {misplaced} ○"


def key_for(colour: int) -> str:
    return "0" if colour == 9 else str(colour + 1)


def wait_settled(page: Page, swaps_before: int) -> None:
    """An htmx post answered and swapped, and the socket caught up with the board it shows.

    Our own move reaches the page twice (the post's answer and the socket's
    frame, both re-rendering the move form); picking the next guess before
    both have landed could be wiped by the later one.
    """
    page.wait_for_function(
        """n => window.__mm.swaps > n
             && window.__mm.wsVersion >= Number(document.querySelector('#board-version').dataset.version)""",
        arg=swaps_before,
        timeout=WAIT_MS,
    )


def swaps_so_far(page: Page) -> int:
    return page.evaluate("window.__mm.swaps")


def wait_socket_open(page: Page) -> None:
    """The page's socket is open and its first frame (the whole board, the move form included) has
    landed: a colour picked before that frame would be wiped by it."""
    wait_until_true(page, "window.__mm.wsOpen > 0 && window.__mm.wsMessages > 0")


def wait_until_true(page: Page, expression: str, timeout_ms: int = WAIT_MS) -> None:
    """Poll a JavaScript expression from here until it is true.

    Not `page.wait_for_function`: while it polls, Playwright compiles the
    expression inside the page, which the site's Content-Security-Policy
    (no 'unsafe-eval') refuses; `page.evaluate` runs it through the
    DevTools protocol, which the policy does not govern.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_ms} ms: {expression}"
        page.wait_for_timeout(25)


def hole_label(i: int, colour: int | None) -> str:
    """A hole's accessible name (board.js): "Peg 2: 3 green, press to clear", or "Peg 2: empty"."""
    if colour is None:
        return f"Peg {i + 1}: empty"
    peg = colours(len(PALETTE))[colour]
    return f"Peg {i + 1}: {peg['number']} {peg['name']}, press to clear"


def expect_picked(form, code: list[int | None]) -> None:
    """Each hole shows its colour (or is empty), and the hidden select the form posts agrees."""
    for i, colour in enumerate(code):
        expect(form.locator(f"select[name=peg_{i}]")).to_have_value("" if colour is None else str(colour))
        hole = form.locator(f".code-holes button[data-hole='{i}']")
        expect(hole).to_have_attribute("aria-label", hole_label(i, colour))
        if colour is None:
            expect(hole).not_to_have_class(re.compile(r"\bpeg\b"))
        else:
            expect(hole).to_have_class(re.compile(rf"\bpeg c{colour}\b"))


def palette_click(page: Page, colour: int, form: str = "#guess-form") -> None:
    page.locator(f"{form} .palette button[data-colour='{colour}']").click()


def click_guess(page: Page, code: list[int]) -> None:
    """Pick with the palette buttons (mouse), then press the Guess button (an htmx post)."""
    form = page.locator("#guess-form")
    for colour in code:
        palette_click(page, colour)
    expect_picked(form, code)
    before = swaps_so_far(page)
    form.locator("button[type=submit]").click()
    wait_settled(page, before)


def announced(page: Page):
    """The page's polite live region (templates/games/room.html), outside the swapped board."""
    return page.locator("#announcer[aria-live=polite]")


def feedback_sentence(secret: list[int], guess: list[int], number: int) -> str:
    exact, misplaced = rules.score(secret, guess)
    return f"Guess {number}: {exact} exact, {misplaced} misplaced."


def board(page: Page, owner: str):
    return page.locator(f"#boards .guess-board[data-owner='{owner}']")


def player(page: Page, username: str):
    return page.locator(f"#players li[data-username='{username}']")


def screenshot(page: Page, name: str, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_no_overflow(page: Page) -> None:
    """Nothing wider than the viewport (no sideways scrolling on a phone)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


def screenshots(page: Page, name: str, *, dark: bool = False) -> None:
    screenshot(page, f"{name}-desktop", DESKTOP)
    assert_no_overflow(page)
    screenshot(page, f"{name}-phone", PHONE)
    assert_no_overflow(page)
    if dark:
        page.emulate_media(color_scheme="dark")
        screenshot(page, "board-dark-phone", PHONE)
        page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)


# --- (a) a race between two browsers -----------------------------------------------


def committed_screenshots() -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(DOCS_SCREENSHOTS.glob("*.png"))
    }


@pytest.fixture
def docs_screenshots_untouched():
    """A test run leaves docs/screenshots/ as committed (unless asked to refresh it)."""
    before = committed_screenshots()
    yield
    if DOCS_SCREENSHOTS.resolve() != SCREENSHOTS:
        assert committed_screenshots() == before, "the test run rewrote docs/screenshots/"


def assert_screenshots_taken(*prefixes: str) -> None:
    """Every committed screenshot of these names was taken again by this run (so `make screenshots` refreshes it)."""
    committed = {name for name in committed_screenshots() if name.startswith(prefixes)}
    assert committed and {p.name for p in SCREENSHOTS.glob("*.png")} >= committed


def test_race_between_two_browsers_updates_live(open_tab, make_server_user, docs_screenshots_untouched):
    make_server_user("alice")
    alice_tab, bob_tab = open_tab(), open_tab()
    alice, bob = alice_tab.page, bob_tab.page

    sign_in(alice, "alice")
    alice.fill("#id_name", "Friday race")
    alice.select_option("#id_mode", "race")
    alice.fill("#id_max_players", "2")
    with alice.expect_navigation():
        alice.click("form[action='/rooms/new/'] button[type=submit]")
    code = room_code(alice)
    expect(alice.locator("#room-status")).to_have_text("waiting")
    wait_socket_open(alice)

    # Bob signs up through the real page; the room is in his lobby.
    sign_up(bob, "bob", "a-Long-passphrase-for-bob-42")
    expect(bob.locator(f"#lobby-room-{code}")).to_contain_text("Friday race")
    expect(bob.locator(f"#lobby-room-{code}")).to_contain_text("1/2")
    # The lobby socket's first frame re-renders the list, and keeps its styling.
    wait_until_true(bob, "window.__mm.wsMessages > 0")
    expect(bob.locator("#lobby-rooms")).to_have_class("rooms")
    expect(bob.locator(f"#lobby-room-{code}")).to_contain_text("1/2")
    screenshots(bob, "lobby")
    bob.click(f"#lobby-room-{code} a")
    expect(bob).to_have_url(re.compile(rf"/rooms/{code}/$"))
    wait_socket_open(bob)
    bob.click("form[action$='/join/'] button")
    expect(player(bob, "bob")).to_be_visible()

    # Alice sees Bob join, and starts the race; Bob's move form appears, no reload.
    expect(player(alice, "bob")).to_be_visible()
    alice.click("form[action$='/start/'] button")
    expect(alice.locator("#room-status")).to_have_text("playing")
    expect(bob.locator("#room-status")).to_have_text("playing")
    expect(bob.locator("#guess-form .palette")).to_be_visible()
    expect(alice.locator("#guess-form .palette")).to_be_visible()
    # A mark in each page's window: a reload would wipe it.
    for page in (alice, bob):
        page.evaluate("window.__sameDocument = true")

    secret = secret_of(code)
    a1, b1, b2 = wrong_guess(code, shift=1), wrong_guess(code, shift=2), wrong_guess(code, shift=3)

    # With JS the holes are the form; the selects hold the values out of sight.
    for page in (alice, bob):
        expect(page.locator("#guess-form .code-holes")).to_be_visible()
        expect(page.locator("#guess-form select[name=peg_0]")).to_be_hidden()
    # Bob half-picks a guess; Alice's guess must not wipe it.
    palette_click(bob, b1[0])
    click_guess(alice, a1)
    expect(announced(alice)).to_have_text(feedback_sentence(secret, a1, 1))
    expect(board(alice, "alice").locator(".row")).to_have_count(1)
    expect(board(alice, "alice").locator(".row .feedback")).to_have_text(feedback_text(secret, a1))
    expect(board(alice, "alice").locator(".row .pegs .peg")).to_have_text(peg_texts(a1))

    # Bob's page, never reloaded: Alice's progress, her colours hidden.
    expect(player(bob, "alice").locator(".progress")).to_have_text("1 guess")
    expect(board(bob, "alice").locator(".row")).to_have_count(1)
    expect(board(bob, "alice").locator(".row .hidden-pegs .secret-hole")).to_have_text(["?"] * 4)
    expect(board(bob, "alice").locator(".row .feedback")).to_have_text(feedback_text(secret, a1))
    expect(board(bob, "alice").locator(".peg")).to_have_count(0)
    # Read out to Bob without moving his focus; her colours stay unsaid.
    expect(announced(bob)).to_have_text("alice made guess 1.")
    expect_picked(bob.locator("#guess-form"), [b1[0], None, None, None])

    # Bob finishes his pick and guesses; Alice sees it live.
    for colour in b1[1:]:
        palette_click(bob, colour)
    expect_picked(bob.locator("#guess-form"), b1)
    before = swaps_so_far(bob)
    bob.click("#guess-form button[type=submit]")
    wait_settled(bob, before)
    expect(announced(bob)).to_have_text(feedback_sentence(secret, b1, 1))
    click_guess(bob, b2)
    expect(announced(alice)).to_have_text("bob made guess 2.")
    expect(board(bob, "bob").locator(".row .feedback")).to_have_text(
        [feedback_text(secret, b1), feedback_text(secret, b2)]
    )
    expect(player(alice, "bob").locator(".progress")).to_have_text("2 guesses")
    expect(board(alice, "bob").locator(".row .hidden-pegs")).to_have_count(2)
    expect(board(alice, "bob").locator(".row .hidden-pegs .secret-hole")).to_have_count(8)  # a hole per peg
    expect(board(alice, "bob").locator(".peg")).to_have_count(0)
    for page in (alice, bob):
        expect(page.locator(".secret")).to_have_count(0)
    # A half-picked guess for the pictures: two holes filled.
    palette = alice.locator("#guess-form .palette")
    for colour in secret[:2]:
        palette.locator(f"button[data-colour='{colour}']").click()
    expect(alice.locator("#guess-form .code-holes .peg")).to_have_count(2)
    screenshots(alice, "board-midgame", dark=True)
    palette.locator("button[data-clear]").click()
    palette.locator("button[data-clear]").click()
    expect_picked(alice.locator("#guess-form"), [None] * 4)

    # Alice cracks it first; the race goes on for Bob, her colours still hidden from him.
    click_guess(alice, secret)
    expect(alice.locator("#controls")).to_contain_text("Solved! Waiting for the others.")
    expect(player(bob, "alice")).to_have_attribute("data-status", "solved")
    expect(player(bob, "alice").locator(".place")).to_have_text("#1")
    expect(board(bob, "alice").locator(".row")).to_have_count(2)
    expect(board(bob, "alice").locator(".peg")).to_have_count(0)
    expect(bob.locator("#room-status")).to_have_text("playing")
    expect(bob.locator(".secret")).to_have_count(0)

    # Bob cracks it too: the race is over and both pages show everything.
    click_guess(bob, secret)
    expect(announced(bob)).to_have_text(
        f"{feedback_sentence(secret, secret, 3)} 2nd of 2: solved in 3 of 10. Winner: alice."
    )
    expect(announced(alice)).to_have_text(
        "bob made guess 3: 4 exact, 0 misplaced. 1st of 2: solved in 2 of 10. Winner: alice."
    )
    rows = {"alice": [a1, secret], "bob": [b1, b2, secret]}
    for page in (alice, bob):
        expect(page.locator("#room-status")).to_have_text("finished")
        expect(page.locator(".result")).to_have_text("Winner: alice")
        expect(page.locator(".secret .peg")).to_have_text(peg_texts(secret))
        expect(page.locator(".hidden-pegs")).to_have_count(0)
        for owner, guesses in rows.items():
            expect(board(page, owner).locator(".row")).to_have_count(len(guesses))
            for n, guess in enumerate(guesses):
                row = board(page, owner).locator(".row").nth(n)
                expect(row.locator(".peg")).to_have_text(peg_texts(guess))
                expect(row.locator(".feedback")).to_have_text(feedback_text(secret, guess))
        expect(player(page, "bob").locator(".place")).to_have_text("#2")
        expect(page.locator("#guess-form")).to_have_count(0)
    for page in (alice, bob):
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    screenshots(bob, "board-finished")
    assert_screenshots_taken("lobby-", "board-midgame-", "board-dark-", "board-finished-")
    assert_no_errors(alice_tab, bob_tab)


# --- (b) the keyboard alone ----------------------------------------------------------


def test_solo_game_with_the_mouse_alone(open_tab, make_server_user):
    """Issue #12: the guess is built in holes by clicking colours; a click on a filled hole clears it."""
    make_server_user("erin")
    tab = open_tab()
    page = tab.page
    sign_in(page, "erin")
    page.click("form[action='/play/quick/'] button[type=submit]")  # htmx post, then HX-Redirect
    code = room_code(page)
    wait_socket_open(page)
    secret = secret_of(code)
    form = page.locator("#guess-form")
    holes = form.locator(".code-holes button[data-hole]")
    rows = page.locator("#boards .row")

    # With JS on, the holes are the form; the selects hold the values out of sight.
    expect(form.locator(".code-holes")).to_be_visible()
    expect(holes).to_have_count(4)
    for i in range(4):
        expect(form.locator(f"select[name=peg_{i}]")).to_be_hidden()
    expect_picked(form, [None] * 4)

    first = wrong_guess(code, shift=1)
    other = next(c for c in range(6) if c != first[1])
    for colour in (first[0], other, first[2]):
        palette_click(page, colour)
    expect_picked(form, [first[0], other, first[2], None])
    # A filled hole clears by a click; the next colour fills the first empty hole.
    holes.nth(1).click()
    expect_picked(form, [first[0], None, first[2], None])
    # Guess with holes empty: nothing is sent, the page says why and points at the first empty hole.
    form.locator("button[type=submit]").click()
    expect(announced(page)).to_have_text("Pick a colour for every peg.")
    expect(holes.nth(1)).to_be_focused()
    palette_click(page, first[1])
    expect_picked(form, [first[0], first[1], first[2], None])
    palette_click(page, first[3])
    expect_picked(form, first)
    expect(rows).to_have_count(0)
    before = swaps_so_far(page)
    form.locator("button[type=submit]").click()
    wait_settled(page, before)
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".feedback")).to_have_text(feedback_text(secret, first))
    expect(rows.nth(0).locator(".peg")).to_have_text(peg_texts(first))
    expect(announced(page)).to_have_text(feedback_sentence(secret, first, 1))
    expect_picked(form, [None] * 4)  # the next row starts empty

    # A colour dragged onto a hole sets that hole (pointer only; clicks do the same).
    form.locator(f".palette button[data-colour='{secret[2]}']").drag_to(holes.nth(2))
    expect_picked(form, [None, None, secret[2], None])
    for colour in (secret[0], secret[1], secret[3]):
        palette_click(page, colour)
    expect_picked(form, secret)
    before = swaps_so_far(page)
    form.locator("button[type=submit]").click()
    wait_settled(page, before)
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator(".feedback")).to_have_text("4 ● 0 ○")
    expect(page.locator("#room-status")).to_have_text("finished")
    expect(page.locator(".finish")).to_have_text("Solved in 2 of 10")
    expect(announced(page)).to_have_text("Guess 2: 4 exact, 0 misplaced. Solved in 2 of 10. Winner: erin.")
    expect(page.locator("#guess-form")).to_have_count(0)
    assert_no_errors(tab)


def test_duel_codemaker_sets_the_secret_in_the_holes(open_tab, make_server_user):
    """The secret form is the same holes and palette as the guess form."""
    alice = make_server_user("alice")
    room = services.room_create(user=alice, mode="duel")
    tab = open_tab()
    page = tab.page
    sign_in(page, "alice")
    page.goto(f"/rooms/{room.code}/")
    wait_socket_open(page)
    form = page.locator("#secret-form")
    expect(form.locator(".code-holes")).to_be_visible()
    expect(form.locator("select[name=peg_0]")).to_be_hidden()
    for colour in (3, 2, 1, 0):
        palette_click(page, colour, "#secret-form")
    form.locator(".code-holes button[data-hole='0']").click()
    expect_picked(form, [None, 2, 1, 0])
    palette_click(page, 5, "#secret-form")
    expect_picked(form, [5, 2, 1, 0])
    form.locator("button[type=submit]").click()
    expect(page.locator(".secret .peg")).to_have_text(peg_texts([5, 2, 1, 0]))
    expect(page.locator("#secret-form")).to_have_count(0)
    assert fresh(room).secret == [5, 2, 1, 0]
    assert_no_errors(tab)


def test_solo_game_with_the_keyboard_alone(open_tab, make_server_user):
    make_server_user("carol")
    tab = open_tab()
    page = tab.page
    sign_in(page, "carol")
    page.click("form[action='/play/quick/'] button[type=submit]")  # htmx post, then HX-Redirect
    code = room_code(page)
    expect(page.locator("#guess-form .palette")).to_be_visible()
    wait_socket_open(page)
    secret = secret_of(code)
    selects = [page.locator(f"#guess-form select[name=peg_{i}]") for i in range(4)]
    rows = page.locator("#boards .row")

    def focus_body() -> None:
        page.locator("#room-title").click()  # not focusable: focus goes to the body
        assert page.evaluate("document.activeElement === document.body")

    def type_guess(guess: list[int]) -> None:
        focus_body()
        for colour in guess:
            page.keyboard.press(key_for(colour))
        for select, colour in zip(selects, guess, strict=True):
            expect(select).to_have_value(str(colour))
        before = swaps_so_far(page)
        page.keyboard.press("Enter")
        wait_settled(page, before)

    # Digits pick, Backspace removes the last peg.
    first, second = wrong_guess(code, shift=1), wrong_guess(code, shift=2)
    focus_body()
    page.keyboard.press(key_for(first[0]))
    page.keyboard.press(key_for(second[1]))
    expect(selects[1]).to_have_value(str(second[1]))
    page.keyboard.press("Backspace")
    expect(selects[1]).to_have_value("")
    expect(selects[0]).to_have_value(str(first[0]))
    page.keyboard.press("Enter")  # incomplete: nothing is sent
    for colour in first[1:]:
        page.keyboard.press(key_for(colour))
    for select, colour in zip(selects, first, strict=True):
        expect(select).to_have_value(str(colour))
    expect(rows).to_have_count(0)
    before = swaps_so_far(page)
    page.keyboard.press("Enter")
    wait_settled(page, before)
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".feedback")).to_have_text(feedback_text(secret, first))
    expect(rows.nth(0).locator(".peg")).to_have_text(peg_texts(first))
    expect(page.locator("#remaining")).to_have_text("9")
    expect(page.locator(".secret")).to_have_count(0)
    expect(announced(page)).to_have_text(feedback_sentence(secret, first, 1))

    type_guess(second)
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator(".feedback")).to_have_text(feedback_text(secret, second))
    expect(page.locator(".secret")).to_have_count(0)

    type_guess(secret)
    expect(rows).to_have_count(3)
    expect(rows.nth(2).locator(".feedback")).to_have_text("4 ● 0 ○")
    expect(page.locator("#room-status")).to_have_text("finished")
    expect(page.locator(".result")).to_have_text("Winner: carol")
    expect(page.locator(".secret .peg")).to_have_text(peg_texts(secret))
    expect(page.locator("#guess-form")).to_have_count(0)
    assert_no_errors(tab)


def test_find_an_opponent_then_the_rating_chart_and_the_daily_share(
    open_tab, make_server_user, docs_screenshots_untouched
):
    """Two browsers find each other (SPEC §8), play a rated race to the end; the profile draws the
    rating, the finished board replays, the daily board shares (§9). Takes their screenshots."""
    make_server_user("alice")
    make_server_user("bob")
    alice, bob = open_tab().page, open_tab().page
    sign_in(alice, "alice")
    sign_in(bob, "bob")
    alice.check("form[action='/play/match/'] input[name=rated]")
    with alice.expect_navigation():
        alice.click("form[action='/play/match/'] button[type=submit]")
    expect(alice.locator("#match-status [role=status]")).to_contain_text("Searching for a rated race")
    bob.check("form[action='/play/match/'] input[name=rated]")
    with bob.expect_navigation():
        bob.click("form[action='/play/match/'] button[type=submit]")
    code = room_code(bob)
    # Alice's waiting page asks again every 2 s and follows the match to the board.
    expect(alice).to_have_url(re.compile(rf"/rooms/{code}/$"), timeout=WAIT_MS)
    for page in (alice, bob):
        expect(page.locator("#room-status")).to_have_text("playing")
        wait_socket_open(page)
    secret = secret_of(code)
    click_guess(alice, secret)
    click_guess(bob, wrong_guess(code, shift=1))
    click_guess(bob, secret)
    for page in (alice, bob):
        expect(page.locator("#room-status")).to_have_text("finished")

    alice.goto("/users/alice/")
    expect(alice.locator(".rating-chart polyline")).to_have_count(1)
    expect(alice.locator("h2#rating-race")).to_contain_text("Race rating: 1")
    screenshots(alice, "profile-rating")

    bob.goto(f"/rooms/{code}/")
    bob.locator("#room-title").click()
    with bob.expect_navigation():
        bob.keyboard.press("ArrowLeft")
    expect(bob.locator("[data-replay] [role=status]")).to_have_text("Move 2 of 3")
    screenshots(bob, "board-replay")

    alice.goto("/daily/")
    with alice.expect_navigation():
        alice.click("form[action='/daily/'] button[type=submit]")
    daily_code = room_code(alice)
    wait_socket_open(alice)
    click_guess(alice, secret_of(daily_code))
    alice.goto("/daily/")
    expect(alice.locator("pre.share")).to_contain_text("1/10")
    expect(alice.locator("pre.share")).to_contain_text("●●●●●")
    screenshots(alice, "daily")
    assert_screenshots_taken("profile-rating-", "board-replay-", "daily-")


def test_a_visitor_plays_as_a_guest_then_replays_the_game_with_the_arrow_keys(open_tab):
    """SPEC §7 and §9: one click to a board, no sign-up; the finished board's analysis and replay."""
    tab = open_tab()
    page = tab.page
    code = play_now(page)
    expect(page.locator(".guest-note")).to_contain_text("Keep your games: create an account")
    expect(page.locator("header.site nav")).to_contain_text("guest-")
    wait_socket_open(page)
    secret = secret_of(code)
    for guess in (wrong_guess(code, shift=1), secret):
        click_guess(page, guess)
    expect(page.locator("#room-status")).to_have_text("finished")

    page.reload()  # the analysis is rendered with the finished page
    expect(page.locator("#analysis .verdicts li")).to_have_count(2)
    expect(page.locator("#analysis .verdicts li").nth(0)).to_contain_text(
        "of 1296; the best guess could have left"
    )
    rows = page.locator("#boards .row")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-replay] [role=status]")).to_have_text("Move 2 of 2")
    page.locator("#room-title").click()  # focus the page, not a control
    with page.expect_navigation():
        page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"\?move=1$"))
    expect(rows).to_have_count(1)
    expect(page.locator("[data-replay] [role=status]")).to_have_text("Move 1 of 2")
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")
    expect(rows).to_have_count(2)
    assert_no_errors(tab)


# --- (c) JavaScript disabled: form posts only ------------------------------------------


def test_solo_game_without_javascript(open_tab, make_server_user):
    make_server_user("dave")
    tab = open_tab(js=False)
    page = tab.page

    def post(selector: str):
        """Submit a form by its button: a full page load after a POST and its redirect."""
        with page.expect_navigation() as navigation:
            page.click(selector)
        response = navigation.value
        assert response is not None and response.status == 200, response and response.status
        posted = response.request.redirected_from
        assert posted is not None and posted.method == "POST", "expected post/redirect/get"
        return response

    sign_in(page, "dave")
    post("form[action='/play/quick/'] button[type=submit]")
    code = room_code(page)
    expect(page.locator("#guess-form .palette")).to_be_hidden()  # the JS palette and holes stay hidden
    expect(page.locator("#guess-form .code-holes")).to_be_hidden()
    for i in range(4):
        expect(page.locator(f"#guess-form select[name=peg_{i}]")).to_be_visible()
    secret = secret_of(code)
    rows = page.locator("#boards .row")

    for n, guess in enumerate([wrong_guess(code, shift=1), wrong_guess(code, shift=3), secret], start=1):
        expect(page.locator(".secret")).to_have_count(0)
        for i, colour in enumerate(guess):
            page.select_option(f"#guess-form select[name=peg_{i}]", str(colour))
        post("#guess-form button[type=submit]")
        expect(page).to_have_url(re.compile(rf"/rooms/{code}/$"))
        expect(rows).to_have_count(n)
        expect(rows.nth(n - 1).locator(".feedback")).to_have_text(feedback_text(secret, guess))
        expect(rows.nth(n - 1).locator(".peg")).to_have_text(peg_texts(guess))

    expect(page.locator("#room-status")).to_have_text("finished")
    expect(page.locator(".result")).to_have_text("Winner: dave")
    expect(page.locator(".secret .peg")).to_have_text(peg_texts(secret))

    # Rematch and sign out are plain posts too.
    post("form[action$='/rematch/'] button[type=submit]")
    assert room_code(page) != code
    post("header.site form button[type=submit]")
    expect(page.locator("header.site nav")).to_contain_text("Sign in")
    assert_no_errors(tab)
