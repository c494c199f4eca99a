"""axe-core on every page family (issue #12), in Debian's Chromium on a real daphne.

Each page is checked in light and dark and at desktop and phone width: the
colour scheme and the viewport change on the open page (media queries apply
at once), and axe runs again. A serious or critical violation fails the test,
with each violation's rule, impact, help and the nodes it found, so a failure
says what to fix. Moderate and minor ones are counted, not failed.

The counts go to var/accessibility/axe-summary.json and .md (untracked) and
are printed (`-s` shows them), with what axe left to a person ("incomplete",
such as text over a shadow); docs/accessibility.md quotes them.

axe is injected with `page.evaluate` (axe-playwright-python), which the
DevTools protocol runs outside the site's Content-Security-Policy, so the
pages are checked under the policy they are served with.

axe leaves the pegs' numbers to a person (they have a text shadow), so a
test of its own measures each peg's number against its colour and its edge
against the page, with the WCAG formula, in both themes.

Another tabs through the lobby and a board and measures each focus ring.

Chromium also reads the web app manifest and is asked, through the same
protocol, why it could not install the site: it finds no reason.
"""

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page, expect

from games.tests.factories import make_room, submit_guess
from games.tests.test_browser import (  # noqa: F401 - the module's fixtures
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    browser,
    make_server_user,
    open_tab,
    server,
    sign_in,
    sync_orm_beside_playwright,
    wait_until_true,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

FAILING = {"serious", "critical"}
IMPACTS = ("critical", "serious", "moderate", "minor")
SCHEMES = ("light", "dark")
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
SUMMARY_DIR = settings.BASE_DIR / "var" / "accessibility"
AXE = Axe()

# Each page's counts go to a file of its own (pytest-xdist may share the pages between
# workers); the summary is made from them whenever a worker finishes the module.
PAGE_RESULTS = SUMMARY_DIR / "pages"


def result_file(name: str) -> Path:
    return PAGE_RESULTS / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".json")


def describe(violation: dict) -> str:
    nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
    return f"{violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]\n    at {nodes}"


def node_note(node: dict) -> str:
    messages = {check["message"] for kind in ("any", "all", "none") for check in node.get(kind, [])}
    return " ".join(node["target"]) + ": " + " / ".join(sorted(messages))


def settle(page: Page) -> None:
    """A page with a live socket has had its first frame (which re-renders what axe looks at)."""
    page.wait_for_load_state("load")
    if page.locator("[ws-connect]").count():
        wait_until_true(page, "window.__mm && window.__mm.wsMessages > 0")


def check(page: Page, name: str) -> None:
    """axe in each scheme and width; record the counts, fail on any serious or critical violation."""
    settle(page)
    failures: list[str] = []
    # scheme -> width -> {impact: count}, and -> {rule: nodes} for what axe left to a person.
    found: dict[str, dict[str, dict[str, int]]] = {}
    review: dict[str, dict[str, dict[str, int]]] = {}
    review_nodes: dict[str, set[str]] = {}  # rule -> what axe said of each node, in any scheme or width
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        found[scheme], review[scheme] = {}, {}
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            results = AXE.run(page, options={"resultTypes": ["violations", "incomplete"]}).response
            violations = results["violations"]
            counts = Counter(v["impact"] for v in violations)
            found[scheme][width] = {impact: counts[impact] for impact in IMPACTS}
            review[scheme][width] = {r["id"]: len(r["nodes"]) for r in results["incomplete"]}
            for rule in results["incomplete"]:
                review_nodes.setdefault(rule["id"], set()).update(node_note(node) for node in rule["nodes"])
            print(
                f"[axe] {name} {scheme} {width}: "
                + ", ".join(f"{counts[i]} {i}" for i in IMPACTS)
                + f"; to review by hand: {review[scheme][width] or 'none'}"
            )
            failures += [f"{scheme}/{width}: {describe(v)}" for v in violations if v["impact"] in FAILING]
            # WCAG 1.4.10 (reflow): no sideways scrolling on a phone.
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > viewport["width"]:
                failures.append(f"{scheme}/{width}: the page is {wide} px wide at {viewport['width']} px")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)
    PAGE_RESULTS.mkdir(parents=True, exist_ok=True)
    nodes = {rule: sorted(notes) for rule, notes in review_nodes.items()}
    record = {"page": name, "violations": found, "incomplete": review, "incomplete_nodes": nodes}
    result_file(name).write_text(json.dumps(record, indent=2) + "\n")
    assert not failures, f"serious or critical axe violations on {name} ({page.url}):\n" + "\n".join(failures)


@pytest.fixture(scope="module", autouse=True)
def write_summary():
    """var/accessibility/axe-summary.json and .md, from the latest result of each page checked."""
    yield
    records = [json.loads(result_file(name).read_text()) for name in PAGES if result_file(name).exists()]
    if not records:
        return
    (SUMMARY_DIR / "axe-summary.json").write_text(json.dumps(records, indent=2) + "\n")
    lines = [
        "| page | light desktop | light phone | dark desktop | dark phone |",
        "| --- | --- | --- | --- | --- |",
    ]
    for record in records:
        by_scheme = record["violations"]
        cells = [
            "/".join(str(by_scheme[scheme][width][impact]) for impact in IMPACTS)
            for scheme in SCHEMES
            for width in WIDTHS
        ]
        lines.append(f"| {record['page']} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n\n(critical/serious/moderate/minor)\n"
    (SUMMARY_DIR / "axe-summary.md").write_text(table)
    print("\n" + table)


@dataclass
class Visit:
    """Where to look, as whom (None: an anonymous visitor)."""

    path: str
    user: str | None = None
    click: str | None = None  # then press this button there (a form post and a new page)
    then: str | None = None  # and then go there
    pick: tuple[int, ...] = ()  # colours picked with the palette before axe runs: a half-made guess


def _lobby_anonymous(make_user) -> Visit:
    return Visit("/")


def _lobby_signed_in(make_user) -> Visit:
    make_user("alice")
    make_room(make_user("bob"), "race", name="Friday race")
    return Visit("/", "alice")


def _solo_midgame(make_user) -> Visit:
    room = make_room(make_user("alice"), "quick", wrong_guesses=2)
    return Visit(f"/rooms/{room.code}/", "alice", pick=(0, 1))


def _ten_colours(make_user) -> Visit:
    """Every peg of the palette on the board (contrast of each number on its colour)."""
    alice = make_user("alice")
    room = make_room(alice, "quick", colors=10, code_length=4, secret=[9, 9, 9, 9])
    for guess in ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]):
        submit_guess(room, alice, guess)
    return Visit(f"/rooms/{room.code}/", "alice", pick=(4, 8, 9))


PLAY_NOW = "form[action='/play/now/'] button[type=submit]"


def _guest_board(make_user) -> Visit:
    return Visit("/", click=PLAY_NOW)


def _claim(make_user) -> Visit:
    return Visit("/", click=PLAY_NOW, then="/accounts/claim/")


def _match_searching(make_user) -> Visit:
    make_user("alice")
    return Visit("/", "alice", click="form[action='/play/match/'] button[type=submit]")


def _password_change(make_user) -> Visit:
    make_user("alice")
    return Visit("/accounts/password/change/", "alice")


def _password_reset(make_user) -> Visit:
    return Visit("/accounts/password/reset/")


def _account_delete(make_user) -> Visit:
    make_user("alice")
    return Visit("/accounts/delete/", "alice")


def _solo_finished(make_user) -> Visit:
    room = make_room(make_user("alice"), "quick", "finished", wrong_guesses=2)
    return Visit(f"/rooms/{room.code}/", "alice")


def _race_waiting(make_user) -> Visit:
    room = make_room(make_user("alice"), "race", name="Friday race", join=[make_user("bob")])
    return Visit(f"/rooms/{room.code}/", "alice")


def _race_playing(make_user) -> Visit:
    alice, bob = make_user("alice"), make_user("bob")
    room = make_room(alice, "race", "playing", name="Friday race", join=[bob], wrong_guesses=1)
    submit_guess(room, bob)
    return Visit(f"/rooms/{room.code}/", "bob")


def _race_finished(make_user) -> Visit:
    room = make_room(make_user("alice"), "race", "finished", join=[make_user("bob")], wrong_guesses=1)
    return Visit(f"/rooms/{room.code}/", "bob")


def _profile(make_user) -> Visit:
    alice = make_user("alice")
    make_room(alice, "quick", "finished", wrong_guesses=1)
    return Visit("/users/alice/", "alice")


def _how_to_play(make_user) -> Visit:
    return Visit("/how-to-play/")


def _sign_in(make_user) -> Visit:
    return Visit("/accounts/login/")


def _sign_up(make_user) -> Visit:
    return Visit("/accounts/register/")


def _daily(make_user) -> Visit:
    make_user("alice")
    return Visit("/daily/", "alice")


def _leaderboard(make_user) -> Visit:
    make_room(make_user("alice"), "quick", "finished", wrong_guesses=1)
    return Visit("/leaderboard/")


def _leaderboard_ratings(make_user) -> Visit:
    return Visit("/leaderboard/?board=race")


def _leaderboard_daily(make_user) -> Visit:
    return Visit("/leaderboard/?board=daily")


PAGES: dict[str, Callable] = {
    "lobby, anonymous": _lobby_anonymous,
    "lobby, signed in": _lobby_signed_in,
    "board, solo mid-game": _solo_midgame,
    "board, all ten colours": _ten_colours,
    "board, guest": _guest_board,
    "board, solo finished": _solo_finished,
    "board, race waiting": _race_waiting,
    "board, race playing": _race_playing,
    "board, race finished": _race_finished,
    "profile": _profile,
    "how to play": _how_to_play,
    "sign in": _sign_in,
    "sign up": _sign_up,
    "daily": _daily,
    "leaderboard": _leaderboard,
    "leaderboard, race ratings": _leaderboard_ratings,
    "leaderboard, today's daily": _leaderboard_daily,
    "claim (guest)": _claim,
    "find an opponent (searching)": _match_searching,
    "password change": _password_change,
    "password reset": _password_reset,
    "account delete": _account_delete,
}


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_axe_violations(name, open_tab, make_server_user):  # noqa: F811
    visit = PAGES[name](make_server_user)
    page = open_tab().page
    if visit.user:
        sign_in(page, visit.user)
    response = page.goto(visit.path)
    assert response is not None and response.status == 200, (visit.path, response and response.status)
    if visit.click:
        with page.expect_navigation():
            page.click(visit.click)
    if visit.then:
        page.goto(visit.then)
    expect(page.locator("main")).to_be_visible()
    if visit.pick:
        settle(page)  # the socket's first frame re-renders the move form: pick after it
        for colour in visit.pick:
            page.locator(f"#guess-form .palette button[data-colour='{colour}']").click()
    check(page, name)


def test_chromium_finds_the_site_installable(browser, server, tmp_path):  # noqa: F811
    """The manifest parses without error and Chromium lists no reason the app could not be installed.

    In a profile on disk: a plain context is incognito, where Chromium installs nothing and says only that.
    """
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, base_url=server.http_url
    )
    try:
        page = context.new_page()
        page.goto("/")
        devtools = context.new_cdp_session(page)
        manifest = devtools.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest"), manifest
        assert manifest["errors"] == [], manifest["errors"]
        errors = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
        print(f"\n[installability] {manifest['url']}: {errors or 'no errors'}")
        assert errors == [], errors
    finally:
        context.close()


# Every peg on the page: its number's colour, its own colour, its ring, and the colour around it.
PEG_COLOURS = """
Array.from(document.querySelectorAll(".peg")).filter((peg) => peg.offsetParent !== null).map((peg) => {
  let around = peg.parentElement;
  while (around && /rgba\\(.*, 0\\)|transparent/.test(getComputedStyle(around).backgroundColor)) {
    around = around.parentElement;
  }
  const style = getComputedStyle(peg);
  return {
    peg: peg.outerHTML.slice(0, 80),
    text: style.color,
    fill: style.backgroundColor,
    ring: style.borderTopColor,
    around: around ? getComputedStyle(around).backgroundColor : "rgb(255, 255, 255)",
  };
})
"""


def rgba(css: str) -> tuple[float, float, float, float]:
    """A computed colour, "rgb(r, g, b)" or "rgba(r, g, b, a)"."""
    r, g, b, *alpha = (float(n) for n in re.findall(r"[\d.]+", css))
    return r, g, b, alpha[0] if alpha else 1.0


def over(top: str, below: str) -> str:
    """`top` (maybe translucent) painted over the opaque `below`, as rgb()."""
    *fg, alpha = rgba(top)
    bg = rgba(below)[:3]
    return "rgb({}, {}, {})".format(*(alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True)))


def luminance(css: str) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b, _ = rgba(css)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_peg_number_and_edge_meets_contrast(open_tab, make_server_user):  # noqa: F811
    """WCAG AA where axe leaves it to a person (the numbers have a text shadow): on the ten-colour board
    with blue, purple and black picked into the holes, each peg's number is 4.5:1 on its colour, and the
    peg stands 3:1 off what is around it by its ring or its colour (1.4.11), in light and dark."""
    visit = _ten_colours(make_server_user)
    page = open_tab().page
    sign_in(page, visit.user)
    page.goto(visit.path)
    settle(page)
    for colour in visit.pick:
        page.locator(f"#guess-form .palette button[data-colour='{colour}']").click()
    failures = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        pegs = page.evaluate(PEG_COLOURS)
        # The palette's ten, three rows of four and the three picked into the holes.
        assert len(pegs) >= 25, pegs
        for peg in pegs:
            text = contrast(peg["text"], peg["fill"])
            ring = contrast(over(peg["ring"], peg["fill"]), peg["around"])
            fill = contrast(peg["fill"], peg["around"])
            if text < 4.5 or max(ring, fill) < 3:
                failures.append(
                    f"{scheme}: number {text:.2f}:1, ring {ring:.2f}:1, colour {fill:.2f}:1 on {peg}"
                )
    assert not failures, "\n".join(failures)


# The focused element's outline, and the colour around it (where the outline, offset outside, is drawn).
FOCUS_RING = """
(() => {
  const focused = document.activeElement;
  let around = focused.parentElement;
  while (around && /rgba\\(.*, 0\\)|transparent/.test(getComputedStyle(around).backgroundColor)) {
    around = around.parentElement;
  }
  const style = getComputedStyle(focused);
  return {
    element: focused.outerHTML.slice(0, 80),
    visible: focused.matches(":focus-visible"),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    colour: style.outlineColor,
    around: around ? getComputedStyle(around).backgroundColor : "rgb(255, 255, 255)",
  };
})()
"""


def test_the_focus_ring_shows_at_3_to_1_on_every_control(open_tab, make_server_user):  # noqa: F811
    """Tab through the lobby and a board mid-game: each control shows a 2 px or wider outline at
    3:1 on what is around it (WCAG 2.4.7 and 1.4.11), in light and dark."""
    room = make_room(make_server_user("alice"), "quick", wrong_guesses=2)
    page = open_tab().page
    sign_in(page, "alice")
    failures, seen = [], 0
    for path in ("/", f"/rooms/{room.code}/"):
        page.goto(path)
        settle(page)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            page.locator("body").focus()
            page.evaluate("document.activeElement && document.activeElement.blur()")
            for _ in range(40):
                page.keyboard.press("Tab")
                ring = page.evaluate(FOCUS_RING)
                if ring["element"].startswith("<body"):
                    break
                seen += 1
                ratio = contrast(over(ring["colour"], ring["around"]), ring["around"])
                if not ring["visible"] or ring["style"] == "none" or ring["width"] < 2 or ratio < 3:
                    failures.append(f"{path} {scheme}: {ratio:.2f}:1 {ring}")
    assert seen > 40, seen
    assert not failures, "\n".join(failures)
