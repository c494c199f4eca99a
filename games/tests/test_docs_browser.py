"""The API docs pages load nothing from another host, in a real Chromium (SPEC §3, issue #10 item 14).

A static look at the HTML (test_health_and_docs.py) cannot see what the
scripts fetch once they run: ReDoc's bundle draws a "powered by" logo from
https://cdn.redoc.ly/. Here Chromium opens each docs page against a live
daphne, every request is recorded (and any to another host refused, so the
page never waits on a network it cannot reach), and the page must render
with no request leaving the server and no console error.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from games.tests.test_browser import (  # noqa: F401 - fixtures shared with the browser tests
    CHROMIUM_ARGS,
    WAIT_MS,
    browser,
    server,
    sync_orm_beside_playwright,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# What each page shows once its script has drawn the schema.
RENDERED = {
    "/api/docs/": re.compile(r"/api/v1/rooms/"),
    # The menu footer, whose logo came from the CDN.
    "/api/redoc/": re.compile(r"API docs by Redocly"),
}


@pytest.mark.parametrize("path", sorted(RENDERED))
def test_docs_page_requests_nothing_from_another_host(browser, server, path):  # noqa: F811
    context = browser.new_context(base_url=server.http_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requested, errors = [], []
    local = urlsplit(server.http_url).netloc

    def route(route):
        url = route.request.url
        requested.append(url)
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != local:
            route.abort()
        else:
            route.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    try:
        page.goto(path)
        expect(page.get_by_text(RENDERED[path]).first).to_be_visible(timeout=WAIT_MS)
        if path == "/api/redoc/":
            # Drawn by an effect after the menu: the logo that came from the CDN is
            # on the page, or was asked for and failed (and so removed itself).
            page.wait_for_function(
                """() => document.querySelector('img[alt="redocly logo"]')
                    || performance.getEntriesByType('resource').some(e => e.name.includes('logo'))""",
                timeout=WAIT_MS,
            )
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)
        requested += page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
        requested += page.evaluate("() => Array.from(document.images).map(i => i.currentSrc || i.src)")
    finally:
        context.close()
    offsite = [
        url
        for url in requested
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != local
    ]
    assert offsite == []
    assert errors == []
