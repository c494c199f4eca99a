"""/users/{username}/: a profile page with stats, how each recent game went, and account links for its owner."""

import re

import pytest
from django.test import Client

from accounts.tests.test_api_profiles import private_race, solo_loss, solo_win
from games import services
from games.tests.pages import browser, page, section

pytestmark = pytest.mark.django_db


def recent(content: str) -> list[str]:
    """The recent games' lines as text: name, mode, result, ..."""
    block = section(content, "<h2>Recent games</h2>", "</ul>")
    return [
        " ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]


def test_profile_shows_when_they_joined_and_how_each_game_went(alice, bob):
    solo_win(alice, name="Quick one")
    solo_loss(alice, name="Bad day")
    race = services.room_create(user=bob, mode="race", name="Race")
    services.room_join(room_code=race.code, user=alice)
    services.room_start(room_code=race.code, user=bob)
    services.room_leave(room_code=race.code, user=alice)
    race.refresh_from_db()
    services.guess_submit(room_code=race.code, user=bob, guess=race.secret)

    response = Client().get("/users/alice/")

    assert response.status_code == 200
    page(response)
    content = response.content.decode()
    assert f'<time datetime="{alice.date_joined.date().isoformat()}' in content
    lines = recent(content)
    assert lines[0].startswith("Race race left won by bob")
    assert lines[1].startswith("Bad day solo out of guesses no winner")
    assert lines[2].startswith("Quick one solo won in 1 won by alice")


def test_a_shared_private_game_shows_on_the_profile_for_the_other_player(alice, bob, carol):
    private_race(alice, bob, "Just us")
    assert "Just us" in section(
        browser(bob).get("/users/alice/").content.decode(), "<h2>Recent games</h2>", "</ul>"
    )
    assert "Just us" not in browser(carol).get("/users/alice/").content.decode()
    assert "Just us" not in Client().get("/users/alice/").content.decode()


def test_your_own_profile_links_to_password_change_and_deletion(alice, bob):
    mine = browser(alice).get("/users/alice/").content.decode()
    assert 'href="/accounts/password/change/"' in mine
    assert 'href="/accounts/delete/"' in mine
    for viewer in (browser(bob), Client()):
        theirs = viewer.get("/users/alice/").content.decode()
        assert "/accounts/password/change/" not in theirs
        assert "/accounts/delete/" not in theirs
