"""The leaderboard and the players' profile pages."""

import re

import pytest
from django.test import Client

from games import services
from games.models import Room
from games.tests.factories import make_room
from games.tests.pages import HTMX, browser, page, section

pytestmark = pytest.mark.django_db


def solo_win(user, *, private: bool = False, name: str = "A win") -> Room:
    return make_room(user, "solo", "finished", private=private, name=name)


def solo_loss(user) -> Room:
    room = make_room(user, "solo", "finished", max_guesses=1, wrong_guesses=1, name="A loss")
    assert room.winner is None
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
