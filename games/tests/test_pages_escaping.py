"""User text on the pages is escaped, everywhere it shows."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from games import services
from games.tests.factories import secret_of
from games.tests.pages import HTMX, board_url, section

pytestmark = pytest.mark.django_db

XSS_NAME = "<img src=x onerror=alert(1)>"


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
