"""The web app manifest and its icons (issue #12): what a phone needs to add the site to its home screen."""

import json
import struct
from xml.etree import ElementTree

import pytest
from django.conf import settings

from games.tests.factories import make_room

MANIFEST = "/manifest.webmanifest"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What templates/base.html puts in every page's head.
HEAD_LINKS = [
    f'<link rel="manifest" href="{MANIFEST}">',
    '<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)">',
    '<meta name="theme-color" content="#1e2129" media="(prefers-color-scheme: dark)">',
    '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">',
    '<link rel="icon" href="/static/icons/icon.svg" type="image/svg+xml">',
]


def body(response) -> bytes:
    """The bytes of a view's answer or of a static file WhiteNoise streams."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, the first after the signature."""
    assert data[:8] == PNG_SIGNATURE, data[:8]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def manifest(client):
    response = client.get(MANIFEST)
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_manifest_is_served_as_application_manifest_json(client):
    response = client.get(MANIFEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert "max-age=86400" in response["Cache-Control"]
    json.loads(response.content)


def test_the_manifest_has_what_installing_needs(manifest):
    assert manifest["name"] == "Mastermind Online"
    assert manifest["short_name"] and len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    pngs = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= pngs
    assert any(icon["purpose"] == "maskable" and icon["sizes"] == "512x512" for icon in manifest["icons"])
    assert any(icon["type"] == "image/svg+xml" and icon["sizes"] == "any" for icon in manifest["icons"])


def test_the_manifest_colours_are_the_stylesheets(manifest):
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert f"--bg: {manifest['background_color']};" in css
    assert f"--card: {manifest['theme_color']};" in css


def test_each_icon_is_an_image_of_its_declared_size(client, manifest):
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon
        assert response["Content-Type"] == icon["type"], icon
        data = body(response)
        if icon["type"] == "image/png":
            width, height = png_size(data)
            assert f"{width}x{height}" == icon["sizes"], icon
        else:
            svg = ElementTree.fromstring(data)
            assert svg.tag == "{http://www.w3.org/2000/svg}svg"
            assert svg.get("viewBox") == "0 0 512 512"


def test_the_apple_touch_icon_is_180_pixels(client):
    response = client.get("/static/icons/apple-touch-icon.png")
    assert response.status_code == 200
    assert png_size(body(response)) == (180, 180)


@pytest.mark.django_db
def test_every_page_links_the_manifest_the_theme_colours_and_the_icons(client, alice):
    room = make_room(alice, "quick")
    anonymous = [
        "/",
        "/accounts/login/",
        "/accounts/register/",
        "/how-to-play/",
        "/leaderboard/",
        "/no-such-page/",
    ]
    signed_in = ["/", f"/rooms/{room.code}/", "/users/alice/", "/daily/", "/accounts/password/change/"]
    pages = [(path, False) for path in anonymous] + [(path, True) for path in signed_in]
    for path, sign_in in pages:
        if sign_in:
            client.force_login(alice)
        else:
            client.logout()
        html = client.get(path).content.decode()
        for link in HEAD_LINKS:
            assert link in html, (path, link)


def test_the_dark_theme_colour_is_the_dark_headers():
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    dark = css.split("@media (prefers-color-scheme: dark)", 1)[1].split("}", 2)[0]
    assert "--card: #1e2129;" in dark
