"""Content-Security-Policy (issue #10, defect 15), in a real Chromium on a real daphne.

Every page is served with a policy that allows scripts, styles, images,
fonts and sockets from the site itself only, no inline script and no eval,
and the pages still work under it: signing up, the lobby, a board played
with the palette (board.js) over the live socket, the leaderboard and the
profile, and the API docs (Swagger UI, ReDoc). Chromium reports each
violation as a `securitypolicyviolation` event and a console error; any one
fails the test. The policy is shown to be enforced (an injected inline
script does not run and is reported), so "no violation" is not "no policy".
"""

import http.client
import re
import subprocess
import sys

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from games import services
from games.boards import PALETTE, colours
from games.tests.factories import wrong_guess
from games.tests.servers import LiveServer, live_server
from games.tests.test_browser import (  # noqa: F401 - the module's fixtures
    DESKTOP,
    WAIT_MS,
    browser,
    make_server_user,
    server,
    sync_orm_beside_playwright,
    wait_until_true,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "a-Long-passphrase-for-csp-42"
# Records every violation the page reports, before any of the page's own scripts run,
# and counts the live socket's frames.
RECORD_VIOLATIONS = """
window.__csp = [];
window.__wsMessages = 0;
document.addEventListener("htmx:wsAfterMessage", () => { window.__wsMessages += 1; });
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def policy_of(headers: dict) -> dict[str, list[str]]:
    header = headers.get("content-security-policy") or headers.get("Content-Security-Policy") or ""
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


class Watched:
    """A page whose CSP violations (events and console errors) are collected."""

    def __init__(self, chromium: Browser, live: LiveServer):
        self.context = chromium.new_context(base_url=live.http_url, viewport=DESKTOP, locale="en-US")
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page: Page = self.context.new_page()
        self.console: list[str] = []
        self.seen: list[str] = []
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.console.append(f"{message.text}"),
        )

    def visit(self, path: str) -> None:
        self.collect()
        self.page.goto(path)

    def collect(self) -> None:
        """Keep the violations of the page shown now (a navigation starts a new list)."""
        if self.page.url.startswith("http"):
            self.seen += [f"{self.page.url}: {v}" for v in self.page.evaluate("window.__csp || []")]

    def violations(self) -> list[str]:
        self.collect()
        return self.seen + [c for c in self.console if "Content Security Policy" in c]


REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def redoc_logo_pending(page: Page, violation: str) -> bool:
    """The one known violation, for as long as the ReDoc bundle the page loads still asks for it.

    ReDoc's bundle asks another host for its logo; the policy blocks it (so
    no request leaves the browser), and defect 14 of issue #10 removes the
    request itself. This lets that one violation pass only while the bundle
    served on this page still names the URL; once it does not, it fails
    like any other.
    """
    if REDOC_LOGO not in violation:
        return False
    bundles = page.evaluate("Array.from(document.scripts, s => s.src).filter(Boolean)")
    return any(REDOC_LOGO in page.request.get(url).text() for url in bundles)


@pytest.fixture
def watched(browser, server):  # noqa: F811 - fixtures imported above
    tab = Watched(browser, server)
    yield tab
    tab.context.close()


def test_pages_are_served_with_a_strict_policy(client):
    for path in ("/", "/accounts/login/", "/api/docs/", "/api/redoc/", "/api/v1/leaderboard/"):
        policy = policy_of(client.get(path).headers)
        assert policy.get("default-src") == ["'self'"], (path, policy)
        assert policy.get("object-src") == ["'none'"], (path, policy)
        assert policy.get("frame-ancestors") == ["'none'"], (path, policy)
        assert policy.get("base-uri") == ["'self'"], (path, policy)
        # No inline script and no eval anywhere, the docs pages included.
        assert policy.get("script-src") == ["'self'"], (path, policy)


def test_the_site_works_in_chromium_with_no_policy_violation(watched, make_server_user):  # noqa: F811
    page = watched.page

    watched.visit("/accounts/register/")
    page.fill("#id_username", "cspuser")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("header.site nav")).to_contain_text("cspuser")

    # Quick play: a board, played with the palette buttons (board.js) and
    # posted by htmx; the live socket sends the new row.
    page.click("form[action='/play/quick/'] button[type=submit]")  # htmx post, then HX-Redirect
    expect(page).to_have_url(re.compile(r"/rooms/[^/]+/$"))
    code = page.locator("#live").get_attribute("data-room")
    # The socket's first frame re-renders the move form: pick after it, or it wipes the picks.
    wait_until_true(page, "window.__wsMessages > 0")
    guess = wrong_guess(code)
    form = page.locator("#guess-form")
    for colour in guess:
        form.locator(f".palette button[data-colour='{colour}']").click()
    for i, colour in enumerate(guess):
        expect(form.locator(f"select[name=peg_{i}]")).to_have_value(str(colour))
    # The picked peg shows its colour: board.js sets --peg from the option.
    assert form.locator("select[name=peg_0]").evaluate("s => s.style.getPropertyValue('--peg')")
    form.locator("button[type=submit]").click()
    expect(page.locator("#boards li[data-number='1']")).to_be_visible()
    # A peg's colour comes from the stylesheet, not an inline style.
    # Polled: the row can be swapped again (post answer, then socket frame) while it is read.
    wait_until_true(
        page,
        """(() => {
            const peg = document.querySelector("#boards li[data-number='1'] .peg");
            const colour = peg && getComputedStyle(peg).getPropertyValue('--peg').trim();
            return Boolean(colour) && colour !== '#999';
        })()""",
    )

    for path in ("/", "/leaderboard/", "/users/cspuser/"):
        watched.visit(path)
        page.wait_for_load_state("load")

    # The API docs: Swagger UI lists the operations, ReDoc renders the schema.
    watched.visit("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=WAIT_MS)
    watched.visit("/api/redoc/")
    expect(page.locator(".api-content")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("h1").first).to_be_visible()

    violations = [v for v in watched.violations() if not redoc_logo_pending(page, v)]
    assert not violations, "\n".join(violations)


def test_the_policy_is_enforced_in_chromium(watched, make_server_user):  # noqa: F811
    """An injected inline script is refused and reported: the check above can see a violation."""
    watched.visit("/accounts/login/")
    ran = watched.page.evaluate(
        """() => {
          window.__ran = false;
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
          return window.__ran;
        }"""
    )
    assert ran is False
    wait_until_true(watched.page, "window.__csp.length > 0")
    assert any("script-src" in v for v in watched.violations())


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "0",
            "SECRET_KEY": "a-deploy-check-key-" + "x7Qp2Lm9Zr4Tv8Wy" * 4,
            "ALLOWED_HOSTS": "mastermind.example",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/api/redoc/", "/api/v1/leaderboard/", "/no-such-page/", "/static/x"]
)
def test_the_policy_built_once_is_the_header_django_csp_builds(client, settings, path):
    """config.policy's built-once header is django-csp's own, per-view updates (ReDoc's) included."""
    ours = client.get(path).headers.get("Content-Security-Policy")
    settings.MIDDLEWARE = [
        "csp.middleware.CSPMiddleware" if m == "config.policy.CSPMiddleware" else m
        for m in settings.MIDDLEWARE
    ]
    theirs = client.get(path).headers.get("Content-Security-Policy")
    assert ours and ours == theirs
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.MIDDLEWARE = [
        "config.policy.CSPMiddleware" if m == "csp.middleware.CSPMiddleware" else m
        for m in settings.MIDDLEWARE
    ]
    assert client.get(path).headers.get("Content-Security-Policy") == (
        "default-src 'none'"
        if path != "/api/redoc/"
        else "default-src 'none'; style-src 'unsafe-inline'; worker-src blob:"
    )


def test_check_deploy_is_clean_behind_a_tls_proxy():
    result = _check_deploy(BEHIND_TLS_PROXY="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout


def _get(live: LiveServer, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def test_behind_a_tls_proxy_plain_http_redirects_and_https_gets_hsts():
    # live_server() itself waits for GET /healthz over plain http: the probe is exempt.
    with live_server({"BEHIND_TLS_PROXY": "1"}) as tls:
        status, headers = _get(tls, "/accounts/login/")
        assert status == 301, (status, tls.describe())
        assert headers["location"].startswith("https://")
        status, headers = _get(tls, "/accounts/login/", {"X-Forwarded-Proto": "https"})
        assert status == 200, (status, tls.describe())
        hsts = headers["strict-transport-security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
        assert "content-security-policy" in headers
        # Cookies go over https only.
        assert "secure" in headers["set-cookie"].lower()
        assert _get(tls, "/healthz")[0] == 200


def test_the_stylesheet_colours_every_peg_of_the_palette():
    """Peg colours are classes (no inline style under the CSP); they must match games.boards.PALETTE."""
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    for colour in colours(len(PALETTE)):
        assert f".peg.c{colour['index']} {{ --peg: {colour['hex']}; }}" in css, colour


def test_the_admin_works_in_chromium_with_no_policy_violation(watched, make_server_user):  # noqa: F811
    staff = make_server_user("cspstaff")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    room = services.room_create(user=staff, mode="race")
    page = watched.page
    watched.visit("/admin/login/")
    page.fill("#id_username", "cspstaff")
    page.fill("#id_password", "correct horse battery staple")
    with page.expect_navigation():
        page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    for path in (
        "/admin/",
        "/admin/games/room/",
        f"/admin/games/room/{room.pk}/change/",
        "/admin/accounts/user/add/",
    ):
        watched.visit(path)
        expect(page.locator("#content")).to_be_visible()
    violations = watched.violations()
    assert not violations, "\n".join(violations)
