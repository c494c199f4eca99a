"""The daily challenge (SPEC §9): one stored secret a day, your own private board, the day's best."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from games import daily, rules, services
from games.models import DailyChallenge, DailyPlay, Room

pytestmark = pytest.mark.django_db

DAILY = "/api/v1/daily/"


def wrong(room: Room) -> list[int]:
    return [(room.secret[0] + 1) % room.colors, *room.secret[1:]]


def play(user, *, misses: int, solve: bool = True) -> Room:
    room, _ = daily.daily_start(user=user)
    room.refresh_from_db()
    for _ in range(misses):
        services.guess_submit(room_code=room.code, user=user, guess=wrong(room))
    if solve:
        services.guess_submit(room_code=room.code, user=user, guess=room.secret)
    room.refresh_from_db()
    return room


def test_post_starts_your_private_daily_room_once(alice_api):
    first = alice_api.post(DAILY)
    assert first.status_code == 201
    room = first.json()
    assert (room["mode"], room["status"], room["private"], room["daily"]) == ("solo", "playing", True, True)
    assert room["settings"] == {
        "code_length": 5,
        "colors": 8,
        "max_guesses": 10,
        "allow_duplicates": True,
        "max_players": 1,
    }
    again = alice_api.post(DAILY)
    assert again.status_code == 200 and again.json()["code"] == room["code"]
    assert DailyPlay.objects.count() == 1


def test_everyone_plays_the_same_stored_secret(alice, bob):
    first, _ = daily.daily_start(user=alice)
    second, _ = daily.daily_start(user=bob)
    stored = DailyChallenge.objects.get(date=daily.today()).secret
    assert first.secret == second.secret == stored
    assert first.code != second.code


def test_the_summary_hides_today_and_shows_a_past_day(alice_api, alice, bob):
    play(alice, misses=1)
    play(bob, misses=0, solve=False)
    today = alice_api.get(DAILY).json()
    assert today["date"] == daily.today().isoformat()
    assert today["number"] == (daily.today() - daily.FIRST_DAY).days + 1
    assert (today["players"], today["solvers"]) == (2, 1)
    assert today["room"] == DailyPlay.objects.get(user=alice).room.code
    assert "secret" not in today
    yesterday = daily.today() - timedelta(days=1)
    DailyChallenge.objects.create(date=yesterday, secret=[1, 2, 3, 4, 5])
    past = alice_api.get(DAILY, {"date": yesterday.isoformat()}).json()
    assert (past["secret"], past["room"], past["players"]) == ([1, 2, 3, 4, 5], None, 0)


@pytest.mark.parametrize(("date", "status"), [("2026-13-01", 400), ("yesterday", 400), ("2026-11-1", 400)])
def test_a_bad_date_is_400(alice_api, date, status):
    response = alice_api.get(DAILY, {"date": date})
    assert response.status_code == status and response.json()["field"] == "date"


def test_a_future_or_unplayed_day_is_404(alice_api):
    tomorrow = daily.today() + timedelta(days=1)
    assert alice_api.get(DAILY, {"date": tomorrow.isoformat()}).status_code == 404
    assert alice_api.get(DAILY, {"date": "2026-11-02"}).status_code == 404  # nobody played it here
    assert alice_api.get(DAILY, {"date": "2020-01-01"}).status_code == 404


def test_nobody_else_sees_your_daily_room(alice, bob_api):
    room, _ = daily.daily_start(user=alice)
    assert bob_api.get(f"/api/v1/rooms/{room.code}/").status_code == 404
    assert bob_api.get(f"/api/v1/rooms/{room.code}/events/").status_code == 404
    assert all(r["code"] != room.code for r in bob_api.get("/api/v1/rooms/").json()["results"])


def test_your_own_daily_room_keeps_its_secret_until_you_finish(alice, alice_api):
    room, _ = daily.daily_start(user=alice)
    assert alice_api.get(f"/api/v1/rooms/{room.code}/").json()["secret"] is None
    finished = play(alice, misses=0)
    assert alice_api.get(f"/api/v1/rooms/{finished.code}/").json()["secret"] == finished.secret


def test_no_hints_in_the_daily(alice, alice_api):
    room, _ = daily.daily_start(user=alice)
    response = alice_api.get(f"/api/v1/rooms/{room.code}/hint/")
    assert response.status_code == 403 and "No hints in the daily" in response.json()["detail"]
    assert "hint" not in alice_api.get(f"/api/v1/rooms/{room.code}/").json()["actions"]
    room.refresh_from_db()
    assert room.hints_used is False
    browser = Client()
    browser.force_login(alice)
    page = browser.get(f"/rooms/{room.code}/").content.decode()
    assert "/hint/" not in page  # the board does not offer what would be refused


def test_the_daily_leaderboard_fewest_guesses_then_fastest_no_guests(alice, bob, carol):
    play(alice, misses=2)
    play(bob, misses=1)
    play(carol, misses=2)
    guest = account_services.guest_create()
    play(guest, misses=0)  # the best result, but a guest
    Room.objects.filter(daily_play__user=carol).update(
        started_at=timezone.now() - timedelta(seconds=30), finished_at=timezone.now()
    )
    Room.objects.filter(daily_play__user=alice).update(
        started_at=timezone.now() - timedelta(seconds=90), finished_at=timezone.now()
    )
    rows = APIClient().get("/api/v1/leaderboard/", {"daily": daily.today().isoformat()}).json()
    assert [(r["username"], r["guesses"]) for r in rows] == [("bob", 2), ("carol", 3), ("alice", 3)]
    assert rows[1]["seconds"] == pytest.approx(30, abs=1)
    assert "wins" not in rows[0]
    assert APIClient().get("/api/v1/leaderboard/", {"daily": "nope"}).status_code == 400


def test_the_share_text_has_no_colours(alice):
    room = play(alice, misses=2)
    text = daily.share_text_for(room_code=room.code)
    number = (daily.today() - daily.FIRST_DAY).days + 1
    exact, misplaced = rules.score(room.secret, wrong(room))
    miss = "●" * exact + "○" * misplaced or "–"
    assert text.splitlines() == [f"Mastermind Online #{number} 3/10", miss, miss, "●●●●●"]
    assert str(room.secret) not in text


def test_the_share_text_of_a_lost_daily(alice):
    room = play(alice, misses=10, solve=False)
    assert daily.share_text_for(room_code=room.code).splitlines()[0].endswith(" X/10")


def test_the_daily_page_plays_in_one_click_and_shares(alice):
    visitor = Client()
    page = visitor.get("/daily/").content.decode()
    assert "Play today&#x27;s challenge (as a guest, no sign-up)" in page or "as a guest, no sign-up" in page
    response = visitor.post("/daily/")
    room = Room.objects.get(is_daily=True)
    assert response.status_code == 302 and response["Location"] == f"/rooms/{room.code}/"
    assert room.owner.is_guest
    services.guess_submit(room_code=room.code, user=room.owner, guess=room.secret)
    page = visitor.get("/daily/").content.decode()
    assert "Mastermind Online #" in page and "1/10" in page
    board = visitor.get(f"/rooms/{room.code}/").content.decode()
    assert "Share your daily result" in board and "●●●●●" in board
    assert "Nobody has cracked today" in page  # a guest is not ranked


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent first draws need PostgreSQL's row locks"
)
def test_two_first_draws_at_once_agree_on_one_secret():
    results, barrier = [], threading.Barrier(8)

    def draw():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(tuple(daily.challenge_for(daily.today()).secret))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert DailyChallenge.objects.count() == 1


def test_a_solo_board_has_no_chat_and_no_player_count(alice):
    room = services.quick_play(user=alice)
    browser = Client()
    browser.force_login(alice)
    page = browser.get(f"/rooms/{room.code}/").content.decode()
    assert 'id="chat"' not in page and "/chat/" not in page
    assert "4 pegs · 6 colours · 10 guesses</span>" in page and "up to 1 players" not in page


def test_the_leaderboard_page_has_a_daily_tab(alice, bob):
    play(alice, misses=1)
    wins = Client().get("/leaderboard/").content.decode()
    assert 'href="/leaderboard/?board=daily"' in wins and 'aria-current="page">Wins' in wins
    tab = Client().get("/leaderboard/?board=daily").content.decode()
    assert 'aria-current="page">Today&#x27;s daily' in tab or 'aria-current="page">Today\'s daily' in tab
    assert 'href="/users/alice/">alice</a></td><td>2</td>' in tab


def test_the_daily_secret_reaches_nobody_still_playing(alice, bob, alice_api, bob_api):
    """Every response a player (or a rival who has finished) can get while alice plays: no secret in any."""
    room, _ = daily.daily_start(user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=wrong(room))
    finished = play(bob, misses=0)  # bob has finished today's: his own room shows him the secret
    secret = room.secret
    assert finished.secret == secret
    alice_page, bob_page = Client(), Client()
    alice_page.force_login(alice)
    bob_page.force_login(bob)
    responses = [
        alice_api.get(DAILY),
        alice_api.post(DAILY),
        alice_api.get(f"/api/v1/rooms/{room.code}/"),
        alice_api.get(f"/api/v1/rooms/{room.code}/guesses/"),
        alice_api.get(f"/api/v1/rooms/{room.code}/events/"),
        alice_api.get(f"/api/v1/rooms/{room.code}/analysis/"),
        alice_api.get(f"/api/v1/rooms/{room.code}/hint/"),
        alice_api.get("/api/v1/rooms/?mine=true"),
        alice_api.get("/api/v1/leaderboard/", {"daily": daily.today().isoformat()}),
        alice_api.get("/api/v1/users/alice/games/"),
        alice_api.get("/api/v1/users/bob/games/"),
        bob_api.get(DAILY),
        bob_api.get(f"/api/v1/rooms/{room.code}/"),
        bob_api.get(f"/api/v1/rooms/{room.code}/events/"),
        alice_page.get(f"/rooms/{room.code}/"),
        alice_page.get("/daily/"),
        alice_page.get("/users/bob/"),
        alice_page.get("/leaderboard/?board=daily"),
        bob_page.get(f"/rooms/{room.code}/"),
    ]
    spellings = [json.dumps(secret), json.dumps(secret, separators=(",", ":")), str(secret)]
    for response in responses:
        body = response.content.decode()
        assert not any(s in body for s in spellings), (response.request["PATH_INFO"], body[:300])
        assert 'class="secret"' not in body, response.request["PATH_INFO"]
